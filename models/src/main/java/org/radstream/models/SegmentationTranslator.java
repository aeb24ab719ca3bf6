package org.radstream.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;

/**
 * Batch in, probability maps out: N samples of C×H×W windowed values in [0, 1] (C = 3 for 2.5D,
 * built with {@link SliceStack}) become one N×C×H×W tensor; the network's N×1×H×W logits become
 * N maps of H×W probabilities. Thresholding is left to {@link Probabilities} so callers can keep
 * the soft map (volumes, soft labels) or choose their own threshold.
 *
 * <p>The batch dimension is built here rather than by a {@link Batchifier} so that one predict
 * call is one forward pass over the whole batch.
 */
final class SegmentationTranslator implements Translator<float[][], float[][]> {

    private final int channels;
    private final int height;
    private final int width;

    SegmentationTranslator(int channels, int height, int width) {
        this.channels = channels;
        this.height = height;
        this.width = width;
    }

    @Override
    public NDList processInput(TranslatorContext ctx, float[][] batch) {
        return new NDList(encode(ctx.getNDManager(), batch));
    }

    @Override
    public float[][] processOutput(TranslatorContext ctx, NDList output) {
        return decode(output.singletonOrThrow());
    }

    @Override
    public Batchifier getBatchifier() {
        return null;
    }

    NDArray encode(NDManager manager, float[][] batch) {
        return Batches.toArray(manager, batch, channels, height, width);
    }

    /** N×1×H×W logits → N arrays of H×W probabilities. */
    float[][] decode(NDArray logits) {
        Shape s = logits.getShape();
        if (s.dimension() != 4 || s.get(1) != 1 || s.get(2) != height || s.get(3) != width) {
            throw new IllegalArgumentException("expected N×1×" + height + "×" + width
                    + " logits, got " + s);
        }
        return probabilities(logits.toFloatArray(), (int) s.get(0));
    }

    static float[][] probabilities(float[] logits, int n) {
        float[] p = new float[logits.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = Probabilities.sigmoid(logits[i]);
        }
        return Batches.split(p, n);
    }
}
