package org.radstream.imaging.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class StabilityRankingTest {
    @Test
    void aStabilityThatOrdersScansAsTheirDiceRanksThemPerfectly() {
        StabilityRanking r = StabilityRanking.of(new double[] {0.9, 0.5, 0.7, 0.95}, new double[] {0.8, 0.3, 0.6, 0.85});
        assertThat(r.scans()).isEqualTo(4);
        assertThat(r.spearman()).isCloseTo(1.0, Offset.offset(1e-12));
        assertThat(r.reviewed()).isEqualTo(1);
        assertThat(r.worstFound()).isEqualTo(1); // the least stable is the worst segmented
        assertThat(r.toString()).isEqualTo("Spearman 1.00 over 4 scans; the 1 least stable include 1 of the 1 lowest Dice");
    }

    @Test
    void aReversedOrderIsMinusOneAndScansWithoutAFigureAreLeftOut() {
        StabilityRanking r = StabilityRanking.of(new double[] {0.1, 0.2, 0.3, 0.4, Double.NaN, 0.5, 0.6, 0.7, 0.8},
                new double[] {0.9, 0.8, 0.7, 0.6, 0.1, Double.NaN, 0.5, 0.4, 0.3});
        assertThat(r.scans()).isEqualTo(7);
        assertThat(r.spearman()).isCloseTo(-1.0, Offset.offset(1e-12));
        assertThat(r.reviewed()).isEqualTo(1); // a quarter of 7, at least one
        assertThat(r.worstFound()).isZero();
    }

    @Test
    void tiesTakeTheirMeanRank() {
        assertThat(StabilityRanking.ranks(new double[] {0.5, 0.2, 0.5, 0.9})).containsExactly(2.5, 1.0, 2.5, 4.0);
        // ranks (1, 2.5, 2.5, 4) against (2, 1, 3, 4): deviations (-1.5, 0, 0, 1.5) and (-0.5, -1.5, 0.5, 1.5)
        StabilityRanking r = StabilityRanking.of(new double[] {0.1, 0.5, 0.5, 0.9}, new double[] {0.2, 0.1, 0.3, 0.4});
        assertThat(r.spearman()).isCloseTo(3.0 / Math.sqrt(4.5 * 5.0), Offset.offset(1e-12));
    }

    @Test
    void tooFewScansAreNotMeasuredAndMismatchedArraysAreRefused() {
        assertThat(StabilityRanking.of(new double[] {0.5}, new double[] {0.5}).toString()).isEqualTo("not measured");
        assertThatThrownBy(() -> StabilityRanking.of(new double[] {0.5}, new double[] {0.5, 0.6}))
                .hasMessageContaining("1 stabilities for 2 Dice");
    }
}
