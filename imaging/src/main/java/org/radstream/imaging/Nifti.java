package org.radstream.imaging;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Binary masks as NIfTI-1 label maps (.nii, or gzipped .nii.gz), the format radiologists'
 * segmentation tools (ITK-SNAP, 3D Slicer) open over a series and save corrections in.
 *
 * <p>A mask is written as unsigned 8-bit voxels (1 inside), x fastest, on its own grid, with the
 * grid's place in the patient as both the sform and the qform (NIfTI's RAS, mm). A file is read
 * back onto a series' grid ({@link #onGrid}) through the two affines: a tool may have saved it with
 * its axes in another order or direction, and such a file maps onto the grid voxel for voxel; one
 * whose grid is oblique to the series', shifted by part of a voxel or of another size cannot be
 * mapped without resampling, and is refused with the reason.
 */
public final class Nifti {
    private static final int HEADER = 348;
    private static final int DATA_OFFSET = 352;
    private static final short UINT8 = 2;
    private static final double TOLERANCE = 1e-3;

    private Nifti() {}

    /**
     * A label map as read: its dimensions, its voxels (non-zero = inside, x fastest) and its
     * voxel-to-RAS affine (4×4, mm).
     */
    public record Image(int nx, int ny, int nz, boolean[] voxels, double[][] affine) {}

    /**
     * The voxel-to-RAS affine of a DICOM grid: voxel (i, j, k) at {@code origin + i*sx*row +
     * j*sy*column + k*sz*(row × column)} in LPS, mm.
     */
    public static double[][] affine(double[] originLps, double[] row, double[] column, double sx, double sy, double sz) {
        double[] normal = {row[1] * column[2] - row[2] * column[1], row[2] * column[0] - row[0] * column[2],
                row[0] * column[1] - row[1] * column[0]};
        double[][] a = new double[4][4];
        for (int r = 0; r < 3; r++) {
            double toRas = r < 2 ? -1 : 1; // LPS to RAS: x and y change sign
            a[r][0] = toRas * row[r] * sx;
            a[r][1] = toRas * column[r] * sy;
            a[r][2] = toRas * normal[r] * sz;
            a[r][3] = toRas * originLps[r];
        }
        a[3][3] = 1;
        return a;
    }

    /** The mask as a NIfTI-1 file on {@code affine} ({@link #affine}): gzipped (.nii.gz) or not (.nii). */
    public static byte[] write(Mask3D mask, double[][] affine, boolean gzip) {
        if (mask.width() > Short.MAX_VALUE || mask.height() > Short.MAX_VALUE || mask.depth() > Short.MAX_VALUE) {
            throw new IllegalArgumentException("NIfTI-1 holds at most 32767 voxels an axis: " + mask);
        }
        ByteBuffer h = ByteBuffer.allocate(DATA_OFFSET).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(0, HEADER);
        short[] dim = {3, (short) mask.width(), (short) mask.height(), (short) mask.depth(), 1, 1, 1, 1};
        for (int i = 0; i < 8; i++) {
            h.putShort(40 + 2 * i, dim[i]);
        }
        h.putShort(70, UINT8);
        h.putShort(72, (short) 8);
        double[] spacing = new double[3];
        double[][] rotation = new double[3][3];
        for (int c = 0; c < 3; c++) {
            spacing[c] = Math.sqrt(affine[0][c] * affine[0][c] + affine[1][c] * affine[1][c] + affine[2][c] * affine[2][c]);
            for (int r = 0; r < 3; r++) {
                rotation[r][c] = affine[r][c] / spacing[c];
            }
        }
        double qfac = determinant(rotation) < 0 ? -1 : 1;
        if (qfac < 0) {
            for (int r = 0; r < 3; r++) {
                rotation[r][2] = -rotation[r][2];
            }
        }
        h.putFloat(76, (float) qfac);
        for (int c = 0; c < 3; c++) {
            h.putFloat(80 + 4 * c, (float) spacing[c]);
        }
        h.putFloat(108, DATA_OFFSET);
        h.putFloat(112, 1f); // scl_slope
        h.put(123, (byte) 2); // xyzt_units: mm
        byte[] description = "radstream mask".getBytes(StandardCharsets.US_ASCII);
        h.position(148);
        h.put(description);
        h.putShort(252, (short) 1); // qform_code: scanner
        h.putShort(254, (short) 1); // sform_code: scanner
        double[] q = quaternion(rotation);
        h.putFloat(256, (float) q[1]).putFloat(260, (float) q[2]).putFloat(264, (float) q[3]);
        h.putFloat(268, (float) affine[0][3]).putFloat(272, (float) affine[1][3]).putFloat(276, (float) affine[2][3]);
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 4; c++) {
                h.putFloat(280 + 16 * r + 4 * c, (float) affine[r][c]);
            }
        }
        h.position(344);
        h.put(new byte[] {'n', '+', '1', 0});
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (var sink = gzip ? new GZIPOutputStream(out) : out) {
            sink.write(h.array());
            byte[] voxels = new byte[mask.size()];
            for (int i = 0; i < voxels.length; i++) {
                voxels[i] = (byte) (mask.get(i) ? 1 : 0);
            }
            sink.write(voxels);
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory failed", e);
        }
        return out.toByteArray();
    }

    /** Reads a NIfTI-1 label map (.nii or .nii.gz, either byte order, integer or float voxels). */
    public static Image read(byte[] file) throws IOException {
        byte[] b = file;
        if (b.length >= 2 && (b[0] & 0xff) == 0x1f && (b[1] & 0xff) == 0x8b) {
            try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(file))) {
                b = in.readAllBytes();
            }
        }
        if (b.length < HEADER) {
            throw new IOException("not a NIfTI-1 file: " + b.length + " bytes, shorter than its 348-byte header");
        }
        ByteBuffer h = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        if (h.getInt(0) != HEADER) {
            h.order(ByteOrder.BIG_ENDIAN);
            if (h.getInt(0) != HEADER) {
                throw new IOException("not a NIfTI-1 file: its first four bytes are not 348 in either byte order");
            }
        }
        String magic = new String(b, 344, 3, StandardCharsets.US_ASCII);
        if (!magic.equals("n+1")) {
            throw new IOException("not a single-file NIfTI-1 (magic '" + magic.trim() + "', expected n+1; a .hdr/.img pair is not read)");
        }
        int dims = h.getShort(40);
        int nx = h.getShort(42);
        int ny = h.getShort(44);
        int nz = dims >= 3 ? h.getShort(46) : 1;
        for (int i = 4; i <= dims && i <= 7; i++) {
            if (h.getShort(40 + 2 * i) > 1) {
                throw new IOException("a label map has three dimensions; this file has " + dims + " (dim[" + i + "] = "
                        + h.getShort(40 + 2 * i) + ")");
            }
        }
        if (nx < 1 || ny < 1 || nz < 1) {
            throw new IOException("dimensions " + nx + "×" + ny + "×" + nz + " are not a volume");
        }
        int type = h.getShort(70);
        int bytesPer = switch (type) {
            case 2, 256 -> 1; // uint8, int8
            case 4, 512 -> 2; // int16, uint16
            case 8, 16, 768 -> 4; // int32, float32, uint32
            case 64 -> 8; // float64
            default -> throw new IOException("voxel type " + type + " is not a label map's (integers or floats)");
        };
        int offset = (int) h.getFloat(108);
        long n = (long) nx * ny * nz;
        if (offset < HEADER || offset + n * bytesPer > b.length) {
            throw new IOException("the file holds " + (b.length - Math.max(offset, HEADER)) + " bytes of voxels after offset "
                    + offset + "; " + nx + "×" + ny + "×" + nz + " voxels of " + bytesPer + " bytes need " + n * bytesPer);
        }
        boolean[] voxels = new boolean[(int) n];
        for (int i = 0; i < n; i++) {
            int at = offset + i * bytesPer;
            voxels[i] = switch (type) {
                case 2, 256 -> b[at] != 0;
                case 4, 512 -> h.getShort(at) != 0;
                case 8, 768 -> h.getInt(at) != 0;
                case 16 -> h.getFloat(at) != 0f;
                default -> h.getDouble(at) != 0d;
            };
        }
        return new Image(nx, ny, nz, voxels, affineOf(h));
    }

    /** The sform when it is set, else the qform; a file with neither says nothing of where it lies. */
    private static double[][] affineOf(ByteBuffer h) throws IOException {
        double[][] a = new double[4][4];
        a[3][3] = 1;
        if (h.getShort(254) > 0) {
            for (int r = 0; r < 3; r++) {
                for (int c = 0; c < 4; c++) {
                    a[r][c] = h.getFloat(280 + 16 * r + 4 * c);
                }
            }
            return a;
        }
        if (h.getShort(252) > 0) {
            double qb = h.getFloat(256);
            double qc = h.getFloat(260);
            double qd = h.getFloat(264);
            double qa = Math.sqrt(Math.max(0, 1 - qb * qb - qc * qc - qd * qd));
            double qfac = h.getFloat(76) < 0 ? -1 : 1;
            double[][] r = {
                {qa * qa + qb * qb - qc * qc - qd * qd, 2 * (qb * qc - qa * qd), 2 * (qb * qd + qa * qc)},
                {2 * (qb * qc + qa * qd), qa * qa + qc * qc - qb * qb - qd * qd, 2 * (qc * qd - qa * qb)},
                {2 * (qb * qd - qa * qc), 2 * (qc * qd + qa * qb), qa * qa + qd * qd - qc * qc - qb * qb}};
            double[] s = {h.getFloat(80), h.getFloat(84), qfac * h.getFloat(88)};
            double[] t = {h.getFloat(268), h.getFloat(272), h.getFloat(276)};
            for (int row = 0; row < 3; row++) {
                for (int c = 0; c < 3; c++) {
                    a[row][c] = r[row][c] * s[c];
                }
                a[row][3] = t[row];
            }
            return a;
        }
        throw new IOException("the file has neither an sform nor a qform: where its voxels lie is unknown");
    }

    /**
     * The label map on a series' grid ({@code width}×{@code height}×{@code depth} at {@code
     * gridAffine}): each of its voxels goes to the grid voxel at the same place in the patient.
     *
     * @throws IllegalArgumentException when its voxels do not fall one to one onto the grid's (oblique,
     *                                  shifted by part of a voxel, another spacing or extent)
     */
    public static Mask3D onGrid(Image image, double[][] gridAffine, int width, int height, int depth) {
        double[][] m = multiply(invert(gridAffine), image.affine());
        int[] axis = new int[3];
        int[] sign = new int[3];
        for (int c = 0; c < 3; c++) {
            axis[c] = -1;
            for (int r = 0; r < 3; r++) {
                double v = m[r][c];
                if (Math.abs(Math.abs(v) - 1) < TOLERANCE) {
                    if (axis[c] >= 0) {
                        throw new IllegalArgumentException(notOneToOne(m));
                    }
                    axis[c] = r;
                    sign[c] = v > 0 ? 1 : -1;
                } else if (Math.abs(v) > TOLERANCE) {
                    throw new IllegalArgumentException(notOneToOne(m));
                }
            }
            if (axis[c] < 0) {
                throw new IllegalArgumentException(notOneToOne(m));
            }
        }
        int[] shift = new int[3];
        for (int r = 0; r < 3; r++) {
            shift[r] = (int) Math.round(m[r][3]);
            if (Math.abs(m[r][3] - shift[r]) > TOLERANCE) {
                throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                        "the label map is shifted by %.3f voxels along the series' axis %d: its voxels fall between the "
                                + "series' voxels", m[r][3], r));
            }
        }
        int[] size = {image.nx(), image.ny(), image.nz()};
        int[] grid = {width, height, depth};
        for (int c = 0; c < 3; c++) {
            if (size[c] != grid[axis[c]]) {
                throw new IllegalArgumentException("the label map is " + image.nx() + "×" + image.ny() + "×" + image.nz()
                        + "; the series is " + width + "×" + height + "×" + depth);
            }
        }
        Mask3D mask = new Mask3D(width, height, depth);
        int[] src = new int[3];
        int[] dst = new int[3];
        for (int k = 0; k < image.nz(); k++) {
            for (int j = 0; j < image.ny(); j++) {
                for (int i = 0; i < image.nx(); i++) {
                    if (!image.voxels()[(k * image.ny() + j) * image.nx() + i]) {
                        continue;
                    }
                    src[0] = i;
                    src[1] = j;
                    src[2] = k;
                    for (int c = 0; c < 3; c++) {
                        dst[axis[c]] = sign[c] * src[c];
                    }
                    for (int r = 0; r < 3; r++) {
                        dst[r] += shift[r];
                        if (dst[r] < 0 || dst[r] >= grid[r]) {
                            throw new IllegalArgumentException("the label map reaches beyond the series' grid (voxel "
                                    + i + "," + j + "," + k + " falls at " + dst[0] + "," + dst[1] + "," + dst[2] + ")");
                        }
                    }
                    mask.set(dst[0], dst[1], dst[2], true);
                }
            }
        }
        return mask;
    }

    private static String notOneToOne(double[][] m) {
        return String.format(java.util.Locale.ROOT, "the label map's voxels do not fall one to one onto the series' "
                        + "(oblique to it, or of another spacing): its axes run along %s, %s, %s in the series' voxels",
                column(m, 0), column(m, 1), column(m, 2));
    }

    private static String column(double[][] m, int c) {
        return String.format(java.util.Locale.ROOT, "(%.3f, %.3f, %.3f)", m[0][c], m[1][c], m[2][c]);
    }

    /** Unit quaternion (a, b, c, d) of a proper rotation matrix, a ≥ 0. */
    static double[] quaternion(double[][] r) {
        double a = r[0][0] + r[1][1] + r[2][2] + 1;
        double b;
        double c;
        double d;
        if (a > 0.5) {
            a = 0.5 * Math.sqrt(a);
            b = 0.25 * (r[2][1] - r[1][2]) / a;
            c = 0.25 * (r[0][2] - r[2][0]) / a;
            d = 0.25 * (r[1][0] - r[0][1]) / a;
        } else {
            double xd = 1 + r[0][0] - (r[1][1] + r[2][2]);
            double yd = 1 + r[1][1] - (r[0][0] + r[2][2]);
            double zd = 1 + r[2][2] - (r[0][0] + r[1][1]);
            if (xd > 1) {
                b = 0.5 * Math.sqrt(xd);
                c = 0.25 * (r[0][1] + r[1][0]) / b;
                d = 0.25 * (r[0][2] + r[2][0]) / b;
                a = 0.25 * (r[2][1] - r[1][2]) / b;
            } else if (yd > 1) {
                c = 0.5 * Math.sqrt(yd);
                b = 0.25 * (r[0][1] + r[1][0]) / c;
                d = 0.25 * (r[1][2] + r[2][1]) / c;
                a = 0.25 * (r[0][2] - r[2][0]) / c;
            } else {
                d = 0.5 * Math.sqrt(zd);
                b = 0.25 * (r[0][2] + r[2][0]) / d;
                c = 0.25 * (r[1][2] + r[2][1]) / d;
                a = 0.25 * (r[1][0] - r[0][1]) / d;
            }
            if (a < 0) {
                a = -a;
                b = -b;
                c = -c;
                d = -d;
            }
        }
        return new double[] {a, b, c, d};
    }

    private static double determinant(double[][] m) {
        return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
                - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    }

    /** Inverse of an affine 4×4 (last row 0 0 0 1). */
    static double[][] invert(double[][] a) {
        double det = determinant(a);
        if (Math.abs(det) < 1e-12) {
            throw new IllegalArgumentException("the affine is singular");
        }
        double[][] inv = new double[4][4];
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++) {
                // cofactor of a[c][r] over the determinant
                int r1 = (c + 1) % 3;
                int r2 = (c + 2) % 3;
                int c1 = (r + 1) % 3;
                int c2 = (r + 2) % 3;
                inv[r][c] = (a[r1][c1] * a[r2][c2] - a[r1][c2] * a[r2][c1]) / det;
            }
        }
        for (int r = 0; r < 3; r++) {
            inv[r][3] = -(inv[r][0] * a[0][3] + inv[r][1] * a[1][3] + inv[r][2] * a[2][3]);
        }
        inv[3][3] = 1;
        return inv;
    }

    static double[][] multiply(double[][] x, double[][] y) {
        double[][] out = new double[4][4];
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 4; c++) {
                double s = 0;
                for (int k = 0; k < 4; k++) {
                    s += x[r][k] * y[k][c];
                }
                out[r][c] = s;
            }
        }
        return out;
    }
}
