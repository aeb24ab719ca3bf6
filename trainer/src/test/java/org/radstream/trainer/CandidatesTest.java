package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.radstream.imaging.Mask3D;

/** Classifier patches from any candidate masks: labelled by their overlap with the infection label. */
class CandidatesTest {

    @Test
    void componentsInsideTheLabelArePositiveAndOutsideNegative() {
        ScanData scan = TaskTrainerTest.disks("s", 32, 4);
        Mask3D inside = scan.label().copy();
        Mask3D outside = new Mask3D(32, 32, 4);
        for (int z = 0; z < 4; z++) {
            for (int y = 0; y < 3; y++) {
                for (int x = 0; x < 3; x++) {
                    outside.set(z * 32 * 32 + y * 32 + x, true); // a 3×3 corner speck, far from the disk
                }
            }
        }
        Candidates.Patches pos = Candidates.from(List.of(scan), List.of(inside), 16, 4, 100, 1);
        Candidates.Patches neg = Candidates.from(List.of(scan), List.of(outside), 16, 4, 100, 1);
        long disks = java.util.stream.IntStream.range(0, 4).filter(z -> {
            boolean[] s = scan.label().slice(z);
            int n = 0;
            for (boolean b : s) {
                n += b ? 1 : 0;
            }
            return n >= 4;
        }).count();
        assertThat(pos.size()).isEqualTo((int) disks).isPositive();
        assertThat(pos.positives()).isEqualTo(pos.size());
        assertThat(neg.size()).isEqualTo(4);
        assertThat(neg.positives()).isZero();
        assertThat(pos.patches()).allSatisfy(p -> assertThat(p).hasSize(16 * 16));

        Candidates.Patches both = Candidates.concat(pos, neg);
        assertThat(both.size()).isEqualTo(pos.size() + neg.size());
        assertThat(both.positives()).isEqualTo(pos.positives());
    }
}
