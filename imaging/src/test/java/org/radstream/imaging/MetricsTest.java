package org.radstream.imaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class MetricsTest {
    static Mask3D sphere(int w, int h, int d, double sx, double sy, double sz, double cx, double cy, double cz, double r) {
        Mask3D m = new Mask3D(w, h, d);
        for (int z = 0; z < d; z++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double dx = x * sx - cx;
                    double dy = y * sy - cy;
                    double dz = z * sz - cz;
                    m.set(x, y, z, dx * dx + dy * dy + dz * dz <= r * r);
                }
            }
        }
        return m;
    }

    @Test
    void infectionFoundIsSplitIntoConsolidationAndGroundGlass() {
        // 10 voxels of truth infection: 4 consolidation (0 HU), 6 ground glass (-500 HU)
        float[] hu = new float[20];
        java.util.Arrays.fill(hu, -850f);
        Mask3D truth = new Mask3D(20, 1, 1);
        Mask3D predicted = new Mask3D(20, 1, 1);
        for (int i = 0; i < 10; i++) {
            truth.set(i, true);
            hu[i] = i < 4 ? 0f : -500f;
        }
        predicted.set(0, true);          // 1 of 4 consolidation voxels
        for (int i = 4; i < 10; i++) {   // every ground-glass voxel, and one false positive
            predicted.set(i, true);
        }
        predicted.set(15, true);
        Volume v = new Volume(hu, 20, 1, 1, 1, 1, 1);
        assertThat(Metrics.recallInBand(predicted, truth, v, -250, Double.POSITIVE_INFINITY)).isEqualTo(0.25);
        assertThat(Metrics.recallInBand(predicted, truth, v, Double.NEGATIVE_INFINITY, -250)).isEqualTo(1.0);
        assertThat(Metrics.recallInBand(predicted, truth, v, 100, 200)).isNaN();

        org.radstream.imaging.eval.ScanScore s = org.radstream.imaging.eval.ScanScore.of("s", v, truth, predicted, truth, truth);
        assertThat(s.consolidationFound()).isEqualTo(0.25);
        assertThat(s.ggoFound()).isEqualTo(1.0);
        assertThat(s.infectionDice()).isEqualTo(2.0 * 7 / (10 + 8));
        // voxel 15 touches no true lesion: a perfect component classifier would take it, and only it
        assertThat(s.strayInfectionMl()).isEqualTo(0.001);
        assertThat(s.infectionDiceWithoutStray()).isEqualTo(2.0 * 7 / (10 + 7));

        // a healthy scan with a false finding and one without: one patient of two told "infected"
        Mask3D none = new Mask3D(truth.width(), truth.height(), truth.depth());
        org.radstream.imaging.eval.ScanScore falseFinding = org.radstream.imaging.eval.ScanScore.of("h1", v, truth, predicted, truth, none);
        org.radstream.imaging.eval.ScanScore clean = org.radstream.imaging.eval.ScanScore.of("h2", v, truth, none, truth, none);
        org.radstream.imaging.eval.EvaluationReport r = new org.radstream.imaging.eval.EvaluationReport("m", "c",
                java.util.Map.of(), java.util.List.of(s, falseFinding, clean), "");
        assertThat(r.healthyScans()).isEqualTo(2);
        assertThat(r.healthyReportedInfected()).isEqualTo(1);
        assertThat(r.largestHealthyFindingMl()).isEqualTo(falseFinding.predInfectionMl()).isPositive();
        assertThat(falseFinding.infectionDice()).isNaN(); // the Dice mean does not see it
        assertThat(r.toTable()).contains("healthy scans reported infected: 1 of 2");
        assertThat(falseFinding.strayInfectionMl()).isEqualTo(falseFinding.predInfectionMl());
        assertThat(r.strayInfectionMl()).isCloseTo(0.001 + falseFinding.predInfectionMl(), org.assertj.core.api.Assertions.within(1e-12));
        assertThat(r.toTable()).contains("without it (a perfect component classifier) infection m-Dice 0.824");
        assertThat(r.toJson()).containsEntry("healthy_reported_infected", 1L);
    }

    @Test
    void sphereVolumeAtAnisotropicSpacing() {
        double r = 20;
        Mask3D s = sphere(80, 80, 30, 0.7, 0.7, 2.5, 28, 28, 37.5, r);
        double expected = 4.0 / 3 * Math.PI * r * r * r / 1000;
        assertThat(s.volumeMl(0.7, 0.7, 2.5)).isCloseTo(expected, within(expected * 0.03));
    }

    @Test
    void hd95OfOffsetSpheresIsTheOffset() {
        double sx = 0.8;
        double sz = 2.0;
        double d = 6;
        Mask3D a = sphere(90, 90, 40, sx, sx, sz, 36, 36, 40, 18);
        Mask3D b = sphere(90, 90, 40, sx, sx, sz, 36 + d, 36, 40, 18);
        double hd100 = Metrics.hausdorffPercentile(a, b, sx, sx, sz, 100);
        double hd95 = Metrics.hausdorff95Mm(a, b, sx, sx, sz);
        // the farthest surface points are offset by exactly d; the 95th percentile of |d cos θ| is 0.95 d
        assertThat(hd100).isCloseTo(d, within(sx));
        assertThat(hd95).isCloseTo(0.95 * d, within(sx)).isLessThanOrEqualTo(hd100);
        // offset along the coarse z axis is measured in mm too
        Mask3D c = sphere(90, 90, 40, sx, sx, sz, 36, 36, 40 + 3 * sz, 18);
        assertThat(Metrics.hausdorffPercentile(a, c, sx, sx, sz, 100)).isCloseTo(3 * sz, within(sx));
        assertThat(Metrics.hausdorff95Mm(a, a, sx, sx, sz)).isZero();
    }

    @Test
    void hd95EmptyCases() {
        Mask3D e = new Mask3D(4, 4, 4);
        Mask3D one = new Mask3D(4, 4, 4);
        one.set(1, 1, 1, true);
        assertThat(Metrics.hausdorff95Mm(e, e, 1, 1, 1)).isZero();
        assertThat(Metrics.hausdorff95Mm(e, one, 1, 1, 1)).isNaN();
    }

    @Test
    void diceOfHandMadeMasksIsExact() {
        Mask3D a = new Mask3D(4, 1, 1);
        Mask3D b = new Mask3D(4, 1, 1);
        a.set(0, true);
        a.set(1, true);
        a.set(2, true);
        b.set(2, true);
        b.set(3, true);
        assertThat(Metrics.dice(a, b)).isEqualTo(2.0 * 1 / 5);
        assertThat(Metrics.dice(a, a)).isEqualTo(1.0);
        assertThat(Metrics.dice(new Mask3D(2, 2, 2), new Mask3D(2, 2, 2))).isEqualTo(1.0);
    }

    @Test
    void poirPearsonMape() {
        assertThat(Metrics.poir(50, 200)).isEqualTo(25.0);
        assertThat(Metrics.poir(5, 0)).isZero();
        assertThat(Metrics.pearson(new double[] {1, 2, 3}, new double[] {2, 4, 6})).isCloseTo(1.0, within(1e-12));
        assertThat(Metrics.pearson(new double[] {1, 2, 3}, new double[] {3, 2, 1})).isCloseTo(-1.0, within(1e-12));
        assertThat(Metrics.mape(new double[] {11, 9, 5}, new double[] {10, 10, 0})).isCloseTo(10.0, within(1e-12));
    }
}
