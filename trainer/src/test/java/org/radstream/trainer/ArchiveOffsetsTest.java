package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** The archive consumer commits no further than the first slice of a series it is still collecting. */
class ArchiveOffsetsTest {
    private final TopicPartition p0 = new TopicPartition("radstream.tasks.chest", 0);
    private final TopicPartition p1 = new TopicPartition("radstream.tasks.chest", 1);
    private final Instant t0 = Instant.parse("2026-12-06T12:00:00Z");

    @Test
    void commitsStopAtTheOldestOpenSeriesOfEachPartition() {
        ArchiveOffsets offsets = new ArchiveOffsets();
        assertThat(offsets.commitAt(p0, 10)).isEqualTo(10);
        offsets.slice(p0, "1.1", 10, t0);
        offsets.slice(p0, "1.1", 11, t0);
        offsets.slice(p0, "1.2", 12, t0);
        offsets.slice(p1, "2.1", 40, t0);
        assertThat(offsets.commitAt(p0, 13)).isEqualTo(10);
        assertThat(offsets.commitAt(p1, 41)).isEqualTo(40);

        offsets.closed(p0, "1.1"); // archived: the commit moves to the next open series
        assertThat(offsets.commitAt(p0, 14)).isEqualTo(12);
        offsets.closed(p0, "1.2");
        assertThat(offsets.commitAt(p0, 15)).isEqualTo(15);

        // a partition that went to another consumer: its open series are dropped here
        assertThat(offsets.forget(List.of(p1))).containsExactly("2.1");
        assertThat(offsets.commitAt(p1, 41)).isEqualTo(41);
    }

    @Test
    void aSeriesWhoseMarkerNeverComesIsGivenUpAndNoLongerHoldsTheCommitsBack() {
        ArchiveOffsets offsets = new ArchiveOffsets();
        offsets.slice(p0, "1.1", 10, t0);
        offsets.slice(p0, "1.2", 20, t0.plus(Duration.ofHours(5)));
        assertThat(offsets.abandonOpenedBefore(t0.minusSeconds(1))).isEmpty();
        assertThat(offsets.abandonOpenedBefore(t0.plus(Duration.ofHours(1)))).containsExactly("1.1");
        assertThat(offsets.commitAt(p0, 30)).isEqualTo(20);
    }
}
