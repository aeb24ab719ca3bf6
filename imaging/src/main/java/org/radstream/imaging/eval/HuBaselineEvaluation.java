package org.radstream.imaging.eval;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.radstream.imaging.HuThresholdBaseline;
import org.radstream.imaging.HuThresholdBaseline.Thresholds;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Volume;
import org.radstream.imaging.cohort.Cohort;
import org.radstream.imaging.cohort.CohortManifest;

/**
 * The COVID-19 paper's HU-threshold baseline protocol: on the tuning cohort, sweep the lung
 * threshold over -800..0 in steps of 50 and keep the best mean lung Dice; then, with that lung
 * mask, sweep the lower threshold (below it, same grid) for the infection band and keep the best
 * mean infection Dice; report both on the held-out evaluation cohort.
 *
 * <p>Without a tuning cohort the paper's own thresholds (-200, -750) are used, and the report's
 * parameters say so.
 *
 * <p>The sweep needs one pass per scan: each body voxel falls in one 50-HU bin, and cumulative
 * counts of predicted, lung-truth and infection-truth voxels per bin give every threshold's Dice.
 */
public final class HuBaselineEvaluation implements EvaluationMethod {
    static final int LOW = -800;
    static final int HIGH = 0;
    static final int STEP = 50;

    @Override
    public String name() { return "hu"; }

    @Override
    public EvaluationReport evaluate(Cohort evaluation, Cohort tuning) throws IOException {
        Thresholds t = tuning == null ? Thresholds.PAPER : tune(tuning);
        return evaluate(evaluation, t);
    }

    /** Per-scan cumulative counts for thresholds LOW, LOW+STEP, ..., HIGH. */
    record Sweep(long[] predicted, long[] lungHits, long[] infectionHits, long lungTruth, long infectionTruth) {}

    static Sweep sweep(Volume v, Mask3D lung, Mask3D infection) {
        int n = (HIGH - LOW) / STEP + 1;
        long[] pred = new long[n];
        long[] lh = new long[n];
        long[] ih = new long[n];
        Mask3D body = HuThresholdBaseline.bodyMask(v);
        float[] hu = v.hu();
        boolean[] b = body.data();
        boolean[] l = lung.data();
        boolean[] in = infection.data();
        for (int i = 0; i < hu.length; i++) {
            if (!b[i] || hu[i] >= HIGH) {
                continue;
            }
            // first threshold T_t with hu < T_t
            int t = hu[i] < LOW ? 0 : (int) Math.floor((hu[i] - LOW) / STEP) + 1;
            pred[t]++;
            if (l[i]) {
                lh[t]++;
            }
            if (in[i]) {
                ih[t]++;
            }
        }
        for (int t = 1; t < n; t++) {
            pred[t] += pred[t - 1];
            lh[t] += lh[t - 1];
            ih[t] += ih[t - 1];
        }
        return new Sweep(pred, lh, ih, lung.count(), infection.count());
    }

    static int threshold(int t) { return LOW + t * STEP; }

    /** Chooses the thresholds on a tuning cohort. */
    public static Thresholds tune(Cohort tuning) throws IOException {
        List<Sweep> sweeps = new ArrayList<>();
        for (CohortManifest.Scan s : tuning.scans("chest")) {
            Volume v = tuning.series(s).volume();
            sweeps.add(sweep(v, tuning.truth(s, "lung"), tuning.truth(s, "infection")));
        }
        if (sweeps.isEmpty()) {
            throw new IllegalArgumentException("tuning cohort " + tuning.dir() + " has no chest scans");
        }
        int n = (HIGH - LOW) / STEP + 1;
        int bestLung = 0;
        double bestLungDice = -1;
        for (int t = 0; t < n; t++) {
            double sum = 0;
            for (Sweep s : sweeps) {
                sum += dice(s.lungHits()[t], s.predicted()[t], s.lungTruth());
            }
            if (sum / sweeps.size() > bestLungDice) {
                bestLungDice = sum / sweeps.size();
                bestLung = t;
            }
        }
        int bestLow = -1;
        double bestInfDice = -1;
        for (int lo = 0; lo < bestLung; lo++) {
            double sum = 0;
            int k = 0;
            for (Sweep s : sweeps) {
                if (s.infectionTruth() == 0) {
                    continue;
                }
                sum += dice(s.infectionHits()[bestLung] - s.infectionHits()[lo], s.predicted()[bestLung] - s.predicted()[lo], s.infectionTruth());
                k++;
            }
            if (k > 0 && sum / k > bestInfDice) {
                bestInfDice = sum / k;
                bestLow = lo;
            }
        }
        if (bestLow < 0) {
            bestLow = Math.max(0, bestLung - 1);
        }
        if (bestLow == bestLung) {
            return new Thresholds(threshold(bestLung), threshold(bestLung) - STEP);
        }
        return new Thresholds(threshold(bestLung), threshold(bestLow));
    }

    private static double dice(long inter, long pred, long truth) {
        return pred + truth == 0 ? 1.0 : 2.0 * inter / (pred + truth);
    }

    /** Scores the baseline with fixed thresholds on a cohort. */
    public static EvaluationReport evaluate(Cohort cohort, Thresholds t) throws IOException {
        List<ScanScore> rows = new ArrayList<>();
        for (CohortManifest.Scan s : cohort.scans("chest")) {
            Volume v = cohort.series(s).volume();
            Mask3D lungTruth = cohort.truth(s, "lung");
            Mask3D infTruth = cohort.truth(s, "infection");
            Mask3D lung = HuThresholdBaseline.lungMask(v, t);
            Mask3D inf = HuThresholdBaseline.infectionMask(v, t);
            rows.add(ScanScore.of(s.scanId(), v, lung, inf, lungTruth, infTruth));
        }
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("lung_threshold_hu", t.lungHu());
        params.put("infection_lower_threshold_hu", t.infectionLowHu());
        if (RuleAlerts.applies(cohort.manifest())) {
            params.putAll(RuleAlerts.of(cohort.manifest(), rows).asParameters());
        }
        return new EvaluationReport("hu", cohort.dir().toString(), params, rows,
                "not applicable: the HU-threshold baseline segments lung and infection only ("
                        + cohort.scans("abdomen").size() + " abdominal scans skipped)");
    }
}
