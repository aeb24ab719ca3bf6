package org.radstream.models;

import java.time.Duration;
import java.util.List;

/**
 * What a {@code fit} call did, for progress reports, quality gates and tests.
 *
 * @param epochLosses mean training loss of each epoch, in order
 * @param steps optimiser steps taken
 * @param samples samples seen (with repetition across epochs)
 * @param elapsed wall-clock time of the run
 */
public record TrainingResult(List<Double> epochLosses, int steps, long samples, Duration elapsed) {

    public TrainingResult {
        epochLosses = List.copyOf(epochLosses);
    }

    public double firstLoss() {
        return epochLosses.get(0);
    }

    /** Mean loss of the last epoch. */
    public double finalLoss() {
        return epochLosses.get(epochLosses.size() - 1);
    }

    public double millisPerStep() {
        return steps == 0 ? 0 : elapsed.toNanos() / 1e6 / steps;
    }
}
