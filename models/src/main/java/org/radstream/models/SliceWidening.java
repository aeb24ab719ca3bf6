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
                values = centred(name, values, src.getShape(), dst.getShape(), narrow, wide);
            }
            dst.set(FloatBuffer.wrap(values));
        }
    }

    /** An input-reading weight ({@code out × narrow × …}) placed on the middle of {@code out × wide × …}, zeros around. */
    static float[] centred(String name, float[] values, Shape narrowShape, Shape wideShape, int narrow, int wide) {
        if (narrowShape.dimension() < 2 || narrowShape.dimension() != wideShape.dimension()
                || narrowShape.get(1) != narrow || wideShape.get(1) != wide
                || !narrowShape.slice(2).equals(wideShape.slice(2)) || narrowShape.get(0) != wideShape.get(0)) {
            throw new IllegalArgumentException("parameter " + name + " is " + narrowShape + " in the narrow network and "
                    + wideShape + " in the wide one: only the slices read may differ");
        }
        int outputs = Math.toIntExact(narrowShape.get(0));
        int per = Math.toIntExact(narrowShape.slice(2).size());
        int offset = (wide - narrow) / 2;
        float[] out = new float[outputs * wide * per];
        for (int o = 0; o < outputs; o++) {
            for (int c = 0; c < narrow; c++) {
                System.arraycopy(values, (o * narrow + c) * per, out, (o * wide + c + offset) * per, per);
            }
        }
        return out;
    }
}
