package org.radstream.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Pre- and post-processing without any network. */
class TranslatorsTest {

    private static final float[] A = {1, 2, 3, 4};
    private static final float[] B = {5, 6, 7, 8};
    private static final float[] C = {9, 10, 11, 12};

    @Test
    void twoPointFiveDStackReplicatesEdgeSlices() {
        List<float[]> series = List.of(A, B, C);

        assertThat(SliceStack.stack(series, 0, 3)).containsExactly(1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8);
        assertThat(SliceStack.stack(series, 1, 3)).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
        assertThat(SliceStack.stack(series, 2, 3)).containsExactly(5, 6, 7, 8, 9, 10, 11, 12, 9, 10, 11, 12);
        assertThat(SliceStack.stack(List.of(A), 0, 3)).containsExactly(1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4);
        assertThat(SliceStack.stack(series, 1, 1)).containsExactly(B).isNotSameAs(B);
        assertThat(SliceStack.stackAll(series, 3)).hasNumberOfRows(3);
    }

    @Test
    void stackRefusesEvenChannelsBadIndexAndRaggedSeries() {
        assertThatThrownBy(() -> SliceStack.stack(List.of(A, B), 0, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("odd");
        assertThatThrownBy(() -> SliceStack.stack(List.of(A, B), 2, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside");
        assertThatThrownBy(() -> SliceStack.stack(List.of(A, new float[3]), 0, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("slice 1 has 3");
    }

    @Test
    void segmentationTranslatorPacksABatchAndTurnsLogitsIntoProbabilities() {
        SegmentationTranslator translator = new SegmentationTranslator(3, 2, 2);
        float[][] batch = {SliceStack.stack(List.of(A, B, C), 1, 3), SliceStack.stack(List.of(A, B, C), 2, 3)};
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = translator.encode(manager, batch);
            assertThat(x.getShape()).isEqualTo(new Shape(2, 3, 2, 2));
            assertThat(x.get(1, 2).toFloatArray()).containsExactly(9, 10, 11, 12);

            NDArray logits = manager.create(new float[] {0, 100, -100, (float) Math.log(3), 0, 0, 0, 0},
                    new Shape(2, 1, 2, 2));
            float[][] p = translator.decode(logits);
            assertThat(p).hasNumberOfRows(2);
            assertThat(p[0]).containsExactly(new float[] {0.5f, 1f, 0f, 0.75f}, offset(1e-6f));
            assertThat(Probabilities.threshold(p, 0.5f)[0]).containsExactly(true, true, false, true);
            assertThat(Probabilities.threshold(p[0], 0.8f)).containsExactly(false, true, false, false);

            assertThatThrownBy(() -> translator.decode(manager.zeros(new Shape(1, 2, 2, 2))))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("N×1×2×2");
        }
        assertThatThrownBy(() -> Batches.pack(new float[][] {new float[12], new float[4]}, 3, 2, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sample 1 has 4 values, expected 3×2×2 = 12");
        assertThatThrownBy(() -> Batches.pack(new float[0][], 1, 2, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty batch");
    }

    @Test
    void classifierTranslatorGivesThePositiveClassProbability() {
        ClassifierTranslator translator = new ClassifierTranslator(1, 2, 2, 2);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray logits = manager.create(new float[] {0, 0, 0, (float) Math.log(3), 5, -5},
                    new Shape(3, 2));
            assertThat(translator.decode(logits))
                    .containsExactly(new float[] {0.5f, 0.75f, 4.5398e-5f}, offset(1e-6f));
        }
        assertThat(ClassifierTranslator.positiveProbabilities(new float[] {0f, 2f}, 2, 1))
                .containsExactly(new float[] {0.5f, 0.8807971f}, offset(1e-6f));
        assertThat(Probabilities.sigmoid(-1000f)).isZero();
        assertThat(Probabilities.sigmoid(1000f)).isEqualTo(1f);
    }

    @Test
    void thresholdsOutsideTheOpenUnitIntervalAreRefused() {
        assertThatThrownBy(() -> Probabilities.threshold(A, 1f))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("(0, 1)");
        assertThatThrownBy(() -> Probabilities.threshold(A, Float.NaN))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void diceOnFlatMasks() {
        assertThat(SegmentationMetrics.dice(new boolean[] {true, true, false, false},
                new boolean[] {true, false, true, false})).isEqualTo(0.5);
        assertThat(SegmentationMetrics.dice(new boolean[3], new boolean[3])).isEqualTo(1.0);
    }

    @Test
    void devicesParseCpuAndGpu() {
        assertThat(Devices.parse("cpu")).isEqualTo(Device.cpu());
        assertThat(Devices.parse(" GPU:1 ")).isEqualTo(Device.gpu(1));
        assertThat(Devices.parse("gpu")).isEqualTo(Device.gpu(0));
        assertThat(Devices.parse("cuda:2")).isEqualTo(Device.gpu(2));
        assertThat(Devices.requireAvailable(Device.cpu())).isEqualTo(Device.cpu());
        assertThatThrownBy(() -> Devices.parse("tpu:0"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'cpu' or 'gpu:N'");
        assertThatThrownBy(() -> Devices.requireAvailable(Device.gpu(7)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("GPU(s)");
    }
}
