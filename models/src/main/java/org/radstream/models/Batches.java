package org.radstream.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** Packing of per-sample float arrays into one N×C×H×W tensor and back. */
final class Batches {

    private Batches() {}

    /** Concatenates samples after checking that each has exactly C·H·W values. */
    static float[] pack(float[][] samples, int channels, int height, int width) {
        if (samples == null || samples.length == 0) {
            throw new IllegalArgumentException("empty batch");
        }
        int per = channels * height * width;
        float[] flat = new float[samples.length * per];
        for (int i = 0; i < samples.length; i++) {
            if (samples[i] == null || samples[i].length != per) {
                throw new IllegalArgumentException("sample " + i + " has "
                        + (samples[i] == null ? "no" : String.valueOf(samples[i].length))
                        + " values, expected " + channels + "×" + height + "×" + width + " = " + per);
            }
            System.arraycopy(samples[i], 0, flat, i * per, per);
        }
        return flat;
    }

    static NDArray toArray(NDManager manager, float[][] samples, int channels, int height,
            int width) {
        return manager.create(pack(samples, channels, height, width),
                new Shape(samples.length, channels, height, width));
    }

    /** Splits a flat array into {@code n} consecutive samples. */
    static float[][] split(float[] flat, int n) {
        if (n < 1 || flat.length % n != 0) {
            throw new IllegalArgumentException(flat.length + " values do not split into " + n
                    + " samples");
        }
        int per = flat.length / n;
        float[][] out = new float[n][per];
        for (int i = 0; i < n; i++) {
            System.arraycopy(flat, i * per, out[i], 0, per);
        }
        return out;
    }
}
