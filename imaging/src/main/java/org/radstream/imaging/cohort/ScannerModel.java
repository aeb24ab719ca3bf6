package org.radstream.imaging.cohort;

import java.util.SplittableRandom;

/**
 * What the scanner does to the ideal image: partial-volume blur (a Gaussian point-spread of
 * about 0.6 mm in-plane, and of the slice profile along z), quantum noise of a configurable
 * standard deviation in HU, and rounding to integer HU within the stored range. After this the
 * labels stay sharp while the image does not, as in real data.
 */
final class ScannerModel {
    private ScannerModel() {}

    static void apply(float[] hu, ScanGeometry g, double noiseSigma, double minHu, double maxHu, SplittableRandom random) {
        double sxy = Math.max(0.45, 0.6 / g.dx());
        blur(hu, g.width(), g.height(), g.depth(), sxy, 0);
        blur(hu, g.width(), g.height(), g.depth(), Math.max(0.45, 0.6 / g.dy()), 1);
        if (g.depth() > 1) {
            blur(hu, g.width(), g.height(), g.depth(), 0.4, 2);
        }
        for (int i = 0; i < hu.length; i++) {
            double v = hu[i] + (noiseSigma > 0 ? noiseSigma * random.nextGaussian() : 0);
            v = Math.rint(v) + 0.0; // no negative zero: HU are integers
            hu[i] = (float) Math.max(minHu, Math.min(maxHu, v));
        }
    }

    /** Separable Gaussian along one axis (0 = x, 1 = y, 2 = z), edges clamped. */
    static void blur(float[] data, int w, int h, int d, double sigma, int axis) {
        int radius = (int) Math.ceil(2.5 * sigma);
        double[] k = new double[2 * radius + 1];
        double sum = 0;
        for (int i = -radius; i <= radius; i++) {
            k[i + radius] = Math.exp(-0.5 * i * i / (sigma * sigma));
            sum += k[i + radius];
        }
        for (int i = 0; i < k.length; i++) {
            k[i] /= sum;
        }
        int n = axis == 0 ? w : (axis == 1 ? h : d);
        int stride = axis == 0 ? 1 : (axis == 1 ? w : w * h);
        int lines = data.length / n;
        float[] line = new float[n];
        for (int l = 0; l < lines; l++) {
            int start;
            if (axis == 0) {
                start = l * w;
            } else if (axis == 1) {
                start = (l / w) * w * h + (l % w);
            } else {
                start = l;
            }
            for (int i = 0; i < n; i++) {
                line[i] = data[start + i * stride];
            }
            for (int i = 0; i < n; i++) {
                double acc = 0;
                for (int t = -radius; t <= radius; t++) {
                    int j = i + t;
                    j = j < 0 ? 0 : (j >= n ? n - 1 : j);
                    acc += k[t + radius] * line[j];
                }
                data[start + i * stride] = (float) acc;
            }
        }
    }
}
