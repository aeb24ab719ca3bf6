package org.radstream.trainer;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Whether a task is due for a training run, and why: its last run did not finish (a crash or a
 * stop), it has N label changes since its last finished run, or it has any and the interval since
 * that run has passed. A run that failed (an exception, not a crash) leaves its labels untrained,
 * so they are tried again, but not before {@link #FAILED_RUN_RETRY} has passed: a failure that
 * repeats (no training scans, a full disk) is retried hourly, not at every check. A run an operator
 * cancelled leaves its labels untrained too; its task is not due again for {@link
 * #CANCELLED_RUN_PAUSE} (the operator wanted the machine; a run on demand still starts at once).
 */
final class TrainingTrigger {
    /** How long after a failed run its task may run again by count or interval. */
    static final Duration FAILED_RUN_RETRY = Duration.ofHours(1);
    /** How long after a cancelled run its task may run again by count or interval: a working shift. */
    static final Duration CANCELLED_RUN_PAUSE = Duration.ofHours(8);

    private TrainingTrigger() {}

    /**
     * @param fresh       label changes since the task's last finished run
     * @param perTraining N; 0 disables the count trigger
     * @param interval    T; zero disables the interval trigger
     * @param lastFinish  when the task's last run finished, and how ("published", "refused", "failed", "cancelled")
     * @param started     when this trainer started (the interval counts from it when the task never ran)
     * @return why the task is due, or empty
     */
    static Optional<String> due(boolean interrupted, int fresh, int perTraining, Duration interval,
                                Optional<Instant> lastFinished, Optional<String> lastResult, Instant started, Instant now) {
        if (interrupted) {
            return Optional.of("its last run did not finish");
        }
        Duration pause = lastResult.map(r -> r.equals(TrainingLedger.FAILED) ? FAILED_RUN_RETRY
                : r.equals(TrainingLedger.CANCELLED) ? CANCELLED_RUN_PAUSE : Duration.ZERO).orElse(Duration.ZERO);
        if (lastFinished.isPresent() && lastFinished.get().plus(pause).isAfter(now)) {
            return Optional.empty();
        }
        if (perTraining > 0 && fresh >= perTraining) {
            return Optional.of("count");
        }
        if (!interval.isZero() && fresh > 0 && !lastFinished.orElse(started).plus(interval).isAfter(now)) {
            return Optional.of("interval");
        }
        return Optional.empty();
    }
}
