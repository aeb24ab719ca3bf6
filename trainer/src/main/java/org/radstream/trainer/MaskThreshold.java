package org.radstream.trainer;

import java.util.ArrayList;
import java.util.List;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Metrics;

/**
 * The operating point of a trained segmentation network: the probability threshold that gives
 * the best mean Dice on the validation scans. A network trained with Dice + cross-entropy on
 * small, imbalanced targets is often under-confident at their borders, so 0.5 is not always its
 * best cut. The threshold is chosen on validation scans only and travels with the model
 * ({@code mask_threshold}); the workers and the evaluator threshold there.
 */
final class MaskThreshold {
    /** Thresholds tried, 0.5 first: another one is chosen only when strictly better. */
    static final float[] CANDIDATES = {0.5f, 0.4f, 0.6f, 0.3f, 0.7f, 0.2f, 0.8f, 0.1f, 0.9f};

    /** The chosen threshold, its mean validation Dice, and the Dice at 0.5. */
    record Choice(float threshold, double dice, double diceAtHalf) {}

    private MaskThreshold() {}

    static Choice choose(SliceModel model, List<ScanData> validation) throws Exception {
        List<float[][]> probabilities = new ArrayList<>(validation.size());
        for (ScanData s : validation) {
            probabilities.add(Evaluator.probabilities(model, s));
        }
        return choose(probabilities, validation);
    }

    /** The best of {@link #CANDIDATES} for probability maps already computed, one per scan. */
    static Choice choose(List<float[][]> probabilities, List<ScanData> validation) {
        if (validation.isEmpty()) {
            return new Choice(0.5f, Double.NaN, Double.NaN);
        }
        float best = CANDIDATES[0];
        double bestDice = Double.NEGATIVE_INFINITY;
        double atHalf = Double.NaN;
        for (float t : CANDIDATES) {
            double sum = 0;
            for (int i = 0; i < validation.size(); i++) {
                ScanData s = validation.get(i);
                Mask3D label = s.scoredLabel();
                sum += Metrics.dice(Evaluator.mask(probabilities.get(i), t, s), label);
            }
            double dice = sum / validation.size();
            if (t == 0.5f) {
                atHalf = dice;
            }
            if (dice > bestDice) {
                bestDice = dice;
                best = t;
            }
        }
        return new Choice(best, bestDice, atHalf);
    }
}
