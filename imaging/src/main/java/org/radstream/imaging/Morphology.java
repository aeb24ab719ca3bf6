package org.radstream.imaging;

/**
 * Binary dilation and erosion with the face-neighbour structuring element applied
 * {@code iterations} times (a diamond in 2D, an octahedron in 3D, of that radius in voxels).
 *
 * <p>Used to grow the liver into the region where hepatic vessels are searched, to peel the
 * outer shell of a mask, and by the cohort generator to make over- and under-annotated labels.
 * Voxels outside the grid count as background, so erosion removes mask voxels on the border.
 */
public final class Morphology {
    private Morphology() {}

    public static Mask3D dilate3D(Mask3D mask, int iterations) {
        return apply(mask, iterations, true, true);
    }

    public static Mask3D erode3D(Mask3D mask, int iterations) {
        return apply(mask, iterations, false, true);
    }

    /** Dilates every slice independently (no growth across slices). */
    public static Mask3D dilate2D(Mask3D mask, int iterations) {
        return apply(mask, iterations, true, false);
    }

    /** Erodes every slice independently. */
    public static Mask3D erode2D(Mask3D mask, int iterations) {
        return apply(mask, iterations, false, false);
    }

    /** Opening (erode then dilate): removes specks and thin bridges narrower than the element. */
    public static Mask3D open3D(Mask3D mask, int iterations) {
        return dilate3D(erode3D(mask, iterations), iterations);
    }

    private static Mask3D apply(Mask3D mask, int iterations, boolean dilate, boolean threeD) {
        if (iterations < 0) {
            throw new IllegalArgumentException("iterations must not be negative: " + iterations);
        }
        int w = mask.width();
        int h = mask.height();
        int d = mask.depth();
        boolean[] cur = mask.data().clone();
        boolean[] nxt = new boolean[cur.length];
        for (int it = 0; it < iterations; it++) {
            for (int z = 0; z < d; z++) {
                for (int y = 0; y < h; y++) {
                    int row = (z * h + y) * w;
                    for (int x = 0; x < w; x++) {
                        int i = row + x;
                        boolean v = cur[i];
                        if (dilate) {
                            if (!v) {
                                v = (x > 0 && cur[i - 1]) || (x < w - 1 && cur[i + 1])
                                        || (y > 0 && cur[i - w]) || (y < h - 1 && cur[i + w])
                                        || (threeD && ((z > 0 && cur[i - w * h]) || (z < d - 1 && cur[i + w * h])));
                            }
                        } else if (v) {
                            v = x > 0 && cur[i - 1] && x < w - 1 && cur[i + 1]
                                    && y > 0 && cur[i - w] && y < h - 1 && cur[i + w]
                                    && (!threeD || (z > 0 && cur[i - w * h] && z < d - 1 && cur[i + w * h]));
                        }
                        nxt[i] = v;
                    }
                }
            }
            boolean[] t = cur;
            cur = nxt;
            nxt = t;
        }
        return new Mask3D(cur, w, h, d);
    }
}
