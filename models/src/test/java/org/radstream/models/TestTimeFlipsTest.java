package org.radstream.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.initializer.NormalInitializer;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Test-time flip averaging: the views are mirrored back before averaging, and an artifact's choice is applied. */
class TestTimeFlipsTest {

    @TempDir
    Path root;

    @Test
    void aFlipMirrorsEveryChannelAndUndoesItself() {
        // 2 channels of 2×3
        float[] sample = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        assertThat(TestTimeFlips.flipped(sample, true, false, 2, 3)).containsExactly(3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10);
        assertThat(TestTimeFlips.flipped(sample, false, true, 2, 3)).containsExactly(4, 5, 6, 1, 2, 3, 10, 11, 12, 7, 8, 9);
        assertThat(TestTimeFlips.flipped(TestTimeFlips.flipped(sample, true, true, 2, 3), true, true, 2, 3))
                .containsExactly(sample);
        assertThatThrownBy(() -> TestTimeFlips.flipped(new float[7], true, false, 2, 3))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void viewsAreMirroredBackBeforeTheyAreAveraged() {
        // a "network" that marks the left column of whatever it sees, ignoring the content: mirrored
        // back, the left-right view marks the right column, and the average holds half of each
        TestTimeFlips.Forward<RuntimeException> leftColumn = batch -> {
            float[][] out = new float[batch.length][9];
            for (float[] o : out) {
                o[0] = 1;
                o[3] = 1;
                o[6] = 1;
            }
            return out;
        };
        float[][] one = {new float[9]};
        assertThat(TestTimeFlips.NONE.predict(leftColumn, one, 3, 3)[0]).containsExactly(1, 0, 0, 1, 0, 0, 1, 0, 0);
        assertThat(TestTimeFlips.LEFT_RIGHT.predict(leftColumn, one, 3, 3)[0])
                .containsExactly(0.5f, 0, 0.5f, 0.5f, 0, 0.5f, 0.5f, 0, 0.5f);
        // up-down views of a column are the column again: both flips keep the halves
        assertThat(TestTimeFlips.BOTH.predict(leftColumn, one, 3, 3)[0])
                .containsExactly(0.5f, 0, 0.5f, 0.5f, 0, 0.5f, 0.5f, 0, 0.5f);

        // a network that copies its input is unchanged by any averaging
        TestTimeFlips.Forward<RuntimeException> copy = batch -> {
            float[][] out = new float[batch.length][];
            for (int i = 0; i < batch.length; i++) {
                out[i] = batch[i].clone();
            }
            return out;
        };
        float[][] ramp = {{0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f}};
        assertThat(TestTimeFlips.BOTH.predict(copy, ramp, 3, 3)[0]).containsExactly(ramp[0], org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(TestTimeFlips.BOTH.passes()).isEqualTo(4);
    }

    @Test
    void anArtifactsFlipsAreWhatItsPredictionsAverage() throws Exception {
        ModelStore store = new ModelStore(root);
        int size = 16;
        URI plain;
        URI leftRight;
        URI bad;
        try (Model model = Architectures.newModel(NetworkSpec.unet25d(2, 4), Device.cpu())) {
            model.getBlock().setInitializer(new NormalInitializer(0.5f), ai.djl.nn.Parameter.Type.WEIGHT);
            ai.djl.engine.Engine.getInstance().setRandomSeed(5);
            model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 3, size, size));
            plain = store.save(model, new ModelDescriptor("infection", size, size, -1200, 600, Map.of())).location();
            leftRight = store.save(model, new ModelDescriptor("infection", size, size, -1200, 600,
                    Map.of(SegmentationModel.TEST_TIME_FLIPS_METRIC, 1.0))).location();
            bad = store.save(model, new ModelDescriptor("infection", size, size, -1200, 600,
                    Map.of(SegmentationModel.TEST_TIME_FLIPS_METRIC, 3.0))).location();
        }
        SyntheticDisks d = new SyntheticDisks(3, size, 4);
        float[][] batch = SliceStack.stackAll(List.of(d.images), 3);
        float[][] mirrored = new float[batch.length][];
        for (int i = 0; i < batch.length; i++) {
            mirrored[i] = TestTimeFlips.flipped(batch[i], true, false, size, size);
        }
        try (SegmentationModel p = SegmentationModel.load(plain, Device.cpu());
             SegmentationModel lr = SegmentationModel.load(leftRight, Device.cpu())) {
            assertThat(p.testTimeFlips()).isEqualTo(TestTimeFlips.NONE); // a version without the metric
            assertThat(lr.testTimeFlips()).isEqualTo(TestTimeFlips.LEFT_RIGHT);
            float[][] asIs = p.predict(batch);
            float[][] ofMirror = p.predict(mirrored);
            float[][] averaged = lr.predict(batch);
            boolean differs = false;
            for (int i = 0; i < batch.length; i++) {
                float[] back = TestTimeFlips.flipped(ofMirror[i], true, false, size, size);
                for (int k = 0; k < back.length; k++) {
                    assertThat(averaged[i][k]).isCloseTo((asIs[i][k] + back[k]) / 2, org.assertj.core.data.Offset.offset(1e-5f));
                    differs |= Math.abs(asIs[i][k] - back[k]) > 1e-3;
                }
            }
            assertThat(differs).as("the untrained network is not mirror-symmetric, so the views differ").isTrue();
        }
        assertThatThrownBy(() -> SegmentationModel.load(bad, Device.cpu()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("test_time_flips must be 0, 1 or 2, not 3.0");
    }
}
