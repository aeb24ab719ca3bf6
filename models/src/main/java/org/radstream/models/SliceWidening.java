package org.radstream.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.ParameterList;
import java.nio.FloatBuffer;

/**
 * Starts a 2.5D U-Net that reads more slices from a trained one that reads fewer (for example 5
 * from 3): every weight is copied, and the weights that read the input (the first convolution; in a
 * residual U-Net also its first shortcut) are copied onto the middle channels, the added outer
 * slices' weights starting at zero. The wider network then computes exactly what the trained one
 * did, whatever its outer slices hold, and training teaches it what to take from them.
 *
 * <p>{@link #addSoftTissueWindow} does the same for a plain U-Net becoming a {@link
 * UNetVariant#TWO_WINDOWS} one: the first convolution's weights on the soft-tissue channels start at
 * zero.
 */
public final class SliceWidening {

    private SliceWidening() {}

    /**
     * Copies {@code from}'s weights (and batch-norm statistics) into {@code to}.
     *
     * @param from an initialised U-Net reading an odd number of slices
     * @param to   an initialised U-Net of the same variant, levels, width and outputs, reading at
     *             least as many slices (an odd number)
     * @throws IllegalArgumentException when the two are not the same network apart from the slices in
     */
    public static void copy(UNet from, UNet to) {
        int narrow = from.inChannels();
        int wide = to.inChannels();
        if (from.variant() != to.variant() || from.levels() != to.levels() || from.baseWidth() != to.baseWidth()
                || from.outChannels() != to.outChannels() || narrow % 2 == 0 || wide % 2 == 0 || wide < narrow) {
            throw new IllegalArgumentException("cannot widen " + from + " into " + to
                    + ": the same network reading an odd number of slices, at least as many, is needed");
        }
        // a two-window network reads the slices twice, lung window then soft tissue: each block is centred
        int windows = from.firstStageChannels() / narrow;
        copyParameters(from, to, (name, values, narrowShape, wideShape) ->
                centred(name, values, narrowShape, wideShape, narrow, wide, windows));
    }

    /**
     * Copies a plain U-Net's weights (and batch-norm statistics) into a {@link UNetVariant#TWO_WINDOWS}
     * one of the same slices, levels, width and outputs: the first convolution reads the lung-window
     * channels as before and the soft-tissue channels with weights of zero, so the new network computes
     * exactly what the plain one did until training moves them.
     *
     * @throws IllegalArgumentException when the two are not those networks
     */
    public static void addSoftTissueWindow(UNet from, UNet to) {
        if (from.variant() != UNetVariant.PLAIN || to.variant() != UNetVariant.TWO_WINDOWS
                || from.inChannels() != to.inChannels() || from.levels() != to.levels()
                || from.baseWidth() != to.baseWidth() || from.outChannels() != to.outChannels()) {
            throw new IllegalArgumentException("cannot add the soft-tissue window to " + from + " as " + to
                    + ": a plain U-Net and a two-window one of the same slices, levels, width and outputs are needed");
        }
        int read = from.inChannels();
        copyParameters(from, to, (name, values, narrowShape, wideShape) ->
                leading(name, values, narrowShape, wideShape, read));
    }

    private interface Reshape {
        float[] apply(String name, float[] values, Shape narrowShape, Shape wideShape);
    }

    private static void copyParameters(UNet from, UNet to, Reshape inputWeights) {
        if (!from.isInitialized() || !to.isInitialized()) {
            throw new IllegalArgumentException("both networks must be initialised to copy weights between them");
        }
        ParameterList source = from.getParameters();
        ParameterList target = to.getParameters();
        if (source.size() != target.size()) {
            throw new IllegalArgumentException(from + " has " + source.size() + " parameters, " + to + " "
                    + target.size());
        }
        for (int i = 0; i < source.size(); i++) {
            String name = source.get(i).getKey();
            if (!name.equals(target.get(i).getKey())) {
                throw new IllegalArgumentException("parameter " + i + " is " + name + " in " + from + " but "
                        + target.get(i).getKey() + " in " + to);
            }
            NDArray src = source.get(i).getValue().getArray();
            NDArray dst = target.get(i).getValue().getArray();
            if (src.getDataType() != DataType.FLOAT32 || dst.getDataType() != DataType.FLOAT32) {
                throw new IllegalArgumentException("parameter " + name + " is not float32");
            }
            float[] values = src.toFloatArray();
            if (!src.getShape().equals(dst.getShape())) {
                values = inputWeights.apply(name, values, src.getShape(), dst.getShape());
            }
            dst.set(FloatBuffer.wrap(values));
        }
    }

    /**
     * An input-reading weight ({@code out × windows·narrow × …}) placed, window by window, on the middle
     * of {@code out × windows·wide × …}, zeros around.
     */
    static float[] centred(String name, float[] values, Shape narrowShape, Shape wideShape, int narrow, int wide,
                           int windows) {
        if (narrowShape.dimension() < 2 || narrowShape.dimension() != wideShape.dimension()
                || narrowShape.get(1) != (long) windows * narrow || wideShape.get(1) != (long) windows * wide
                || !narrowShape.slice(2).equals(wideShape.slice(2)) || narrowShape.get(0) != wideShape.get(0)) {
            throw new IllegalArgumentException("parameter " + name + " is " + narrowShape + " in the narrow network and "
                    + wideShape + " in the wide one: only the slices read may differ");
        }
        int outputs = Math.toIntExact(narrowShape.get(0));
        int per = Math.toIntExact(narrowShape.slice(2).size());
        int offset = (wide - narrow) / 2;
        float[] out = new float[outputs * windows * wide * per];
        for (int o = 0; o < outputs; o++) {
            for (int w = 0; w < windows; w++) {
                for (int c = 0; c < narrow; c++) {
                    System.arraycopy(values, ((o * windows + w) * narrow + c) * per, out,
                            ((o * windows + w) * wide + c + offset) * per, per);
                }
            }
        }
        return out;
    }

    /** An input-reading weight ({@code out × read × …}) on the first {@code read} channels of {@code out × 2·read × …}, zeros after. */
    static float[] leading(String name, float[] values, Shape narrowShape, Shape wideShape, int read) {
        if (narrowShape.dimension() < 2 || narrowShape.dimension() != wideShape.dimension()
                || narrowShape.get(1) != read || wideShape.get(1) != 2L * read
                || !narrowShape.slice(2).equals(wideShape.slice(2)) || narrowShape.get(0) != wideShape.get(0)) {
            throw new IllegalArgumentException("parameter " + name + " is " + narrowShape + " in the plain network and "
                    + wideShape + " in the two-window one: only the channels read may differ");
        }
        int outputs = Math.toIntExact(narrowShape.get(0));
        int per = Math.toIntExact(narrowShape.slice(2).size());
        float[] out = new float[outputs * 2 * read * per];
        for (int o = 0; o < outputs; o++) {
            System.arraycopy(values, o * read * per, out, o * 2 * read * per, read * per);
        }
        return out;
    }
}
