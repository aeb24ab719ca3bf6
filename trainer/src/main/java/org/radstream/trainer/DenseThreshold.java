package org.radstream.trainer;

import java.util.ArrayList;
import java.util.List;
import org.radstream.imaging.Components;
import org.radstream.imaging.Connectivity;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Metrics;
import org.radstream.imaging.Window;
import org.radstream.models.MaskCut;

/**
 * A threshold of their own for the dense pixels ({@link MaskCut}), chosen on the scans that chose
 * the rest of the reading, with the threshold and the minimum component volume held as chosen.
 *
 * <p>The infection networks find most of the ground glass and too little of the consolidation
 * beside the chest wall (ACCURACY.md, "Which dense voxels v7 misses"): its probabilities sit far
 * below those of the ground glass, and one threshold cannot serve both. Like every other part of
 * the reading, the split is the Dice's to decide: it is kept only when it adds more than
 * {@link #MIN_GAIN} to the single threshold's Dice; otherwise the model cuts every pixel alike.
 */
final class DenseThreshold {
    /** Thresholds tried for the dense pixels. */
    static final float[] CANDIDATES = {0.02f, 0.05f, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f};
    /** Dice the split must add over one threshold: a second parameter is not kept for noise. */
    static final double MIN_GAIN = 0.001;

    /** The cut chosen, its mean Dice, and the Dice of the single threshold it started from. */
    record Choice(MaskCut cut, double dice, double diceSingle) {}

    private DenseThreshold() {}

    /** Whether a task read in {@code window} can have a dense threshold at all. */
    static boolean applies(Window window) {
        return MaskCut.windowHolds(window.lower(), window.upper(), MaskCut.DENSE_FROM_HU);
    }

    /**
     * The dense threshold for maps already computed (one per scan, model grid), cut at
     * {@code threshold} elsewhere and without the components below {@code minMl}.
     */
    static Choice choose(List<float[][]> probabilities, List<ScanData> scans, Window window, int size,
                         float threshold, double minMl) {
        MaskCut single = MaskCut.single(threshold);
        if (scans.isEmpty()) {
            return new Choice(single, Double.NaN, Double.NaN);
        }
        List<boolean[][]> dense = new ArrayList<>(scans.size());
        for (ScanData s : scans) {
            dense.add(Evaluator.dense(s, window, size, MaskCut.DENSE_FROM_HU));
        }
        double singleDice = meanDice(probabilities, dense, scans, single, minMl);
        Choice best = new Choice(single, singleDice, singleDice);
        for (float d : CANDIDATES) {
            if (d == threshold) {
                continue;
            }
            MaskCut cut = new MaskCut(threshold, MaskCut.DENSE_FROM_HU, d);
            double dice = meanDice(probabilities, dense, scans, cut, minMl);
            if (dice > best.dice() && dice > singleDice + MIN_GAIN) {
                best = new Choice(cut, dice, singleDice);
            }
        }
        return best;
    }

    private static double meanDice(List<float[][]> probabilities, List<boolean[][]> dense, List<ScanData> scans,
                                   MaskCut cut, double minMl) {
        double sum = 0;
        for (int i = 0; i < scans.size(); i++) {
            ScanData s = scans.get(i);
            Mask3D mask = Components.withoutSmallerThan(Evaluator.mask(probabilities.get(i), cut, dense.get(i), s),
                    minMl, s.hu().voxelVolumeMl(), Connectivity.FACE);
            sum += Metrics.dice(mask, s.scoredLabel());
        }
        return sum / scans.size();
    }
}
