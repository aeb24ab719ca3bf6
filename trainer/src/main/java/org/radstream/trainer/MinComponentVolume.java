package org.radstream.trainer;

import java.util.ArrayList;
import java.util.List;
import org.radstream.imaging.Components;
import org.radstream.imaging.Connectivity;
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
 * minimum helps is the validation Dice's to say, not a fixed rule. The largest candidate is the
 * alert rule's floor ({@link org.radstream.imaging.ProgressionRule#MIN_LATER_ML}), the volume below
 * which the product already calls infection unmeasurable.
 *
 * <p>The errors are not symmetric: in an infected scan a dropped sub-millilitre fragment barely
 * moves the Dice or the PoIR, and the scan is still reported infected; in a healthy scan a kept
 * one is a false finding. So among the minimums whose validation Dice is within {@link #TIE} of
 * the best (a handful of validation scans cannot tell such differences apart), the largest is
 * chosen.
 */
final class MinComponentVolume {
    /** Minimums tried (ml), ascending; 0 keeps every component. */
    static final double[] CANDIDATES = {0, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0};
    /** Validation Dice differences up to this are a tie, which the larger minimum wins. */
    static final double TIE = 0.001;

    /** The chosen minimum, its mean validation Dice, and the Dice keeping every component. */
    record Choice(double minMl, double dice, double diceKeepingAll) {}

    /** A mask threshold and a minimum chosen together. */
    record Joint(MaskThreshold.Choice threshold, Choice minComponent) {}

    private MinComponentVolume() {}

    /**
     * The mask threshold and the minimum chosen together: for each of {@link MaskThreshold#CANDIDATES}
     * (0.5 first) its minimum by {@link #choose}, and the threshold whose pair scores best, another
     * one than 0.5 only when strictly better. A threshold chosen first with every component kept
     * spends itself on the sub-millilitre findings of healthy scans, which the minimum removes
     * anyway: infection v3 read with four flips on 24 selection scans got threshold 0.8 that way and
     * lost more Dice on the infected scans than it saved.
     */
    static Joint chooseWithThreshold(List<float[][]> probabilities, List<ScanData> scans) {
        if (scans.isEmpty()) {
            return new Joint(new MaskThreshold.Choice(0.5f, Double.NaN, Double.NaN), new Choice(0, Double.NaN, Double.NaN));
        }
        float bestThreshold = MaskThreshold.CANDIDATES[0];
        Choice best = null;
        double atHalf = Double.NaN;
        for (float t : MaskThreshold.CANDIDATES) {
            Choice c = choose(probabilities, t, scans);
            if (t == 0.5f) {
                atHalf = c.diceKeepingAll();
            }
            if (best == null || c.dice() > best.dice()) {
                best = c;
                bestThreshold = t;
            }
        }
        return new Joint(new MaskThreshold.Choice(bestThreshold, best.diceKeepingAll(), atHalf), best);
    }

    /**
     * The largest of {@link #CANDIDATES} whose mean validation Dice is within {@link #TIE} of the
     * best, for probability maps already computed, one per scan, cut at {@code threshold}.
     */
    static Choice choose(List<float[][]> probabilities, float threshold, List<ScanData> validation) {
        if (validation.isEmpty()) {
            return new Choice(0, Double.NaN, Double.NaN);
        }
        List<Mask3D> cut = new ArrayList<>(validation.size());
        List<Mask3D> labels = new ArrayList<>(validation.size());
        for (int i = 0; i < validation.size(); i++) {
            cut.add(Evaluator.mask(probabilities.get(i), threshold, validation.get(i)));
            labels.add(validation.get(i).scoredLabel());
        }
        double[] dice = new double[CANDIDATES.length];
        double bestDice = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < CANDIDATES.length; c++) {
            double sum = 0;
            for (int i = 0; i < validation.size(); i++) {
                Mask3D kept = Components.withoutSmallerThan(cut.get(i), CANDIDATES[c],
                        validation.get(i).hu().voxelVolumeMl(), Connectivity.FACE);
                sum += Metrics.dice(kept, labels.get(i));
            }
            dice[c] = sum / validation.size();
            bestDice = Math.max(bestDice, dice[c]);
        }
        int chosen = 0;
        for (int c = CANDIDATES.length - 1; c >= 0; c--) {
            if (dice[c] >= bestDice - TIE) {
                chosen = c;
                break;
            }
        }
        return new Choice(CANDIDATES[chosen], dice[chosen], dice[0]);
    }
}
