package org.radstream.trainer;

import java.util.ArrayList;
import java.util.List;
import org.radstream.imaging.BoundingSquare;
import org.radstream.imaging.ComponentLabels;
import org.radstream.imaging.Components;
import org.radstream.imaging.Connectivity;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Window;

/**
 * What a candidate classifier does to infection Dice, which is what the workers' filtering is
 * for: on validation scans, the candidate infection mask (what the workers would filter: the
 * infection network's components that reach into the lung) is split into 2D components as the
 * workers split it; a classifier scores every component's patch, and the mask keeps the components scoring at
 * least a threshold. The threshold is chosen here, on validation, as the one that gives the best
 * mean infection Dice; the patch-level balanced accuracy at 0.5 did not predict that effect (two
 * classifiers with 0.90 accuracy each lowered held-out Dice).
 *
 * <p>Components are disjoint, so a scan's Dice for any kept set follows from each component's
 * size and its overlap with the label: the scores are computed once per classifier and every
 * threshold costs one pass over the components.
 */
final class ClassifierEffect {
    /** Thresholds tried: 0.05, 0.10, ... 0.95. */
    static final float[] THRESHOLDS = thresholds();

    /** Mean validation Dice with the classifier at {@code threshold}, and without it. */
    record Effect(double dice, float threshold, double withoutClassifier) {
        /** Whether filtering raises the mean Dice above keeping every component. */
        boolean adds() {
            return dice > withoutClassifier;
        }
    }

    /** One 2D component of one scan's candidates. */
    private record Component(int scan, float[] patch, long size, long overlap) {}

    private final List<Component> components = new ArrayList<>();
    private final long[] labelSize;
    private final String scansName;

    /**
     * @param scans      validation scans, label = the infection truth (or a radiologist's label)
     * @param candidates per scan, the mask the workers would filter, on the scan's grid
     * @param patch      the classifier's patch side
     */
    ClassifierEffect(List<ScanData> scans, List<Mask3D> candidates, int patch) {
        this(scans, candidates, patch, "validation");
    }

    /** The same, on scans that progress lines and gate reasons call {@code scansName} ("validation", "selection"). */
    ClassifierEffect(List<ScanData> scans, List<Mask3D> candidates, int patch, String scansName) {
        this.scansName = scansName;
        labelSize = new long[scans.size()];
        for (int si = 0; si < scans.size(); si++) {
            ScanData s = scans.get(si);
            Mask3D cand = candidates.get(si);
            labelSize[si] = s.label().count();
            int w = s.hu().width();
            int h = s.hu().height();
            for (int z = 0; z < s.hu().depth(); z++) {
                ComponentLabels comps = Components.label2D(cand.slice(z), w, h, Connectivity.FULL);
                if (comps.count() == 0) {
                    continue;
                }
                boolean[] truth = s.label().slice(z);
                long[] size = new long[comps.count() + 1];
                long[] overlap = new long[comps.count() + 1];
                int[] lab = comps.labels();
                for (int i = 0; i < lab.length; i++) {
                    if (lab[i] > 0) {
                        size[lab[i]]++;
                        if (truth[i]) {
                            overlap[lab[i]]++;
                        }
                    }
                }
                float[] image = Window.LUNG.apply(s.hu().slice(z));
                for (int c = 1; c <= comps.count(); c++) {
                    components.add(new Component(si, Candidates.crop(image, w, h, BoundingSquare.of(lab, w, h, c), patch),
                            size[c], overlap[c]));
                }
            }
        }
    }

    /** What the scans are to the run: "validation" or "selection". */
    String scansName() {
        return scansName;
    }

    /** Components the classifier will judge. */
    int components() {
        return components.size();
    }

    /** The best threshold for {@code scorer} and the mean Dice it gives; NaN Dice without labelled scans. */
    Effect of(ClassifierRun.PatchScorer scorer) throws Exception {
        float[] p = scores(scorer);
        double without = meanDice(p, Float.NEGATIVE_INFINITY);
        if (Double.isNaN(without)) {
            return new Effect(Double.NaN, 0.5f, Double.NaN);
        }
        double best = Double.NEGATIVE_INFINITY;
        float bestThreshold = 0.5f;
        for (float t : THRESHOLDS) {
            double d = meanDice(p, t);
            if (d > best) {
                best = d;
                bestThreshold = t;
            }
        }
        return new Effect(best, bestThreshold, without);
    }

    private float[] scores(ClassifierRun.PatchScorer scorer) throws Exception {
        float[] p = new float[components.size()];
        for (int from = 0; from < p.length; from += 64) {
            RunCancelledException.throwIfRequested();
            int to = Math.min(p.length, from + 64);
            float[][] batch = new float[to - from][];
            for (int i = from; i < to; i++) {
                batch[i - from] = components.get(i).patch();
            }
            System.arraycopy(scorer.predict(batch), 0, p, from, to - from);
        }
        return p;
    }

    /** Mean Dice with {@code scorer} at a given threshold (a published classifier's own). */
    double at(ClassifierRun.PatchScorer scorer, float threshold) throws Exception {
        return meanDice(scores(scorer), threshold);
    }

    /** Mean Dice at {@code threshold}, for a classifier whose scores of the components are {@code p}. */
    double meanDice(float[] p, float threshold) {
        long[] kept = new long[labelSize.length];
        long[] hit = new long[labelSize.length];
        for (int i = 0; i < p.length; i++) {
            if (p[i] >= threshold) {
                Component c = components.get(i);
                kept[c.scan()] += c.size();
                hit[c.scan()] += c.overlap();
            }
        }
        double sum = 0;
        int n = 0;
        for (int s = 0; s < labelSize.length; s++) {
            if (labelSize[s] == 0) {
                continue; // Dice is undefined without infection, as in the evaluation
            }
            sum += 2.0 * hit[s] / (kept[s] + labelSize[s]);
            n++;
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    private static float[] thresholds() {
        float[] t = new float[19];
        for (int i = 0; i < t.length; i++) {
            t[i] = (i + 1) / 20f;
        }
        return t;
    }
}
