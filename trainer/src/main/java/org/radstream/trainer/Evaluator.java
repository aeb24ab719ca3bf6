package org.radstream.trainer;

import java.util.ArrayList;
import java.util.List;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Metrics;
import org.radstream.imaging.Resample;
import org.radstream.models.SliceStack;

/**
 * Runs a {@link SliceModel} over whole scans the way the inference workers do (window, resize to
 * the model's input, stack neighbours, threshold at 0.5, resize back by nearest neighbour,
 * restrict to the task's region; a network trained inside the region reads only the region's
 * slices, zero outside it) and scores the masks by Dice on the scans' native grid.
 */
final class Evaluator {
    private static final int BATCH = 8;

    private Evaluator() {}

    /** The model's mask of a scan, on the scan's grid. */
    static Mask3D segment(SliceModel model, ScanData scan) throws Exception {
        int w = scan.hu().width();
        int h = scan.hu().height();
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
        Mask3D out = new Mask3D(w, h, scan.depth());
        for (int start = 0; start < forwarded.size(); start += BATCH) {
            int n = Math.min(BATCH, forwarded.size() - start);
            float[][] batch = new float[n][];
            for (int i = 0; i < n; i++) {
                batch[i] = SliceStack.stack(inputs, forwarded.get(start + i), model.channels());
            }
            float[][] p = model.predict(batch);
            for (int i = 0; i < n; i++) {
                boolean[] m = new boolean[p[i].length];
                for (int k = 0; k < m.length; k++) {
                    m[k] = p[i][k] >= 0.5f;
                }
                out.setSlice(forwarded.get(start + i), w == s && h == s ? m : Resample.nearest(m, s, s, w, h));
            }
        }
        return scan.region() == null ? out : out.and(scan.region());
    }

    /** Mean over scans of the Dice against each scan's label (restricted to its region). */
    static double meanDice(SliceModel model, List<ScanData> scans) throws Exception {
        if (scans.isEmpty()) {
            return Double.NaN;
        }
        double sum = 0;
        for (ScanData s : scans) {
            Mask3D label = s.region() == null ? s.label() : s.label().and(s.region());
            sum += Metrics.dice(segment(model, s), label);
        }
        return sum / scans.size();
    }
}
