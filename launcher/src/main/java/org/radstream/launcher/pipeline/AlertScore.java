package org.radstream.launcher.pipeline;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.radstream.avro.ProgressionAlert;
import org.radstream.imaging.cohort.CohortManifest;

/**
 * Alerts raised against the cohort manifest's truth: an alert is correct when its (earlier, later)
 * scan pair is one of the manifest's alert pairs, false otherwise; alert pairs never raised are
 * missed. Repeated alerts for one pair count once (the pipeline must not repeat them, and
 * {@link #duplicates} says whether it did).
 */
public record AlertScore(List<CohortManifest.Pair> correct, List<String> falseAlerts, List<CohortManifest.Pair> missed,
                         int duplicates) {

    public static AlertScore of(CohortManifest manifest, List<ProgressionAlert> alerts) {
        Map<String, String> scanBySeries = new HashMap<>();
        manifest.scans().forEach(s -> scanBySeries.put(s.seriesUid(), s.scanId()));
        Map<String, CohortManifest.Pair> pairs = new HashMap<>();
        manifest.pairs().forEach(p -> pairs.put(p.earlierScanId() + ">" + p.laterScanId(), p));
        Set<String> raised = new LinkedHashSet<>();
        int duplicates = 0;
        List<CohortManifest.Pair> correct = new ArrayList<>();
        List<String> wrong = new ArrayList<>();
        for (ProgressionAlert a : alerts) {
            String e = scanBySeries.getOrDefault(a.getEarlier().getSeriesUid(), a.getEarlier().getSeriesUid());
            String l = scanBySeries.getOrDefault(a.getLater().getSeriesUid(), a.getLater().getSeriesUid());
            String key = e + ">" + l;
            if (!raised.add(key)) {
                duplicates++;
                continue;
            }
            CohortManifest.Pair p = pairs.get(key);
            if (p != null && p.alert()) {
                correct.add(p);
            } else {
                wrong.add(String.format(Locale.ROOT, "%s %s -> %s (truth %s)", a.getPatientId(), e, l,
                        p == null ? "no such pair" : String.format(Locale.ROOT, "%.1f -> %.1f mL in %.1f h",
                                p.earlierInfectionMl(), p.laterInfectionMl(), p.hoursApart())));
            }
        }
        List<CohortManifest.Pair> missed = manifest.alertPairs().stream()
                .filter(p -> !raised.contains(p.earlierScanId() + ">" + p.laterScanId())).toList();
        return new AlertScore(correct, wrong, missed, duplicates);
    }

    /** Correct alerts over the manifest's alert pairs (NaN without any). */
    public double sensitivity() {
        int truth = correct.size() + missed.size();
        return truth == 0 ? Double.NaN : (double) correct.size() / truth;
    }

    /** Correct alerts over alerts raised (NaN without any). */
    public double precision() {
        int raised = correct.size() + falseAlerts.size();
        return raised == 0 ? Double.NaN : (double) correct.size() / raised;
    }
}
