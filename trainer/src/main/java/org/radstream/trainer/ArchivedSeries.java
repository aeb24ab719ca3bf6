package org.radstream.trainer;

import java.util.List;
import java.util.Map;
import org.radstream.imaging.Volume;
import org.radstream.imaging.Window;

/**
 * One de-identified series of the trainer's image archive: geometry, the pseudonymised patient
 * and the windowed planes exactly as they arrived on the task topic (8- or 16-bit values), slices
 * ordered along the patient axis.
 *
 * @param header identifiers (patient pseudonymised) and geometry
 * @param planes plane name → slices (each {@code width × height} values, little endian if 16-bit)
 */
public record ArchivedSeries(Header header, Map<String, byte[][]> planes) {

    /**
     * @param patientKey HMAC-SHA256 pseudonym of the patient id; names and accession numbers are not kept
     * @param spacingX column spacing (mm)
     * @param spacingY row spacing (mm)
     * @param spacingZ distance between slice centres (mm)
     */
    public record Header(String format, String seriesUid, String studyUid, String patientKey, String group,
                         long acquisitionTime, int width, int height, int depth,
                         double spacingX, double spacingY, double spacingZ, List<Plane> planes) {}

    /** A windowed plane: value v stands for {@code lowHu + v / (2^bits - 1) × (highHu - lowHu)}. */
    public record Plane(String name, double lowHu, double highHu, int bits) {
        double maxValue() {
            return (1 << bits) - 1;
        }
    }

    public ArchivedSeries {
        planes = Map.copyOf(planes);
    }

    public String seriesUid() { return header.seriesUid(); }
    public int width() { return header.width(); }
    public int height() { return header.height(); }
    public int depth() { return header.depth(); }

    /**
     * The plane a network reading {@code window} takes: the one of the same name, else the
     * narrowest one that contains the window (so re-windowing loses nothing but quantisation).
     */
    public Plane planeFor(Window window) {
        Plane best = null;
        for (Plane p : header.planes()) {
            if (p.name().equals(window.name())) {
                return p;
            }
            if (p.lowHu() <= window.lower() && p.highHu() >= window.upper()
                    && (best == null || p.highHu() - p.lowHu() < best.highHu() - best.lowHu())) {
                best = p;
            }
        }
        if (best == null) {
            throw new IllegalArgumentException("series " + seriesUid() + " has no plane covering the "
                    + window.name() + " window [" + window.lower() + ", " + window.upper() + "]; planes: "
                    + header.planes());
        }
        return best;
    }

    /** HU of slice {@code z} as far as plane {@code plane} resolves it (clipped to its window). */
    public float[] hu(int z, Plane plane) {
        byte[] raw = planes.get(plane.name())[z];
        int n = width() * height();
        float[] out = new float[n];
        double scale = (plane.highHu() - plane.lowHu()) / plane.maxValue();
        for (int i = 0; i < n; i++) {
            int v = plane.bits() == 8 ? raw[i] & 0xff : (raw[2 * i] & 0xff) | (raw[2 * i + 1] & 0xff) << 8;
            out[i] = (float) (plane.lowHu() + v * scale);
        }
        return out;
    }

    /** Slice {@code z} windowed to {@code window} and scaled to [0, 1], as the workers feed it. */
    public float[] windowed(int z, Window window) {
        return window.apply(hu(z, planeFor(window)));
    }

    /** The HU volume seen through the plane for {@code window} (e.g. for the HU baseline). */
    public Volume huVolume(Window window) {
        Plane p = planeFor(window);
        int n = width() * height();
        float[] all = new float[n * depth()];
        for (int z = 0; z < depth(); z++) {
            System.arraycopy(hu(z, p), 0, all, z * n, n);
        }
        return new Volume(all, width(), height(), depth(), header.spacingX(), header.spacingY(), header.spacingZ());
    }
}
