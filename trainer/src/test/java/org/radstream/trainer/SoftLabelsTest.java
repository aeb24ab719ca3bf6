package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SoftLabelsTest {

    @Test
    void everyVoteCombinationGetsThePaperValue() {
        // pixel:          0      1      2      3      4      5      6      7
        boolean[] label = {true, true, true, false, true, false, false, false};
        boolean[] a = {true, true, false, true, false, true, false, false};
        boolean[] b = {true, false, true, true, false, false, true, false};
        float[] soft = SoftLabels.update(label, a, b);
        assertThat(soft).containsExactly(1.0f, 0.8f, 0.8f, 0.8f, 0.6f, 0.4f, 0.4f, 0.0f);
        // the paper's targets are the vote itself; the majority keeps what two of the three say
        assertThat(SumTargets.SOFT.of(soft)).isSameAs(soft);
        assertThat(SumTargets.MAJORITY.of(soft)).containsExactly(1f, 1f, 1f, 1f, 0f, 0f, 0f, 0f);
        assertThat(soft).containsExactly(1.0f, 0.8f, 0.8f, 0.8f, 0.6f, 0.4f, 0.4f, 0.0f);
    }

    @Test
    void probabilitiesAreThresholdedAtOneHalf() {
        boolean[] label = {false, false, true};
        float[] pa = {0.5f, 0.49f, 0.9f};
        float[] pb = {0.2f, 0.51f, 0.7f};
        assertThat(SoftLabels.update(label, pa, pb)).containsExactly(0.4f, 0.4f, 1.0f);
    }

    @Test
    void smallSquareMaskWithNetworksThatOverAndUnderSegment() {
        // 4×4: label = 2×2 square in the middle; network A adds one pixel, network B misses one
        boolean[] label = new boolean[16];
        for (int i : new int[] {5, 6, 9, 10}) {
            label[i] = true;
        }
        boolean[] a = label.clone();
        a[11] = true;
        boolean[] b = label.clone();
        b[10] = false;
        float[] soft = SoftLabels.update(label, a, b);
        assertThat(soft[5]).isEqualTo(1.0f);
        assertThat(soft[10]).isEqualTo(0.8f);
        assertThat(soft[11]).isEqualTo(0.4f);
        assertThat(soft[0]).isEqualTo(0f);
        double sum = 0;
        for (float v : soft) {
            sum += v;
        }
        assertThat(sum).isCloseTo(3 * 1.0 + 0.8 + 0.4, org.assertj.core.data.Offset.offset(1e-6));
    }

    @Test
    void sizesMustMatch() {
        assertThatThrownBy(() -> SoftLabels.update(new boolean[2], new boolean[2], new boolean[3]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("differ in size");
    }
}
