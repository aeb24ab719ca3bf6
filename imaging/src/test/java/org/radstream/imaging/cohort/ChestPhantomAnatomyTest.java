package org.radstream.imaging.cohort;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Checks the chest phantom's anatomy against figures measured on clinical CT, so that realism
 * questions about the cohort are answered by measurement rather than by guess.
 */
class ChestPhantomAnatomyTest {

    /**
     * Intrapulmonary vessels (those inside the lung label, i.e. radius below 4 mm) as a share of
     * the lung label, on a 1 mm grid. Sun et al. (Chin J Appl Physiol 2015;31(4):326-329) measured
     * 125 ± 32 mL of pulmonary vessel blood in 3705 ± 857 mL of lung plus vessels on CT of twelve
     * healthy volunteers: 3.4%, with 2.5–5% covering their ranges.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void intrapulmonaryVesselVolumeIsTheShareMeasuredOnClinicalCt(long seed) {
        ChestPhantom p = ChestPhantom.create(seed, 0);
        double z0 = p.lowestLungZ();
        int w = (int) (2 * p.a) + 2;
        int h = (int) (2 * p.b) + 2;
        int d = (int) (p.apexZ - z0) + 2;
        ScanGeometry g = new ScanGeometry(w, h, d, 1, 1, 1, -p.a, -p.b, z0);
        boolean[] vessel = new boolean[g.size()];
        boolean[] hilar = new boolean[g.size()];
        for (Tube t : p.vessels) {
            boolean[] into = t.radius() >= 4 ? hilar : vessel;
            t.forEachVoxel(g, 0, (idx, dist) -> {
                if (dist <= t.radius()) {
                    into[idx] = true;
                }
            });
        }
        long lung = 0;
        long vessels = 0;
        for (int k = 0; k < d; k++) {
            for (int j = 0; j < h; j++) {
                for (int i = 0; i < w; i++) {
                    int idx = g.index(i, j, k);
                    if (!hilar[idx] && p.lungSide(g.x(i), g.y(j), g.z(k)) >= 0) {
                        lung++;
                        if (vessel[idx]) {
                            vessels++;
                        }
                    }
                }
            }
        }
        double share = (double) vessels / lung;
        assertThat(lung / 1000.0).as("lung volume, mL").isBetween(2000.0, 5500.0);
        assertThat(share).as("intrapulmonary vessel share of the lung").isBetween(0.025, 0.05);
    }
}
