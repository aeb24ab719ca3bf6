package org.radstream.delivery;

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

/**
 * {@code GET /health} (200 {@code {"status":"UP"}} while both delivery loops run, 503 with the
 * reason otherwise) and {@code GET /metrics} (Prometheus text: delivered, dead-lettered and
 * redelivered totals) of an {@link AlertDelivery}, so an orchestrator can restart a stopped
 * service and an operator can alert on alerts that sit undelivered.
 */
public final class DeliveryHttpServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService executor;
    private final AlertDelivery delivery;

    private DeliveryHttpServer(HttpServer server, ExecutorService executor, AlertDelivery delivery) {
        this.server = server;
        this.executor = executor;
        this.delivery = delivery;
    }

    /** Serves {@code delivery}'s health and metrics on {@code port} (0: any free port). */
    public static DeliveryHttpServer start(int port, AlertDelivery delivery) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "alert-delivery-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        DeliveryHttpServer s = new DeliveryHttpServer(server, executor, delivery);
        server.createContext("/health", s::health);
        server.createContext("/metrics", s::metrics);
        server.start();
        return s;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void health(HttpExchange ex) throws IOException {
        boolean up = delivery.isRunning();
        ObjectNode body = JSON.createObjectNode().put("status", up ? "UP" : "DOWN");
        delivery.failure().ifPresent(f -> body.put("reason", f));
        respond(ex, up ? 200 : 503, "application/json", body.toString());
    }

    private void metrics(HttpExchange ex) throws IOException {
        respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", render(delivery));
    }

    /** The Prometheus text exposition of the delivery counters. */
    static String render(AlertDelivery d) {
        StringBuilder b = new StringBuilder();
        metric(b, "radstream_delivery_up", "gauge", "1 while both delivery loops run", d.isRunning() ? 1 : 0);
        metric(b, "radstream_delivery_delivered_total", "counter",
                "alerts accepted by a sink, first try or later", d.delivered());
        metric(b, "radstream_delivery_dead_lettered_total", "counter",
                "alerts written to radstream.alerts.undelivered (each failed round once)", d.deadLettered());
        metric(b, "radstream_delivery_redelivered_total", "counter",
                "alerts accepted on a retry from radstream.alerts.undelivered", d.redelivered());
        return b.toString();
    }

    private static void metric(StringBuilder b, String name, String type, String help, long value) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        b.append(name).append(' ').append(value).append('\n');
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
