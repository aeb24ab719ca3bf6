package org.radstream.imaging.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The percentile bootstrap over scans: exact where the answer is known, and the normal interval where it is approximate. */
class ScanBootstrapTest {

    /** A chest scan with the figures these tests read; the rest as a scan without stray infection. */
    static ScanScore scan(String id, double lungDice, double infectionDice, double truthPoir, double predPoir) {
        double truthInfectionMl = truthPoir * 30;
        return new ScanScore(id, lungDice, infectionDice, 5, Double.isNaN(infectionDice) ? Double.NaN : 10, 3000,
                truthInfectionMl, 3000, predPoir * 30, truthPoir, predPoir, Double.NaN, Double.NaN, 0, infectionDice);
    }

    @Test
    void scansThatAllScoreTheSameLeaveNoRoomForAnotherCohortToDiffer() {
        List<ScanScore> scans = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            scans.add(scan("s" + i, 0.98, 0.8, 5, 6));
        }
        ScanBootstrap.Interval dice = ScanBootstrap.interval(scans, Figure.INFECTION_DICE, 500, 1);
        assertThat(dice.estimate()).isEqualTo(0.8, within(1e-12));
        assertThat(dice.low()).isEqualTo(0.8, within(1e-12));
        assertThat(dice.high()).isEqualTo(0.8, within(1e-12));
        ScanBootstrap.Interval mape = ScanBootstrap.interval(scans, Figure.POIR_MAPE, 500, 1);
        assertThat(mape.estimate()).isEqualTo(20.0, within(1e-9));
        assertThat(mape.low()).isEqualTo(20.0, within(1e-9));
        assertThat(mape.high()).isEqualTo(20.0, within(1e-9));
    }

    @Test
    void aMeanOfHalfZerosAndHalfOnesHasTheNormalIntervalsWidth() {
        // 100 scans, Dice 0 or 1: the mean's standard error is 0.05, so the 95% interval is 0.5 ± 0.098.
        List<ScanScore> scans = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            scans.add(scan("s" + i, 0.98, i % 2, 5, 5));
        }
        ScanBootstrap.Interval i = ScanBootstrap.interval(scans, Figure.INFECTION_DICE, ScanBootstrap.RESAMPLES, 7);
        assertThat(i.estimate()).isEqualTo(0.5, within(1e-12));
        assertThat(i.low()).isEqualTo(0.402, within(0.015));
        assertThat(i.high()).isEqualTo(0.598, within(0.015));
        assertThat(i.holds(0.5)).isTrue();
        assertThat(i.side()).isEqualTo(1);
    }

    @Test
    void fourTimesTheScansHalveTheInterval() {
        List<ScanScore> few = new ArrayList<>();
        List<ScanScore> many = new ArrayList<>();
        double[] dice = {0.55, 0.91, 0.72, 0.84, 0.63, 0.88, 0.79, 0.95, 0.68, 0.81};
        for (int copy = 0; copy < 4; copy++) {
            for (int i = 0; i < dice.length; i++) {
                if (copy == 0) {
                    few.add(scan("f" + i, 0.98, dice[i], 5, 5));
                }
                many.add(scan("m" + copy + "-" + i, 0.98, dice[i], 5, 5));
            }
        }
        ScanBootstrap.Interval f = ScanBootstrap.interval(few, Figure.INFECTION_DICE, ScanBootstrap.RESAMPLES, 3);
        ScanBootstrap.Interval m = ScanBootstrap.interval(many, Figure.INFECTION_DICE, ScanBootstrap.RESAMPLES, 3);
        assertThat(m.estimate()).isEqualTo(f.estimate(), within(1e-12));
        assertThat((m.high() - m.low()) / (f.high() - f.low())).isBetween(0.42, 0.58);
    }

    @Test
    void theSameSeedGivesTheSameInterval() {
        List<ScanScore> scans = new ArrayList<>();
        for (int i = 0; i < 15; i++) {
            scans.add(scan("s" + i, 0.95 + i * 0.002, 0.5 + i * 0.03, 1 + i, 1.2 + i * 0.9));
        }
        for (Figure figure : Figure.values()) {
            assertThat(ScanBootstrap.interval(scans, figure, 300, 11))
                    .isEqualTo(ScanBootstrap.interval(scans, figure, 300, 11));
        }
        assertThat(ScanBootstrap.interval(scans, Figure.INFECTION_DICE, 300, 11))
                .isNotEqualTo(ScanBootstrap.interval(scans, Figure.INFECTION_DICE, 300, 12));
    }

    @Test
    void pairingCancelsWhatTheScansShare() {
        // B's Dice is A's less 0.01 on every scan: the scans' spread is wide, their difference exact.
        List<ScanScore> a = new ArrayList<>();
        List<ScanScore> b = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            double d = 0.4 + 0.5 * ((i * 7) % 20) / 20.0;
            a.add(scan("s" + i, 0.98, d, 5, 5));
            b.add(scan("s" + i, 0.98, d - 0.01, 5, 5));
        }
        ScanBootstrap.Interval alone = ScanBootstrap.interval(a, Figure.INFECTION_DICE, 1000, 5);
        assertThat(alone.high() - alone.low()).isGreaterThan(0.1);
        ScanBootstrap.Interval paired = ScanBootstrap.difference(a, b, Figure.INFECTION_DICE, 1000, 5);
        assertThat(paired.estimate()).isEqualTo(0.01, within(1e-9));
        assertThat(paired.low()).isEqualTo(0.01, within(1e-9));
        assertThat(paired.high()).isEqualTo(0.01, within(1e-9));
        assertThat(paired.side()).isEqualTo(1);
    }

    @Test
    void aFigureUndefinedOnTheScansHasNoInterval() {
        List<ScanScore> healthy = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            healthy.add(scan("h" + i, 0.97, Double.NaN, 0, 0));
        }
        ScanBootstrap.Interval i = ScanBootstrap.interval(healthy, Figure.INFECTION_DICE, 200, 1);
        assertThat(i.estimate()).isNaN();
        assertThat(i.low()).isNaN();
        assertThat(i.high()).isNaN();
        assertThat(i.side()).isZero();
        assertThat(i.holds(0.5)).isFalse();
        // One infected scan among 30: most resamples hold it, but too many (about 36%) do not.
        List<ScanScore> rare = new ArrayList<>(healthy);
        rare.addAll(healthy);
        rare.addAll(healthy.subList(0, 9));
        rare.add(scan("sick", 0.97, 0.7, 5, 5));
        assertThat(ScanBootstrap.interval(rare, Figure.INFECTION_DICE, 500, 1).low()).isNaN();
    }

    @Test
    void aMeanDifferenceSkipsThePairsWithoutAScoreAndMatchesTheScansOwn() {
        double[] a = {0.9, Double.NaN, 0.7, 0.82, 0.64, 0.95, 0.71, 0.88};
        double[] b = {0.85, Double.NaN, 0.72, 0.8, 0.6, 0.9, 0.75, 0.86};
        ScanBootstrap.Interval d = ScanBootstrap.meanDifference(a, b, 1000, 9);
        assertThat(d.estimate()).isEqualTo((0.05 - 0.02 + 0.02 + 0.04 + 0.05 - 0.04 + 0.02) / 7, within(1e-12));
        assertThat(d.low()).isLessThan(d.estimate());
        assertThat(d.high()).isGreaterThan(d.estimate());
        assertThat(d.low()).isGreaterThanOrEqualTo(-0.04);
        assertThat(d.high()).isLessThanOrEqualTo(0.05);
        // the same numbers as infection Dice of two reports' scans give the same estimate
        List<ScanScore> sa = new ArrayList<>();
        List<ScanScore> sb = new ArrayList<>();
        for (int i = 0; i < a.length; i++) {
            sa.add(scan("s" + i, 0.9, a[i], 1, 1));
            sb.add(scan("s" + i, 0.9, b[i], 1, 1));
        }
        assertThat(ScanBootstrap.difference(sa, sb, Figure.INFECTION_DICE, 1000, 9).estimate())
                .isEqualTo(d.estimate(), within(1e-12));
        assertThat(ScanBootstrap.meanDifference(new double[] {Double.NaN}, new double[] {0.5}, 100, 1).low()).isNaN();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ScanBootstrap.meanDifference(a, new double[2], 10, 1))
                .hasMessageContaining("8 vs 2");
    }

    @Test
    void percentilesInterpolateBetweenOrderStatistics() {
        double[] sorted = {1, 2, 3, 4, 5};
        assertThat(ScanBootstrap.percentile(sorted, 0)).isEqualTo(1);
        assertThat(ScanBootstrap.percentile(sorted, 1)).isEqualTo(5);
        assertThat(ScanBootstrap.percentile(sorted, 0.5)).isEqualTo(3);
        assertThat(ScanBootstrap.percentile(sorted, 0.1)).isEqualTo(1.4, within(1e-12));
    }

    @Test
    void pairedReportsMustHoldAsManyScans() {
        List<ScanScore> one = List.of(scan("a", 0.9, 0.8, 5, 5));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ScanBootstrap.difference(one, List.of(), Figure.LUNG_DICE, 10, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 vs 0");
    }
}
