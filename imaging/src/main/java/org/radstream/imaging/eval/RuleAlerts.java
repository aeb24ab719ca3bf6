package org.radstream.imaging.eval;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.radstream.imaging.ProgressionRule;
import org.radstream.imaging.cohort.CohortManifest;

/**
 * The progression alerts a method's measured infected volumes would raise on a longitudinal
 * cohort, by the same {@link ProgressionRule} the stream processor applies, scored against the
 * manifest's alert pairs. Lets an evaluation that runs the models directly (without the pipeline)
 * say what clinicians would receive: a volume that under-reads the new consolidation misses the
 * alert however good its Dice.
 *
 * @param correct     alert pairs the measured volumes alert on
 * @param falseAlerts pairs alerted on that are not alert pairs, as "earlier -> later: measured (truth)"
 * @param missed      alert pairs not alerted on, in the same form
 */
public record RuleAlerts(int correct, List<String> falseAlerts, List<String> missed) {

    /** Alerts of the measured volumes (by scan id) on every same-patient pair of the manifest. */
    public static RuleAlerts of(CohortManifest manifest, List<ScanScore> scores) {
        Map<String, Double> measured = new HashMap<>();
        scores.forEach(s -> measured.put(s.scanId(), s.predInfectionMl()));
        int correct = 0;
        List<String> wrong = new ArrayList<>();
        List<String> missed = new ArrayList<>();
        for (CohortManifest.Pair p : manifest.pairs()) {
            // a scan the method did not measure reads NaN, which never alerts
            double earlier = measured.getOrDefault(p.earlierScanId(), Double.NaN);
            double later = measured.getOrDefault(p.laterScanId(), Double.NaN);
            boolean alert = ProgressionRule.isAlert(earlier, later, p.hoursApart());
            if (alert && p.alert()) {
                correct++;
            } else if (alert) {
                wrong.add(describe(p, earlier, later));
            } else if (p.alert()) {
                missed.add(describe(p, earlier, later));
            }
        }
        return new RuleAlerts(correct, List.copyOf(wrong), List.copyOf(missed));
    }

    private static String describe(CohortManifest.Pair p, double earlier, double later) {
        return String.format(Locale.ROOT, "%s -> %s in %.0f h: measured %.1f -> %.1f mL (%+.0f%%), truth %.1f -> %.1f mL (%+.0f%%)",
                p.earlierScanId(), p.laterScanId(), p.hoursApart(), earlier, later,
                ProgressionRule.growthPercent(earlier, later), p.earlierInfectionMl(), p.laterInfectionMl(),
                ProgressionRule.growthPercent(p.earlierInfectionMl(), p.laterInfectionMl()));
    }

    /** Whether the cohort has same-patient pairs to judge. */
    public static boolean applies(CohortManifest manifest) {
        return manifest.pairs() != null && !manifest.pairs().isEmpty();
    }

    /** The figures as evaluation parameters (JSON and the report's first line). */
    public Map<String, Object> asParameters() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rule_alerts_correct", correct);
        m.put("rule_alerts_false", falseAlerts.size());
        m.put("rule_alerts_missed", missed.size());
        m.put("rule_alerts_false_pairs", falseAlerts);
        m.put("rule_alerts_missed_pairs", missed);
        return m;
    }
}
