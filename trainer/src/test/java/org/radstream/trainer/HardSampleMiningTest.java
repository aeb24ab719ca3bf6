package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class HardSampleMiningTest {

    @Test
    void hardSlicesAreThoseBelowTheThresholdHardestFirst() {
        double[] dice = {0.95, 0.40, 0.70, 0.69, Double.NaN, 0.10, 0.99};
        assertThat(HardSampleMining.hard(dice, 0.7)).containsExactly(4, 5, 1, 3);
    }

    @Test
    void noHardSlicesWhenAllAreGood() {
        assertThat(HardSampleMining.hard(new double[] {0.8, 0.9}, 0.7)).isEmpty();
    }

    @Test
    void splitIsADisjointSeededHalving() {
        HardSampleMining.Split s = HardSampleMining.split(11, 7);
        assertThat(s.train()).hasSize(6);
        assertThat(s.scored()).hasSize(5);
        int[] all = IntStream.concat(Arrays.stream(s.train()), Arrays.stream(s.scored())).sorted().toArray();
        assertThat(all).containsExactly(IntStream.range(0, 11).toArray());
        HardSampleMining.Split again = HardSampleMining.split(11, 7);
        assertThat(again.train()).containsExactly(s.train());
    }

    @Test
    void sliceDiceCountsOverlap() {
        boolean[] p = {true, true, false, false};
        float[] t = {1f, 0f, 1f, 0f};
        assertThat(HardSampleMining.dice(p, t)).isEqualTo(0.5);
        assertThat(HardSampleMining.dice(new boolean[2], new float[2])).isEqualTo(1.0);
    }
}
