package org.radstream.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
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
    private final List<String[]> signatures = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/alerts", ex -> {
            keys.add(ex.getRequestHeaders().getFirst("Idempotency-Key"));
            signatures.add(new String[] {ex.getRequestHeaders().getFirst(WebhookSigner.TIMESTAMP_HEADER),
                    ex.getRequestHeaders().getFirst(WebhookSigner.SIGNATURE_HEADER)});
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
        sink().deliver(AlertTextTest.retracted(Alerts.alert("alert-42", "P1", 60.0)));
        assertThat(keys).as("a receiver that has the alert still takes its retraction")
                .containsExactly("alert-42", "alert-42/retraction");
        assertThat(bodies.get(1)).contains("\"type\":\"retraction\"");
        assertThat(bodies.get(0)).contains("\"alertId\":\"alert-42\"");
    }

    @Test
    void withASecretEachPostIsSignedAndTheReceiverCanVerifyIt() throws Exception {
        String secret = "shared-with-the-receiver-0123";
        Instant now = Instant.parse("2026-12-06T10:00:00Z");
        WebhookSigner signer = WebhookSigner.of(secret, Clock.fixed(now, ZoneOffset.UTC));
        new WebhookSink(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/alerts"), Duration.ofSeconds(5),
                signer).deliver(Alerts.alert("alert-7", "P1", 60.0));
        String[] headers = signatures.get(0);
        String body = bodies.get(0);
        assertThat(headers[0]).isEqualTo(Long.toString(now.getEpochSecond()));
        assertThat(headers[1]).matches("v1=[0-9a-f]{64}");
        // the receiver's check, with its own clock a minute later
        WebhookSigner receiver = WebhookSigner.of(secret, Clock.fixed(now.plusSeconds(60), ZoneOffset.UTC));
        assertThat(receiver.verify(headers[0], body, headers[1], Duration.ofMinutes(5))).isTrue();
        assertThat(receiver.verify(headers[0], body.replace("alert-7", "alert-8"), headers[1], Duration.ofMinutes(5)))
                .as("another body").isFalse();
        assertThat(receiver.verify(Long.toString(now.getEpochSecond() - 1), body, headers[1], Duration.ofMinutes(5)))
                .as("another timestamp").isFalse();
        assertThat(WebhookSigner.of("another-secret-of-16+", Clock.fixed(now, ZoneOffset.UTC))
                .verify(headers[0], body, headers[1], Duration.ofMinutes(5))).as("another secret").isFalse();
        WebhookSigner muchLater = WebhookSigner.of(secret, Clock.fixed(now.plusSeconds(600), ZoneOffset.UTC));
        assertThat(muchLater.verify(headers[0], body, headers[1], Duration.ofMinutes(5))).as("replayed later").isFalse();
        // and the header is the HMAC-SHA256 of "<timestamp>.<body>", as documented
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        assertThat(headers[1]).isEqualTo("v1=" + java.util.HexFormat.of()
                .formatHex(mac.doFinal((headers[0] + "." + body).getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void theJsonAdvisesALookAtTheImagesBelowTheSitesThreshold() throws Exception {
        org.radstream.avro.ProgressionAlert a = Alerts.alert("alert-8", "P1", 60.0);
        org.radstream.avro.ProgressionAlert shaky = org.radstream.avro.ProgressionAlert.newBuilder(a)
                .setLater(org.radstream.avro.MeasurementRef.newBuilder(a.getLater()).setInfectionStability(0.85).build()).build();
        URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/alerts");
        new WebhookSink(url, Duration.ofSeconds(5), null).deliver(shaky);
        new WebhookSink(url, Duration.ofSeconds(5), null, 0.9).deliver(shaky);
        assertThat(bodies.get(0)).contains("\"reviewAdvised\":false").doesNotContain("Check the images");
        assertThat(bodies.get(1)).contains("\"reviewAdvised\":true", "not firm (stability 0.85)");
    }

    @Test
    void withoutASecretPostsAreUnsignedAndAShortSecretIsRefused() throws Exception {
        sink().deliver(Alerts.alert("alert-9", "P1", 60.0));
        assertThat(signatures.get(0)).containsExactly(null, null);
        assertThat(WebhookSigner.of("  ")).isNull();
        assertThatThrownBy(() -> WebhookSigner.of("too-short"))
                .hasMessage("the webhook secret must have at least 16 characters (RADSTREAM_WEBHOOK_SECRET)");
        assertThat(WebhookSigner.of("shared-with-the-receiver-0123").toString()).doesNotContain("shared");
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
