package org.radstream.models;

/**
 * Optimiser and schedule of a training run. Adam is the only optimiser: the PyTorch engine of
 * DJL 0.35 does not implement Nag, Adagrad or RMSprop updates, and Adam needs no tuning for the
 * small networks trained here.
 *
 * @param epochs passes over the data in {@code fit}
 * @param batchSize samples per optimiser step (the last batch of an epoch may be smaller)
 * @param learningRate Adam's fixed learning rate
 * @param seed seed of the per-epoch shuffle, so that runs are repeatable
 */
public record TrainingSettings(int epochs, int batchSize, float learningRate, long seed) {

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

    /** 10 epochs, batch 8, learning rate 1e-3, seed 42. */
    public static TrainingSettings defaults() {
        return new TrainingSettings(10, 8, 1e-3f, 42L);
    }

    public TrainingSettings withEpochs(int newEpochs) {
        return new TrainingSettings(newEpochs, batchSize, learningRate, seed);
    }

    public TrainingSettings withBatchSize(int newBatchSize) {
        return new TrainingSettings(epochs, newBatchSize, learningRate, seed);
    }

    public TrainingSettings withLearningRate(float newLearningRate) {
        return new TrainingSettings(epochs, batchSize, newLearningRate, seed);
    }
}
