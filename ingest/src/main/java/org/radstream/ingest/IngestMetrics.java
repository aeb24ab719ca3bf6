package org.radstream.ingest;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.IntSupplier;
import org.radstream.schemas.AuditLog;
import org.radstream.schemas.HealthMetricsServer;

/**
 * Counters per calling AE (received, published, duplicates, rejected, failed = not acknowledged by
 * Kafka) and a publish-latency histogram, rendered in the Prometheus text format on /metrics.
 * STOW-RS and folder import count under their own caller names ({@code STOW-RS}, {@code IMPORT}).
 */
public final class IngestMetrics {
    /** Upper bounds of the publish-latency buckets, seconds. */
    static final double[] LATENCY_BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    private final Map<String, PerAe> byAe = new ConcurrentHashMap<>();
    private final AtomicLongArray latencyBuckets = new AtomicLongArray(LATENCY_BUCKETS.length);
    private final AtomicLong latencyCount = new AtomicLong();
    private final AtomicLong latencySumNanos = new AtomicLong();
    private final AtomicLong markers = new AtomicLong();
    private final AtomicLong associationsRejected = new AtomicLong();
    private final AtomicLong tlsHandshakesFailed = new AtomicLong();
    private final AtomicLong associationsBusy = new AtomicLong();
    private volatile AuditLog audit = AuditLog.NONE;
    private final AtomicLong stowUnauthorised = new AtomicLong();
    private final AtomicLong stowBusy = new AtomicLong();
    private final AtomicLong stowTooLarge = new AtomicLong();
    private volatile IntSupplier openSeries = () -> 0;

    private static final class PerAe {
        final AtomicLong received = new AtomicLong();
        final AtomicLong published = new AtomicLong();
        final AtomicLong duplicates = new AtomicLong();
        final AtomicLong rejected = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final AtomicLong segmentations = new AtomicLong();
        final AtomicLong rejectionNotes = new AtomicLong();
        final AtomicLong rejectedAgain = new AtomicLong();
    }

    private PerAe ae(String callingAe) {
        return byAe.computeIfAbsent(callingAe == null ? "" : callingAe, k -> new PerAe());
    }

    void received(String callingAe) { ae(callingAe).received.incrementAndGet(); }

    void published(String callingAe, long latencyNanos) {
        ae(callingAe).published.incrementAndGet();
        double seconds = latencyNanos / 1e9;
        for (int i = 0; i < LATENCY_BUCKETS.length; i++) {
            if (seconds <= LATENCY_BUCKETS[i]) {
                latencyBuckets.incrementAndGet(i);
            }
        }
        latencyCount.incrementAndGet();
        latencySumNanos.addAndGet(latencyNanos);
    }

    /** A DICOM Segmentation acknowledged by Kafka (not a slice: not in the slices count or their latency). */
    void segmentation(String callingAe) { ae(callingAe).segmentations.incrementAndGet(); }

    void rejectionNote(String callingAe) { ae(callingAe).rejectionNotes.incrementAndGet(); }

    /** Segmentations published for {@code callingAe} so far. */
    public long segmentationCount(String callingAe) {
        PerAe p = byAe.get(callingAe);
        return p == null ? 0 : p.segmentations.get();
    }

    void duplicate(String callingAe) { ae(callingAe).duplicates.incrementAndGet(); }

    /** An instance the PACS had rejected, sent again: answered as stored, not published. */
    void rejectedAgain(String callingAe) { ae(callingAe).rejectedAgain.incrementAndGet(); }

    /** Instances the PACS had rejected that {@code callingAe} sent again, so far. */
    public long rejectedAgainCount(String callingAe) {
        PerAe p = byAe.get(callingAe);
        return p == null ? 0 : p.rejectedAgain.get();
    }

    void rejected(String callingAe) { ae(callingAe).rejected.incrementAndGet(); }

    void failed(String callingAe) { ae(callingAe).failed.incrementAndGet(); }

    void markers(int n) { markers.addAndGet(n); }

    void associationRejected() { associationsRejected.incrementAndGet(); }

    void tlsHandshakeFailed() { tlsHandshakesFailed.incrementAndGet(); }

    void associationBusy() { associationsBusy.incrementAndGet(); }

    /** Associations refused because the most allowed were open, so far. */
    public long associationsBusyCount() { return associationsBusy.get(); }

    /** Connections to the DICOM TLS port closed because their handshake failed, so far. */
    public long tlsHandshakeFailures() { return tlsHandshakesFailed.get(); }

    void stowUnauthorised() { stowUnauthorised.incrementAndGet(); }

    /** STOW-RS requests refused for want of the token so far. */
    public long stowUnauthorisedCount() { return stowUnauthorised.get(); }

    void stowBusy() { stowBusy.incrementAndGet(); }

    void stowTooLarge() { stowTooLarge.incrementAndGet(); }

    /** STOW-RS requests refused as larger than what is taken, so far. */
    public long stowTooLargeCount() { return stowTooLarge.get(); }

    /** STOW-RS requests answered 503 (retry later) because as many were being stored already. */
    public long stowBusyCount() { return stowBusy.get(); }

    void openSeriesGauge(IntSupplier supplier) { this.openSeries = supplier; }

    /** The audit log whose counters /metrics shows. */
    void auditLog(AuditLog log) { this.audit = log; }

    /** Mean time from an instance's arrival in {@link InstanceIngest} to Kafka's acknowledgement, ms. */
    public double meanPublishMs() {
        long n = latencyCount.get();
        return n == 0 ? Double.NaN : latencySumNanos.get() / 1e6 / n;
    }

    /** Instances published for {@code callingAe} so far. */
    public long publishedCount(String callingAe) {
        PerAe p = byAe.get(callingAe);
        return p == null ? 0 : p.published.get();
    }

    /** Instances refused (dead-lettered) for {@code callingAe} so far. */
    public long rejectedCount(String callingAe) {
        PerAe p = byAe.get(callingAe);
        return p == null ? 0 : p.rejected.get();
    }


    /** Prometheus text exposition format 0.0.4. */
    public String render() {
        StringBuilder b = new StringBuilder(2048);
        Map<String, PerAe> sorted = new TreeMap<>(byAe);
        counter(b, "radstream_ingest_instances_received_total", "Instances received, per calling AE.", sorted, p -> p.received);
        counter(b, "radstream_ingest_instances_published_total", "Slices acknowledged by Kafka, per calling AE.", sorted, p -> p.published);
        counter(b, "radstream_ingest_segmentations_published_total", "DICOM Segmentations (radiologists' corrections) "
                + "acknowledged by Kafka, per calling AE.", sorted, p -> p.segmentations);
        counter(b, "radstream_ingest_rejection_notes_published_total", "IHE IOCM rejection notes (series withdrawn by the "
                + "PACS) acknowledged by Kafka, per calling AE.", sorted, p -> p.rejectionNotes);
        counter(b, "radstream_ingest_instances_duplicate_total", "Duplicate SOP instances answered as stored and not republished.", sorted, p -> p.duplicates);
        counter(b, "radstream_ingest_instances_rejected_again_total", "Instances a rejection note of the PACS had "
                + "withdrawn, sent again: answered as stored, recorded on the rejected topic, not published.", sorted,
                p -> p.rejectedAgain);
        counter(b, "radstream_ingest_instances_rejected_total", "Instances refused with a failure status and dead-lettered.", sorted, p -> p.rejected);
        counter(b, "radstream_ingest_instances_failed_total", "Instances answered 0xA700 because Kafka did not acknowledge in time.", sorted, p -> p.failed);
        HealthMetricsServer.metric(b, "radstream_ingest_series_completed_total", "counter", "Series-complete markers published.", markers.get());
        HealthMetricsServer.metric(b, "radstream_ingest_series_open", "gauge", "Series with slices and no marker yet.", openSeries.getAsInt());
        HealthMetricsServer.metric(b, "radstream_ingest_associations_rejected_total", "counter",
                "Associations refused: calling AE not allowed.", associationsRejected.get());
        HealthMetricsServer.metric(b, "radstream_ingest_associations_busy_total", "counter",
                "Associations refused for the time being (A-ASSOCIATE-RJ transient, local limit exceeded): the most "
                        + "allowed at once (--max-associations) were open. Senders retry.", associationsBusy.get());
        audit.metrics(b, "ingest");
        HealthMetricsServer.metric(b, "radstream_ingest_tls_handshake_failures_total", "counter",
                "Connections to the DICOM TLS port closed before an association: not TLS, no common protocol, "
                        + "or no trusted client certificate.", tlsHandshakesFailed.get());
        HealthMetricsServer.metric(b, "radstream_ingest_stow_unauthorised_total", "counter",
                "STOW-RS requests refused: no or another token.", stowUnauthorised.get());
        HealthMetricsServer.metric(b, "radstream_ingest_stow_busy_total", "counter",
                "STOW-RS requests answered 503 (retry later): as many being stored.", stowBusy.get());
        HealthMetricsServer.metric(b, "radstream_ingest_stow_too_large_total", "counter",
                "STOW-RS requests answered 413: a body larger than --stow-max-mib.", stowTooLarge.get());
        b.append("# HELP radstream_ingest_publish_latency_seconds From a valid instance to Kafka's acknowledgement of its slice.\n")
                .append("# TYPE radstream_ingest_publish_latency_seconds histogram\n");
        for (int i = 0; i < LATENCY_BUCKETS.length; i++) {
            b.append("radstream_ingest_publish_latency_seconds_bucket{le=\"").append(format(LATENCY_BUCKETS[i])).append("\"} ")
                    .append(latencyBuckets.get(i)).append('\n');
        }
        b.append("radstream_ingest_publish_latency_seconds_bucket{le=\"+Inf\"} ").append(latencyCount.get()).append('\n');
        b.append("radstream_ingest_publish_latency_seconds_sum ").append(format(latencySumNanos.get() / 1e9)).append('\n');
        b.append("radstream_ingest_publish_latency_seconds_count ").append(latencyCount.get()).append('\n');
        return b.toString();
    }

    private static void counter(StringBuilder b, String name, String help, Map<String, PerAe> byAe,
                                java.util.function.Function<PerAe, AtomicLong> field) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(" counter\n");
        byAe.forEach((ae, p) -> b.append(name).append("{calling_ae=\"").append(escape(ae)).append("\"} ")
                .append(field.apply(p).get()).append('\n'));
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    private static String format(double v) {
        return String.format(Locale.ROOT, "%s", v);
    }
}
