package org.radstream.trainer;

import java.util.List;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Metrics;

/**
 * The smallest 3D component a trained network's mask keeps, chosen on the validation scans like
 * the mask threshold (at that threshold) and carried with the model ({@code min_component_ml});
 * the workers, the evaluator and the gate drop smaller components alike.
 *
 * <p>A network with a wide receptive field marks specks of a few tenths of a millilitre in healthy
 * lungs; in a scan without infection each one turns the reported finding from "none" into
 * "infected", and an alert can follow. True lesions are mostly larger, but not always: whether a
 * minimum helps, and which, is the validation Dice's to say, not a fixed rule. The largest
 * candidate is the alert rule's floor ({@link org.radstream.imaging.ProgressionRule#MIN_LATER_ML}),
 * the volume below which the product already calls infection unmeasurable.
 */
final class MinComponentVolume {
    /** Minimums tried (ml), 0 first: a minimum is chosen only when strictly better than keeping all. */
    static final double[] CANDIDATES = {0, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0};

    /** The chosen minimum, its mean validation Dice, and the Dice keeping every component. */
    record Choice(double minMl, double dice, double diceKeepingAll) {}

    private MinComponentVolume() {}

    /** The best of {@link #CANDIDATES} for probability maps already computed, one per scan, cut at {@code threshold}. */
    static Choice choose(List<float[][]> probabilities, float threshold, List<ScanData> validation) {
        if (validation.isEmpty()) {
            return new Choice(0, Double.NaN, Double.NaN);
        }
        double best = 0;
        double bestDice = Double.NEGATIVE_INFINITY;
        double keepingAll = Double.NaN;
        for (double minMl : CANDIDATES) {
            double sum = 0;
            for (int i = 0; i < validation.size(); i++) {
                ScanData s = validation.get(i);
                Mask3D label = s.region() == null ? s.label() : s.label().and(s.region());
                sum += Metrics.dice(Evaluator.mask(probabilities.get(i), threshold, minMl, s), label);
            }
            double dice = sum / validation.size();
            if (minMl == 0) {
                keepingAll = dice;
            }
            if (dice > bestDice) {
                bestDice = dice;
                best = minMl;
            }
        }
        return new Choice(best, bestDice, keepingAll);
    }
}
