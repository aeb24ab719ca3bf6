package org.radstream.trainer;

/**
 * Self-supervised pretraining of the trainer's runs on archived series no label names (strategy
 * (d), {@link SelfSupervisedPretraining}): before a run that starts from fresh weights learns from
 * its labels, its U-Net learns to restore crops of up to {@code maxSeries} such series of its task's
 * group, the newest first. The series held out for selection and for the gate ({@link HeldOutSplit})
 * are left out, labelled or not, so neither scores the challenger on images it has seen. Each
 * series is held in memory as Hounsfield units during the pretraining, as the labelled ones are
 * during the run.
 *
 * @param epochs    pretraining epochs, at least 1
 * @param maxSeries at most this many unlabelled series, at least 1
 */
public record ArchivePretraining(int epochs, int maxSeries) {
    /** Series of a task's group taken by default: enough variety without holding a whole archive in memory. */
    public static final int DEFAULT_MAX_SERIES = 16;

    public ArchivePretraining {
        if (epochs < 1) {
            throw new IllegalArgumentException("pretraining needs at least one epoch, got " + epochs);
        }
        if (maxSeries < 1) {
            throw new IllegalArgumentException("pretraining needs at least one series, got " + maxSeries);
        }
    }
}
