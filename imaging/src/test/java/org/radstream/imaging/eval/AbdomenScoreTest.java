package org.radstream.imaging.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.radstream.imaging.Mask3D;
import org.junit.jupiter.api.Test;

/** An abdominal scan's scores from small exact masks. */
class AbdomenScoreTest {

    /** A mask of {@code w}×{@code h}×{@code d} holding the voxels x in [x0, x1), every row and slice. */
    private static Mask3D columns(int w, int h, int d, int x0, int x1) {
        Mask3D m = new Mask3D(w, h, d);
        for (int z = 0; z < d; z++) {
            for (int y = 0; y < h; y++) {
                for (int x = x0; x < x1; x++) {
                    m.set(z * w * h + y * w + x, true);
                }
            }
        }
        return m;
    }

    @Test
    void liverAndVesselsAreScoredAgainstTheirTruth() {
        // 10×10×2 voxels of 1 mm, 1 mm, 5 mm: a column of 10 voxels is 0.05 ml.
        Mask3D liverTruth = columns(10, 10, 2, 0, 6);
        Mask3D liver = columns(10, 10, 2, 0, 4);
        Mask3D vesselTruth = columns(10, 10, 2, 2, 3);
        Mask3D vessel = columns(10, 10, 2, 2, 4);
        AbdomenScore s = AbdomenScore.of("scan-0021", 1, 1, 5, liver, liverTruth, 0.9, vessel, vesselTruth, 0.7);
        assertThat(s.truthLiverMl()).isEqualTo(0.6, within(1e-12));
        assertThat(s.predLiverMl()).isEqualTo(0.4, within(1e-12));
        assertThat(s.liverDice()).isEqualTo(2.0 * 80 / (120 + 80), within(1e-12));
        assertThat(s.truthVesselMl()).isEqualTo(0.1, within(1e-12));
        assertThat(s.vesselDice()).isEqualTo(2.0 * 20 / (20 + 40), within(1e-12));
        // Every predicted voxel is within 1 mm of the truth, every true one on it: HD95 1 mm.
        assertThat(s.vesselHd95Mm()).isEqualTo(1.0, within(1e-9));
        assertThat(s.liverStability()).isEqualTo(0.9);
        assertThat(s.vesselStability()).isEqualTo(0.7);
    }

    @Test
    void withoutAVesselNetworkOnlyTheLiverIsScored() {
        Mask3D liverTruth = columns(10, 10, 2, 0, 6);
        AbdomenScore s = AbdomenScore.of("scan-0022", 1, 1, 5, liverTruth, liverTruth, 0.95, null,
                columns(10, 10, 2, 2, 3), Double.NaN);
        assertThat(s.liverDice()).isEqualTo(1.0);
        assertThat(s.truthVesselMl()).isEqualTo(0.1, within(1e-12));
        assertThat(s.vesselDice()).isNaN();
        assertThat(s.vesselHd95Mm()).isNaN();
        assertThat(s.predVesselMl()).isNaN();
        // The vessel figures are then not measured, not zero.
        assertThat(AbdomenFigure.VESSEL_DICE.of(java.util.List.of(s))).isNaN();
        assertThat(AbdomenFigure.LIVER_DICE.of(java.util.List.of(s))).isEqualTo(1.0);
    }
}
