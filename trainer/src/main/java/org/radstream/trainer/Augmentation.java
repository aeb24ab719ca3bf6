package org.radstream.trainer;

import java.util.Random;

/**
 * SU-UNet's augmentation, applied identically to a sample's channels and its target: a random
 * scale (the field of view grows or shrinks by up to {@code marginPx} pixels on every side), a
 * rotation by up to ±{@code maxDegrees} about the centre, and horizontal / vertical flips. Images
 * are sampled bilinearly with edge clamping; targets bilinearly too, so they stay soft.
 */
final class Augmentation {
    private final int size;
    private final double marginPx;
    private final double maxDegrees;

    /** @param marginPx 25 px at 256² in the paper; scale it with the input size */
    Augmentation(int size, double marginPx, double maxDegrees) {
        this.size = size;
        this.marginPx = marginPx;
        this.maxDegrees = maxDegrees;
    }

    /** The paper's settings (±25 px at 256², ±10°) for inputs of {@code size}². */
    static Augmentation paper(int size) {
        return new Augmentation(size, 25.0 * size / 256.0, 10.0);
    }

    /** One drawn transform. */
    record Transform(double margin, double degrees, boolean flipX, boolean flipY) {}

    Transform draw(Random random) {
        return new Transform((random.nextDouble() * 2 - 1) * marginPx, (random.nextDouble() * 2 - 1) * maxDegrees,
                random.nextBoolean(), random.nextBoolean());
    }

    /** Applies {@code t} to a C×size×size sample. */
    float[] apply(float[] sample, Transform t) {
        int plane = size * size;
        int channels = sample.length / plane;
        float[] out = new float[sample.length];
        for (int c = 0; c < channels; c++) {
            warp(sample, c * plane, out, c * plane, t);
        }
        return out;
    }

    /** Horizontal flip of a C×size×size sample (the flipped copies hard-sample mining adds). */
    float[] flipX(float[] sample) {
        float[] out = new float[sample.length];
        for (int base = 0; base < sample.length; base += size) {
            for (int x = 0; x < size; x++) {
                out[base + x] = sample[base + size - 1 - x];
            }
        }
        return out;
    }

    private void warp(float[] src, int srcOff, float[] dst, int dstOff, Transform t) {
        double c = (size - 1) / 2.0;
        double scale = (size - 2 * t.margin()) / size;
        double rad = Math.toRadians(t.degrees());
        double cos = Math.cos(rad);
        double sin = Math.sin(rad);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                double dx = (t.flipX() ? size - 1 - x : x) - c;
                double dy = (t.flipY() ? size - 1 - y : y) - c;
                double sx = c + scale * (cos * dx - sin * dy);
                double sy = c + scale * (sin * dx + cos * dy);
                dst[dstOff + y * size + x] = sample(src, srcOff, sx, sy);
            }
        }
    }

    private float sample(float[] src, int off, double x, double y) {
        x = Math.max(0, Math.min(size - 1, x));
        y = Math.max(0, Math.min(size - 1, y));
        int x0 = (int) Math.floor(x);
        int y0 = (int) Math.floor(y);
        int x1 = Math.min(size - 1, x0 + 1);
        int y1 = Math.min(size - 1, y0 + 1);
        double fx = x - x0;
        double fy = y - y0;
        double top = src[off + y0 * size + x0] * (1 - fx) + src[off + y0 * size + x1] * fx;
        double bottom = src[off + y1 * size + x0] * (1 - fx) + src[off + y1 * size + x1] * fx;
        return (float) (top * (1 - fy) + bottom * fy);
    }
}
