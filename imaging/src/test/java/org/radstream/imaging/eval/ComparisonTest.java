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
        assertThat(c.toTable()).contains("A: challenger (store s) on /cohorts/c").contains("B: champion (store s)")
                .contains("paired over 16 chest scans (12 with infection)")
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
                .hasMessageContaining("the two reports read different chest scans: only in a: scan-0015; only in b: scan-0099");
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
                .hasMessageContaining("lists chest scan scan-0000 twice");
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

    /** 10 abdominal scans; {@code vesselGain} added to each vessel Dice, HD95 {@code hd95} mm on each. */
    private static List<AbdomenScore> abdomenRead(double vesselGain, double hd95) {
        List<AbdomenScore> scans = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            double vesselDice = 0.70 + 0.02 * i + vesselGain;
            scans.add(new AbdomenScore(String.format("scan-%04d", 21 + i), 1500 + 10 * i, 1490 + 10 * i, 0.96, 0.9,
                    20 + i, 19 + i, vesselDice, hd95 + i, 0.8));
        }
        return scans;
    }

    private static EvaluationReport withAbdomen(String method, List<ScanScore> chest, List<AbdomenScore> abdomen) {
        return new EvaluationReport(method, "/cohorts/c", Map.of(), chest, abdomen, "vessel networks");
    }

    @Test
    void abdominalScansArePairedApartFromTheChestAndTheVesselNetworksCompared() {
        List<AbdomenScore> b = new ArrayList<>(abdomenRead(0, 30));
        Collections.reverse(b);
        Comparison c = Comparison.of(withAbdomen("sum", cohortRead(false), abdomenRead(0.01, 12)),
                withAbdomen("single", cohortRead(false), b), 1000, 3);
        assertThat(c.abdomenScans()).hasSize(10).startsWith("scan-0021");
        assertThat(c.difference(AbdomenFigure.VESSEL_DICE).estimate()).isEqualTo(0.01, within(1e-9));
        assertThat(c.verdict(AbdomenFigure.VESSEL_DICE)).isEqualTo("A better");
        // HD95 12 + i against 30 + i mm: lower is better.
        assertThat(c.difference(AbdomenFigure.VESSEL_HD95).estimate()).isEqualTo(-18.0, within(1e-9));
        assertThat(c.verdict(AbdomenFigure.VESSEL_HD95)).isEqualTo("A better");
        assertThat(c.verdict(AbdomenFigure.LIVER_DICE)).isEqualTo("not separated");
        assertThat(c.verdict(Figure.INFECTION_DICE)).isEqualTo("not separated");
        assertThat(c.toTable()).contains("paired over 16 chest scans").contains("paired over 10 abdominal scans")
                .containsPattern("vessel Dice +0\\.800 +0\\.790 +\\+0\\.010 +\\[\\+0\\.010, \\+0\\.010\\] +A better");
        @SuppressWarnings("unchecked")
        Map<String, Object> hd = (Map<String, Object>) ((Map<String, Object>) c.toJson().get("figures")).get("vessel_hd95_mm");
        assertThat(hd).containsEntry("verdict", "A better").containsEntry("difference", -18.0);
        assertThat(c.toJson()).containsEntry("abdominal_scans", 10);
    }

    @Test
    void abdominalScansOfOneCohortUnderTheOtherCohortsIdsAreRefused() {
        List<AbdomenScore> a = abdomenRead(0, 30);
        List<AbdomenScore> b = new ArrayList<>(a);
        AbdomenScore s = a.get(3);
        b.set(3, new AbdomenScore(s.scanId(), s.truthLiverMl(), s.predLiverMl(), s.liverDice(), s.liverStability(),
                s.truthVesselMl() + 4, s.predVesselMl(), s.vesselDice(), s.vesselHd95Mm(), s.vesselStability()));
        assertThatThrownBy(() -> Comparison.of(withAbdomen("a", List.of(), a), withAbdomen("b", List.of(), b), 100, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("scan scan-0024 is not the same scan in both: truth liver 1530.000 ml, vessels 23.000 ml")
                .hasMessageContaining("another cohort?");
        assertThatThrownBy(() -> Comparison.of(withAbdomen("a", List.of(), a), withAbdomen("b", List.of(), a.subList(0, 9)), 100, 1))
                .hasMessageContaining("the two reports read different abdominal scans: only in a: scan-0030; only in b: none");
    }

    @Test
    void aPartOnlyOneReportScoresIsLeftOutAndSaidSo() {
        // The HU baseline reads no abdomen: its chest is still compared with the networks'.
        Comparison c = Comparison.of(report("hu", cohortRead(false)), withAbdomen("models", cohortRead(true),
                abdomenRead(0, 20)), 500, 1);
        assertThat(c.abdomenScans()).isEmpty();
        assertThat(c.abdomenDifferences()).isEmpty();
        assertThat(c.verdict(AbdomenFigure.VESSEL_DICE)).isEqualTo("no such scans");
        assertThat(c.verdict(Figure.INFECTION_DICE)).isEqualTo("B better");
        assertThat(c.toTable()).contains("abdominal scans: only B scores them (10); not compared")
                .doesNotContain("paired over 10 abdominal");
        assertThatThrownBy(() -> Comparison.of(report("hu", cohortRead(false)), withAbdomen("vessel only", List.of(),
                abdomenRead(0, 20)), 100, 1)).hasMessageContaining("the two reports hold no scan to compare");
    }

    @Test
    void abdominalRowsSurviveTheJsonAndGetTheirOwnIntervals() throws Exception {
        EvaluationReport r = withAbdomen("models", cohortRead(false), abdomenRead(0, 20));
        ObjectMapper mapper = new ObjectMapper();
        Map<String, Object> doc = mapper.readValue(mapper.writeValueAsString(r.toJson()),
                new TypeReference<Map<String, Object>>() { });
        EvaluationReport back = EvaluationReport.fromJson(doc);
        assertThat(back.abdomen()).isEqualTo(r.abdomen());
        assertThat(back.abdomenIntervals()).isEqualTo(r.abdomenIntervals());
        assertThat(doc).containsEntry("abdominal_scans", 10);
        assertThat(((Number) doc.get("vessel_dice")).doubleValue()).isEqualTo(0.79, within(1e-12));
        @SuppressWarnings("unchecked")
        Map<String, List<Double>> ci = (Map<String, List<Double>>) doc.get("ci95");
        ScanBootstrap.Interval vessel = r.abdomenIntervals().get(AbdomenFigure.VESSEL_DICE);
        assertThat(ci.get("vessel_dice")).containsExactly(vessel.low(), vessel.high());
        assertThat(vessel.low()).isLessThan(0.79);
        assertThat(vessel.high()).isGreaterThan(0.79);
        assertThat(r.toTable()).contains("abdomen 95% intervals (2000 bootstrap resamples of the 10 abdominal scans): "
                + "liver Dice [0.960, 0.960], vessel Dice [");
        // A report written before the abdominal rows reads back without them.
        doc.remove("abdomen_scans");
        assertThat(EvaluationReport.fromJson(doc).abdomen()).isEmpty();
        Map<String, Object> bad = new java.util.HashMap<>(doc);
        bad.put("abdomen_scans", List.of(Map.of("scan_id", "scan-0021", "vessel_dice", "good")));
        assertThatThrownBy(() -> EvaluationReport.fromJson(bad)).hasMessageContaining("scan scan-0021: vessel_dice is not a number: good");
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
