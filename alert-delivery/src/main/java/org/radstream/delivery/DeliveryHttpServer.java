package org.radstream.delivery;

import java.io.IOException;
import org.radstream.schemas.HealthMetricsServer;

/**
 * {@code GET /health} (200 {@code {"status":"UP"}} while both delivery loops run, 503 with the
 * reason otherwise) and {@code GET /metrics} (Prometheus text: delivered, dead-lettered and
 * redelivered totals) of an {@link AlertDelivery}, so an orchestrator can restart a stopped
 * service and an operator can alert on alerts that sit undelivered.
 */
public final class DeliveryHttpServer {
    private DeliveryHttpServer() {}

    /** Serves {@code delivery}'s health and metrics on {@code port} (0: any free port). */
    public static HealthMetricsServer start(int port, AlertDelivery delivery) throws IOException {
        return HealthMetricsServer.start(port, "alert-delivery-http", delivery::isRunning,
                () -> delivery.failure().orElse(null), () -> render(delivery));
    }

    /** The Prometheus text exposition of the delivery counters. */
    static String render(AlertDelivery d) {
        StringBuilder b = new StringBuilder();
        HealthMetricsServer.metric(b, "radstream_delivery_up", "gauge", "1 while both delivery loops run", d.isRunning() ? 1 : 0);
        HealthMetricsServer.metric(b, "radstream_delivery_delivered_total", "counter",
                "alerts accepted by a sink, first try or later", d.delivered());
        HealthMetricsServer.metric(b, "radstream_delivery_dead_lettered_total", "counter",
                "alerts written to radstream.alerts.undelivered (each failed round once)", d.deadLettered());
        HealthMetricsServer.metric(b, "radstream_delivery_redelivered_total", "counter",
                "alerts accepted on a retry from radstream.alerts.undelivered", d.redelivered());
        d.auditLog().metrics(b, "delivery");
        return b.toString();
    }
}
