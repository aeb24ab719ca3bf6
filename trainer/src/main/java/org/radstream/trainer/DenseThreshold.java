package org.radstream.trainer;

import java.util.ArrayList;
import java.util.List;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Metrics;
import org.radstream.imaging.Window;
import org.radstream.models.MaskCut;

/**
 * A threshold of their own for the dense pixels ({@link MaskCut}), chosen together with the other
 * pixels' threshold on the scans that chose the rest of the reading, the minimum component volume
 * held as chosen.
 *
 * <p>The infection networks find most of the ground glass and too little of the consolidation
 * beside the chest wall (ACCURACY.md, "Which dense voxels v7 misses"): its probabilities sit far
 * below those of the ground glass, and one threshold cannot serve both. The threshold that gives
 * the best Dice for every pixel alike is low enough to take in some of that consolidation and
 * with it a rim around every ground-glass lesion, which over-reads the small lesions. With a
 * threshold of their own for the dense pixels, the ground glass can be cut higher. What these
 * errors cost is mostly volume, not overlap: the Dice of a large infected scan barely moves while
 * the infected volume, from which the PoIR and the progression alerts are computed, is misread.
 * So the pair is judged on both: it is eligible when its mean Dice is at least the single
 * threshold's less {@link #DICE_TIE}, and among the eligible the one with the lowest mean volume
 * error on the infected scans is taken, when it lowers the single threshold's by more than
 * {@link #VOLUME_ERROR_GAIN}; otherwise the model cuts every pixel alike at the single threshold.
 */
final class DenseThreshold {
    /** Thresholds tried for the dense pixels. */
    static final float[] CANDIDATES = {0.02f, 0.05f, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f};
    /** Dice a split may lose against one threshold and still be eligible (a tie, as for the minimum component). */
    static final double DICE_TIE = 0.001;
    /** Mean volume error (a fraction) a split must remove to be kept: a second parameter is not kept for noise. */
    static final double VOLUME_ERROR_GAIN = 0.01;

    /**
     * The cut chosen, with its mean Dice and mean volume error (|predicted - true| / true over the
     * scans with infection; NaN without any), beside those of the single threshold it started from.
     */
    record Choice(MaskCut cut, double dice, double volumeError, double diceSingle, double volumeErrorSingle) {}

    private record Score(double dice, double volumeError) {}

    private DenseThreshold() {}

    /** Whether a task read in {@code window} can have a dense threshold at all. */
    static boolean applies(Window window) {
        return MaskCut.windowHolds(window.lower(), window.upper(), MaskCut.DENSE_FROM_HU);
    }

    /**
     * The cut for maps already computed (one per scan, model grid): the single {@code threshold}
     * (chosen by Dice for every pixel alike) or a pair of the other pixels' threshold (one of
     * {@link MaskThreshold#CANDIDATES}) and the dense pixels' (one of {@link #CANDIDATES}), without
     * the components below {@code minMl}. Pairs are tried from the single threshold's own first,
     * and a later pair must do strictly better, so that ties keep the nearest reading.
     */
    static Choice choose(List<float[][]> probabilities, List<ScanData> scans, Window window, int size,
                         float threshold, double minMl) {
        MaskCut single = MaskCut.single(threshold);
        if (scans.isEmpty()) {
            return new Choice(single, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        List<boolean[][]> dense = new ArrayList<>(scans.size());
        for (ScanData s : scans) {
            dense.add(Evaluator.dense(s, window, size, MaskCut.DENSE_FROM_HU));
        }
        Score one = score(probabilities, dense, scans, single, minMl);
        MaskCut best = single;
        Score bestScore = one;
        List<Float> others = new ArrayList<>();
        others.add(threshold);
        for (float t : MaskThreshold.CANDIDATES) {
            if (t != threshold) {
                others.add(t);
            }
        }
        for (float t : others) {
            for (float d : CANDIDATES) {
                MaskCut cut = d == t ? MaskCut.single(t) : new MaskCut(t, MaskCut.DENSE_FROM_HU, d);
                if (cut.equals(single)) {
                    continue;
                }
                Score s = score(probabilities, dense, scans, cut, minMl);
                if (s.dice() >= one.dice() - DICE_TIE && s.volumeError() < one.volumeError() - VOLUME_ERROR_GAIN
                        && s.volumeError() < bestScore.volumeError()) {
                    best = cut;
                    bestScore = s;
                }
            }
        }
        return new Choice(best, bestScore.dice(), bestScore.volumeError(), one.dice(), one.volumeError());
    }

    /**
     * A cut fixed beforehand (one kept from a published version: {@link ChampionReading}) judged as a
     * chosen one is, beside the single threshold of its other pixels.
     */
    static Choice of(List<float[][]> probabilities, List<ScanData> scans, Window window, int size, MaskCut cut,
                     double minMl) {
        if (scans.isEmpty()) {
            return new Choice(cut, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        List<boolean[][]> dense = new ArrayList<>(scans.size());
        for (ScanData s : scans) {
            dense.add(Evaluator.dense(s, window, size, cut.splitsDensity() ? cut.denseFromHu() : MaskCut.DENSE_FROM_HU));
        }
        Score fixed = score(probabilities, dense, scans, cut, minMl);
        Score one = cut.splitsDensity() ? score(probabilities, dense, scans, MaskCut.single(cut.threshold()), minMl) : fixed;
        return new Choice(cut, fixed.dice(), fixed.volumeError(), one.dice(), one.volumeError());
    }

    private static Score score(List<float[][]> probabilities, List<boolean[][]> dense, List<ScanData> scans,
                               MaskCut cut, double minMl) {
        double dice = 0;
        double error = 0;
        int infected = 0;
        for (int i = 0; i < scans.size(); i++) {
            ScanData s = scans.get(i);
            Mask3D mask = Evaluator.mask(probabilities.get(i), cut, dense.get(i), minMl, s);
            Mask3D label = s.scoredLabel();
            dice += Metrics.dice(mask, label);
            long truth = label.count();
            if (truth > 0) {
                error += Math.abs(mask.count() - truth) / (double) truth;
                infected++;
            }
        }
        return new Score(dice / scans.size(), infected == 0 ? Double.NaN : error / infected);
    }
}
