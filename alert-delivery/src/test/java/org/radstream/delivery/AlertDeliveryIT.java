package org.radstream.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.radstream.avro.DeadLetter;
import org.radstream.avro.ProgressionAlert;
import org.radstream.platform.EmbeddedKafka;
import org.radstream.platform.Platform;
import org.radstream.platform.PlatformExtension;
import org.radstream.schemas.Topics;

/**
 * On the embedded broker, against a local webhook receiver that answers 503 to the first
 * attempts of every alert: every committed alert is accepted exactly once; one that fails past
 * its attempts goes to radstream.alerts.undelivered with its reason and is redelivered by the
 * retry loop; an undecodable record is dead-lettered without stopping the alerts behind it; an
 * aborted transaction's alert is never sent; a restarted service with the same group sends
 * nothing again. Every POST is signed (WebhookSigner) and the receiver checks it.
 */
@ExtendWith(PlatformExtension.class)
class AlertDeliveryIT {
    private static final int FAILURES_BEFORE_ACCEPT = 2;
    private static final int MAX_ATTEMPTS = 4;
    /** More failures than one round of attempts: goes to the undelivered topic, then through. */
    private static final int STUBBORN_FAILURES = MAX_ATTEMPTS + 1;
    private static final String GROUP = "alert-delivery-it";
    /** The webhook secret: the receiver takes only POSTs signed with it, each attempt signed anew. */
    private static final String SECRET = "alert-delivery-it-webhook-secret";

    private HttpServer receiver;
    /** Alert ids in the order the receiver accepted them, each once (deduplicated by Idempotency-Key). */
    private final List<String> accepted = new CopyOnWriteArrayList<>();
    /** Alert ids POSTed again after the receiver had accepted them. */
    private final List<String> repeats = new CopyOnWriteArrayList<>();
    private final Map<String, Integer> attempts = new ConcurrentHashMap<>();
    private final Set<String> stubborn = ConcurrentHashMap.newKeySet();
    /** Alert ids POSTed without a valid signature (refused with 401). */
    private final List<String> unsigned = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startReceiver() throws IOException {
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/alerts", this::receive);
        receiver.start();
    }

    @AfterEach
    void stopReceiver() {
        receiver.stop(0);
    }

    private synchronized void receive(HttpExchange ex) throws IOException {
        try (ex) {
            String id = ex.getRequestHeaders().getFirst("Idempotency-Key");
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            if (id == null || !body.contains("\"alertId\":\"" + id + "\"")) {
                ex.sendResponseHeaders(400, -1);
                return;
            }
            if (!WebhookSigner.of(SECRET).verify(ex.getRequestHeaders().getFirst(WebhookSigner.TIMESTAMP_HEADER), body,
                    ex.getRequestHeaders().getFirst(WebhookSigner.SIGNATURE_HEADER), Duration.ofMinutes(5))) {
                unsigned.add(id);
                ex.sendResponseHeaders(401, -1);
                return;
            }
            int attempt = attempts.merge(id, 1, Integer::sum);
            if (accepted.contains(id)) {
                repeats.add(id);
                ex.sendResponseHeaders(200, -1);
                return;
            }
            int failures = stubborn.contains(id) ? STUBBORN_FAILURES : FAILURES_BEFORE_ACCEPT;
            if (attempt <= failures) {
                ex.sendResponseHeaders(503, -1);
                return;
            }
            accepted.add(id);
            ex.sendResponseHeaders(200, -1);
        }
    }

    @Test
    void everyCommittedAlertIsAcceptedExactlyOnce(Platform platform) throws Exception {
        Topics topics = platform.topics();
        String alertsTopic = topics.alerts().name();
        URI webhook = URI.create("http://127.0.0.1:" + receiver.getAddress().getPort() + "/alerts");
        // the delivery reaches Kafka as an authenticated client, as on a secured cluster
        DeliverySettings settings = DeliverySettings.defaults(platform.kafka().saslBootstrap(), webhook).withGroupId(GROUP)
                .withRetry(MAX_ATTEMPTS, Duration.ofMillis(20), Duration.ofMillis(100), Duration.ofSeconds(1))
                .withKafkaClient(EmbeddedKafka.saslClient(PlatformExtension.SASL_USER, PlatformExtension.SASL_PASSWORD));
        java.net.DatagramSocket auditRepository = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress());
        DeliverySettings audited = settings.withAuditRepository("udp://127.0.0.1:" + auditRepository.getLocalPort());
        stubborn.add("stubborn-1");
        byte[] poison = "not an alert".getBytes(StandardCharsets.UTF_8);
        long poisonOffset;
        long stubbornOffset;

        try (KafkaProducer<String, byte[]> producer = transactionalProducer(platform.bootstrap())) {
            producer.initTransactions();
            // One partition, so "after the poison" means after it in the log.
            producer.beginTransaction();
            send(producer, topics, "a-1", "P1");
            send(producer, topics, "a-2", "P2");
            poisonOffset = producer.send(new ProducerRecord<>(alertsTopic, 0, "P9", poison)).get().offset();
            send(producer, topics, "a-3", "P3");
            producer.commitTransaction();
            producer.beginTransaction();
            send(producer, topics, "aborted-1", "P4");
            producer.abortTransaction();
            producer.beginTransaction();
            stubbornOffset = send(producer, topics, "stubborn-1", "P5").offset();
            send(producer, topics, "a-4", "P6");
            send(producer, topics, "a-5", "P7");
            producer.commitTransaction();
        }

        AlertDelivery delivery = new AlertDelivery(audited, topics,
                List.of(new WebhookSink(settings.webhook(), settings.requestTimeout(), WebhookSigner.of(SECRET))));
        try (auditRepository; delivery; org.radstream.schemas.HealthMetricsServer http = DeliveryHttpServer.start(0, delivery)) {
            delivery.start();
            waitFor(() -> accepted.size() >= 6 && delivery.redelivered() >= 1, Duration.ofSeconds(30));

            assertThat(accepted).containsExactlyInAnyOrder("a-1", "a-2", "a-3", "stubborn-1", "a-4", "a-5");
            assertThat(repeats).isEmpty();
            assertThat(unsigned).as("POSTs without a valid signature").isEmpty();
            assertThat(attempts).containsOnlyKeys("a-1", "a-2", "a-3", "stubborn-1", "a-4", "a-5")
                    .containsEntry("a-1", FAILURES_BEFORE_ACCEPT + 1)
                    .containsEntry("a-5", FAILURES_BEFORE_ACCEPT + 1)
                    .containsEntry("stubborn-1", STUBBORN_FAILURES + 1);
            // the alerts behind the poison and behind the stubborn one did not wait for the retry loop
            assertThat(accepted.indexOf("a-5")).isLessThan(accepted.indexOf("stubborn-1"));
            assertThat(delivery.delivered()).isEqualTo(6);
            assertThat(delivery.redelivered()).isEqualTo(1);
            assertThat(delivery.deadLettered()).isEqualTo(2);

            List<DeadLetter> letters = undelivered(platform, 2);
            assertThat(letters).hasSize(2);
            DeadLetter undecodable = letters.stream().filter(d -> d.getOffset() == poisonOffset).findFirst().orElseThrow();
            assertThat(undecodable.getComponent()).isEqualTo("alert-delivery/none");
            assertThat(undecodable.getSourceTopic()).isEqualTo(alertsTopic);
            assertThat(undecodable.getKey()).isEqualTo("P9");
            assertThat(undecodable.getReason()).startsWith("undecodable alert: ").contains("magic byte");
            assertThat(bytes(undecodable)).isEqualTo(poison);
            DeadLetter failed = letters.stream().filter(d -> d.getOffset() == stubbornOffset).findFirst().orElseThrow();
            assertThat(failed.getComponent()).isEqualTo("alert-delivery/webhook");
            assertThat(failed.getSourceTopic()).isEqualTo(alertsTopic);
            assertThat(failed.getKey()).isEqualTo("P5");
            assertThat(failed.getAttempts()).isEqualTo(MAX_ATTEMPTS);
            assertThat(failed.getReason()).contains("HTTP 503");
            assertThat(topics.alerts().valueSerde().deserializer().deserialize(alertsTopic, bytes(failed)).getAlertId())
                    .isEqualTo("stubborn-1");

            HttpResponse<String> health = get(http.port(), "/health");
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).isEqualTo("{\"status\":\"UP\"}");
            assertThat(get(http.port(), "/metrics").body()).contains(
                    "radstream_delivery_up 1\n",
                    "radstream_delivery_delivered_total 6\n",
                    "radstream_delivery_dead_lettered_total 2\n",
                    "radstream_delivery_redelivered_total 1\n",
                    "radstream_delivery_audit_messages_sent_total 8\n");
            // the audit trail: each alert sent names its patient and the webhook's host; the round given up on, too
            List<String> exports = new ArrayList<>();
            auditRepository.setSoTimeout(2000);
            try {
                while (true) {
                    java.net.DatagramPacket d = new java.net.DatagramPacket(new byte[65_536], 65_536);
                    auditRepository.receive(d);
                    exports.add(new String(d.getData(), 0, d.getLength(), StandardCharsets.UTF_8));
                }
            } catch (java.net.SocketTimeoutException e) {
                // all in
            }
            assertThat(exports).hasSize(8).allMatch(m -> m.contains(" radstream-deliver "));
            assertThat(exports).filteredOn(m -> m.contains("<EventID csd-code=\"110100\"")).as("the delivery's start")
                    .singleElement().asString().contains("csd-code=\"110120\"");
            exports.removeIf(m -> m.contains("<EventID csd-code=\"110100\""));
            assertThat(exports).hasSize(7).allMatch(m -> m.contains(" radstream-deliver ")
                    && m.contains("<EventID csd-code=\"110106\"") && m.contains("EventActionCode=\"R\"")
                    && m.contains("<ActiveParticipant UserID=\"webhook\" UserIsRequestor=\"false\" NetworkAccessPointID=\"127.0.0.1\""));
            for (String[] sent : new String[][] {{"a-1", "P1"}, {"a-2", "P2"}, {"a-3", "P3"}, {"stubborn-1", "P5"},
                    {"a-4", "P6"}, {"a-5", "P7"}}) {
                assertThat(exports).as(sent[0]).filteredOn(m -> m.contains("EventOutcomeIndicator=\"0\"")
                        && m.contains("<EventOutcomeDescription>progression alert " + sent[0] + "</EventOutcomeDescription>")
                        && m.contains("ParticipantObjectID=\"" + sent[1] + "\"")).hasSize(1);
            }
            assertThat(exports).filteredOn(m -> m.contains("EventOutcomeIndicator=\"8\"")).singleElement().asString()
                    .contains("progression alert stubborn-1 not delivered after " + MAX_ATTEMPTS + " attempt(s)")
                    .contains("ParticipantObjectID=\"P5\"");
        }
        assertThat(delivery.isRunning()).isFalse();

        // Restart with the same group: the committed offsets hold, nothing goes out twice. A new
        // stubborn alert passes through both loops, so both consumers have read past their old records.
        List<String> before = List.copyOf(accepted);
        stubborn.add("stubborn-2");
        try (KafkaProducer<String, byte[]> producer = transactionalProducer(platform.bootstrap())) {
            producer.initTransactions();
            producer.beginTransaction();
            send(producer, topics, "stubborn-2", "P8");
            producer.commitTransaction();
        }
        try (AlertDelivery restarted = new AlertDelivery(settings, topics,
                List.of(new WebhookSink(settings.webhook(), settings.requestTimeout(), WebhookSigner.of(SECRET))))) {
            restarted.start();
            waitFor(() -> restarted.redelivered() >= 1, Duration.ofSeconds(30));
            assertThat(accepted).hasSize(before.size() + 1).startsWith(before.toArray(String[]::new)).endsWith("stubborn-2");
            assertThat(repeats).isEmpty();
            assertThat(restarted.delivered()).isEqualTo(1);
            assertThat(restarted.redelivered()).isEqualTo(1);
            assertThat(restarted.deadLettered()).isEqualTo(1);
        }
    }

    private static RecordMetadata send(KafkaProducer<String, byte[]> producer, Topics topics, String alertId,
                                       String patient) throws Exception {
        ProgressionAlert alert = Alerts.alert(alertId, patient, 60.0);
        String topic = topics.alerts().name();
        return producer.send(new ProducerRecord<>(topic, 0, patient,
                topics.alerts().valueSerde().serializer().serialize(topic, alert))).get();
    }

    private static KafkaProducer<String, byte[]> transactionalProducer(String bootstrap) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "alert-delivery-it-producer");
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    private static List<DeadLetter> undelivered(Platform platform, int expected) {
        Topics topics = platform.topics();
        Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, platform.bootstrap());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "alert-delivery-it-reader");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<DeadLetter> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topics.alertsUndelivered().name()));
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (out.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    out.add(topics.alertsUndelivered().valueSerde().deserializer().deserialize(r.topic(), r.value()));
                }
            }
            // anything beyond the expected letters would show here
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                out.add(topics.alertsUndelivered().valueSerde().deserializer().deserialize(r.topic(), r.value()));
            }
        }
        return out;
    }

    private static byte[] bytes(DeadLetter d) {
        var b = d.getValue().duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void waitFor(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + timeout);
            }
            Thread.sleep(50);
        }
    }
}
