package org.radstream.imaging.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.imaging.HuThresholdBaseline;
import org.radstream.imaging.ProgressionRule;
import org.radstream.imaging.cohort.Cohort;
import org.radstream.imaging.cohort.CohortGenerator;
import org.radstream.imaging.cohort.CohortManifest;
import org.radstream.imaging.cohort.CohortSpec;

class RuleAlertsTest {

    private static CohortManifest.Pair pair(String earlier, String later, double hours, double earlierMl, double laterMl) {
        return new CohortManifest.Pair("P", earlier, later, hours, earlierMl, laterMl,
                ProgressionRule.growthPercent(earlierMl, laterMl), ProgressionRule.isAlert(earlierMl, laterMl, hours));
    }

    private static ScanScore measured(String scanId, double infectionMl) {
        return new ScanScore(scanId, 0.97, 0.8, 5, 10, 2500, Double.NaN, 2500, infectionMl, Double.NaN, Double.NaN,
                Double.NaN, Double.NaN, 0, Double.NaN);
    }

    @Test
    void theMeasuredVolumesRaiseTheAlertsTheRuleGivesAndAreScoredAgainstTheTruthPairs() {
        List<CohortManifest.Pair> pairs = List.of(
                pair("s1", "s2", 22, 100, 186),   // alert by truth, measured +48%: missed
                pair("s3", "s4", 34, 200, 270),   // no alert by truth (+35%), measured +60%: false
                pair("s5", "s6", 37, 10, 16),     // alert by truth, measured +60%: correct
                pair("s7", "s8", 60, 10, 30),     // +200% but 60 h apart: no alert either way
                pair("s9", "s10", 20, 5, 10));    // alert by truth, s10 never measured: missed
        CohortManifest manifest = new CohortManifest("radstream-cohort/1", 13, 256, true, 20,
                new CohortManifest.AlertRule(ProgressionRule.GROWTH_FACTOR, ProgressionRule.WINDOW_HOURS,
                        ProgressionRule.MIN_LATER_ML), List.of(), List.of(), pairs,
                pairs.stream().filter(CohortManifest.Pair::alert).toList());
        List<ScanScore> scores = List.of(measured("s1", 100), measured("s2", 148), measured("s3", 200),
                measured("s4", 320), measured("s5", 10), measured("s6", 16), measured("s7", 10), measured("s8", 30),
                measured("s9", 5));

        RuleAlerts alerts = RuleAlerts.of(manifest, scores);

        assertThat(alerts.correct()).isEqualTo(1);
        assertThat(alerts.falseAlerts()).singleElement().asString().startsWith("s3 -> s4 in 34 h")
                .contains("measured 200.0 -> 320.0 mL (+60%)").contains("truth 200.0 -> 270.0 mL (+35%)");
        assertThat(alerts.missed()).hasSize(2);
        assertThat(alerts.missed().get(0)).startsWith("s1 -> s2").contains("(+48%)").contains("(+86%)");
        assertThat(alerts.missed().get(1)).startsWith("s9 -> s10").contains("NaN");
        Map<String, Object> params = alerts.asParameters();
        assertThat(params).containsEntry("rule_alerts_correct", 1).containsEntry("rule_alerts_false", 1)
                .containsEntry("rule_alerts_missed", 2);
        assertThat(RuleAlerts.applies(manifest)).isTrue();
    }

    @Test
    void anEvaluationOfALongitudinalCohortSaysWhichAlertsItsVolumesWouldRaiseAndACrossSectionalOneDoesNot(@TempDir Path tmp)
            throws Exception {
        CohortManifest longitudinal = CohortGenerator.generate(new CohortSpec(11, 6, 0, 64, true), tmp.resolve("long"));
        EvaluationReport report = HuBaselineEvaluation.evaluate(Cohort.open(tmp.resolve("long")),
                HuThresholdBaseline.Thresholds.PAPER);
        RuleAlerts expected = RuleAlerts.of(longitudinal, report.chest());
        assertThat(report.parameters()).containsEntry("rule_alerts_correct", expected.correct())
                .containsEntry("rule_alerts_false", expected.falseAlerts().size())
                .containsEntry("rule_alerts_missed", expected.missed().size());
        assertThat(expected.correct() + expected.missed().size()).as("every alert pair is either raised or missed")
                .isEqualTo(longitudinal.alertPairs().size());
        assertThat(longitudinal.pairs()).isNotEmpty();

        CohortGenerator.generate(new CohortSpec(11, 2, 0, 64, false), tmp.resolve("cross"));
        assertThat(HuBaselineEvaluation.evaluate(Cohort.open(tmp.resolve("cross")), HuThresholdBaseline.Thresholds.PAPER)
                .parameters()).doesNotContainKey("rule_alerts_correct");
    }
}
