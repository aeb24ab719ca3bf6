package org.radstream.models;

import java.util.Locale;
import org.radstream.imaging.Mask3D;

/**
 * How a segmentation network's probability map becomes a mask: one threshold for every pixel, or,
 * for a network whose input window holds {@link #denseFromHu}, a second threshold for the pixels
 * at least that dense.
 *
 * <p>Why a second one: the infection networks are under-confident on consolidation. A dense
 * lesion touching the chest wall or the mediastinum looks like the wall to them, and its
 * probabilities sit well below those of ground glass surrounded by lung; a threshold low enough to
 * find it marks the ground glass's borders too generously. Which pixel is dense is read from the
 * network's own input (the centre slice, windowed), so the workers and the evaluator cut alike.
 *
 * @param threshold probability from which a pixel is in the mask, in (0, 1)
 * @param denseFromHu HU from which a pixel is cut at {@code denseThreshold}; NaN for one threshold
 * @param denseThreshold probability from which a dense pixel is in the mask, in (0, 1)
 */
public record MaskCut(float threshold, double denseFromHu, float denseThreshold) {
    /** HU from which the trainer offers a dense pixel its own threshold: consolidation, not ground glass. */
    public static final double DENSE_FROM_HU = -250;

    public MaskCut {
        Probabilities.checkThreshold(threshold);
        Probabilities.checkThreshold(denseThreshold);
        if (Double.isInfinite(denseFromHu)) {
            throw new IllegalArgumentException("denseFromHu must be finite or NaN, got " + denseFromHu);
        }
        if (Double.isNaN(denseFromHu) && denseThreshold != threshold) {
            throw new IllegalArgumentException("a dense threshold (" + denseThreshold + ") needs the HU it starts from");
        }
    }

    /** One threshold for every pixel. */
    public static MaskCut single(float threshold) {
        return new MaskCut(threshold, Double.NaN, threshold);
    }

    /**
     * The same cut halfway down to 0 from each threshold: the pixels the network leans towards
     * including. With {@link #strict()} it brackets the mask ({@link #stability}).
     */
    public MaskCut lenient() {
        return new MaskCut(threshold / 2, denseFromHu, denseThreshold / 2);
    }

    /** The same cut halfway up to 1 from each threshold: the pixels the network is sure of. */
    public MaskCut strict() {
        return new MaskCut((1 + threshold) / 2, denseFromHu, (1 + denseThreshold) / 2);
    }

    /**
     * How firmly a network decided a mask: the Dice between the masks of its {@link #strict()} and
     * its {@link #lenient()} cut (the strict one lies inside the lenient one). 1 when every pixel
     * it marked, or came near marking, is far from its threshold, and when it marked nothing even
     * leniently; low when much of the mask hovers near the threshold, where a little more or less
     * evidence changes the answer. On the held-out cohort the series with the lowest stability are
     * mostly those with the lowest Dice against the truth (ACCURACY.md), which is why it ranks
     * series for a radiologist's review.
     *
     * @param strict  the strict cut's mask, after whatever the model's own cut is followed by
     * @param lenient the lenient cut's mask, after the same
     */
    public static double stability(Mask3D strict, Mask3D lenient) {
        long s = strict.count();
        long l = lenient.count();
        if (s + l == 0) {
            return 1;
        }
        return 2.0 * strict.and(lenient).count() / (s + l);
    }

    /** Whether dense pixels have a threshold of their own. */
    public boolean splitsDensity() {
        return !Double.isNaN(denseFromHu);
    }

    /**
     * Whether {@code denseFromHu} lies strictly inside a window of {@code lowHu}..{@code highHu}: only
     * there can the windowed input tell a dense pixel from another.
     */
    public static boolean windowHolds(double lowHu, double highHu, double hu) {
        return hu > lowHu && hu < highHu;
    }

    /**
     * The mask of one map.
     *
     * @param probabilities the map, H×W
     * @param centre the network's centre input slice, H×W, windowed to [0, 1] from {@code lowHu}..{@code highHu};
     *               read only when the cut splits density
     */
    public boolean[] apply(float[] probabilities, float[] centre, double lowHu, double highHu) {
        if (!splitsDensity()) {
            return Probabilities.threshold(probabilities, threshold);
        }
        if (!windowHolds(lowHu, highHu, denseFromHu)) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "dense pixels from %.0f HU cannot be told apart in a window of %.0f..%.0f HU", denseFromHu, lowHu, highHu));
        }
        if (centre.length != probabilities.length) {
            throw new IllegalArgumentException("centre slice has " + centre.length + " values for a map of "
                    + probabilities.length);
        }
        return apply(probabilities, dense(centre, lowHu, highHu, denseFromHu));
    }

    /** The mask of one map given which of its pixels are dense (null: none). */
    public boolean[] apply(float[] probabilities, boolean[] dense) {
        if (!splitsDensity() || dense == null) {
            return Probabilities.threshold(probabilities, threshold);
        }
        boolean[] mask = new boolean[probabilities.length];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = probabilities[i] >= (dense[i] ? denseThreshold : threshold);
        }
        return mask;
    }

    /** Which pixels of a windowed slice are at least {@code fromHu}, as {@link #apply(float[], float[], double, double)} reads them. */
    public static boolean[] dense(float[] windowed, double lowHu, double highHu, double fromHu) {
        float from = (float) ((fromHu - lowHu) / (highHu - lowHu));
        boolean[] dense = new boolean[windowed.length];
        for (int i = 0; i < dense.length; i++) {
            dense[i] = windowed[i] >= from;
        }
        return dense;
    }

    @Override
    public String toString() {
        return splitsDensity()
                ? String.format(Locale.ROOT, "threshold %.2f (%.2f from %.0f HU)", threshold, denseThreshold, denseFromHu)
                : String.format(Locale.ROOT, "threshold %.2f", threshold);
    }
}
