package org.radstream.schemas;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The {@code GET /health} and {@code GET /metrics} a service without an API of its own serves (the
 * workers, alert delivery, the PACS export), so an orchestrator restarts one that stopped and an
 * operator scrapes its counters. {@code /health}: 200 {@code {"status":"UP"}} while it runs, 503
 * {@code {"status":"DOWN","reason":…}} otherwise (compose's healthcheck prints the reason).
 * {@code /metrics}: Prometheus text. Its own thread, so a busy service still answers.
 */
public final class HealthMetricsServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService executor;

    private HealthMetricsServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Serves on {@code port} (0: any free port).
     *
     * @param up      whether the service runs
     * @param reason  why not, when it does not (may return null)
     * @param metrics the Prometheus text exposition
     */
    public static HealthMetricsServer start(int port, String threadName, BooleanSupplier up, Supplier<String> reason,
                                            Supplier<String> metrics) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/health", ex -> {
            boolean ok = up.getAsBoolean();
            ObjectNode body = JSON.createObjectNode().put("status", ok ? "UP" : "DOWN");
            String why = ok ? null : reason.get();
            if (why != null) {
                body.put("reason", why);
            }
            respond(ex, ok ? 200 : 503, "application/json", body.toString());
        });
        server.createContext("/metrics", ex -> respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.get()));
        server.start();
        return new HealthMetricsServer(server, executor);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** One metric without labels: its HELP, TYPE and value lines. */
    public static void metric(StringBuilder b, String name, String type, String help, long value) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n')
                .append("# TYPE ").append(name).append(' ').append(type).append('\n')
                .append(name).append(' ').append(value).append('\n');
    }

    private static void respond(HttpExchange ex, int status, String type, String body) throws IOException {
        try (ex) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", type);
            ex.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
