package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.radstream.imaging.Window;

class DenseWeightsTest {

    @Test
    void onlyTargetPixelsDenserThanConsolidationInTheCentreSliceWeighMore() {
        Window lung = Window.LUNG;
        // 4 pixels: consolidation (-100 HU) in the target, ground glass (-600) in the target,
        // chest wall (+40) outside it, exactly -250 HU in the target
        float[] centre = {lung.apply(-100), lung.apply(-600), lung.apply(40), lung.apply(-250)};
        // the neighbouring slices say the opposite, and must not count
        float[] other = {lung.apply(-900), lung.apply(200), lung.apply(-900), lung.apply(-900)};
        float[] input = new float[12];
        System.arraycopy(other, 0, input, 0, 4);
        System.arraycopy(centre, 0, input, 4, 4);
        System.arraycopy(other, 0, input, 8, 4);
        float[] target = {1f, 1f, 0f, 1f};

        assertThat(new DenseWeights(lung, 3, 3f).of(input, target)).containsExactly(3f, 1f, 1f, 3f);
        assertThat(new DenseWeights(lung, 1, 3f).of(centre, target)).containsExactly(3f, 1f, 1f, 3f);
        assertThat(new DenseWeights(lung, 3, 1f).of(input, target)).containsExactly(1f, 1f, 1f, 1f);
        // the dense term's focus region is the same pixels, whatever their weight
        assertThat(new DenseWeights(lung, 3, 3f).focus(input, target)).containsExactly(1f, 0f, 0f, 1f);
        assertThat(new DenseWeights(lung, 3, 1f).focus(input, target)).containsExactly(1f, 0f, 0f, 1f);
        assertThat(new DenseWeights(lung, 3, 1f).focus(input, new float[4])).containsExactly(0f, 0f, 0f, 0f);
    }

    @Test
    void aWindowThatCannotTellDensePixelsApartAWeightBelowOneAndAMisshapenSampleAreRefused() {
        assertThatThrownBy(() -> new DenseWeights(Window.LIVER, 3, 3f)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("liver window");
        assertThatThrownBy(() -> new DenseWeights(Window.LUNG, 3, 0.5f)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 1");
        assertThatThrownBy(() -> new DenseWeights(Window.LUNG, 3, 3f).of(new float[8], new float[4]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not 3 slices of 4");
    }

    @Test
    void theRecipeKeepsItsDenseTermWithinZeroToTen() {
        assertThat(TrainingRecipe.defaults().denseTerm()).isZero();
        assertThat(TrainingRecipe.defaults().withDenseTerm(1f).withEpochs(2).withDenseWeight(3f).denseTerm()).isEqualTo(1f);
        assertThatThrownBy(() -> TrainingRecipe.defaults().withDenseTerm(-1f))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("denseTerm must lie in [0, 10.0]");
        assertThatThrownBy(() -> TrainingRecipe.defaults().withDenseTerm(12f))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("denseTerm");
    }

    @Test
    void theRecipeKeepsItsDenseWeightWithinOneToTwenty() {
        assertThat(TrainingRecipe.defaults().denseWeight()).isEqualTo(1f);
        assertThat(TrainingRecipe.defaults().withDenseWeight(3f).withEpochs(2).denseWeight()).isEqualTo(3f);
        assertThatThrownBy(() -> TrainingRecipe.defaults().withDenseWeight(0.5f))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("denseWeight");
        assertThatThrownBy(() -> TrainingRecipe.defaults().withDenseWeight(25f))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("denseWeight");
    }
}
