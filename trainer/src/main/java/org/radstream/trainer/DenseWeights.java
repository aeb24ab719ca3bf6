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
 * loss, normalised by their own count, added with the recipe's {@code denseTerm}.
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

    /**
     * @param window   the window the inputs are in
     * @param channels slices per sample (1: 2D, 3: 2.5D; the centre one is read)
     * @param weight   the weight of a dense target pixel, at least 1
     */
    DenseWeights(Window window, int channels, float weight) {
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
    }

    /** The weight map of one sample: {@code input} channel-major C×H×W, {@code target} H×W in [0, 1]. */
    float[] of(float[] input, float[] target) {
        return map(input, target, weight, 1f);
    }

    /** The focus map of one sample: 1 on its dense target pixels, 0 elsewhere. */
    float[] focus(float[] input, float[] target) {
        return map(input, target, 1f, 0f);
    }

    private float[] map(float[] input, float[] target, float dense, float other) {
        int plane = target.length;
        if (input.length != channels * plane) {
            throw new IllegalArgumentException("input of " + input.length + " values is not " + channels + " slices of "
                    + plane);
        }
        int centre = channels / 2 * plane;
        float[] out = new float[plane];
        for (int i = 0; i < plane; i++) {
            out[i] = target[i] >= 0.5f && input[centre + i] >= denseValue ? dense : other;
        }
        return out;
    }
}
