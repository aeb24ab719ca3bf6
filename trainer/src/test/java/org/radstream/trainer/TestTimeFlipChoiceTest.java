package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.radstream.models.TestTimeFlips;

/** A costlier flip option is taken only when its validation Dice pays for its passes. */
class TestTimeFlipChoiceTest {

    private static TestTimeFlipChoice.Option option(TestTimeFlips flips, double dice) {
        return new TestTimeFlipChoice.Option(flips, new MaskThreshold.Choice(0.5f, dice, dice), null);
    }

    @Test
    void theCheapestStaysUnlessACostlierOneGainsMoreThanTheMinimum() {
        TestTimeFlipChoice.Option none = option(TestTimeFlips.NONE, 0.740);
        // +0.002 is not more than the minimum: one pass stays
        assertThat(TestTimeFlipChoice.choose(List.of(none, option(TestTimeFlips.LEFT_RIGHT, 0.742))).flips())
                .isEqualTo(TestTimeFlips.NONE);
        assertThat(TestTimeFlipChoice.choose(List.of(none, option(TestTimeFlips.LEFT_RIGHT, 0.748))).flips())
                .isEqualTo(TestTimeFlips.LEFT_RIGHT);
        // four passes are judged against the two-pass pick, not against one pass
        assertThat(TestTimeFlipChoice.choose(List.of(none, option(TestTimeFlips.LEFT_RIGHT, 0.748),
                option(TestTimeFlips.BOTH, 0.749))).flips()).isEqualTo(TestTimeFlips.LEFT_RIGHT);
        assertThat(TestTimeFlipChoice.choose(List.of(none, option(TestTimeFlips.LEFT_RIGHT, 0.741),
                option(TestTimeFlips.BOTH, 0.753))).flips()).isEqualTo(TestTimeFlips.BOTH);
        // without validation scans there is nothing to pay for passes with
        assertThat(TestTimeFlipChoice.choose(List.of(option(TestTimeFlips.NONE, Double.NaN),
                option(TestTimeFlips.LEFT_RIGHT, Double.NaN))).flips()).isEqualTo(TestTimeFlips.NONE);
    }

    @Test
    void theMinimumComponentsDiceIsTheOptionsDiceWhenItHasOne() {
        TestTimeFlipChoice.Option o = new TestTimeFlipChoice.Option(TestTimeFlips.NONE,
                new MaskThreshold.Choice(0.3f, 0.70, 0.68), new MinComponentVolume.Choice(1.0, 0.75, 0.70));
        assertThat(o.dice()).isEqualTo(0.75);
    }

    @Test
    void candidatesRunCheapestFirstUpToTheRecipesMost() {
        assertThat(TestTimeFlipChoice.candidates(TestTimeFlips.NONE)).containsExactly(TestTimeFlips.NONE);
        assertThat(TestTimeFlipChoice.candidates(TestTimeFlips.BOTH))
                .containsExactly(TestTimeFlips.NONE, TestTimeFlips.LEFT_RIGHT, TestTimeFlips.BOTH);
        assertThatThrownBy(() -> TestTimeFlipChoice.choose(List.of(option(TestTimeFlips.BOTH, 0.7),
                option(TestTimeFlips.NONE, 0.8)))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TestTimeFlipChoice.choose(List.of())).isInstanceOf(IllegalArgumentException.class);
    }
}
