package org.radstream.trainer;

import java.util.List;
import org.radstream.models.MaskCut;
import org.radstream.models.TestTimeFlips;

/**
 * Chooses a model's test-time flips on its validation scans. Every option is judged as it would
 * ship: its own mask threshold and minimum component volume chosen on the averaged maps. Each
 * view costs the workers one more forward pass per slice, so a costlier option is taken only when
 * it beats the cheaper pick by more than {@link #MIN_GAIN} Dice; otherwise the cheaper one stays.
 */
final class TestTimeFlipChoice {
    /** Validation Dice a costlier option must add over the cheaper pick to be worth its passes. */
    static final double MIN_GAIN = 0.002;

    /**
     * One option as judged: its flips, the threshold and minimum chosen for it and their Dice; once
     * chosen, the dense pixels' threshold ({@code dense}, null until then or where none applies).
     */
    record Option(TestTimeFlips flips, MaskThreshold.Choice threshold, MinComponentVolume.Choice minComponent,
                  DenseThreshold.Choice dense) {
        Option(TestTimeFlips flips, MaskThreshold.Choice threshold, MinComponentVolume.Choice minComponent) {
            this(flips, threshold, minComponent, null);
        }

        /** Validation Dice at the option's threshold, minimum and dense threshold; NaN without validation scans. */
        double dice() {
            if (dense != null && !Double.isNaN(dense.dice())) {
                return dense.dice();
            }
            return minComponent != null ? minComponent.dice() : threshold.dice();
        }

        /** This option with the dense pixels' threshold chosen for it. */
        Option withDense(DenseThreshold.Choice chosen) {
            return new Option(flips, threshold, minComponent, chosen);
        }

        /** How the option cuts its maps. */
        MaskCut cut() {
            return dense != null ? dense.cut() : MaskCut.single(threshold.threshold());
        }
    }

    private TestTimeFlipChoice() {}

    /** The options to judge, cheapest first, up to {@code max}. */
    static List<TestTimeFlips> candidates(TestTimeFlips max) {
        return List.of(TestTimeFlips.values()).subList(0, max.ordinal() + 1);
    }

    /**
     * The chosen option of {@code options} (cheapest first): the cheapest unless a costlier one
     * beats the pick so far by more than {@link #MIN_GAIN}; the cheapest when there is nothing to
     * judge by (no validation scans).
     */
    static Option choose(List<Option> options) {
        if (options.isEmpty()) {
            throw new IllegalArgumentException("no test-time flip options to choose from");
        }
        Option pick = options.get(0);
        for (Option o : options.subList(1, options.size())) {
            if (o.flips().passes() <= pick.flips().passes()) {
                throw new IllegalArgumentException("options must come cheapest first: " + options);
            }
            if (o.dice() > pick.dice() + MIN_GAIN) {
                pick = o;
            }
        }
        return pick;
    }
}
