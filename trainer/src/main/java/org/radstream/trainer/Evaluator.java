package org.radstream.trainer;

import java.util.ArrayList;
import java.util.List;
import org.radstream.imaging.Components;
import org.radstream.imaging.Connectivity;
import org.radstream.imaging.InfectedLung;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Metrics;
import org.radstream.imaging.Resample;
import org.radstream.imaging.Window;
import org.radstream.models.MaskCut;
import org.radstream.models.SliceStack;

/**
 * Runs a {@link SliceModel} over whole scans the way the inference workers do (window, resize to
 * the model's input, stack neighbours, threshold at the model's threshold, resize back by nearest
 * neighbour, restrict to the task's region, keep the infection's 3D components reaching into the
 * lungs where the scan carries them, drop the 3D components below the model's minimum volume; a
 * network trained inside the region reads only the region's slices, zero outside it) and scores
 * the masks by Dice on the scans' native grid.
 */
final class Evaluator {
    private static final int BATCH = 8;

    private Evaluator() {}

    /**
     * The model's mask of a scan at its threshold, on the scan's grid, without the 3D components
     * below the model's minimum volume.
     */
    static Mask3D segment(SliceModel model, ScanData scan) throws Exception {
        MaskCut cut = model.cut();
        boolean[][] dense = cut.splitsDensity() ? dense(scan, model.window(), model.size(), cut.denseFromHu()) : null;
        return mask(probabilities(model, scan), cut, dense, model.minComponentMl(), scan);
    }

    /** A mask and how firmly the network decided it ({@link MaskCut#stability}), as the workers measure it. */
    record Segmented(Mask3D mask, double stability) {}

    /**
     * {@link #segment} with the mask's stability: the Dice of the masks the model's {@linkplain
     * MaskCut#strict() strict} and {@linkplain MaskCut#lenient() lenient} cuts give, made as the mask
     * is, from the same probabilities.
     */
    static Segmented segmentWithStability(SliceModel model, ScanData scan) throws Exception {
        MaskCut cut = model.cut();
        boolean[][] dense = cut.splitsDensity() ? dense(scan, model.window(), model.size(), cut.denseFromHu()) : null;
        float[][] p = probabilities(model, scan);
        double minMl = model.minComponentMl();
        return new Segmented(mask(p, cut, dense, minMl, scan),
                MaskCut.stability(mask(p, cut.strict(), dense, minMl, scan), mask(p, cut.lenient(), dense, minMl, scan)));
    }

    /**
     * Which pixels of each slice, on the model's input grid, are at least {@code fromHu}, read from
     * the windowed input the way the workers read their centre slice ({@link MaskCut}).
     */
    static boolean[][] dense(ScanData scan, Window window, int size, double fromHu) {
        boolean[][] dense = new boolean[scan.depth()][];
        for (int z = 0; z < scan.depth(); z++) {
            dense[z] = MaskCut.dense(scan.input(z, window, size, false), window.lower(), window.upper(), fromHu);
        }
        return dense;
    }

    /**
     * The model's probability maps of a scan, per slice on the model's input grid; null for the
     * slices a network trained inside its region is not given (no region there).
     */
    static float[][] probabilities(SliceModel model, ScanData scan) throws Exception {
        int s = model.size();
        boolean inRegion = model.regionInput() && scan.region() != null;
        List<float[]> inputs = new ArrayList<>(scan.depth());
        List<Integer> forwarded = new ArrayList<>(scan.depth());
        for (int z = 0; z < scan.depth(); z++) {
            inputs.add(scan.input(z, model.window(), s, inRegion));
            if (!inRegion || scan.inRegion(z)) {
                forwarded.add(z);
            }
        }
        float[][] out = new float[scan.depth()][];
        for (int start = 0; start < forwarded.size(); start += BATCH) {
            RunCancelledException.throwIfRequested();
            int n = Math.min(BATCH, forwarded.size() - start);
            float[][] batch = new float[n][];
            for (int i = 0; i < n; i++) {
                batch[i] = SliceStack.stack(inputs, forwarded.get(start + i), model.channels());
            }
            float[][] p = model.predict(batch);
            for (int i = 0; i < n; i++) {
                out[forwarded.get(start + i)] = p[i];
            }
        }
        return out;
    }

    /**
     * Probability maps (model grid, square) thresholded, resized back to the scan's grid, restricted
     * to its region and, where the scan carries lungs, to the components reaching into them.
     */
    static Mask3D mask(float[][] probabilities, float threshold, ScanData scan) {
        return mask(probabilities, MaskCut.single(threshold), null, scan);
    }

    /**
     * {@link #mask(float[][], float, ScanData)} cut as {@code cut} says, {@code dense} telling the
     * dense pixels per slice on the model's grid (null when the cut does not split density).
     */
    static Mask3D mask(float[][] probabilities, MaskCut cut, boolean[][] dense, ScanData scan) {
        int w = scan.hu().width();
        int h = scan.hu().height();
        Mask3D out = new Mask3D(w, h, scan.depth());
        for (int z = 0; z < probabilities.length; z++) {
            float[] p = probabilities[z];
            if (p == null) {
                continue;
            }
            int s = (int) Math.round(Math.sqrt(p.length));
            boolean[] m = cut.apply(p, dense == null ? null : dense[z]);
            out.setSlice(z, w == s && h == s ? m : Resample.nearest(m, s, s, w, h));
        }
        Mask3D restricted = scan.region() == null ? out : out.and(scan.region());
        return scan.lung() == null ? restricted : InfectedLung.reaching(scan.lung(), restricted);
    }

    /** {@link #mask(float[][], MaskCut, boolean[][], ScanData)} without the 3D components smaller than {@code minMl}. */
    static Mask3D mask(float[][] probabilities, MaskCut cut, boolean[][] dense, double minMl, ScanData scan) {
        return Components.withoutSmallerThan(mask(probabilities, cut, dense, scan), minMl,
                scan.hu().voxelVolumeMl(), Connectivity.FACE);
    }

    /** Mean over scans of the Dice against each scan's label (restricted to its region). */
    static double meanDice(SliceModel model, List<ScanData> scans) throws Exception {
        return mean(dicePerScan(model, scans));
    }

    /** The Dice of each scan, in their order. */
    static double[] dicePerScan(SliceModel model, List<ScanData> scans) throws Exception {
        double[] out = new double[scans.size()];
        for (int i = 0; i < out.length; i++) {
            ScanData s = scans.get(i);
            Mask3D label = s.scoredLabel();
            out[i] = Metrics.dice(segment(model, s), label);
        }
        return out;
    }

    /** The mean of per-scan figures; NaN for none. */
    static double mean(double[] perScan) {
        if (perScan.length == 0) {
            return Double.NaN;
        }
        double sum = 0;
        for (double d : perScan) {
            sum += d;
        }
        return sum / perScan.length;
    }
}
