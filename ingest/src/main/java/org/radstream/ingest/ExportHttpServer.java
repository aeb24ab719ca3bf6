package org.radstream.ingest;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code GET /health} (200 while the export runs, 503 once it has stopped) and {@code GET /metrics}
 * (Prometheus text) of a {@link ResultExport}, so an orchestrator restarts a stopped export and an
 * operator alerts on results the PACS does not take.
 */
public final class ExportHttpServer implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor;
    private final ResultExport export;

    private ExportHttpServer(HttpServer server, ExecutorService executor, ResultExport export) {
        this.server = server;
        this.executor = executor;
        this.export = export;
    }

    /** Serves {@code export}'s health and metrics on {@code port} (0: any free port). */
    public static ExportHttpServer start(int port, ResultExport export) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "export-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        ExportHttpServer s = new ExportHttpServer(server, executor, export);
        server.createContext("/health", ex -> respond(ex, export.isRunning() ? 200 : 503, "application/json",
                export.isRunning() ? "{\"status\":\"UP\"}" : "{\"status\":\"DOWN\",\"reason\":\"the export loop has stopped: see its log\"}"));
        server.createContext("/metrics", ex -> respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", render(export)));
        server.start();
        return s;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** The Prometheus text exposition of the export's counters. */
    static String render(ResultExport e) {
        StringBuilder b = new StringBuilder();
        IngestMetrics.single(b, "radstream_export_up", "gauge", "1 while the export loop runs.", e.isRunning() ? 1 : 0);
        IngestMetrics.single(b, "radstream_export_partitions_assigned", "gauge",
                "Partitions of radstream.inference.results this export holds.", e.assignedPartitions());
        IngestMetrics.single(b, "radstream_export_stored_total", "counter",
                "Results stored at the PACS as DICOM Segmentations.", e.exported());
        IngestMetrics.single(b, "radstream_export_undelivered_total", "counter",
                "Results (or unreadable records) written to radstream.export.undelivered.", e.deadLettered());
        IngestMetrics.single(b, "radstream_export_without_geometry_total", "counter",
                "Results skipped: no geometry to lay them over the series.", e.withoutGeometry());
        return b.toString();
    }

    private static void respond(HttpExchange ex, int status, String type, String body) throws IOException {
        try (ex) {
            IngestHttpServer.send(ex, status, type, body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
