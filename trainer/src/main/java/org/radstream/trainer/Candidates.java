package org.radstream.trainer;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.radstream.imaging.BoundingSquare;
import org.radstream.imaging.ComponentLabels;
import org.radstream.imaging.Components;
import org.radstream.imaging.Connectivity;
import org.radstream.imaging.HuThresholdBaseline;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Resample;
import org.radstream.imaging.Window;

/**
 * Training patches of the candidate-region classifier (COVID-19 paper): every 2D connected
 * component of a candidate infection mask (the HU-threshold band, which catches airways, vessel
 * and pleural partial-volume edges and stomach gas besides the lesions), cropped to its minimum
 * enclosing square in the lung window and resized to the patch size, as the workers crop them.
 * A component is positive when at least half of it lies in the infection label, negative when
 * none of it does; components in between are ambiguous and left out.
 */
final class Candidates {

    /** Patches and labels (1 = true infection, 0 = false positive). */
    record Patches(List<float[]> patches, List<Integer> labels) {
        int positives() { return (int) labels.stream().filter(l -> l == 1).count(); }
        int size() { return labels.size(); }
    }

    private Candidates() {}

    /** The HU-threshold candidates of a chest scan (paper thresholds). */
    static Mask3D huCandidates(ScanData scan) {
        return HuThresholdBaseline.infectionMask(scan.hu(), HuThresholdBaseline.Thresholds.PAPER);
    }

    /**
     * @param maxNegativesPerScan negatives kept per scan (a random sample), so that the many
     *     noise specks of the threshold band do not swamp the positives
     */
    static Patches from(List<ScanData> scans, int patch, int minPixels, int maxNegativesPerScan, long seed) {
        List<Mask3D> hu = new ArrayList<>();
        for (ScanData s : scans) {
            hu.add(huCandidates(s));
        }
        return from(scans, hu, patch, minPixels, maxNegativesPerScan, seed);
    }

    /** Patches of the components of {@code candidateMasks} (one per scan, on its grid). */
    static Patches from(List<ScanData> scans, List<Mask3D> candidateMasks, int patch, int minPixels,
                        int maxNegativesPerScan, long seed) {
        List<float[]> out = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        Random random = new Random(seed);
        for (int si = 0; si < scans.size(); si++) {
            ScanData s = scans.get(si);
            Mask3D candidates = candidateMasks.get(si);
            int w = s.hu().width();
            int h = s.hu().height();
            List<float[]> negatives = new ArrayList<>();
            for (int z = 0; z < s.depth(); z++) {
                boolean[] slice = candidates.slice(z);
                boolean[] truth = s.label().slice(z);
                ComponentLabels comps = Components.label2D(slice, w, h, Connectivity.FULL);
                if (comps.count() == 0) {
                    continue;
                }
                int[] inside = new int[comps.count() + 1];
                int[] size = new int[comps.count() + 1];
                int[] lab = comps.labels();
                for (int i = 0; i < lab.length; i++) {
                    if (lab[i] > 0) {
                        size[lab[i]]++;
                        if (truth[i]) {
                            inside[lab[i]]++;
                        }
                    }
                }
                float[] image = null;
                for (int c = 1; c <= comps.count(); c++) {
                    if (size[c] < minPixels) {
                        continue;
                    }
                    boolean positive = inside[c] * 2 >= size[c];
                    boolean negative = inside[c] == 0;
                    if (!positive && !negative) {
                        continue;
                    }
                    if (image == null) {
                        image = Window.LUNG.apply(s.hu().slice(z));
                    }
                    float[] p = crop(image, w, h, BoundingSquare.of(lab, w, h, c), patch);
                    if (positive) {
                        out.add(p);
                        labels.add(1);
                    } else {
                        negatives.add(p);
                    }
                }
            }
            java.util.Collections.shuffle(negatives, random);
            for (float[] p : negatives.subList(0, Math.min(maxNegativesPerScan, negatives.size()))) {
                out.add(p);
                labels.add(0);
            }
        }
        return new Patches(out, labels);
    }

    /** Both sets, one after the other. */
    static Patches concat(Patches a, Patches b) {
        List<float[]> p = new ArrayList<>(a.patches());
        p.addAll(b.patches());
        List<Integer> l = new ArrayList<>(a.labels());
        l.addAll(b.labels());
        return new Patches(p, l);
    }

    static float[] crop(float[] image, int w, int h, BoundingSquare square, int patch) {
        float[] crop = square.crop(image, w, h, 0f);
        return Resample.bilinear(crop, square.size(), square.size(), patch, patch);
    }
}
