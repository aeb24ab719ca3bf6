package org.radstream.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class WebhookSinkTest {
    private HttpServer server;
    private final AtomicInteger status = new AtomicInteger(200);
    private final List<String> keys = new CopyOnWriteArrayList<>();
    private final List<String> bodies = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/alerts", ex -> {
            keys.add(ex.getRequestHeaders().getFirst("Idempotency-Key"));
            bodies.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            ex.sendResponseHeaders(status.get(), -1);
            ex.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private WebhookSink sink() {
        return new WebhookSink(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/alerts"),
                Duration.ofSeconds(5));
    }

    @Test
    void postsJsonWithTheAlertIdAsIdempotencyKey() throws Exception {
        sink().deliver(Alerts.alert("alert-42", "P1", 60.0));
        assertThat(keys).containsExactly("alert-42");
        assertThat(bodies.get(0)).contains("\"alertId\":\"alert-42\"");
    }

    @Test
    void serverErrorsAreRetriableAndClientErrorsAreNot() {
        status.set(503);
        assertThatThrownBy(() -> sink().deliver(Alerts.alert("a", "P1", 60.0)))
                .isInstanceOfSatisfying(DeliveryException.class, e -> {
                    assertThat(e.retriable()).isTrue();
                    assertThat(e.getMessage()).contains("HTTP 503");
                });
        status.set(400);
        assertThatThrownBy(() -> sink().deliver(Alerts.alert("a", "P1", 60.0)))
                .isInstanceOfSatisfying(DeliveryException.class, e -> assertThat(e.retriable()).isFalse());
        status.set(429);
        assertThatThrownBy(() -> sink().deliver(Alerts.alert("a", "P1", 60.0)))
                .isInstanceOfSatisfying(DeliveryException.class, e -> assertThat(e.retriable()).isTrue());
    }

    @Test
    void refusedConnectionIsRetriable() {
        int port = server.getAddress().getPort();
        server.stop(0);
        WebhookSink dead = new WebhookSink(URI.create("http://127.0.0.1:" + port + "/alerts"), Duration.ofSeconds(2));
        assertThatThrownBy(() -> dead.deliver(Alerts.alert("a", "P1", 60.0)))
                .isInstanceOfSatisfying(DeliveryException.class, e -> assertThat(e.retriable()).isTrue());
    }
}
