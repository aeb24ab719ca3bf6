package org.radstream.trainer;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;

/**
 * Where the archive consumer may commit: a series is collected in memory until its marker, so the
 * offset committed on a partition must not pass the first slice of a series still open there, or a
 * trainer that stops mid-series (a crash, a deploy, a rebalance) would never read those slices
 * again and the series would never be archived. Per partition, the commit is the first offset of
 * the oldest open series, or the consumer's position when none is open. A series whose marker never
 * comes is given up after a while, so that it does not hold the commits back for ever. Not
 * thread-safe: the archive consumer's thread owns it.
 */
final class ArchiveOffsets {
    private record Open(long firstOffset, Instant since) {}

    private final Map<TopicPartition, Map<String, Open>> open = new HashMap<>();

    /** A slice of {@code seriesUid} read at {@code offset} at {@code now}. */
    void slice(TopicPartition tp, String seriesUid, long offset, Instant now) {
        open.computeIfAbsent(tp, k -> new HashMap<>()).putIfAbsent(seriesUid, new Open(offset, now));
    }

    /** The marker of {@code seriesUid}: it is archived (or had nothing to archive), no longer open. */
    void closed(TopicPartition tp, String seriesUid) {
        Map<String, Open> series = open.get(tp);
        if (series != null) {
            series.remove(seriesUid);
        }
    }

    /** The offset to commit on {@code tp} whose consumer position is {@code position}. */
    long commitAt(TopicPartition tp, long position) {
        Map<String, Open> series = open.get(tp);
        long at = position;
        if (series != null) {
            for (Open o : series.values()) {
                at = Math.min(at, o.firstOffset());
            }
        }
        return at;
    }

    /**
     * Forgets the partitions this consumer no longer owns.
     *
     * @return the series that were open on them: their slices are read again by the partitions' next owner
     */
    Set<String> forget(Collection<TopicPartition> revoked) {
        Set<String> dropped = new LinkedHashSet<>();
        for (TopicPartition tp : revoked) {
            Map<String, Open> series = open.remove(tp);
            if (series != null) {
                dropped.addAll(series.keySet());
            }
        }
        return dropped;
    }

    /** Gives up the series open since before {@code cutoff} (no marker came); returns them. */
    List<String> abandonOpenedBefore(Instant cutoff) {
        List<String> out = new ArrayList<>();
        for (Map<String, Open> series : open.values()) {
            for (Iterator<Map.Entry<String, Open>> it = series.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<String, Open> e = it.next();
                if (e.getValue().since().isBefore(cutoff)) {
                    out.add(e.getKey());
                    it.remove();
                }
            }
        }
        return out;
    }
}
