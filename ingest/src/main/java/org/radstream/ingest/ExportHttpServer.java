package org.radstream.ingest;

import java.io.IOException;
import org.radstream.schemas.HealthMetricsServer;

/**
 * {@code GET /health} (200 while the export runs, 503 once it has stopped) and {@code GET /metrics}
 * (Prometheus text) of a {@link ResultExport}, so an orchestrator restarts a stopped export and an
 * operator alerts on results the PACS does not take.
 */
public final class ExportHttpServer {
    private ExportHttpServer() {}

    /** Serves {@code export}'s health and metrics on {@code port} (0: any free port). */
    public static HealthMetricsServer start(int port, ResultExport export) throws IOException {
        return HealthMetricsServer.start(port, "export-http", export::isRunning,
                () -> "the export loop has stopped: see its log", () -> render(export));
    }

    /** The Prometheus text exposition of the export's counters. */
    static String render(ResultExport e) {
        StringBuilder b = new StringBuilder();
        HealthMetricsServer.metric(b, "radstream_export_up", "gauge", "1 while the export loop runs.", e.isRunning() ? 1 : 0);
        HealthMetricsServer.metric(b, "radstream_export_partitions_assigned", "gauge",
                "Partitions of radstream.inference.results (and radstream.poir.measurements) this export holds.", e.assignedPartitions());
        HealthMetricsServer.metric(b, "radstream_export_stored_total", "counter",
                "Results stored at the PACS as DICOM Segmentations.", e.exported());
        HealthMetricsServer.metric(b, "radstream_export_reports_stored_total", "counter",
                "PoIR measurements and liver and vessel volumes stored at the PACS as DICOM SR measurement reports.",
                e.reportsStored());
        HealthMetricsServer.metric(b, "radstream_export_reports_without_evidence_total", "counter",
                "Reports stored without the series' instances: no result of a PoIR's series passed within the wait, "
                        + "or a volume's result had no geometry.",
                e.reportsWithoutEvidence());
        HealthMetricsServer.metric(b, "radstream_export_undelivered_total", "counter",
                "Results, PoIR measurements or unreadable records written to radstream.export.undelivered.", e.deadLettered());
        HealthMetricsServer.metric(b, "radstream_export_withdrawn_skipped_total", "counter",
                "Results and measurements not stored because the PACS withdrew their series (IOCM rejection notes).",
                e.withdrawnSkipped());
        HealthMetricsServer.metric(b, "radstream_export_derived_withdrawn_total", "counter",
                "Segmentations and reports this export had stored at the PACS that it withdrew there with rejection notes "
                        + "of its own (IOCM), because the PACS withdrew the series they were made from.",
                e.derivedWithdrawn());
        HealthMetricsServer.metric(b, "radstream_export_pacs_reachable", "gauge",
                "1 when the PACS could be reached at the last try; 0 while the export holds its place for it, "
                        + "dead-lettering nothing.", e.pacsReachable() ? 1 : 0);
        HealthMetricsServer.metric(b, "radstream_export_pacs_outages_total", "counter",
                "Times the PACS could not be reached or took no association (no connection, the TLS handshake failed, "
                        + "A-ASSOCIATE-RJ) after it could.",
                e.pacsOutages());
        HealthMetricsServer.metric(b, "radstream_export_without_geometry_total", "counter",
                "Results of which no segmentation was stored: no geometry to lay them over the series.",
                e.withoutGeometry());
        e.auditLog().metrics(b, "export");
        return b.toString();
    }
}
