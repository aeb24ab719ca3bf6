package org.radstream.imaging.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.radstream.imaging.eval.ScanBootstrapTest.scan;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Two reports paired scan by scan, refused when they did not read the same scans, and read back from their JSON. */
class ComparisonTest {

    private static EvaluationReport report(String method, List<ScanScore> scans) {
        return new EvaluationReport(method, "/cohorts/c", Map.of("store", "s"), scans, "no abdominal scans");
    }

    /** 16 scans, 4 of them healthy, with a spread of Dice and PoIR; {@code better}: Dice +0.02 and PoIR read closer. */
    private static List<ScanScore> cohortRead(boolean better) {
        List<ScanScore> scans = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            boolean healthy = i % 4 == 0;
            double dice = healthy ? Double.NaN : 0.55 + 0.025 * i + (better ? 0.02 : 0);
            double truth = healthy ? 0 : 1 + i;
            double pred = healthy ? 0 : truth * (better ? 1.05 : 1.25);
            scans.add(scan(String.format("scan-%04d", i), 0.97 + 0.001 * (i % 3), dice, truth, pred));
        }
        return scans;
    }

    @Test
    void scansArePairedByIdWhateverTheirOrder() {
        List<ScanScore> b = new ArrayList<>(cohortRead(false));
        Collections.reverse(b);
        Comparison c = Comparison.of(report("challenger", cohortRead(true)), report("champion", b), 1000, 3);
        ScanBootstrap.Interval dice = c.differences().get(Figure.INFECTION_DICE);
        assertThat(dice.estimate()).isEqualTo(0.02, within(1e-9));
        assertThat(dice.low()).isEqualTo(0.02, within(1e-9));
        assertThat(dice.high()).isEqualTo(0.02, within(1e-9));
        assertThat(c.verdict(Figure.INFECTION_DICE)).isEqualTo("A better");
        // m-APE 5% against 25% on every infected scan: lower is better.
        assertThat(c.differences().get(Figure.POIR_MAPE).estimate()).isEqualTo(-20.0, within(1e-9));
        assertThat(c.verdict(Figure.POIR_MAPE)).isEqualTo("A better");
        Comparison swapped = Comparison.of(report("champion", b), report("challenger", cohortRead(true)), 1000, 3);
        assertThat(swapped.verdict(Figure.INFECTION_DICE)).isEqualTo("B better");
        assertThat(swapped.verdict(Figure.POIR_MAPE)).isEqualTo("B better");
        // The lung masks are the same: nothing to tell them apart.
        assertThat(c.differences().get(Figure.LUNG_DICE).estimate()).isEqualTo(0.0, within(1e-12));
        assertThat(c.verdict(Figure.LUNG_DICE)).isEqualTo("not separated");
        assertThat(c.scans()).hasSize(16).startsWith("scan-0000");
        assertThat(c.toTable()).contains("paired over 16 chest scans (12 with infection)")
                .containsPattern("infection Dice +0\\.770 +0\\.750 +\\+0\\.020 +\\[\\+0\\.020, \\+0\\.020\\] +A better");
    }

    @Test
    void aSmallDifferenceOnSpreadScansIsNotSeparated() {
        List<ScanScore> a = cohortRead(false);
        List<ScanScore> b = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            ScanScore s = a.get(i);
            // B reads half the scans 0.05 better and the other half 0.05 worse, and one 0.01 more on top.
            double shift = Double.isNaN(s.infectionDice()) ? 0 : (i % 2 == 0 ? 0.05 : -0.05) + (i == 1 ? 0.01 : 0);
            b.add(scan(s.scanId(), s.lungDice(), s.infectionDice() + shift, s.truthPoir(), s.predPoir()));
        }
        Comparison c = Comparison.of(report("a", a), report("b", b), 2000, 3);
        ScanBootstrap.Interval dice = c.differences().get(Figure.INFECTION_DICE);
        assertThat(dice.low()).isNegative();
        assertThat(dice.high()).isPositive();
        assertThat(c.verdict(Figure.INFECTION_DICE)).isEqualTo("not separated");
    }

    @Test
    void fewerThanFiveScansHaveNoIntervalAndSaySo() {
        List<ScanScore> a = cohortRead(true).subList(1, 4);
        List<ScanScore> b = cohortRead(false).subList(1, 4);
        Comparison c = Comparison.of(report("a", a), report("b", b), 500, 1);
        assertThat(c.differences().get(Figure.INFECTION_DICE).estimate()).isEqualTo(0.02, within(1e-9));
        assertThat(c.differences().get(Figure.INFECTION_DICE).low()).isNaN();
        assertThat(c.verdict(Figure.INFECTION_DICE)).isEqualTo("too few scans for an interval (5 or more)");
        assertThat(report("a", a).toTable()).contains("95% intervals: none, 3 chest scans are too few (5 or more)");
    }

    @Test
    void reportsOfDifferentScansAreRefusedWithTheScansNamed() {
        List<ScanScore> a = cohortRead(false);
        List<ScanScore> b = new ArrayList<>(a.subList(0, 15));
        b.add(scan("scan-0099", 0.97, 0.8, 3, 3));
        assertThatThrownBy(() -> Comparison.of(report("a", a), report("b", b), 100, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("the two reports read different scans: only in a: scan-0015; only in b: scan-0099");
    }

    @Test
    void oneIdOverTwoDifferentScansIsRefused() {
        List<ScanScore> a = cohortRead(false);
        List<ScanScore> b = new ArrayList<>(a);
        ScanScore s = a.get(5);
        b.set(5, scan(s.scanId(), s.lungDice(), s.infectionDice(), s.truthPoir() + 1, s.predPoir()));
        assertThatThrownBy(() -> Comparison.of(report("a", a), report("b", b), 100, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("scan scan-0005 is not the same scan in both").hasMessageContaining("another cohort?");
        List<ScanScore> twice = new ArrayList<>(a);
        twice.add(a.get(0));
        assertThatThrownBy(() -> Comparison.of(report("a", a), report("b", twice), 100, 1))
                .hasMessageContaining("lists scan scan-0000 twice");
    }

    @Test
    void aReportReadBackFromItsJsonHasTheSameFiguresAndIntervals() throws Exception {
        EvaluationReport r = report("models", cohortRead(false));
        ObjectMapper mapper = new ObjectMapper();
        String text = mapper.writeValueAsString(r.toJson());
        Map<String, Object> doc = mapper.readValue(text, new TypeReference<Map<String, Object>>() { });
        EvaluationReport back = EvaluationReport.fromJson(doc);
        assertThat(back.method()).isEqualTo("models");
        assertThat(back.cohort()).isEqualTo("/cohorts/c");
        assertThat(back.chest()).isEqualTo(r.chest());
        assertThat(back.intervals()).isEqualTo(r.intervals());
        @SuppressWarnings("unchecked")
        Map<String, List<Double>> ci = (Map<String, List<Double>>) doc.get("ci95");
        ScanBootstrap.Interval mape = r.intervals().get(Figure.POIR_MAPE);
        assertThat(ci.get("poir_mape")).containsExactly(mape.low(), mape.high());
        assertThat(mape.low()).isLessThanOrEqualTo(r.poirMape());
        assertThat(mape.high()).isGreaterThanOrEqualTo(r.poirMape());
        assertThat(r.toTable()).contains("95% intervals (2000 bootstrap resamples of the chest scans): lung Dice [");
    }

    @Test
    void aDocumentWithoutScanRowsOrWithAWordForANumberIsRefused() {
        assertThatThrownBy(() -> EvaluationReport.fromJson(Map.of("method", "hu")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no \"scans\" list");
        Map<String, Object> row = Map.of("scan_id", "scan-0001", "lung_dice", "high");
        assertThatThrownBy(() -> EvaluationReport.fromJson(Map.of("scans", List.of(row))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("scan scan-0001: lung_dice is not a number: high");
        assertThatThrownBy(() -> EvaluationReport.fromJson(Map.of("scans", List.of(Map.of("lung_dice", 0.9)))))
                .hasMessageContaining("a scan row without its scan_id");
    }
}
