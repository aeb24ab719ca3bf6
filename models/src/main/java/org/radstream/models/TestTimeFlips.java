package org.radstream.models;

/**
 * Test-time flip averaging: a segmentation network trained with SU-UNet's random flips also
 * predicts each slice mirrored, the mirrored maps are flipped back, and the probability maps are
 * averaged. It costs one forward pass per view and smooths out what a network sees on one side
 * only. The trainer chooses a model's flips on its validation scans; the artifact carries the
 * choice as {@value SegmentationModel#TEST_TIME_FLIPS_METRIC} (its {@link #code()}), and every
 * user of {@link SegmentationModel#predict} gets it.
 */
public enum TestTimeFlips {
    /** One pass, the slice as it is. */
    NONE(0, 1),
    /** Two passes: as it is and mirrored left-right. */
    LEFT_RIGHT(1, 2),
    /** Four passes: as it is, left-right, up-down and both. */
    BOTH(2, 4);

    /** A forward pass over a batch of C×H×W samples giving H×W probability maps. */
    @FunctionalInterface
    public interface Forward<E extends Exception> {
        float[][] apply(float[][] batch) throws E;
    }

    private final int code;
    private final int passes;

    TestTimeFlips(int code, int passes) {
        this.code = code;
        this.passes = passes;
    }

    /** The value in an artifact's metrics. */
    public int code() {
        return code;
    }

    /** Forward passes per slice. */
    public int passes() {
        return passes;
    }

    /** The flips of an artifact's metric value; an unknown value is refused. */
    public static TestTimeFlips ofCode(double value) {
        for (TestTimeFlips f : values()) {
            if (f.code == value) {
                return f;
            }
        }
        throw new IllegalArgumentException(SegmentationModel.TEST_TIME_FLIPS_METRIC + " must be 0, 1 or 2, not " + value);
    }

    /**
     * The averaged probability maps of {@code batch}.
     *
     * @param batch  N samples of C×height×width, channel-major
     * @param height rows of a sample
     * @param width  columns of a sample
     */
    public <E extends Exception> float[][] predict(Forward<E> forward, float[][] batch, int height, int width)
            throws E {
        float[][] sum = forward.apply(batch);
        if (this == NONE || batch.length == 0) {
            return sum;
        }
        add(sum, forward.apply(map(batch, true, false, height, width)), true, false, height, width);
        if (this == BOTH) {
            add(sum, forward.apply(map(batch, false, true, height, width)), false, true, height, width);
            add(sum, forward.apply(map(batch, true, true, height, width)), true, true, height, width);
        }
        float scale = 1f / passes;
        for (float[] p : sum) {
            for (int k = 0; k < p.length; k++) {
                p[k] *= scale;
            }
        }
        return sum;
    }

    private static float[][] map(float[][] batch, boolean leftRight, boolean upDown, int height, int width) {
        float[][] out = new float[batch.length][];
        for (int i = 0; i < batch.length; i++) {
            out[i] = flipped(batch[i], leftRight, upDown, height, width);
        }
        return out;
    }

    /** Adds each map of {@code views}, flipped back, to {@code sum}. */
    private static void add(float[][] sum, float[][] views, boolean leftRight, boolean upDown, int height, int width) {
        for (int i = 0; i < sum.length; i++) {
            float[] back = flipped(views[i], leftRight, upDown, height, width);
            for (int k = 0; k < back.length; k++) {
                sum[i][k] += back[k];
            }
        }
    }

    /** A C×height×width sample mirrored (each flip is its own inverse). */
    static float[] flipped(float[] sample, boolean leftRight, boolean upDown, int height, int width) {
        int plane = height * width;
        if (sample.length % plane != 0) {
            throw new IllegalArgumentException("a sample of " + sample.length + " values is not C×" + height + "×" + width);
        }
        float[] out = new float[sample.length];
        for (int base = 0; base < sample.length; base += plane) {
            for (int y = 0; y < height; y++) {
                int from = base + y * width;
                int to = base + (upDown ? height - 1 - y : y) * width;
                for (int x = 0; x < width; x++) {
                    out[to + (leftRight ? width - 1 - x : x)] = sample[from + x];
                }
            }
        }
        return out;
    }
}
