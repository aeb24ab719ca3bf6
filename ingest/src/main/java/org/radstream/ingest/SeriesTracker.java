package org.radstream.ingest;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.function.LongSupplier;
import org.radstream.avro.DicomSlice;
import org.radstream.avro.DicomSliceEvent;
import org.radstream.avro.SeriesComplete;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Series assembly on the producer side: publishes each SOP instance of a series once, and the
 * series-complete marker once no instance has arrived for the stability time.
 *
 * <p>Deduplication is by SOP instance UID within a series, kept while the series is open and for
 * {@code retention} after its marker: a duplicate is answered as stored and not published again.
 * Two copies of one instance arriving at once (two associations) publish once: the second waits
 * for the first's outcome, and publishes itself only if the first failed.
 *
 * <p>Ordering: a marker is sent while the series' lock is held and only when none of its slices is
 * in flight, so it follows every slice it counts on the partition (same key, one idempotent
 * producer). An instance of a completed series reopens it; a second marker with the new total
 * count follows after another stability time. The state lives in memory: after a restart a resent
 * instance is published again (consumers dedupe by SOP instance UID), and a marker is sent for
 * every open series when the service closes.
 */
final class SeriesTracker {
    private static final Logger log = LoggerFactory.getLogger(SeriesTracker.class);

    /** What became of one published instance. */
    enum Result { PUBLISHED, DUPLICATE }

    private final Publisher publisher;
    private final long stabilityNanos;
    private final long retentionNanos;
    private final LongSupplier nanoClock;
    private final Map<String, SeriesState> series = new ConcurrentHashMap<>();

    SeriesTracker(Publisher publisher, Duration stability, Duration retention, LongSupplier nanoClock) {
        this.publisher = publisher;
        this.stabilityNanos = stability.toNanos();
        this.retentionNanos = retention.toNanos();
        this.nanoClock = nanoClock;
    }

    /** Publishes {@code slice} unless its SOP instance was already published; returns which it was. */
    Result publish(DicomSlice slice) throws Publisher.PublishException, InterruptedException {
        String sop = slice.getSopInstanceUid();
        while (true) {
            SeriesState s = series.computeIfAbsent(slice.getSeriesUid(), SeriesState::new);
            CompletableFuture<Boolean> mine = new CompletableFuture<>();
            CompletableFuture<Boolean> other;
            synchronized (s) {
                if (s.removed) {
                    continue;
                }
                s.lastArrival = nanoClock.getAsLong();
                if (s.published.contains(sop)) {
                    return Result.DUPLICATE;
                }
                other = s.inFlight.putIfAbsent(sop, mine);
            }
            if (other != null) {
                if (awaitOutcome(other)) {
                    return Result.DUPLICATE;
                }
                continue; // the other copy failed: try to publish this one
            }
            boolean ok = false;
            try {
                publisher.publishSlice(new DicomSliceEvent(slice.getSeriesUid(), slice));
                ok = true;
            } finally {
                synchronized (s) {
                    s.inFlight.remove(sop);
                    s.lastArrival = nanoClock.getAsLong();
                    if (ok) {
                        s.published.add(sop);
                        s.header = new Header(slice.getStudyUid(), slice.getPatientId(), slice.getModality(),
                                slice.getBodyPartExamined(), slice.getSeriesDescription());
                        if (s.completed) {
                            s.completed = false;
                            log.info("series {} reopened by SOP instance {} after its marker; another marker follows",
                                    s.uid, sop);
                        }
                    }
                }
                mine.complete(ok);
            }
            return Result.PUBLISHED;
        }
    }

    private static boolean awaitOutcome(CompletableFuture<Boolean> other) throws InterruptedException {
        try {
            return other.get();
        } catch (ExecutionException e) {
            return false;
        }
    }

    /**
     * Sends the marker of every series quiet for the stability time (all open series when
     * {@code force}), and forgets completed series older than the retention.
     *
     * @return the series completed by this call
     */
    List<String> sweep(boolean force) throws InterruptedException {
        long now = nanoClock.getAsLong();
        List<String> completed = new java.util.ArrayList<>();
        for (SeriesState s : series.values()) {
            synchronized (s) {
                if (s.completed) {
                    if (now - s.lastArrival >= retentionNanos) {
                        s.removed = true;
                        series.remove(s.uid, s);
                    }
                    continue;
                }
                if (s.header == null || !s.inFlight.isEmpty() || (!force && now - s.lastArrival < stabilityNanos)) {
                    continue;
                }
                Header last = s.header;
                SeriesComplete marker = SeriesComplete.newBuilder()
                        .setSeriesUid(s.uid)
                        .setStudyUid(last.studyUid())
                        .setPatientId(last.patientId())
                        .setModality(last.modality())
                        .setBodyPartExamined(last.bodyPart())
                        .setSeriesDescription(last.description())
                        .setInstanceCount(s.published.size())
                        .setCompletedAt(Instant.now())
                        .setTask(null)
                        .build();
                try {
                    publisher.publishSlice(new DicomSliceEvent(s.uid, marker));
                    s.completed = true;
                    s.markers++;
                    completed.add(s.uid);
                    log.debug("series {} complete with {} instances (marker {})", s.uid, s.published.size(), s.markers);
                } catch (Publisher.PublishException e) {
                    log.warn("series {}: marker with {} instances not acknowledged, retrying on the next sweep: {}",
                            s.uid, s.published.size(), e.getMessage());
                }
            }
        }
        return completed;
    }

    /** Series with slices published and no marker yet. */
    int openSeries() {
        int n = 0;
        for (SeriesState s : series.values()) {
            synchronized (s) {
                if (!s.completed && s.header != null) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Published instance count per series UID (a snapshot, for health and tests). */
    Map<String, Integer> counts() {
        Map<String, Integer> out = new HashMap<>();
        for (SeriesState s : series.values()) {
            synchronized (s) {
                out.put(s.uid, s.published.size());
            }
        }
        return out;
    }

    /** The series-level fields a marker repeats, from the latest published slice (no pixels kept). */
    private record Header(String studyUid, String patientId, String modality, String bodyPart, String description) {}

    private static final class SeriesState {
        final String uid;
        final Set<String> published = new HashSet<>();
        final Map<String, CompletableFuture<Boolean>> inFlight = new HashMap<>();
        Header header;
        long lastArrival;
        boolean completed;
        boolean removed;
        int markers;

        SeriesState(String uid) {
            this.uid = uid;
        }
    }
}
