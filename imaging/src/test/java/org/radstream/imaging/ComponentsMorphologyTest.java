package org.radstream.imaging;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ComponentsMorphologyTest {
    static boolean[] parse(String... rows) {
        boolean[] b = new boolean[rows.length * rows[0].length()];
        for (int y = 0; y < rows.length; y++) {
            for (int x = 0; x < rows[y].length(); x++) {
                b[y * rows[0].length() + x] = rows[y].charAt(x) == '#';
            }
        }
        return b;
    }

    @Test
    void labels2DBySizeWithConnectivity() {
        boolean[] s = parse(
                "##...",
                "##..#",
                "...#.",
                ".....");
        ComponentLabels face = Components.label2D(s, 5, 4, Connectivity.FACE);
        assertThat(face.count()).isEqualTo(3);
        assertThat(face.size(1)).isEqualTo(4);
        assertThat(face.size(2)).isEqualTo(1);
        assertThat(face.label(0)).isEqualTo(1);
        assertThat(face.label(9)).isEqualTo(2); // first in scan order among ties
        ComponentLabels full = Components.label2D(s, 5, 4, Connectivity.FULL);
        assertThat(full.count()).isEqualTo(2);
        assertThat(full.size(2)).isEqualTo(2);
    }

    @Test
    void dropsComponentsBelowAVolumeAndKeepsOneOfExactlyIt() {
        // voxels of 0.1 ml: a 3-voxel speck (0.3 ml) across two slices and a 5-voxel lesion (0.5 ml)
        Mask3D m = new Mask3D(6, 4, 2);
        m.set(0, 0, 0, true);
        m.set(1, 0, 0, true);
        m.set(1, 0, 1, true);
        for (int x = 1; x < 6; x++) {
            m.set(x, 3, 1, true);
        }
        Mask3D lesion = new Mask3D(6, 4, 2);
        for (int x = 1; x < 6; x++) {
            lesion.set(x, 3, 1, true);
        }
        assertThat(Components.withoutSmallerThan(m, 0.5, 0.1, Connectivity.FACE)).isEqualTo(lesion);
        assertThat(Components.withoutSmallerThan(m, 0.3, 0.1, Connectivity.FACE)).isEqualTo(m);
        assertThat(Components.withoutSmallerThan(m, 0.51, 0.1, Connectivity.FACE).isEmpty()).isTrue();
        assertThat(Components.withoutSmallerThan(m, 0, 0.1, Connectivity.FACE)).isSameAs(m);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Components.withoutSmallerThan(m, -1, 0.1, Connectivity.FACE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minimum component volume");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Components.withoutSmallerThan(m, 0.5, 0, Connectivity.FACE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("voxel volume");
    }

    @Test
    void keepsLargest3D() {
        Mask3D m = new Mask3D(5, 5, 3);
        m.set(0, 0, 0, true);
        m.set(0, 0, 1, true);
        m.set(0, 0, 2, true);
        m.set(4, 4, 0, true);
        m.set(4, 4, 2, true);
        ComponentLabels l = Components.label3D(m, Connectivity.FACE);
        assertThat(l.count()).isEqualTo(3);
        Mask3D largest = Components.keepLargest(m, 1, Connectivity.FACE);
        assertThat(largest.count()).isEqualTo(3);
        assertThat(largest.get(0, 0, 2)).isTrue();
        assertThat(largest.get(4, 4, 0)).isFalse();
        assertThat(l.atLeast(2)).isEqualTo(largest);
    }

    @Test
    void dilationAndErosion() {
        Mask3D m = new Mask3D(5, 5, 5);
        m.set(2, 2, 2, true);
        Mask3D d3 = Morphology.dilate3D(m, 1);
        assertThat(d3.count()).isEqualTo(7);
        assertThat(Morphology.dilate3D(m, 2).count()).isEqualTo(25);
        assertThat(Morphology.dilate2D(m, 1).count()).isEqualTo(5);
        assertThat(Morphology.erode3D(d3, 1)).isEqualTo(m);
        Mask3D cube = new Mask3D(5, 5, 5);
        for (int z = 1; z < 4; z++) {
            for (int y = 1; y < 4; y++) {
                for (int x = 1; x < 4; x++) {
                    cube.set(x, y, z, true);
                }
            }
        }
        assertThat(Morphology.erode3D(cube, 1)).isEqualTo(m);
        assertThat(Morphology.erode2D(cube, 1).count()).isEqualTo(3);
        Mask3D full = new Mask3D(3, 3, 1);
        java.util.Arrays.fill(full.data(), true);
        assertThat(Morphology.erode2D(full, 1).count()).isEqualTo(1); // the border counts as background
    }

    @Test
    void boundingSquareEnclosesAndStaysInside() {
        boolean[] s = parse(
                "......",
                ".###..",
                "......",
                "......");
        BoundingSquare sq = BoundingSquare.of(s, 6, 4);
        assertThat(sq).isEqualTo(new BoundingSquare(1, 0, 3));
        boolean[] corner = parse(
                "##....",
                "......",
                "......",
                "......");
        assertThat(BoundingSquare.of(corner, 6, 4)).isEqualTo(new BoundingSquare(0, 0, 2));
        float[] img = new float[24];
        for (int i = 0; i < 24; i++) {
            img[i] = i;
        }
        assertThat(sq.crop(img, 6, 4, -1)).containsExactly(1, 2, 3, 7, 8, 9, 13, 14, 15);
    }
}
