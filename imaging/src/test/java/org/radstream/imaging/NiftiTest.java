package org.radstream.imaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class NiftiTest {
    private static final double[] ORIGIN = {-180.5, -160.25, -312.0};

    /** An asymmetric mask: a different voxel count on every slice and row. */
    private static Mask3D mask() {
        Mask3D m = new Mask3D(6, 5, 4);
        for (int z = 0; z < 4; z++) {
            for (int x = 0; x <= z + 1; x++) {
                m.set(x, z, z, true);
            }
        }
        m.set(5, 4, 3, true);
        return m;
    }

    private static double[][] axial() {
        return Nifti.affine(ORIGIN, new double[] {1, 0, 0}, new double[] {0, 1, 0}, 0.7, 0.7, 2.5);
    }

    @Test
    void aMaskWrittenIsReadBackOntoItsOwnGridWithOrWithoutGzip() throws Exception {
        for (boolean gzip : new boolean[] {true, false}) {
            byte[] file = Nifti.write(mask(), axial(), gzip);
            assertThat(file[0] == (byte) 0x1f).isEqualTo(gzip);
            Nifti.Image image = Nifti.read(file);
            assertThat(new int[] {image.nx(), image.ny(), image.nz()}).containsExactly(6, 5, 4);
            assertThat(Nifti.onGrid(image, axial(), 6, 5, 4)).isEqualTo(mask());
        }
    }

    @Test
    void theRasAffineOfAnAxialDicomGridFlipsXAndY() {
        double[][] a = axial();
        // voxel (1, 2, 3) at LPS origin + (0.7, 1.4, 7.5): RAS negates x and y
        double[] ras = new double[3];
        for (int r = 0; r < 3; r++) {
            ras[r] = a[r][0] + 2 * a[r][1] + 3 * a[r][2] + a[r][3];
        }
        assertThat(ras).containsExactly(new double[] {180.5 - 0.7, 160.25 - 1.4, -312.0 + 7.5},
                org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void theQformAloneSaysTheSameAsTheSformForEveryOrientation() throws Exception {
        double[][][] orientations = {
            {{1, 0, 0}, {0, 1, 0}},     // axial, head first supine
            {{-1, 0, 0}, {0, -1, 0}},   // axial, rotated 180°
            {{1, 0, 0}, {0, 0, -1}},    // coronal
            {{0, 1, 0}, {0, 0, -1}},    // sagittal
            {{0.8, 0.6, 0}, {-0.6, 0.8, 0}}};
        for (double[][] o : orientations) {
            double[][] grid = Nifti.affine(ORIGIN, o[0], o[1], 0.7, 0.8, 2.5);
            byte[] file = Nifti.write(mask(), grid, false);
            ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).putShort(254, (short) 0); // no sform
            assertThat(Nifti.onGrid(Nifti.read(file), grid, 6, 5, 4)).as("orientation %s", (Object) o).isEqualTo(mask());
        }
    }

    @Test
    void aFileWhoseAxesRunTheOtherWayOrInAnotherOrderLandsOnTheSameVoxels() {
        Mask3D m = mask();
        double[][] grid = axial();
        // the same voxels stored z fastest, y reversed: (k, 4 - j, i), with the affine that says so
        boolean[] voxels = new boolean[4 * 5 * 6];
        for (int z = 0; z < 4; z++) {
            for (int y = 0; y < 5; y++) {
                for (int x = 0; x < 6; x++) {
                    int i = z;
                    int j = 4 - y;
                    int k = x;
                    voxels[(k * 5 + j) * 4 + i] = m.get(x, y, z);
                }
            }
        }
        // file voxel (i, j, k) is grid voxel (k, 4 - j, i)
        double[][] fileToGrid = {{0, 0, 1, 0}, {0, -1, 0, 4}, {1, 0, 0, 0}, {0, 0, 0, 1}};
        Nifti.Image image = new Nifti.Image(4, 5, 6, voxels, Nifti.multiply(grid, fileToGrid));
        assertThat(Nifti.onGrid(image, grid, 6, 5, 4)).isEqualTo(m);
    }

    @Test
    void whatCannotBeMappedVoxelForVoxelIsRefusedWithTheReason() {
        double[][] grid = axial();
        boolean[] voxels = new boolean[6 * 5 * 4];
        voxels[0] = true;
        double[][] oblique = Nifti.affine(ORIGIN, new double[] {0.8, 0.6, 0}, new double[] {-0.6, 0.8, 0}, 0.7, 0.7, 2.5);
        assertThatThrownBy(() -> Nifti.onGrid(new Nifti.Image(6, 5, 4, voxels, oblique), grid, 6, 5, 4))
                .hasMessageContaining("do not fall one to one onto the series'");
        double[][] halfShifted = axial();
        halfShifted[0][3] += 0.35;
        assertThatThrownBy(() -> Nifti.onGrid(new Nifti.Image(6, 5, 4, voxels, halfShifted), grid, 6, 5, 4))
                .hasMessageContaining("shifted by -0.500 voxels");
        double[][] coarser = Nifti.affine(ORIGIN, new double[] {1, 0, 0}, new double[] {0, 1, 0}, 1.4, 0.7, 2.5);
        assertThatThrownBy(() -> Nifti.onGrid(new Nifti.Image(6, 5, 4, voxels, coarser), grid, 6, 5, 4))
                .hasMessageContaining("do not fall one to one");
        assertThatThrownBy(() -> Nifti.onGrid(new Nifti.Image(6, 5, 4, voxels, grid), grid, 6, 5, 5))
                .hasMessage("the label map is 6×5×4; the series is 6×5×5");
        double[][] beyond = axial();
        beyond[2][3] -= 2.5; // one slice lower: its first slice falls below the grid
        assertThatThrownBy(() -> Nifti.onGrid(new Nifti.Image(6, 5, 4, voxels, beyond), grid, 6, 5, 4))
                .hasMessageContaining("reaches beyond the series' grid");
    }

    /** A label map as a tool may save it: unsigned 16-bit labels (2 for the mask), sform only, in {@code order}. */
    private static byte[] uint16(Mask3D m, double[][] affine, ByteOrder order) {
        ByteBuffer b = ByteBuffer.allocate(352 + 2 * m.size()).order(order);
        b.putInt(0, 348);
        short[] dim = {3, (short) m.width(), (short) m.height(), (short) m.depth(), 1, 1, 1, 1};
        for (int i = 0; i < 8; i++) {
            b.putShort(40 + 2 * i, dim[i]);
        }
        b.putShort(70, (short) 512).putShort(72, (short) 16);
        b.putFloat(108, 352f);
        b.putShort(254, (short) 2); // sform: aligned to another scan
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 4; c++) {
                b.putFloat(280 + 16 * r + 4 * c, (float) affine[r][c]);
            }
        }
        b.put(344, (byte) 'n').put(345, (byte) '+').put(346, (byte) '1');
        for (int i = 0; i < m.size(); i++) {
            b.putShort(352 + 2 * i, (short) (m.get(i) ? 2 : 0));
        }
        return b.array();
    }

    @Test
    void sixteenBitLabelsInEitherByteOrderAreRead() throws Exception {
        for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
            Nifti.Image image = Nifti.read(uint16(mask(), axial(), order));
            assertThat(Nifti.onGrid(image, axial(), 6, 5, 4)).as("%s", order).isEqualTo(mask());
        }
    }

    @Test
    void aFileThatIsNotALabelMapIsRefused() {
        assertThatThrownBy(() -> Nifti.read(new byte[100])).hasMessageContaining("shorter than its 348-byte header");
        byte[] file = Nifti.write(mask(), axial(), false);
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(252, (short) 0).putShort(254, (short) 0);
        assertThatThrownBy(() -> Nifti.read(file)).hasMessageContaining("neither an sform nor a qform");
        byte[] truncated = java.util.Arrays.copyOf(Nifti.write(mask(), axial(), false), 400);
        assertThatThrownBy(() -> Nifti.read(truncated)).hasMessageContaining("need 120");
    }
}
