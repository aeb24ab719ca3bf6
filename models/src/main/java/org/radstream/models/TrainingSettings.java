package org.radstream.models;

/**
 * Optimiser and schedule of a training run. Adam is the only optimiser: the PyTorch engine of
 * DJL 0.35 does not implement Nag, Adagrad or RMSprop updates, and Adam needs no tuning for the
 * small networks trained here.
 *
 * @param epochs passes over the data in {@code fit}
 * @param batchSize samples per optimiser step (the last batch of an epoch may be smaller)
 * @param learningRate Adam's fixed learning rate
 * @param seed seed of the per-epoch shuffle and of the initial weights, so that runs repeat
 * @param cosineDecay whether {@code fit} lowers the learning rate along a half cosine to 1% of
 *     {@code learningRate} by its last step (Adam otherwise keeps moving weights by about the
 *     learning rate per step however small the loss). Best for long runs; for a few dozen steps a
 *     constant rate converges faster.
 *
 * <p>Batch-norm running statistics start at mean 0, variance 1 and forget that start by a factor
 * 0.9 per step, so runs much shorter than ~50 steps predict worse in inference mode than their
 * training loss suggests.
 */
public record TrainingSettings(int epochs, int batchSize, float learningRate, long seed,
        boolean cosineDecay) {

    /** Constant learning rate. */
    public TrainingSettings(int epochs, int batchSize, float learningRate, long seed) {
        this(epochs, batchSize, learningRate, seed, false);
    }

    public TrainingSettings {
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
        if (!(learningRate > 0f && learningRate < 1f)) {
            throw new IllegalArgumentException("learningRate must lie in (0, 1), got " + learningRate);
        }
    }

    /** 10 epochs, batch 8, learning rate 1e-3 with cosine decay, seed 42. */
    public static TrainingSettings defaults() {
        return new TrainingSettings(10, 8, 1e-3f, 42L, true);
    }

    public TrainingSettings withCosineDecay(boolean decay) {
        return new TrainingSettings(epochs, batchSize, learningRate, seed, decay);
    }

    public TrainingSettings withEpochs(int newEpochs) {
        return new TrainingSettings(newEpochs, batchSize, learningRate, seed, cosineDecay);
    }

    public TrainingSettings withBatchSize(int newBatchSize) {
        return new TrainingSettings(epochs, newBatchSize, learningRate, seed, cosineDecay);
    }

    public TrainingSettings withLearningRate(float newLearningRate) {
        return new TrainingSettings(epochs, batchSize, newLearningRate, seed, cosineDecay);
    }
}
