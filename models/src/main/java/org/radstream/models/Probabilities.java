package org.radstream.models;

/** Post-processing from probabilities to binary masks and decisions. */
public final class Probabilities {

    private Probabilities() {}

    /** {@code p >= threshold} per pixel; the threshold must lie strictly inside (0, 1). */
    public static boolean[] threshold(float[] probabilities, float threshold) {
        checkThreshold(threshold);
        boolean[] mask = new boolean[probabilities.length];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = probabilities[i] >= threshold;
        }
        return mask;
    }

    /** {@link #threshold(float[], float)} for each map of a batch. */
    public static boolean[][] threshold(float[][] probabilities, float threshold) {
        checkThreshold(threshold);
        boolean[][] masks = new boolean[probabilities.length][];
        for (int i = 0; i < masks.length; i++) {
            masks[i] = threshold(probabilities[i], threshold);
        }
        return masks;
    }

    static void checkThreshold(float threshold) {
        if (!(threshold > 0f && threshold < 1f)) {
            throw new IllegalArgumentException("threshold must lie in (0, 1), got " + threshold);
        }
    }

    /** Numerically stable logistic function. */
    static float sigmoid(float x) {
        if (x >= 0) {
            return (float) (1 / (1 + Math.exp(-x)));
        }
        double e = Math.exp(x);
        return (float) (e / (1 + e));
    }

    /**
     * Probability of the positive (last) class from one sample's logits: softmax over two or
     * more logits, sigmoid for a single logit.
     */
    static float positive(float[] logits, int offset, int classes) {
        if (classes == 1) {
            return sigmoid(logits[offset]);
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < classes; k++) {
            max = Math.max(max, logits[offset + k]);
        }
        double sum = 0;
        for (int k = 0; k < classes; k++) {
            sum += Math.exp(logits[offset + k] - max);
        }
        return (float) (Math.exp(logits[offset + classes - 1] - max) / sum);
    }
}
