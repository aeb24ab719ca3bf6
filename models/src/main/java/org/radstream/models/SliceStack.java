package org.radstream.models;

import java.util.List;

/**
 * Builds network inputs from a series of windowed slices.
 *
 * <p>The 2.5D U-Net of the COVID-19 paper sees each slice together with its neighbours stacked as
 * channels (previous, current, next) and predicts the current slice. At the first and last
 * slice the missing neighbour is replaced by the edge slice itself (edge replication), so every
 * slice of a series gets a prediction and the channel count never changes.
 */
public final class SliceStack {

    private SliceStack() {}

    /**
     * The {@code channels}-slice window centred on {@code index}, flattened channel-major
     * (C×H×W). {@code channels} must be odd; 1 gives the 2D input (a copy of the slice).
     *
     * @param slices the series in acquisition order, each H×W row-major, all the same length
     */
    public static float[] stack(List<float[]> slices, int index, int channels) {
        if (channels < 1 || channels % 2 == 0) {
            throw new IllegalArgumentException("channels must be odd and positive, got " + channels);
        }
        if (slices.isEmpty()) {
            throw new IllegalArgumentException("no slices to stack");
        }
        if (index < 0 || index >= slices.size()) {
            throw new IllegalArgumentException("slice index " + index + " outside [0, "
                    + slices.size() + ")");
        }
        int len = slices.get(0).length;
        float[] out = new float[channels * len];
        int half = channels / 2;
        for (int c = 0; c < channels; c++) {
            int source = Math.min(slices.size() - 1, Math.max(0, index - half + c));
            float[] slice = slices.get(source);
            if (slice.length != len) {
                throw new IllegalArgumentException("slice " + source + " has " + slice.length
                        + " pixels, slice 0 has " + len);
            }
            System.arraycopy(slice, 0, out, c * len, len);
        }
        return out;
    }

    /** Inputs for every slice of the series, in order: what a worker feeds in batches. */
    public static float[][] stackAll(List<float[]> slices, int channels) {
        float[][] out = new float[slices.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = stack(slices, i, channels);
        }
        return out;
    }
}
