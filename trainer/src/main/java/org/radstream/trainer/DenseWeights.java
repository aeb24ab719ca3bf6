package org.radstream.trainer;

import org.radstream.imaging.Window;
import org.radstream.imaging.eval.ScanScore;

/**
 * Per-pixel cross-entropy weights that make a lung-window network pay more for the dense target
 * pixels it misses. In a lung window, consolidation (infection denser than {@link #DENSE_HU}) looks
 * like the chest wall it touches, and it is most of what the infection network misses (ACCURACY.md:
 * 71% of the missed volume); the missed growth of consolidation is what makes the progression alerts
 * late. A target pixel whose value in the slice the network reads (the centre slice of a 2.5D
 * stack) is at least the window's value of {@link #DENSE_HU} weighs {@code weight}; every other
 * pixel, target or not, weighs 1.
 *
 * <p>The same pixels make the focus region of the loss's dense term ({@link #focus}): their mean
 * loss, normalised by their own count, added with the recipe's {@code denseTerm}. With a band of n
 * pixels the region also holds every dense pixel within n pixels of the target (a square
 * neighbourhood): the chest wall, vessels and airway walls beside a lesion, which a term over the
 * lesion's own pixels would teach the network to call infection too.
 *
 * <p>The weights are computed from the sample as the network gets it (after augmentation), so they
 * follow the image wherever the augmentation moved it.
 */
final class DenseWeights {

    /** HU from which a target pixel counts as dense: the evaluation's consolidation threshold. */
    static final double DENSE_HU = ScanScore.DENSE_HU;

    private final float weight;
    private final float denseValue;
    private final int channels;
    private final int band;

    /**
     * @param window   the window the inputs are in
     * @param channels slices per sample (1: 2D, 3: 2.5D; the centre one is read)
     * @param weight   the weight of a dense target pixel, at least 1
     */
    DenseWeights(Window window, int channels, float weight) {
        this(window, channels, weight, 0);
    }

    /** The same, with a focus region that reaches {@code band} pixels (0 or more) beyond the target. */
    DenseWeights(Window window, int channels, float weight, int band) {
        if (band < 0) {
            throw new IllegalArgumentException("the band must be 0 or more pixels, got " + band);
        }
        if (!(weight >= 1)) {
            throw new IllegalArgumentException("a dense pixel's weight must be at least 1, got " + weight);
        }
        if (channels < 1 || channels % 2 == 0) {
            throw new IllegalArgumentException("channels must be odd and positive, got " + channels);
        }
        if (!(DENSE_HU > window.lower() && DENSE_HU < window.upper())) {
            throw new IllegalArgumentException("the " + window.name() + " window (" + window.lower() + ".."
                    + window.upper() + " HU) cannot tell pixels denser than " + DENSE_HU + " HU from the rest");
        }
        this.weight = weight;
        this.denseValue = window.apply(DENSE_HU);
        this.channels = channels;
        this.band = band;
    }

    /** The weight map of one sample: {@code input} channel-major C×H×W, {@code target} H×W in [0, 1]. */
    float[] of(float[] input, float[] target) {
        return map(input, target, weight, 1f);
    }

    /**
     * The focus map of one square sample: 1 on its dense pixels in the target or within the band around it,
     * 0 elsewhere.
     */
    float[] focus(float[] input, float[] target) {
        if (band == 0) {
            return map(input, target, 1f, 0f);
        }
        int side = (int) Math.round(Math.sqrt(target.length));
        if (side * side != target.length) {
            throw new IllegalArgumentException("a band needs square samples, got " + target.length + " pixels");
        }
        return map(input, near(target, side, band), 1f, 0f);
    }

    /** 1 where a target pixel (≥ 0.5) lies within {@code band} pixels along both axes, else 0: two sliding counts. */
    static float[] near(float[] target, int side, int band) {
        int[] rows = new int[target.length];
        for (int y = 0; y < side; y++) {
            int count = 0;
            for (int x = -band; x < side; x++) {
                int in = x + band;
                if (in < side && target[y * side + in] >= 0.5f) {
                    count++;
                }
                int out = x - band - 1;
                if (out >= 0 && target[y * side + out] >= 0.5f) {
                    count--;
                }
                if (x >= 0) {
                    rows[y * side + x] = count;
                }
            }
        }
        float[] out = new float[target.length];
        for (int x = 0; x < side; x++) {
            int count = 0;
            for (int y = -band; y < side; y++) {
                int in = y + band;
                if (in < side && rows[in * side + x] > 0) {
                    count++;
                }
                int gone = y - band - 1;
                if (gone >= 0 && rows[gone * side + x] > 0) {
                    count--;
                }
                if (y >= 0) {
                    out[y * side + x] = count > 0 ? 1f : 0f;
                }
            }
        }
        return out;
    }

    /** {@code dense} where {@code region} (≥ 0.5) holds a pixel the centre slice shows dense, else {@code other}. */
    private float[] map(float[] input, float[] region, float dense, float other) {
        int plane = region.length;
        if (input.length != channels * plane) {
            throw new IllegalArgumentException("input of " + input.length + " values is not " + channels + " slices of "
                    + plane);
        }
        int centre = channels / 2 * plane;
        float[] out = new float[plane];
        for (int i = 0; i < plane; i++) {
            out[i] = region[i] >= 0.5f && input[centre + i] >= denseValue ? dense : other;
        }
        return out;
    }
}
