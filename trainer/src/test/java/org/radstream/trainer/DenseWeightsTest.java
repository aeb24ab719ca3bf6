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
    void aBandAddsTheDensePixelsBesideTheTargetWhateverTheirLabelAndNothingFarther() {
        Window lung = Window.LUNG;
        int side = 6;
        // a 6×6 slice: a one-pixel target at (2, 2); every pixel dense except (2, 3), air
        float[] centre = new float[side * side];
        java.util.Arrays.fill(centre, lung.apply(40));
        centre[2 * side + 3] = lung.apply(-900);
        float[] target = new float[side * side];
        target[2 * side + 2] = 1f;
        float[] focus = new DenseWeights(lung, 1, 1f, 1).focus(centre, target);
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                boolean inBand = Math.abs(x - 2) <= 1 && Math.abs(y - 2) <= 1 && !(y == 2 && x == 3);
                assertThat(focus[y * side + x]).as("(%d, %d)", x, y).isEqualTo(inBand ? 1f : 0f);
            }
        }
        // without a band, the target pixel alone
        assertThat(new DenseWeights(lung, 1, 1f).focus(centre, target)).containsOnlyOnce(1f);
        // the band reaches the slice's edges and stops there
        float[] corner = new float[side * side];
        corner[0] = 1f;
        float[] near = DenseWeights.near(corner, side, 2);
        int set = 0;
        for (float v : near) {
            set += (int) v;
        }
        assertThat(set).isEqualTo(9);
        assertThat(near[2 * side + 2]).isEqualTo(1f);
        assertThat(near[3 * side]).isZero();
        assertThatThrownBy(() -> new DenseWeights(lung, 1, 1f, 2).focus(new float[8], new float[8]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("square");
        assertThatThrownBy(() -> new DenseWeights(lung, 1, 1f, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theRecipeKeepsItsDenseTermWithinZeroToTen() {
        assertThat(TrainingRecipe.defaults().denseTerm()).isZero();
        assertThat(TrainingRecipe.defaults().withDenseTerm(1f).withEpochs(2).withDenseWeight(3f).denseTerm()).isEqualTo(1f);
        assertThatThrownBy(() -> TrainingRecipe.defaults().withDenseTerm(-1f))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("denseTerm must lie in [0, 10.0]");
        assertThatThrownBy(() -> TrainingRecipe.defaults().withDenseTerm(12f))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("denseTerm");
        assertThat(TrainingRecipe.defaults().denseBand()).isZero();
        assertThat(TrainingRecipe.defaults().withDenseBand(8).withDenseTerm(0.5f).denseBand()).isEqualTo(8);
        assertThatThrownBy(() -> TrainingRecipe.defaults().withDenseBand(33))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("denseBand must lie in [0, 32]");
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
