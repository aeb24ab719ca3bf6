package org.radstream.models;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;

/**
 * A small, reusable training loop for the segmentation networks: Adam, Dice + BCE by default,
 * shuffled mini-batches, and a {@link TrainingResult} to assert on.
 *
 * <p>It is deliberately a building block. The trainer's strategies compose it: hard-sample mining
 * calls {@link #predict} on the held-out half and {@link #fit} again with the hard slices added;
 * SU-UNet passes soft targets (any value in [0, 1]) and its own loss; transfer learning loads a
 * published model, calls {@link UNet#freezeEncoder} on its block and trains on. A model whose
 * block is already initialised (e.g. loaded from the store) keeps its weights.
 *
 * <p>Owns a DJL {@link Trainer}; not thread-safe; close it before closing the model.
 */
public final class SegmentationTraining implements AutoCloseable {

    private final TrainingLoop loop;
    private final int channels;
    private final int height;
    private final int width;

    private SegmentationTraining(TrainingLoop loop, int channels, int height, int width) {
        this.loop = loop;
        this.channels = channels;
        this.height = height;
        this.width = width;
    }

    /** Dice + BCE on samples of {@code channels}×{@code height}×{@code width}. */
    public static SegmentationTraining start(Model model, int channels, int height, int width,
            TrainingSettings settings) {
        return start(model, channels, height, width, settings, new DiceBceLoss());
    }

    /** With a caller-supplied loss over (targets N×1×H×W, logits N×1×H×W). */
    public static SegmentationTraining start(Model model, int channels, int height, int width,
            TrainingSettings settings, Loss loss) {
        return new SegmentationTraining(
                new TrainingLoop(model, loss, channels, height, width, settings),
                channels, height, width);
    }

    /**
     * One optimiser step.
     *
     * @param inputs N samples of C×H×W
     * @param targets N target maps of H×W, values in [0, 1] (hard or soft labels)
     * @return the batch loss before the update; NaN for a batch whose loss was not finite, from which
     *         no update was made ({@link NonFiniteLosses}: the third such batch in a row throws)
     */
    public float step(float[][] inputs, float[][] targets) {
        checkTargets(inputs, targets);
        return loop.step(inputs, (manager, rows) -> targetArray(manager, targets), null);
    }

    /**
     * One optimiser step with per-pixel weights of the loss's cross-entropy term: the labels go to the
     * loss as N×2×H×W, target then weight ({@link DiceBceLoss} reads them so).
     *
     * @param weights N weight maps of H×W, each value positive
     */
    public float step(float[][] inputs, float[][] targets, float[][] weights) {
        return stepWithMaps(inputs, targets, weights);
    }

    /**
     * One optimiser step with per-pixel weights and a focus region (1 inside, 0 outside) whose mean pixel
     * loss {@link DiceBceLoss} adds as its focus term: the labels go to the loss as N×3×H×W.
     */
    public float step(float[][] inputs, float[][] targets, float[][] weights, float[][] focus) {
        return stepWithMaps(inputs, targets, weights, focus);
    }

    private float stepWithMaps(float[][] inputs, float[][] targets, float[][]... maps) {
        checkTargets(inputs, targets);
        int plane = height * width;
        int channels = 1 + maps.length;
        float[][] all = new float[targets.length][];
        for (int i = 0; i < targets.length; i++) {
            if (targets[i].length != plane) {
                throw new IllegalArgumentException("target maps must have " + plane + " values, got " + targets[i].length);
            }
            all[i] = new float[channels * plane];
            System.arraycopy(targets[i], 0, all[i], 0, plane);
        }
        for (int m = 0; m < maps.length; m++) {
            String what = m == 0 ? "weight maps" : "focus maps";
            if (maps[m].length != targets.length) {
                throw new IllegalArgumentException(targets.length + " targets but " + maps[m].length + " " + what);
            }
            for (int i = 0; i < targets.length; i++) {
                if (maps[m][i].length != plane) {
                    throw new IllegalArgumentException(what + " must have " + plane + " values, got "
                            + maps[m][i].length);
                }
                System.arraycopy(maps[m][i], 0, all[i], (m + 1) * plane, plane);
            }
        }
        return loop.step(inputs, (manager, rows) -> manager.create(Batches.pack(all, channels, height, width),
                new Shape(all.length, channels, height, width)), null);
    }

    /** {@code settings.epochs()} shuffled passes over all samples. */
    public TrainingResult fit(float[][] inputs, float[][] targets) {
        checkTargets(inputs, targets);
        return loop.fit(inputs.length,
                rows -> gather(inputs, rows),
                (manager, rows) -> targetArray(manager, gather(targets, rows)));
    }

    /** Probability maps in inference mode, computed in batches of {@code settings.batchSize()}. */
    public float[][] predict(float[][] inputs) {
        float[][] out = new float[inputs.length][];
        int batch = loop.settings().batchSize();
        for (int from = 0; from < inputs.length; from += batch) {
            int to = Math.min(inputs.length, from + batch);
            float[][] part = java.util.Arrays.copyOfRange(inputs, from, to);
            float[][] probabilities =
                    SegmentationTranslator.probabilities(loop.evaluate(part), part.length);
            System.arraycopy(probabilities, 0, out, from, part.length);
        }
        return out;
    }

    /**
     * Scales the learning rate of the following {@link #step}s (a caller's schedule, e.g. cosine
     * over epochs); 1 = the settings' rate.
     */
    public void setLearningRateScale(float scale) {
        loop.setRateScale(scale);
    }

    /** Batches whose loss was not finite and that made no update, since this training started. */
    public int skippedSteps() {
        return loop.skippedSteps();
    }

    /** The underlying DJL trainer, for strategies that need more than this loop offers. */
    public Trainer trainer() {
        return loop.trainer();
    }

    private ai.djl.ndarray.NDArray targetArray(NDManager manager, float[][] targets) {
        return manager.create(Batches.pack(targets, 1, height, width),
                new Shape(targets.length, 1, height, width));
    }

    private void checkTargets(float[][] inputs, float[][] targets) {
        if (inputs.length != targets.length) {
            throw new IllegalArgumentException(inputs.length + " inputs but " + targets.length
                    + " targets");
        }
        Batches.pack(inputs, channels, height, width);
    }

    static float[][] gather(float[][] data, int[] rows) {
        float[][] out = new float[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            out[i] = data[rows[i]];
        }
        return out;
    }

    @Override
    public void close() {
        loop.close();
    }
}
