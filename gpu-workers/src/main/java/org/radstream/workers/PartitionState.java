package org.radstream.workers;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.radstream.avro.WindowedSlice;

/**
 * One partition's series in flight and its commit point.
 *
 * <p>A partition may carry interleaved series. The offset that may be committed is
 * {@code min(first offset of any open series, next offset to read)}: everything below it is
 * handled. Series that complete while an earlier one is still open lie (partly) beyond that
 * point; they are remembered as <em>handled</em> (series UID → offset of their last record) and
 * committed in the offset metadata, in the same transaction as their results. After a crash or a
 * rebalance the new owner restores the handled set from the committed metadata and skips every
 * record of those series at or below the recorded offset: nothing is re-assembled and no result
 * is published twice. Entries drop out once the commit point passes them.
 *
 * <p>Confined to the worker's poll thread.
 */
final class PartitionState {

    /** What a series-complete marker means here. */
    enum MarkerOutcome {
        /** The series is assembled: take {@link #completed()}. */
        COMPLETE,
        /** The series was handled before (recorded in the commit metadata): nothing to do. */
        ALREADY_HANDLED,
        /** No slice of this series is in flight: the marker cannot be honoured. */
        ORPHAN
    }

    private final TopicPartition partition;
    private final Map<String, SeriesBuffer> open = new LinkedHashMap<>();
    private final Map<String, Long> handled = new LinkedHashMap<>();
    private long nextOffset;
    private SeriesBuffer completed;

    /**
     * @param committedOffset the committed offset, or -1 when the group never committed here
     * @param handled         series handled beyond the committed offset (from its metadata)
     */
    PartitionState(TopicPartition partition, long committedOffset, Map<String, Long> handled) {
        this.partition = partition;
        this.nextOffset = committedOffset;
        this.handled.putAll(handled);
    }

    /** State restored from what the group committed (null: nothing committed yet). */
    static PartitionState restore(TopicPartition partition, OffsetAndMetadata committed) {
        if (committed == null) {
            return new PartitionState(partition, -1, Map.of());
        }
        return new PartitionState(partition, committed.offset(), CommitMetadata.decode(committed.metadata()));
    }

    TopicPartition partition() {
        return partition;
    }

    /**
     * Buffers a slice, unless its series was handled before (then it is skipped).
     *
     * @return whether the slice was buffered
     */
    boolean offerSlice(long offset, String seriesUid, WindowedSlice slice, long nowMs) {
        advance(offset);
        if (isHandled(seriesUid, offset)) {
            return false;
        }
        open.computeIfAbsent(seriesUid, uid -> new SeriesBuffer(uid, offset, nowMs))
                .add(offset, slice, SeriesBuffer.bytesOf(slice), nowMs);
        return true;
    }

    /**
     * Reacts to a series-complete marker. On {@link MarkerOutcome#COMPLETE} the series leaves the
     * open set and is recorded as handled at the marker's offset; the caller must then publish its
     * result (or dead letter) in the transaction that commits {@link #commitOffset()}.
     */
    MarkerOutcome offerMarker(long offset, String seriesUid) {
        advance(offset);
        completed = null;
        if (isHandled(seriesUid, offset)) {
            return MarkerOutcome.ALREADY_HANDLED;
        }
        SeriesBuffer buffer = open.remove(seriesUid);
        handled.put(seriesUid, offset);
        if (buffer == null) {
            return MarkerOutcome.ORPHAN;
        }
        completed = buffer;
        return MarkerOutcome.COMPLETE;
    }

    /** The series completed by the last {@link #offerMarker} that returned COMPLETE. */
    SeriesBuffer completed() {
        return completed;
    }

    /** A record that is neither slice nor marker of a series (undecodable): only moves the position. */
    void skip(long offset) {
        advance(offset);
    }

    /** The consumer's position: at least one past every record seen (transaction markers take offsets too). */
    void advanceTo(long position) {
        if (position > nextOffset) {
            nextOffset = position;
        }
    }

    /**
     * Removes the series idle for longer than {@code timeoutMs} and records each as handled up to
     * its last slice, so that a re-read after a crash does not report it again.
     */
    List<SeriesBuffer> expire(long nowMs, long timeoutMs) {
        List<SeriesBuffer> out = new ArrayList<>();
        for (Iterator<SeriesBuffer> it = open.values().iterator(); it.hasNext(); ) {
            SeriesBuffer b = it.next();
            if (nowMs - b.lastActivityMs() > timeoutMs) {
                it.remove();
                handled.merge(b.seriesUid(), b.lastOffset(), Math::max);
                out.add(b);
            }
        }
        return out;
    }

    /** Excludes {@code ms} of the worker's own busy time from every open series' idle time. */
    void postponeAll(long ms) {
        open.values().forEach(b -> b.postpone(ms));
    }

    /** Restarts every open series' idle clock. */
    void touchAll(long nowMs) {
        open.values().forEach(b -> b.touch(nowMs));
    }

    /** The offset below which everything is handled; empty until anything was read or committed. */
    OptionalLong commitOffset() {
        if (nextOffset < 0) {
            return OptionalLong.empty();
        }
        long offset = nextOffset;
        for (SeriesBuffer b : open.values()) {
            offset = Math.min(offset, b.firstOffset());
        }
        return OptionalLong.of(offset);
    }

    /**
     * The handled series that must travel with {@link #commitOffset()}: those whose last record
     * is at or beyond it (older ones are forgotten: nothing below the commit point is re-read).
     * At most {@code maxBytes} of metadata; when more would be needed, the entries nearest the
     * commit point are kept and {@code dropped} counts the rest (a crash then may re-publish them).
     */
    Encoded commitMetadata(int maxBytes) {
        OptionalLong commit = commitOffset();
        if (commit.isEmpty()) {
            return new Encoded(CommitMetadata.encode(Map.of()), 0, 0);
        }
        long c = commit.getAsLong();
        handled.values().removeIf(offset -> offset < c);
        TreeMap<Long, List<String>> byOffset = new TreeMap<>();
        handled.forEach((uid, offset) -> byOffset.computeIfAbsent(offset, k -> new ArrayList<>()).add(uid));
        Map<String, Long> ordered = new LinkedHashMap<>();
        byOffset.forEach((offset, uids) -> uids.forEach(uid -> ordered.put(uid, offset)));
        String text = CommitMetadata.encode(ordered);
        int dropped = 0;
        while (text.length() > maxBytes && !ordered.isEmpty()) {
            String last = null;
            for (String uid : ordered.keySet()) {
                last = uid;
            }
            ordered.remove(last);
            dropped++;
            text = CommitMetadata.encode(ordered);
        }
        return new Encoded(text, ordered.size(), dropped);
    }

    /** Metadata text, how many series it records, how many did not fit. */
    record Encoded(String text, int recorded, int dropped) {}

    OffsetAndMetadata offsetAndMetadata(int maxBytes) {
        OptionalLong commit = commitOffset();
        if (commit.isEmpty()) {
            return null;
        }
        return new OffsetAndMetadata(commit.getAsLong(), commitMetadata(maxBytes).text());
    }

    Collection<SeriesBuffer> open() {
        return open.values();
    }

    long bufferedBytes() {
        long n = 0;
        for (SeriesBuffer b : open.values()) {
            n += b.bytes();
        }
        return n;
    }

    /** Handled series currently remembered (a view for tests and metrics). */
    Map<String, Long> handled() {
        return java.util.Collections.unmodifiableMap(handled);
    }

    private boolean isHandled(String seriesUid, long offset) {
        Long last = handled.get(seriesUid);
        return last != null && offset <= last;
    }

    private void advance(long offset) {
        if (offset + 1 > nextOffset) {
            nextOffset = offset + 1;
        }
    }
}
