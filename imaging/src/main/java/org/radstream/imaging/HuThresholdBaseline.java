package org.radstream.imaging;

/**
 * The COVID-19 paper's HU-threshold baseline, also the fallback the inference workers use when no
 * trained model exists and the source of the first "dirty" labels radiologists correct.
 *
 * <ul>
 *   <li>lung = voxels below {@code lungHu} inside the body (best near -200 in the paper);</li>
 *   <li>infection = lung mask at {@code lungHu} minus the lung mask at the lower
 *       {@code infectionLowHu} (best near -750), i.e. body voxels in [infectionLowHu, lungHu).</li>
 * </ul>
 * "Inside the body" removes the air around the patient: per slice, air (below
 * {@link #OUTSIDE_AIR_HU}) reachable from the image border is outside. Everything else that is dark
 * stays — trachea, bronchi and stomach gas are inside the body, which is exactly why the baseline
 * mistakes them for lung, and why vessel and pleural partial-volume edges land in the infection band.
 * No post-processing is added: the baseline is the paper's, on purpose.
 */
public final class HuThresholdBaseline {
    /** Air darker than this and connected to the image border is outside the patient. */
    public static final double OUTSIDE_AIR_HU = -500;

    /** Thresholds of the baseline; infection is [infectionLowHu, lungHu). */
    public record Thresholds(double lungHu, double infectionLowHu) {
        /** The paper's best values on its test benchmark. */
        public static final Thresholds PAPER = new Thresholds(-200, -750);

        public Thresholds {
            if (!(infectionLowHu < lungHu)) {
                throw new IllegalArgumentException("infection lower threshold " + infectionLowHu
                        + " must be below the lung threshold " + lungHu);
            }
        }
    }

    private HuThresholdBaseline() {}

    /** Lung voxels: inside the body and below {@code t.lungHu()}. */
    public static Mask3D lungMask(Volume v, Thresholds t) {
        return band(v, bodyMask(v), Double.NEGATIVE_INFINITY, t.lungHu());
    }

    /** Infection voxels: inside the body and in [{@code t.infectionLowHu()}, {@code t.lungHu()}). */
    public static Mask3D infectionMask(Volume v, Thresholds t) {
        return band(v, bodyMask(v), t.infectionLowHu(), t.lungHu());
    }

    /** Body voxels in [low, high): what both masks are made of. */
    public static Mask3D band(Volume v, Mask3D body, double low, double high) {
        body.requireSameGrid(v);
        float[] hu = v.hu();
        boolean[] in = body.data();
        boolean[] out = new boolean[hu.length];
        for (int i = 0; i < hu.length; i++) {
            out[i] = in[i] && hu[i] >= low && hu[i] < high;
        }
        return new Mask3D(out, v.width(), v.height(), v.depth());
    }

    /**
     * The patient: every voxel except air connected (4-neighbours, per slice) to the image border.
     * Per slice because the trachea leaves the top of the scan and would otherwise connect the
     * lungs to the outside air in 3D.
     */
    public static Mask3D bodyMask(Volume v) {
        int w = v.width();
        int h = v.height();
        float[] hu = v.hu();
        Mask3D body = v.emptyMask();
        boolean[] out = body.data();
        int[] queue = new int[w * h];
        boolean[] outside = new boolean[w * h];
        for (int z = 0; z < v.depth(); z++) {
            int base = z * w * h;
            java.util.Arrays.fill(outside, false);
            int head = 0;
            int tail = 0;
            for (int x = 0; x < w; x++) {
                tail = seed(hu, base, x, outside, queue, tail);
                tail = seed(hu, base, (h - 1) * w + x, outside, queue, tail);
            }
            for (int y = 0; y < h; y++) {
                tail = seed(hu, base, y * w, outside, queue, tail);
                tail = seed(hu, base, y * w + w - 1, outside, queue, tail);
            }
            while (head < tail) {
                int p = queue[head++];
                int x = p % w;
                int y = p / w;
                if (x > 0) {
                    tail = seed(hu, base, p - 1, outside, queue, tail);
                }
                if (x < w - 1) {
                    tail = seed(hu, base, p + 1, outside, queue, tail);
                }
                if (y > 0) {
                    tail = seed(hu, base, p - w, outside, queue, tail);
                }
                if (y < h - 1) {
                    tail = seed(hu, base, p + w, outside, queue, tail);
                }
            }
            for (int p = 0; p < w * h; p++) {
                out[base + p] = !outside[p];
            }
        }
        return body;
    }

    private static int seed(float[] hu, int base, int p, boolean[] outside, int[] queue, int tail) {
        if (!outside[p] && hu[base + p] < OUTSIDE_AIR_HU) {
            outside[p] = true;
            queue[tail++] = p;
        }
        return tail;
    }
}
