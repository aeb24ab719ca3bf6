package org.radstream.workers;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.radstream.imaging.Mask3D;

class PostProcessingTest {

    private static void box(Mask3D m, int x0, int y0, int z0, int x1, int y1, int z1) {
        for (int z = z0; z < z1; z++) {
            for (int y = y0; y < y1; y++) {
                for (int x = x0; x < x1; x++) {
                    m.set(x, y, z, true);
                }
            }
        }
    }

    @Test
    void lungKeepsTheTwoLargestComponents() {
        Mask3D raw = new Mask3D(20, 10, 3);
        box(raw, 1, 1, 0, 6, 9, 3);   // 5×8×3 = 120
        box(raw, 8, 1, 0, 12, 9, 3);  // 4×8×3 = 96
        box(raw, 15, 1, 1, 17, 3, 2); // 2×2×1 = 4: stomach gas
        Mask3D lung = PostProcessing.lung(raw);
        assertThat(lung.count()).isEqualTo(216);
        assertThat(lung.get(16, 2, 1)).isFalse();
        assertThat(lung.get(1, 1, 0)).isTrue();
    }

    @Test
    void liverKeepsTheLargestComponentAndVesselsStayInsideItsDilation() {
        Mask3D raw = new Mask3D(30, 30, 5);
        box(raw, 5, 5, 1, 15, 15, 4);   // liver 10×10×3 = 300
        box(raw, 25, 25, 2, 27, 27, 3); // spleen-like blob 4
        Mask3D liver = PostProcessing.liver(raw);
        assertThat(liver.count()).isEqualTo(300);
        Mask3D region = PostProcessing.vesselRegion(liver);
        Mask3D vessels = new Mask3D(30, 30, 5);
        vessels.set(10, 10, 2, true);  // inside the liver
        vessels.set(17, 10, 2, true);  // 3 voxels beyond its edge (x = 14): inside the dilation
        vessels.set(18, 10, 2, true);  // 4 voxels beyond: outside
        vessels.set(26, 26, 2, true);  // in the dropped blob
        Mask3D kept = PostProcessing.vessels(vessels, region);
        assertThat(kept.count()).isEqualTo(2);
        assertThat(kept.get(10, 10, 2)).isTrue();
        assertThat(kept.get(17, 10, 2)).isTrue();
    }

    /** Accepts a patch when its mean is above 0.5; records the patches it saw. */
    private static final class MeanClassifier implements RegionClassifier {
        final List<float[]> seen = new ArrayList<>();

        @Override public int patchSize() { return 8; }
        @Override public double windowLowHu() { return -1200; }
        @Override public double windowHighHu() { return 600; }

        @Override
        public boolean[] accept(float[][] patches) {
            boolean[] out = new boolean[patches.length];
            for (int i = 0; i < patches.length; i++) {
                seen.add(patches[i]);
                double sum = 0;
                for (float v : patches[i]) {
                    sum += v;
                }
                out[i] = sum / patches[i].length > 0.5;
            }
            return out;
        }
    }

    @Test
    void infectionKeepsTheComponentsReachingIntoTheLungWholeAndDropsRejectedOnes() throws Exception {
        int w = 24;
        int h = 24;
        Mask3D lung = new Mask3D(w, h, 2);
        box(lung, 2, 2, 0, 22, 22, 2);
        Mask3D candidates = new Mask3D(w, h, 2);
        box(candidates, 4, 4, 0, 8, 8, 1);     // lesion: 16 voxels on a bright patch
        box(candidates, 14, 4, 0, 15, 12, 1);  // line: 8 voxels on a dark patch
        box(candidates, 4, 14, 1, 7, 17, 2);   // lesion on slice 1: 9 voxels, bright
        box(candidates, 0, 0, 1, 2, 2, 2);     // outside the lung: 4 voxels, never classified
        box(candidates, 0, 18, 0, 4, 21, 1);   // subpleural, half outside the lung: 12 voxels, bright
        float[][] image = new float[2][w * h];
        for (int z = 0; z < 2; z++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    image[z][y * w + x] = x < 12 ? 0.9f : 0.1f;
                }
            }
        }
        MeanClassifier clf = new MeanClassifier();
        PostProcessing.Filtered f = PostProcessing.infection(candidates, lung, clf, z -> image[z], 2);
        assertThat(f.removed()).isEqualTo(1);
        assertThat(f.mask().count()).isEqualTo(16 + 9 + 12);
        assertThat(f.mask().get(14, 5, 0)).isFalse();
        assertThat(f.mask().get(0, 0, 1)).isFalse();
        assertThat(f.mask().get(0, 18, 0)).as("the part outside the lung stays").isTrue();
        assertThat(clf.seen).hasSize(4).allMatch(p -> p.length == 64);

        PostProcessing.Filtered unfiltered = PostProcessing.infection(candidates, lung, null, z -> image[z], 2);
        assertThat(unfiltered.removed()).isZero();
        assertThat(unfiltered.mask().count()).isEqualTo(16 + 8 + 9 + 12);
    }
}
