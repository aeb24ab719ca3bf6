package org.radstream.models;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;

/**
 * Training loop for the patch classifier: Adam and softmax cross-entropy over class indices
 * (0 = reject, 1 = keep). Same shape as {@link SegmentationTraining}; see there for ownership.
 */
public final class ClassifierTraining implements AutoCloseable {

    private final TrainingLoop loop;
    private final int classes;

    private ClassifierTraining(TrainingLoop loop, int classes) {
        this.loop = loop;
        this.classes = classes;
    }

    /**
     * @param model a model whose block is a classifier with at least two logits
     */
    public static ClassifierTraining start(Model model, int channels, int height, int width,
            TrainingSettings settings) {
        int classes = Architectures.specOf(model.getBlock()).outChannels();
        UNet.require(classes >= 2, "softmax training needs at least 2 classes, network has "
                + classes);
        return new ClassifierTraining(new TrainingLoop(model, Loss.softmaxCrossEntropyLoss(),
                channels, height, width, settings), classes);
    }

    /**
     * One optimiser step; returns the batch loss before the update, or NaN for a batch whose loss was
     * not finite, from which no update was made ({@link NonFiniteLosses}).
     */
    public float step(float[][] patches, int[] labels) {
        check(patches, labels);
        return loop.step(patches, (manager, rows) -> labelArray(manager, labels), null);
    }

    public TrainingResult fit(float[][] patches, int[] labels) {
        check(patches, labels);
        return loop.fit(patches.length,
                rows -> SegmentationTraining.gather(patches, rows),
                (manager, rows) -> {
                    int[] picked = new int[rows.length];
                    for (int i = 0; i < rows.length; i++) {
                        picked[i] = labels[rows[i]];
                    }
                    return labelArray(manager, picked);
                });
    }

    /** Probability of the positive (last) class for each patch, in inference mode. */
    public float[] predict(float[][] patches) {
        return ClassifierTranslator.positiveProbabilities(loop.evaluate(patches), patches.length,
                classes);
    }

    public Trainer trainer() {
        return loop.trainer();
    }

    private static NDArray labelArray(NDManager manager, int[] labels) {
        long[] values = new long[labels.length];
        for (int i = 0; i < labels.length; i++) {
            values[i] = labels[i];
        }
        return manager.create(values);
    }

    private void check(float[][] patches, int[] labels) {
        if (patches.length != labels.length) {
            throw new IllegalArgumentException(patches.length + " patches but " + labels.length
                    + " labels");
        }
        for (int label : labels) {
            if (label < 0 || label >= classes) {
                throw new IllegalArgumentException("label " + label + " outside [0, " + classes + ")");
            }
        }
    }

    @Override
    public void close() {
        loop.close();
    }
}
