package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * When a task is due for a run: N label changes, the interval, a run that did not finish; a failed
 * run's retry waits, and a cancelled run's task waits for the interval.
 */
class TrainingTriggerTest {
    private final Instant started = Instant.parse("2026-12-06T00:00:00Z");
    private final Duration day = Duration.ofHours(24);

    @Test
    void countIntervalAndInterruptedRunsMakeATaskDue() {
        Instant now = started.plus(Duration.ofHours(2));
        assertThat(TrainingTrigger.due(false, 20, 20, day, Optional.empty(), Optional.empty(), started, now)).contains("count");
        assertThat(TrainingTrigger.due(false, 19, 20, day, Optional.empty(), Optional.empty(), started, now)).isEmpty();
        assertThat(TrainingTrigger.due(false, 1, 20, day, Optional.of(started.minus(day)), Optional.of("published"), started, now))
                .contains("interval");
        assertThat(TrainingTrigger.due(false, 0, 20, day, Optional.of(started.minus(day)), Optional.of("published"), started, now))
                .isEmpty();
        assertThat(TrainingTrigger.due(true, 0, 20, day, Optional.empty(), Optional.empty(), started, now))
                .contains("its last run did not finish");
        assertThat(TrainingTrigger.due(false, 500, 0, Duration.ZERO, Optional.empty(), Optional.empty(), started, now)).isEmpty();
    }

    @Test
    void aFailedRunIsRetriedAnHourAfterItEndedNotAtEveryCheck() {
        Instant failedAt = started.plus(Duration.ofHours(2));
        Optional<String> failed = Optional.of(TrainingLedger.FAILED);
        assertThat(TrainingTrigger.due(false, 20, 20, day, Optional.of(failedAt), failed, started, failedAt.plusSeconds(1)))
                .isEmpty();
        assertThat(TrainingTrigger.due(false, 20, 20, day, Optional.of(failedAt), failed, started,
                failedAt.plus(TrainingTrigger.FAILED_RUN_RETRY))).contains("count");
        // a run that did not finish at all runs again at once, whatever failed before it
        assertThat(TrainingTrigger.due(true, 20, 20, day, Optional.of(failedAt), failed, started, failedAt.plusSeconds(1)))
                .contains("its last run did not finish");
    }

    @Test
    void aCancelledRunsTaskWaitsItsPauseThenRunsByCountOrIntervalAgain() {
        Instant cancelledAt = started.plus(Duration.ofHours(2));
        Optional<String> cancelled = Optional.of(TrainingLedger.CANCELLED);
        Instant paused = cancelledAt.plus(TrainingTrigger.CANCELLED_RUN_PAUSE);
        assertThat(TrainingTrigger.due(false, 20, 20, day, Optional.of(cancelledAt), cancelled, started,
                cancelledAt.plus(TrainingTrigger.FAILED_RUN_RETRY))).isEmpty();
        assertThat(TrainingTrigger.due(false, 20, 20, day, Optional.of(cancelledAt), cancelled, started,
                paused.minusSeconds(1))).isEmpty();
        assertThat(TrainingTrigger.due(false, 20, 20, day, Optional.of(cancelledAt), cancelled, started, paused))
                .contains("count");
        assertThat(TrainingTrigger.due(false, 1, 20, Duration.ofHours(1), Optional.of(cancelledAt), cancelled, started,
                paused)).contains("interval");
        // a run that did not finish at all runs again at once
        assertThat(TrainingTrigger.due(true, 20, 20, day, Optional.of(cancelledAt), cancelled, started,
                cancelledAt.plusSeconds(1))).contains("its last run did not finish");
    }
}
