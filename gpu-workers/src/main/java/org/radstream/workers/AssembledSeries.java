package org.radstream.workers;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.radstream.avro.SeriesGeometry;
import org.radstream.avro.WindowedPlane;
import org.radstream.avro.WindowedSlice;
import org.radstream.imaging.Volume;

/**
 * A validated series in acquisition order: every slice the same size with the same windows,
 * sorted along the slice normal, with the spacing between slice centres.
 *
 * @param seriesUid series instance UID
 * @param slices    sorted slices (first = lowest position along the normal)
 * @param width     columns
 * @param height    rows
 * @param spacingX  column spacing (mm)
 * @param spacingY  row spacing (mm)
 * @param spacingZ  distance between slice centres (mm)
 */
record AssembledSeries(String seriesUid, List<WindowedSlice> slices, int width, int height,
        double spacingX, double spacingY, double spacingZ) {

    int depth() {
        return slices.size();
    }

    WindowedSlice first() {
        return slices.get(0);
    }

    /**
     * Where the grid lies in the patient: the first slice's position, the orientation and the
     * spacings, with the frame of reference and the slices' SOP instances (what a DICOM Segmentation
     * of the series references); null when the slices carry no orientation (then they were sorted by
     * instance number).
     */
    SeriesGeometry geometry() {
        WindowedSlice f = first();
        List<Double> o = f.getImageOrientationPatient();
        if (o.size() != 6 || SeriesAssembly.normal(f) == null || f.getImagePositionPatient().size() != 3) {
            return null;
        }
        return SeriesGeometry.newBuilder().setOrigin(List.copyOf(f.getImagePositionPatient())).setRow(List.copyOf(o.subList(0, 3)))
                .setColumn(List.copyOf(o.subList(3, 6))).setSpacingX(spacingX).setSpacingY(spacingY).setSpacingZ(spacingZ)
                .setFrameOfReferenceUid(f.getFrameOfReferenceUid()).setSopClassUid(f.getSopClassUid())
                .setSopInstanceUids(slices.stream().map(s -> s.getSopInstanceUid().toString()).toList())
                .build();
    }

    /** Voxel volume in mm³. */
    double voxelVolumeMm3() {
        return spacingX * spacingY * spacingZ;
    }

    /** Whether every slice carries a plane of this name. */
    boolean hasPlane(String name) {
        return plane(slices.get(0), name) != null;
    }

    /**
     * One slice's plane re-windowed to [{@code low}, {@code high}] and scaled to [0, 1]. When the
     * window is the plane's own, this is exactly {@code v / (2^bits - 1)}.
     */
    float[] windowed(int z, String planeName, double low, double high) {
        WindowedPlane p = requirePlane(z, planeName);
        float[] out = decode(p);
        double pl = p.getLowHu();
        double ph = p.getHighHu();
        if (pl == low && ph == high) {
            return out;
        }
        double scale = (ph - pl) / (high - low);
        double shift = (pl - low) / (high - low);
        for (int i = 0; i < out.length; i++) {
            double w = out[i] * scale + shift;
            out[i] = (float) (w < 0 ? 0 : w > 1 ? 1 : w);
        }
        return out;
    }

    /** HU of one slice recovered from a plane: v / (2^bits - 1) × (high - low) + low. */
    float[] hu(int z, String planeName) {
        WindowedPlane p = requirePlane(z, planeName);
        float[] out = decode(p);
        double low = p.getLowHu();
        double range = p.getHighHu() - low;
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (out[i] * range + low);
        }
        return out;
    }

    /** The whole series in HU recovered from one plane (values outside the window are clipped to it). */
    Volume huVolume(String planeName) {
        int n = width * height;
        float[] all = new float[n * depth()];
        for (int z = 0; z < depth(); z++) {
            System.arraycopy(hu(z, planeName), 0, all, z * n, n);
        }
        return new Volume(all, width, height, depth(), spacingX, spacingY, spacingZ);
    }

    private WindowedPlane requirePlane(int z, String name) {
        WindowedPlane p = plane(slices.get(z), name);
        if (p == null) {
            throw new IllegalArgumentException("slice " + z + " of " + seriesUid + " has no '" + name + "' plane");
        }
        return p;
    }

    static WindowedPlane plane(WindowedSlice s, String name) {
        for (WindowedPlane p : s.getWindows()) {
            if (p.getName().equals(name)) {
                return p;
            }
        }
        return null;
    }

    /** Plane values scaled to [0, 1]: v / (2^bits - 1). */
    static float[] decode(WindowedPlane p) {
        ByteBuffer b = p.getValues().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int n = b.remaining() / (p.getBits() / 8);
        float[] out = new float[n];
        if (p.getBits() == 8) {
            for (int i = 0; i < n; i++) {
                out[i] = (b.get() & 0xff) / 255f;
            }
        } else {
            for (int i = 0; i < n; i++) {
                out[i] = (b.getShort() & 0xffff) / 65535f;
            }
        }
        return out;
    }
}
