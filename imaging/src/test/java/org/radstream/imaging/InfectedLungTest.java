package org.radstream.imaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class InfectedLungTest {

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
    void consolidationAtThePleuraIsKeptWholeAndTheLungIncludesIt() {
        Mask3D lung = new Mask3D(20, 20, 3);
        box(lung, 5, 5, 0, 15, 15, 3);                 // 10 x 10 x 3 = 300 voxels
        Mask3D candidates = new Mask3D(20, 20, 3);
        box(candidates, 2, 8, 0, 7, 12, 2);            // subpleural: x 2..6, 5 x 4 x 2 = 40, 16 inside the lung
        box(candidates, 9, 9, 1, 11, 11, 2);           // inside the lung: 4
        box(candidates, 17, 17, 0, 19, 19, 3);         // outside, touching nothing: 12
        box(candidates, 0, 0, 2, 5, 5, 3);             // diagonal to the lung corner, no shared voxel: 25

        Mask3D kept = InfectedLung.reaching(lung, candidates);
        assertThat(kept.count()).isEqualTo(40 + 4);
        assertThat(kept.get(2, 8, 0)).as("outside part of a component reaching in").isTrue();
        assertThat(kept.get(17, 17, 0)).isFalse();
        assertThat(kept.get(0, 0, 2)).isFalse();

        InfectedLung result = InfectedLung.of(lung, kept);
        assertThat(result.infection()).isEqualTo(kept);
        assertThat(result.lung().count()).as("the lung grows by the 24 outside voxels").isEqualTo(300 + 24);
        assertThat(result.infection().andNot(result.lung()).isEmpty()).isTrue();
        assertThat(result.lung().andNot(lung).count()).isEqualTo(24);
    }

    @Test
    void noLungMeansNoInfection() {
        Mask3D candidates = new Mask3D(8, 8, 2);
        box(candidates, 1, 1, 0, 4, 4, 2);
        assertThat(InfectedLung.reaching(new Mask3D(8, 8, 2), candidates).isEmpty()).isTrue();
    }

    @Test
    void masksOfDifferentShapesAreRefused() {
        assertThatThrownBy(() -> InfectedLung.reaching(new Mask3D(8, 8, 2), new Mask3D(8, 8, 3)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("differ in shape");
        assertThatThrownBy(() -> InfectedLung.of(new Mask3D(8, 8, 2), new Mask3D(4, 8, 2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("differ in shape");
    }
}
