package org.radstream.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import ai.djl.Device;
import ai.djl.Model;
import org.junit.jupiter.api.Test;

/**
 * The test JVMs run as radstream does, with oneDNN capped at AVX (pom.xml). On the AVX-512 machines
 * this was found on, libtorch 2.7.1 under that cap computes 3×3 convolutions with more than 8 input
 * channels that are not a multiple of 8 wrongly; an AMD EPYC with AVX2 only (2026-12-06) and one with
 * AVX-512 (2026-12-08) compute every count right. The check's own logic (catch a wrong output, refuse
 * the network with its shapes) is tested on any machine with a fault put in its place; the engine's
 * own fault is tested where this machine's engine has it, and skipped, saying so, where it does not.
 */
class ConvolutionCheckTest {

    @Test
    void theShippedNetworksShapesAreComputedRight() {
        assertThat(System.getenv("DNNL_MAX_CPU_ISA")).isEqualTo("AVX");
        for (int width : new int[] {4, 8, 16}) {
            try (Model model = Architectures.newModel(NetworkSpec.unet(UNetVariant.PLAIN, 3, 4, width), Device.cpu());
                    SegmentationTraining training = SegmentationTraining.start(model, 3, 32, 32, TrainingSettings.defaults())) {
                assertThat(ConvolutionCheck.wrongShapes(model.getBlock(), Device.cpu())).as("width %d", width).isEmpty();
            }
        }
        assertThat(ConvolutionCheck.computesRight(8, 5, 3, Device.cpu())).isTrue();
        assertThat(ConvolutionCheck.computesRight(32, 16, 1, Device.cpu())).isTrue();
    }

    @Test
    void anOutputOffThePlainSumIsCaughtAndANetworkWithSuchAShapeIsRefusedWithItsShapes() {
        float[] x = new float[ConvolutionCheck.BATCH * ConvolutionCheck.SIDE * ConvolutionCheck.SIDE];
        java.util.Arrays.fill(x, 1f);
        float[] w = {2f};
        float[] y = new float[x.length];
        java.util.Arrays.fill(y, 2f);
        assertThat(ConvolutionCheck.matches(y, x, w, 1, 1, 1)).isTrue();
        y[0] = 2.1f;
        assertThat(ConvolutionCheck.matches(y, x, w, 1, 1, 1)).isFalse();
        y[0] = Float.NaN;
        assertThat(ConvolutionCheck.matches(y, x, w, 1, 1, 1)).isFalse();

        try (Model model = Architectures.newModel(NetworkSpec.unet(UNetVariant.PLAIN, 3, 3, 8), Device.cpu());
                SegmentationTraining training = SegmentationTraining.start(model, 3, 32, 32, TrainingSettings.defaults())) {
            // an engine that got every convolution with 16 input channels wrong
            assertThatThrownBy(() -> ConvolutionCheck.verify(model.getBlock(), Device.cpu(), "lung v7",
                    (out, in, k, device) -> in != 16))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("the engine computes lung v7's convolutions of 16×16×3×3")
                    .hasMessageContaining("refusing to run it");
        }
    }

    @Test
    void aNetworkWhoseConvolutionsTheEngineGetsWrongIsRefusedBeforeItTrains() {
        assumeFalse(ConvolutionCheck.computesRight(12, 12, 3, Device.cpu()),
                "this CPU's engine computes 12-channel 3×3 convolutions right (the fault was seen on some AVX-512 "
                        + "CPUs, not on AMD EPYC with AVX2 or AVX-512); the refusal is tested with a fault put in its place");
        assertThat(ConvolutionCheck.computesRight(8, 10, 3, Device.cpu())).isFalse();
        assertThat(ConvolutionCheck.computesRight(16, 16, 3, Device.cpu())).isTrue();
        try (Model model = Architectures.newModel(NetworkSpec.unet(UNetVariant.PLAIN, 3, 3, 12), Device.cpu())) {
            assertThatThrownBy(() -> SegmentationTraining.start(model, 3, 32, 32, TrainingSettings.defaults()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("convolutions of 12×12×3×3")
                    .hasMessageContaining("wrongly on cpu() (DNNL_MAX_CPU_ISA=AVX): refusing to run it")
                    .hasMessageContaining("multiples of 8 (e.g. --width 8 or 16), or run with DNNL_MAX_CPU_ISA=SSE41");
        }
    }
}
