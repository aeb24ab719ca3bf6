package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Volume;
import org.radstream.imaging.Window;

class MaskThresholdTest {
    private static final int SIZE = 8;

    /** A 2×2 lesion on every slice of a 4-slice scan. */
    private static ScanData scan() {
        Mask3D label = new Mask3D(SIZE, SIZE, 4);
        for (int z = 0; z < 4; z++) {
            for (int y = 3; y < 5; y++) {
                for (int x = 3; x < 5; x++) {
                    label.set(x, y, z, true);
                }
            }
        }
        return new ScanData("s", new Volume(new float[SIZE * SIZE * 4], SIZE, SIZE, 4, 1, 1, 1), label, null, null);
    }

    /** A "network" that says {@code inside} on the lesion and {@code outside} elsewhere. */
    private static SliceModel saying(float inside, float outside, float threshold) {
        return new SliceModel() {
            @Override public Window window() { return Window.LUNG; }
            @Override public int size() { return SIZE; }
            @Override public int channels() { return 1; }
            @Override public boolean regionInput() { return false; }
            @Override public float threshold() { return threshold; }
            @Override public float[][] predict(float[][] batch) {
                float[][] out = new float[batch.length][];
                for (int i = 0; i < batch.length; i++) {
                    out[i] = new float[SIZE * SIZE];
                    Arrays.fill(out[i], outside);
                    for (int y = 3; y < 5; y++) {
                        for (int x = 3; x < 5; x++) {
                            out[i][y * SIZE + x] = inside;
                        }
                    }
                }
                return out;
            }
        };
    }

    @Test
    void anUnderConfidentNetworkGetsTheThresholdThatFindsItsLesions() throws Exception {
        MaskThreshold.Choice c = MaskThreshold.choose(saying(0.35f, 0.05f, 0.5f), List.of(scan()));
        assertThat(c.threshold()).isEqualTo(0.3f);
        assertThat(c.dice()).isEqualTo(1.0);
        assertThat(c.diceAtHalf()).isEqualTo(0.0);
        // and the evaluator (like the workers) cuts where the model says
        assertThat(Evaluator.segment(saying(0.35f, 0.05f, c.threshold()), scan())).isEqualTo(scan().label());
        assertThat(Evaluator.segment(saying(0.35f, 0.05f, 0.5f), scan()).isEmpty()).isTrue();
    }

    @Test
    void aConfidentNetworkKeepsOneHalf() throws Exception {
        MaskThreshold.Choice c = MaskThreshold.choose(saying(0.95f, 0.02f, 0.5f), List.of(scan()));
        assertThat(c.threshold()).isEqualTo(0.5f);
        assertThat(c.dice()).isEqualTo(1.0);
    }

    @Test
    void withoutValidationScansNothingIsChosen() throws Exception {
        MaskThreshold.Choice c = MaskThreshold.choose(saying(0.35f, 0.05f, 0.5f), List.of());
        assertThat(c.threshold()).isEqualTo(0.5f);
        assertThat(c.dice()).isNaN();
    }
}
