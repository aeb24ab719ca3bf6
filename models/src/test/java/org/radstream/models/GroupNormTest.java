package org.radstream.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.XavierInitializer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GroupNormTest {

    private static final int SIZE = 32;

    @TempDir
    Path root;

    @Test
    void eachGroupOfFourChannelsComesOutWithMeanZeroAndUnitVariance() {
        try (NDManager manager = NDManager.newBaseManager()) {
            GroupNorm norm = new GroupNorm(1e-5f);
            Shape shape = new Shape(2, 8, 5, 5);
            norm.initialize(manager, DataType.FLOAT32, shape);
            // scales and offsets differ per channel, so per-channel input statistics are far from 0/1
            NDArray x = manager.randomNormal(shape).mul(manager.arange(1f, 9f).reshape(1, 8, 1, 1))
                    .add(manager.arange(0f, 80f, 10f).reshape(1, 8, 1, 1));
            float[] y = norm.forward(new ParameterStore(manager, false), new NDList(x), true)
                    .singletonOrThrow().toFloatArray();

            int groupSize = 4 * 25;
            for (int g = 0; g < 4; g++) { // 2 samples × 2 groups
                double sum = 0;
                double squares = 0;
                for (int i = g * groupSize; i < (g + 1) * groupSize; i++) {
                    sum += y[i];
                    squares += y[i] * y[i];
                }
                double mean = sum / groupSize;
                assertThat(mean).isCloseTo(0, Offset.offset(1e-4));
                assertThat(squares / groupSize - mean * mean).isCloseTo(1, Offset.offset(1e-3));
            }
            assertThat(GroupNorm.groups(8)).isEqualTo(2);
            assertThat(GroupNorm.groups(6)).isEqualTo(1);
        }
    }

    @Test
    void aSlicesOutputDoesNotDependOnTheRestOfItsBatchInTrainingOrInference() {
        UNet net = UNet.builder().variant(UNetVariant.GROUP_NORM).inChannels(3).levels(3).baseWidth(8).build();
        try (NDManager manager = NDManager.newBaseManager()) {
            net.setInitializer(new XavierInitializer(), Parameter.Type.WEIGHT);
            net.initialize(manager, DataType.FLOAT32, new Shape(1, 3, SIZE, SIZE));
            NDArray slice = manager.randomUniform(0f, 1f, new Shape(1, 3, SIZE, SIZE));
            NDArray others = manager.randomUniform(0f, 5f, new Shape(3, 3, SIZE, SIZE));
            for (boolean training : new boolean[] {true, false}) {
                ParameterStore store = new ParameterStore(manager, false);
                float[] alone = net.forward(store, new NDList(slice), training).singletonOrThrow().toFloatArray();
                float[] inBatch = net.forward(store, new NDList(slice.concat(others, 0)), training)
                        .singletonOrThrow().get(0).toFloatArray();
                assertThat(inBatch).containsExactly(alone, Offset.offset(1e-4f));
            }
        }
    }

    @Test
    void aTrainedGroupNormUNetIsStoredAndLoadedWithIdenticalPredictions() throws Exception {
        ModelStore store = new ModelStore(root, Clock.fixed(Instant.parse("2026-12-04T05:00:00Z"), ZoneOffset.UTC));
        SyntheticDisks data = new SyntheticDisks(8, SIZE, 11);
        float[][] inputs = SliceStack.stackAll(List.of(data.images), 3);
        float[][] probe = SliceStack.stackAll(List.of(new SyntheticDisks(3, SIZE, 12).images), 3);
        float[][] expected;
        ModelArtifact saved;
        try (Model model = Architectures.newModel(NetworkSpec.unet(UNetVariant.GROUP_NORM, 3, 3, 8), Device.cpu());
                SegmentationTraining training = SegmentationTraining.start(
                        model, 3, SIZE, SIZE, TrainingSettings.defaults())) {
            training.step(inputs, data.masks);
            training.step(inputs, data.masks);
            saved = store.save(model, new ModelDescriptor("infection", SIZE, SIZE, -1200, 600, Map.of()));
            expected = training.predict(probe);
        }

        assertThat(saved.metadata().network()).isEqualTo(new NetworkSpec("unet-gn", 3, 1, 3, 8));
        try (SegmentationModel loaded = SegmentationModel.load(saved.location(), Device.cpu())) {
            float[][] actual = loaded.predict(probe);
            for (int i = 0; i < probe.length; i++) {
                assertThat(actual[i]).containsExactly(expected[i], Offset.offset(1e-5f));
            }
        }
    }

    @Test
    void refusesInputThatIsNotAnImageBatch() {
        try (NDManager manager = NDManager.newBaseManager()) {
            GroupNorm norm = new GroupNorm(1e-5f);
            assertThatThrownBy(() -> norm.initialize(manager, DataType.FLOAT32, new Shape(4, 8)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("N×C×H×W");
            assertThatThrownBy(() -> new GroupNorm(0f)).hasMessageContaining("epsilon");
        }
    }
}
