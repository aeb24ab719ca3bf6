package org.radstream.trainer;

import java.util.Arrays;
import java.util.Random;

/**
 * The image transformations of self-supervised restoration pretraining (the Universal Model paper
 * follows Models Genesis: non-linear, local shuffling, inner and outer painting, for appearance,
 * texture and context). Each works in place on a network input: {@code channels} neighbouring
 * slices of {@code size}² pixels, channel-major, windowed to [0, 1]. A transformation is the same on
 * every channel (the same curve, the same pixels moved, the same rectangles painted), so the slices
 * stay aligned as in a sub-volume.
 *
 * <p>{@link #apply} draws them as Models Genesis does: local shuffling with probability 0.5, then the
 * non-linear curve with 0.9, then painting with 0.9, inner 20% and outer 80% of the time. The curves
 * are increasing only: the network learns which intensity is which tissue, not a negative.
 */
final class RestorationTransforms {
    static final double SHUFFLE_RATE = 0.5;
    static final double NON_LINEAR_RATE = 0.9;
    static final double PAINT_RATE = 0.9;
    static final double INNER_PAINT_RATE = 0.2;

    /** What {@link #apply} did to an input. */
    record Applied(boolean shuffled, boolean nonLinear, Painting painting) {}

    enum Painting { NONE, INNER, OUTER }

    private RestorationTransforms() {}

    /** Draws and applies the transformations to {@code x} in place. */
    static Applied apply(float[] x, int channels, int size, Random random) {
        check(x, channels, size);
        boolean shuffled = random.nextDouble() < SHUFFLE_RATE;
        if (shuffled) {
            localShuffle(x, channels, size, Math.max(1, size * size / 64), Math.max(2, size / 10), random);
        }
        boolean nonLinear = random.nextDouble() < NON_LINEAR_RATE;
        if (nonLinear) {
            nonLinear(x, random.nextDouble(), random.nextDouble(), random.nextDouble(), random.nextDouble());
        }
        Painting painting = Painting.NONE;
        if (random.nextDouble() < PAINT_RATE) {
            painting = random.nextDouble() < INNER_PAINT_RATE ? Painting.INNER : Painting.OUTER;
            if (painting == Painting.INNER) {
                innerPaint(x, channels, size, random);
            } else {
                outerPaint(x, channels, size, random);
            }
        }
        return new Applied(shuffled, nonLinear, painting);
    }

    /**
     * Maps every value through the cubic Bézier curve from (0, 0) to (1, 1) with control points
     * ({@code x1}, {@code y1}) and ({@code x2}, {@code y2}), all in [0, 1]: an increasing intensity
     * curve that keeps black black and white white. Values outside [0, 1] are clipped first.
     */
    static void nonLinear(float[] x, double x1, double y1, double x2, double y2) {
        int n = 1001;
        double[][] points = new double[n][];
        for (int i = 0; i < n; i++) {
            double t = i / (double) (n - 1);
            double b = 3 * (1 - t) * (1 - t) * t;
            double c = 3 * (1 - t) * t * t;
            double d = t * t * t;
            points[i] = new double[] {b * x1 + c * x2 + d, b * y1 + c * y2 + d};
        }
        // x(t) need not increase with t when the control points cross: read the curve by x
        Arrays.sort(points, (p, q) -> Double.compare(p[0], q[0]));
        double[] xs = new double[n];
        double[] ys = new double[n];
        double top = 0;
        for (int i = 0; i < n; i++) {
            xs[i] = points[i][0];
            top = Math.max(top, points[i][1]); // the curve read by x, kept non-decreasing
            ys[i] = top;
        }
        for (int i = 0; i < x.length; i++) {
            double v = Math.min(1, Math.max(0, x[i]));
            int k = Arrays.binarySearch(xs, v);
            double y;
            if (k >= 0) {
                y = ys[k];
            } else {
                int hi = -k - 1;
                if (hi == 0) {
                    y = ys[0];
                } else if (hi == n) {
                    y = ys[n - 1];
                } else {
                    double span = xs[hi] - xs[hi - 1];
                    double w = span <= 0 ? 0 : (v - xs[hi - 1]) / span;
                    y = ys[hi - 1] + w * (ys[hi] - ys[hi - 1]);
                }
            }
            x[i] = (float) y;
        }
    }

    /**
     * Shuffles the pixels inside {@code blocks} random square blocks of side 1 to {@code maxSide}
     * (the same permutation on every channel): the texture is lost, the coarse content stays.
     */
    static void localShuffle(float[] x, int channels, int size, int blocks, int maxSide, Random random) {
        int plane = size * size;
        for (int b = 0; b < blocks; b++) {
            int w = 1 + random.nextInt(Math.min(maxSide, size));
            int h = 1 + random.nextInt(Math.min(maxSide, size));
            int x0 = random.nextInt(size - w + 1);
            int y0 = random.nextInt(size - h + 1);
            int[] order = new int[w * h];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            for (int i = order.length - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            float[] block = new float[w * h];
            for (int c = 0; c < channels; c++) {
                int base = c * plane;
                for (int i = 0; i < block.length; i++) {
                    block[i] = x[base + (y0 + i / w) * size + x0 + i % w];
                }
                for (int i = 0; i < block.length; i++) {
                    x[base + (y0 + i / w) * size + x0 + i % w] = block[order[i]];
                }
            }
        }
    }

    /**
     * Inner painting: up to five rectangles (the first always, each next with probability 0.95),
     * sides between a sixth and a third of the input, filled with uniform noise.
     */
    static void innerPaint(float[] x, int channels, int size, Random random) {
        int count = 0;
        do {
            int lo = Math.max(1, size / 6);
            int hi = Math.max(lo + 1, size / 3);
            int w = lo + random.nextInt(hi - lo);
            int h = lo + random.nextInt(hi - lo);
            int x0 = random.nextInt(size - w + 1);
            int y0 = random.nextInt(size - h + 1);
            fill(x, channels, size, x0, y0, w, h, random);
            count++;
        } while (count < 5 && random.nextDouble() < 0.95);
    }

    /**
     * Outer painting: the whole input becomes uniform noise except up to five windows of the image
     * (the first always, each next with probability 0.95), sides between 3/7 and 4/7 of the input.
     */
    static void outerPaint(float[] x, int channels, int size, Random random) {
        float[] original = x.clone();
        fill(x, channels, size, 0, 0, size, size, random);
        int plane = size * size;
        int count = 0;
        do {
            int lo = Math.max(1, 3 * size / 7);
            int hi = Math.max(lo + 1, 4 * size / 7);
            int w = lo + random.nextInt(hi - lo);
            int h = lo + random.nextInt(hi - lo);
            int x0 = random.nextInt(size - w + 1);
            int y0 = random.nextInt(size - h + 1);
            for (int c = 0; c < channels; c++) {
                for (int y = y0; y < y0 + h; y++) {
                    int row = c * plane + y * size;
                    System.arraycopy(original, row + x0, x, row + x0, w);
                }
            }
            count++;
        } while (count < 5 && random.nextDouble() < 0.95);
    }

    private static void fill(float[] x, int channels, int size, int x0, int y0, int w, int h, Random random) {
        int plane = size * size;
        for (int y = y0; y < y0 + h; y++) {
            for (int i = x0; i < x0 + w; i++) {
                for (int c = 0; c < channels; c++) {
                    x[c * plane + y * size + i] = random.nextFloat();
                }
            }
        }
    }

    private static void check(float[] x, int channels, int size) {
        if (channels < 1 || size < 2 || x.length != channels * size * size) {
            throw new IllegalArgumentException("an input of " + channels + " × " + size + "² pixels, got " + x.length);
        }
    }
}
