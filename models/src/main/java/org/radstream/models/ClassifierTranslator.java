package org.radstream.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;

/**
 * N patches of C×S×S windowed values in, N probabilities that the patch is a true positive
 * (class 1, "keep") out: softmax over the logits, or sigmoid for a one-logit network.
 */
final class ClassifierTranslator implements Translator<float[][], float[]> {

    private final int channels;
    private final int height;
    private final int width;
    private final int classes;

    ClassifierTranslator(int channels, int height, int width, int classes) {
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.classes = classes;
    }

    @Override
    public NDList processInput(TranslatorContext ctx, float[][] patches) {
        return new NDList(encode(ctx.getNDManager(), patches));
    }

    @Override
    public float[] processOutput(TranslatorContext ctx, NDList output) {
        return decode(output.singletonOrThrow());
    }

    @Override
    public Batchifier getBatchifier() {
        return null;
    }

    NDArray encode(NDManager manager, float[][] patches) {
        return Batches.toArray(manager, patches, channels, height, width);
    }

    float[] decode(NDArray logits) {
        Shape s = logits.getShape();
        if (s.dimension() != 2 || s.get(1) != classes) {
            throw new IllegalArgumentException("expected N×" + classes + " logits, got " + s);
        }
        return positiveProbabilities(logits.toFloatArray(), (int) s.get(0), classes);
    }

    static float[] positiveProbabilities(float[] logits, int n, int classes) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = Probabilities.positive(logits, i * classes, classes);
        }
        return out;
    }
}
