package org.radstream.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.Model;
import org.junit.jupiter.api.Test;

/**
 * The test JVMs run as radstream does, with oneDNN capped at AVX (pom.xml): under that cap libtorch
 * 2.7.1 computes 3×3 convolutions with more than 8 input channels that are not a multiple of 8 wrongly
 * on this machine kind. If an engine upgrade fixes that, the second test fails: update ConvolutionCheck's
 * documentation, README.md and ACCURACY.md's "A wrong convolution".
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
    void aNetworkWhoseConvolutionsTheEngineGetsWrongIsRefusedBeforeItTrains() {
        assertThat(ConvolutionCheck.computesRight(12, 12, 3, Device.cpu())).isFalse();
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
