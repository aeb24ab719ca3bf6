package org.radstream.workers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.radstream.avro.WindowedSlice;

class PartitionStateTest {
    private static final TopicPartition TP = new TopicPartition("radstream.tasks.chest", 2);

    private static WindowedSlice slice(String uid, int instance) {
        return Scans.slice(TaskGroup.CHEST, uid, instance, instance, new float[4], 2, 2);
    }

    @Test
    void commitPointStaysAtTheFirstOffsetOfTheOldestOpenSeries() {
        PartitionState s = new PartitionState(TP, -1, Map.of());
        assertThat(s.commitOffset()).isEmpty();

        assertThat(s.offerSlice(0, "A", slice("A", 1), 0)).isTrue();
        assertThat(s.offerSlice(1, "B", slice("B", 1), 0)).isTrue();
        assertThat(s.offerSlice(2, "A", slice("A", 2), 0)).isTrue();
        assertThat(s.commitOffset()).hasValue(0);

        assertThat(s.offerMarker(3, "A")).isEqualTo(PartitionState.MarkerOutcome.COMPLETE);
        assertThat(s.completed().seriesUid()).isEqualTo("A");
        assertThat(s.completed().slices()).extracting(SeriesBuffer.BufferedSlice::offset).containsExactly(0L, 2L);
        // B (first offset 1) is still open: A's marker lies beyond the commit point
        assertThat(s.commitOffset()).hasValue(1);
        assertThat(CommitMetadata.decode(s.commitMetadata(4096).text())).containsExactly(Map.entry("A", 3L));

        assertThat(s.offerMarker(4, "B")).isEqualTo(PartitionState.MarkerOutcome.COMPLETE);
        assertThat(s.commitOffset()).hasValue(5);
        // everything below 5 is handled: nothing needs to travel in the metadata any more
        PartitionState.Encoded meta = s.commitMetadata(4096);
        assertThat(meta.text()).isEqualTo(CommitMetadata.PREFIX);
        assertThat(meta.recorded()).isZero();
        assertThat(s.handled()).isEmpty();
    }

    @Test
    void restoredOwnerSkipsEverySeriesHandledBeyondTheCommitPoint() {
        PartitionState first = new PartitionState(TP, -1, Map.of());
        first.offerSlice(10, "A", slice("A", 1), 0);
        first.offerSlice(11, "B", slice("B", 1), 0);
        first.offerSlice(12, "A", slice("A", 2), 0);
        first.offerMarker(13, "A");
        first.offerSlice(14, "B", slice("B", 2), 0);
        first.offerSlice(15, "C", slice("C", 1), 0);
        first.offerMarker(16, "C");
        OffsetAndMetadata committed = first.offsetAndMetadata(4096);
        assertThat(committed.offset()).isEqualTo(11);
        assertThat(CommitMetadata.decode(committed.metadata())).containsExactly(Map.entry("A", 13L), Map.entry("C", 16L));

        // crash: the next owner re-reads from 11
        PartitionState next = PartitionState.restore(TP, committed);
        assertThat(next.offerSlice(11, "B", slice("B", 1), 0)).isTrue();
        assertThat(next.offerSlice(12, "A", slice("A", 2), 0)).isFalse();
        assertThat(next.offerMarker(13, "A")).isEqualTo(PartitionState.MarkerOutcome.ALREADY_HANDLED);
        assertThat(next.offerSlice(14, "B", slice("B", 2), 0)).isTrue();
        assertThat(next.offerSlice(15, "C", slice("C", 1), 0)).isFalse();
        assertThat(next.offerMarker(16, "C")).isEqualTo(PartitionState.MarkerOutcome.ALREADY_HANDLED);
        assertThat(next.open()).extracting(SeriesBuffer::seriesUid).containsExactly("B");
        assertThat(next.commitOffset()).hasValue(11);
        assertThat(next.offerMarker(17, "B")).isEqualTo(PartitionState.MarkerOutcome.COMPLETE);
        assertThat(next.completed().slices()).extracting(SeriesBuffer.BufferedSlice::offset).containsExactly(11L, 14L);
        assertThat(next.commitOffset()).hasValue(18);
        assertThat(next.commitMetadata(4096).recorded()).isZero();
    }

    @Test
    void aSeriesSentAgainAfterItsMarkerIsANewSeries() {
        PartitionState s = new PartitionState(TP, 20, Map.of("A", 25L));
        assertThat(s.offerSlice(24, "A", slice("A", 1), 0)).isFalse();
        assertThat(s.offerSlice(26, "A", slice("A", 1), 0)).isTrue();
        assertThat(s.offerMarker(27, "A")).isEqualTo(PartitionState.MarkerOutcome.COMPLETE);
        assertThat(s.completed().slices()).hasSize(1);
    }

    @Test
    void markerWithoutSlicesIsAnOrphanAndIsNotReportedTwice() {
        PartitionState s = new PartitionState(TP, 0, Map.of());
        s.offerSlice(0, "B", slice("B", 1), 0);
        assertThat(s.offerMarker(1, "A")).isEqualTo(PartitionState.MarkerOutcome.ORPHAN);
        PartitionState again = PartitionState.restore(TP, s.offsetAndMetadata(4096));
        again.offerSlice(0, "B", slice("B", 1), 0);
        assertThat(again.offerMarker(1, "A")).isEqualTo(PartitionState.MarkerOutcome.ALREADY_HANDLED);
    }

    @Test
    void expiredSeriesAdvanceTheCommitPointAndAreNotReportedAgainAfterARestart() {
        PartitionState s = new PartitionState(TP, 0, Map.of());
        s.offerSlice(0, "A", slice("A", 1), 1_000);
        s.offerSlice(1, "B", slice("B", 1), 5_000);
        s.offerSlice(2, "A", slice("A", 2), 1_500);
        assertThat(s.expire(6_000, 10_000)).isEmpty();
        List<SeriesBuffer> expired = s.expire(12_000, 10_000);
        assertThat(expired).extracting(SeriesBuffer::seriesUid).containsExactly("A");
        assertThat(expired.get(0).lastOffset()).isEqualTo(2);
        assertThat(s.commitOffset()).hasValue(1);
        assertThat(s.handled()).containsExactly(Map.entry("A", 2L));

        PartitionState restored = PartitionState.restore(TP, s.offsetAndMetadata(4096));
        assertThat(restored.offerSlice(1, "B", slice("B", 1), 0)).isTrue();
        assertThat(restored.offerSlice(2, "A", slice("A", 2), 0)).isFalse();
        assertThat(restored.open()).extracting(SeriesBuffer::seriesUid).containsExactly("B");
    }

    @Test
    void pausedWaitDoesNotCountAgainstTheMarkerTimeout() {
        PartitionState s = new PartitionState(TP, 0, Map.of());
        s.offerSlice(0, "A", slice("A", 1), 0);
        s.touchAll(9_000);
        assertThat(s.expire(15_000, 10_000)).isEmpty();
        assertThat(s.expire(19_001, 10_000)).hasSize(1);
    }

    @Test
    void theWorkersOwnBusyTimeDoesNotCountAgainstTheMarkerTimeout() {
        PartitionState s = new PartitionState(TP, 0, Map.of());
        s.offerSlice(0, "A", slice("A", 1), 1_000);
        s.postponeAll(8_000); // eight seconds inferring another series
        assertThat(s.expire(15_000, 10_000)).isEmpty();
        assertThat(s.expire(19_001, 10_000)).extracting(SeriesBuffer::seriesUid).containsExactly("A");
    }

    @Test
    void positionBeyondTheLastRecordCountsWhenNothingIsOpen() {
        PartitionState s = new PartitionState(TP, -1, Map.of());
        s.offerSlice(3, "A", slice("A", 1), 0);
        s.offerMarker(4, "A");
        s.advanceTo(6); // a transaction marker sits at offset 5
        assertThat(s.commitOffset()).hasValue(6);
        s.advanceTo(2);
        assertThat(s.commitOffset()).hasValue(6);
    }

    @Test
    void bufferedBytesCountEveryPlane() {
        PartitionState s = new PartitionState(TP, 0, Map.of());
        s.offerSlice(0, "A", Scans.slice(TaskGroup.LIVER, "A", 1, 0, new float[6], 3, 2), 0);
        assertThat(s.bufferedBytes()).isEqualTo(2 * 6 * 2);
    }

    @Test
    void metadataKeepsTheEntriesNearestTheCommitPointWhenItIsFull() {
        Map<String, Long> handled = new LinkedHashMap<>();
        for (int i = 0; i < 400; i++) {
            handled.put("1.2.826.0.1.3680043.8.498." + (long) (Math.abs(Math.sin(i)) * 1e15), 100L + i);
        }
        PartitionState s = new PartitionState(TP, 50, handled);
        s.offerSlice(50, "open", slice("open", 1), 0);
        s.advanceTo(600);
        PartitionState.Encoded full = s.commitMetadata(100_000);
        assertThat(full.recorded()).isEqualTo(400);
        assertThat(CommitMetadata.decode(full.text())).isEqualTo(handled);

        PartitionState.Encoded limited = s.commitMetadata(1024);
        assertThat(limited.text().length()).isLessThanOrEqualTo(1024);
        assertThat(limited.recorded() + limited.dropped()).isEqualTo(400);
        assertThat(limited.dropped()).isPositive();
        Map<String, Long> kept = CommitMetadata.decode(limited.text());
        assertThat(kept.values()).allMatch(o -> o < 100 + limited.recorded());
    }

    @Test
    void metadataCodecRoundTripsAndRejectsCorruption() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("1.2.3.4", 7L);
        m.put("1.2.3.5", 123456789012L);
        assertThat(CommitMetadata.decode(CommitMetadata.encode(m))).isEqualTo(m);
        assertThat(CommitMetadata.decode(null)).isEmpty();
        assertThat(CommitMetadata.decode("")).isEmpty();
        assertThat(CommitMetadata.decode("committed by kafka-consumer-groups")).isEmpty();
        assertThat(CommitMetadata.encode(Map.of())).isEqualTo("rs1:");
        assertThatThrownBy(() -> CommitMetadata.decode("rs1:%%%"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not base64url");
        String valid = CommitMetadata.encode(m);
        assertThatThrownBy(() -> CommitMetadata.decode(valid.substring(0, valid.length() - 4)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
