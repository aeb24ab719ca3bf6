package org.radstream.trainer;

import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Resample;
import org.radstream.imaging.Volume;
import org.radstream.imaging.Window;

/**
 * One labelled scan at its native grid: the HU volume (from the archive, or a cohort's DICOM), the
 * label being learnt and, for vessels, the region the task is restricted to (the dilated liver).
 *
 * @param region null when the task is not restricted
 * @param truth  exact truth where it is known (cohorts), for reporting only; never trained on
 * @param lung   for infection, the lungs the workers keep the infection's components by: a mask of
 *               this scan is scored as they keep it, only its 3D components reaching into these
 *               lungs ({@link org.radstream.imaging.InfectedLung#reaching}); null when masks are
 *               scored whole
 */
public record ScanData(String id, Volume hu, Mask3D label, Mask3D region, Mask3D truth, Mask3D lung) {

    public ScanData {
        if (label.width() != hu.width() || label.height() != hu.height() || label.depth() != hu.depth()) {
            throw new IllegalArgumentException("label " + label + " does not fit the volume " + hu);
        }
        if (lung != null && !lung.sameShape(label)) {
            throw new IllegalArgumentException("lung " + lung + " does not fit the volume " + hu);
        }
    }

    /** A scan whose masks are scored whole. */
    public ScanData(String id, Volume hu, Mask3D label, Mask3D region, Mask3D truth) {
        this(id, hu, label, region, truth, null);
    }

    /** The same scan with its masks scored as the workers keep infection: the components reaching {@code lung}. */
    public ScanData reaching(Mask3D lung) {
        return new ScanData(id, hu, label, region, truth, lung);
    }

    public int depth() {
        return hu.depth();
    }

    /** The label inside the task's region (the whole label when the task has none): what masks are scored against. */
    public Mask3D scoredLabel() {
        return region == null ? label : label.and(region);
    }

    /** Slice {@code z} in {@code window}, resized to {@code size}². */
    public float[] input(int z, Window window, int size) {
        return input(z, window, size, false);
    }

    /**
     * Slice {@code z} in {@code window}, with {@code inRegion} zero outside the region (how networks
     * trained inside the dilated liver read it), resized to {@code size}².
     */
    public float[] input(int z, Window window, int size, boolean inRegion) {
        float[] w = window.apply(hu.slice(z));
        if (inRegion && region != null) {
            boolean[] r = region.slice(z);
            for (int i = 0; i < w.length; i++) {
                if (!r[i]) {
                    w[i] = 0f;
                }
            }
        }
        return hu.width() == size && hu.height() == size ? w : Resample.bilinear(w, hu.width(), hu.height(), size, size);
    }

    /** Whether slice {@code z} has any of the region (always, for a task without one). */
    public boolean inRegion(int z) {
        return region == null || !region.isSliceEmpty(z);
    }

    /** The label of slice {@code z} (restricted to the region), resized to {@code size}², as 0/1. */
    public float[] target(int z, int size) {
        return asTarget(label, z, size);
    }

    /**
     * The exact truth of slice {@code z} as {@link #target} gives the label, for reporting how far
     * labels are from it; null where the truth is not known.
     */
    public float[] truthTarget(int z, int size) {
        return truth == null ? null : asTarget(truth, z, size);
    }

    private float[] asTarget(Mask3D mask, int z, int size) {
        boolean[] s = mask.slice(z);
        if (region != null) {
            boolean[] r = region.slice(z);
            for (int i = 0; i < s.length; i++) {
                s[i] &= r[i];
            }
        }
        boolean[] resized = hu.width() == size && hu.height() == size ? s
                : Resample.nearest(s, hu.width(), hu.height(), size, size);
        float[] out = new float[resized.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = resized[i] ? 1f : 0f;
        }
        return out;
    }
}
