package org.radstream.streams;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.radstream.avro.DeadLetter;
import org.radstream.avro.InferenceResult;
import org.radstream.avro.ProgressionAlert;
import org.radstream.avro.TaskSliceEvent;
import org.radstream.schemas.BearerToken;
import org.radstream.schemas.ServerTls;
import org.radstream.schemas.TestCertificates;
import org.radstream.schemas.Topics;
import org.radstream.streams.StreamsSettings.TopologyName;

/** The stream processors on an embedded KRaft broker: hard kill and restart, dead letters under EOS, the HTTP API. */
class StreamsAppIT {
    private static final String API_TOKEN = "timeline-api-token-for-the-it";
    /** Short session and commit interval so a killed member leaves the group fast. */
    static final Map<String, Object> OVERRIDES = Map.of(
            StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 3000,
            StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 500,
            StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    private static final Instant T0 = Instant.parse("2024-02-20T06:00:00Z");
    private static final int PATIENTS = 6;

    private static EmbeddedBroker broker;
    private final Topics topics = new Topics(EmbeddedBroker.registry());

    /** The key the instances' API presents over HTTPS (shared: they trust each other through it). */
    static ServerTls apiTls;
    /** A client trusting that key, as an operator's would. */
    static HttpClient https;
    /** The audit record repository the API's audit messages go to. */
    static java.net.DatagramSocket auditRepository;

    @BeforeAll
    static void broker() throws Exception {
        Path keys = TestCertificates.keyStore(Files.createTempDirectory("sp-it-tls"), "streams", "localhost", "tls-password");
        apiTls = ServerTls.load(keys, "tls-password", null, null);
        https = HttpClient.newBuilder().sslContext(apiTls.peerContext()).build();
        auditRepository = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress());
        broker = EmbeddedBroker.get();
    }

    private static InferenceResult result(String patient, String scan, String task, double ml, Instant acquired) {
        return InferenceResult.newBuilder(PoirJoinTest.result(patient + "-" + scan, task, ml,
                        task.equals("lung") ? "lung-v1" : "inf-v1", acquired.plus(Duration.ofHours(1)))).setPatientId(patient).setPatientName("Name^" + patient)
                .setStudyUid("st-" + patient).setAccessionNumber("A-" + patient + "-" + scan).setAcquisitionTime(acquired).build();
    }

    /** Per patient: s1 40 mL, s2 +30 h 64 mL (alert s1→s2), s3 +40 h 100 mL (alerts s1→s3, s2→s3). */
    private static List<InferenceResult> scan(String patient, int scan) {
        double[] infected = {40, 64, 100};
        long[] hours = {0, 30, 40};
        Instant at = T0.plus(Duration.ofHours(hours[scan - 1]));
        return List.of(result(patient, "s" + scan, "lung", 1000, at),
                result(patient, "s" + scan, "infection", infected[scan - 1], at));
    }

    private static Set<String> expectedAlertIds() {
        Set<String> ids = new TreeSet<>();
        for (int p = 1; p <= PATIENTS; p++) {
            String patient = "P" + p;
            ids.add(ProgressionAlerts.alertId(patient, patient + "-s1", patient + "-s2"));
            ids.add(ProgressionAlerts.alertId(patient, patient + "-s1", patient + "-s3"));
            ids.add(ProgressionAlerts.alertId(patient, patient + "-s2", patient + "-s3"));
        }
        return ids;
    }

    private KafkaProducer<String, byte[]> producer() {
        Map<String, Object> c = new HashMap<>();
        c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap);
        c.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.PIXEL_MAX_MESSAGE_BYTES);
        return new KafkaProducer<>(c, new StringSerializer(), new ByteArraySerializer());
    }

    private void send(KafkaProducer<String, byte[]> producer, List<InferenceResult> results) {
        for (InferenceResult r : results) {
            producer.send(new ProducerRecord<>(Topics.RESULTS, Topics.seriesTaskKey(r.getSeriesUid(), r.getTask()),
                    topics.results().valueSerde().serializer().serialize(Topics.RESULTS, r)));
        }
        producer.flush();
    }

    private static KafkaConsumer<String, byte[]> committedReader(String topic) {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString().toLowerCase());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "it-reader-" + UUID.randomUUID());
        c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.PIXEL_MAX_MESSAGE_BYTES);
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of(topic));
        return consumer;
    }

    /**
     * Reads until {@code atLeast} records of {@code key} (null: any) arrived, then for {@code quiet} to
     * catch any extra; other keys' records, such as earlier tests', are skipped.
     */
    private static List<ConsumerRecord<String, byte[]>> read(KafkaConsumer<String, byte[]> consumer, String key, int atLeast,
                                                            Duration timeout, Duration quiet) {
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (out.size() < atLeast && System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                if (key == null || key.equals(r.key())) {
                    out.add(r);
                }
            });
        }
        long quietEnd = System.nanoTime() + quiet.toNanos();
        while (System.nanoTime() < quietEnd) {
            consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                if (key == null || key.equals(r.key())) {
                    out.add(r);
                }
            });
        }
        return out;
    }

    /** Reads until {@code atLeast} records arrived, then keeps reading for {@code quiet} to catch any extra. */
    private static List<ConsumerRecord<String, byte[]>> read(KafkaConsumer<String, byte[]> consumer, int atLeast,
                                                            Duration timeout, Duration quiet) {
        return read(consumer, null, atLeast, timeout, quiet);
    }

    @Test
    void killedMidStreamAndRestartedLosesAndDuplicatesNoAlertAndServesTheTimeline() throws Exception {
        String appId = "it-restart-" + UUID.randomUUID().toString().substring(0, 8);
        Path stateDir = Files.createTempDirectory("sp-it-state");
        StreamsSettings settings = StreamsSettings.defaults(broker.bootstrap, "http://unused", stateDir)
                .withApplicationId(appId)
                .withTopologies(EnumSet.of(TopologyName.POIR_JOIN, TopologyName.PROGRESSION_ALERTS))
                .withHttp("localhost", 0).withApiToken(BearerToken.of(API_TOKEN, StreamsSettings.API_TOKEN_VARIABLE))
                .withHttpTls(apiTls).withAuditRepository("udp://127.0.0.1:" + auditRepository.getLocalPort());
        // topics exist before the child starts (StreamsApp creates missing ones)
        try (StreamsApp creator = new StreamsApp(settings.withTopologies(EnumSet.of(TopologyName.WINDOW_AND_ROUTE))
                .withHttp("localhost", -1), topics, OVERRIDES)) {
            creator.start();
        }
        Path log = Files.createTempFile("sp-it-child", ".log");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-Dslf4j.provider=ch.qos.logback.classic.spi.LogbackServiceProvider", "-cp", System.getProperty("java.class.path"), StreamsAppProcess.class.getName(),
                broker.bootstrap, appId, stateDir.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try (KafkaProducer<String, byte[]> producer = producer();
             KafkaConsumer<String, byte[]> alerts = committedReader(Topics.ALERTS)) {
            for (int p = 1; p <= PATIENTS; p++) {
                send(producer, scan("P" + p, 1));
                send(producer, scan("P" + p, 2));
            }
            List<ConsumerRecord<String, byte[]>> before = read(alerts, 3, Duration.ofSeconds(90), Duration.ZERO);
            assertThat(before).as("child log: %s", log).isNotEmpty();
            for (int p = 1; p <= PATIENTS; p++) {
                send(producer, scan("P" + p, 3));
            }
            child.destroyForcibly().waitFor(); // SIGKILL mid-stream: no close, no commit
            List<ConsumerRecord<String, byte[]>> all = new ArrayList<>(before);

            try (StreamsApp app = new StreamsApp(settings, topics, OVERRIDES)) {
                app.start();
                // duplicates of a whole patient's results after the restart
                send(producer, scan("P1", 1));
                send(producer, scan("P1", 2));
                send(producer, scan("P1", 3));
                all.addAll(read(alerts, expectedAlertIds().size() - before.size(), Duration.ofSeconds(120),
                        Duration.ofSeconds(4)));

                List<String> ids = all.stream().map(r -> topics.alerts().valueSerde().deserializer()
                        .deserialize(Topics.ALERTS, r.value()).getAlertId()).toList();
                assertThat(ids).hasSize(expectedAlertIds().size());
                assertThat(new TreeSet<>(ids)).isEqualTo(expectedAlertIds());
                ProgressionAlert first = topics.alerts().valueSerde().deserializer().deserialize(Topics.ALERTS, all.get(0).value());
                assertThat(all.get(0).key()).isEqualTo(first.getPatientId());

                checkApi(app);
                checkForwarding(app, settings);
            }
        } finally {
            child.destroyForcibly();
        }
    }

    /**
     * A second instance of the same application: each patient's timeline asked of both instances is
     * answered by the one that holds the patient, the other forwarding the request with the token;
     * the alerts are gathered from both.
     */
    private void checkForwarding(StreamsApp a, StreamsSettings settings) throws Exception {
        HttpClient http = https;
        try (StreamsApp b = new StreamsApp(settings.withStateDir(Files.createTempDirectory("sp-it-state-b")), topics,
                OVERRIDES)) {
            b.start();
            List<String> bases = List.of("https://localhost:" + a.httpPort().orElseThrow(),
                    "https://localhost:" + b.httpPort().orElseThrow());
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (a.streams(TopologyName.PROGRESSION_ALERTS).streamsMetadataForStore(ProgressionAlerts.HISTORY_STORE)
                    .size() < 2 || !a.isRunning() || !b.isRunning()) {
                assertThat(System.nanoTime()).as("both instances hold part of the stores").isLessThan(deadline);
                Thread.sleep(200);
            }
            int forwarded = 0;
            for (int p = 1; p <= PATIENTS; p++) {
                Set<String> servedBy = new TreeSet<>();
                for (String base : bases) {
                    HttpResponse<String> r;
                    do { // 503 while the stores move after the rebalance
                        r = http.send(withToken(base + "/patients/P" + p + "/timeline"), HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() == 503) {
                            assertThat(System.nanoTime()).as(r.body()).isLessThan(deadline);
                            Thread.sleep(200);
                        }
                    } while (r.statusCode() == 503);
                    assertThat(r.statusCode()).as("P%d asked of %s: %s", p, base, r.body()).isEqualTo(200);
                    JsonNode timeline = JsonSerde.MAPPER.readTree(r.body());
                    assertThat(timeline.get("patientId").asText()).isEqualTo("P" + p);
                    assertThat(timeline.get("measurements")).hasSize(3);
                    String by = r.headers().firstValue("X-Served-By").orElseThrow();
                    servedBy.add(by);
                    if (!base.endsWith(by.substring(by.lastIndexOf(':')))) {
                        forwarded++;
                    }
                }
                assertThat(servedBy).as("P%d is answered by the instance that holds it", p).hasSize(1);
            }
            assertThat(forwarded).as("each patient is remote to one of the two instances").isEqualTo(PATIENTS);
            for (String base : bases) {
                HttpResponse<String> all = http.send(withToken(base + "/alerts?since=0"), HttpResponse.BodyHandlers.ofString());
                assertThat(all.statusCode()).as(all.body()).isEqualTo(200);
                assertThat(JsonSerde.MAPPER.readTree(all.body()).get("alerts")).hasSize(expectedAlertIds().size());
            }
            // each timeline read is audited once, where it arrived, naming the patient, forwarded or not
            List<String> audited = org.radstream.schemas.TestAuditRepository.receiveAll(auditRepository,
                    Duration.ofMillis(1500));
            for (int patient = 1; patient <= PATIENTS; patient++) {
                int p = patient;
                String id = "ParticipantObjectID=\"P" + p + "\"";
                assertThat(audited).filteredOn(m -> m.contains("csd-code=\"110110\"") && m.contains(id)
                                && m.split("<ParticipantObjectIdentification", -1).length == 2)
                        .as("P%d's timeline, asked of both instances", p).hasSize(2)
                        .allMatch(m -> m.contains("<ParticipantObjectName>Name^P" + p + "</ParticipantObjectName>"));
            }
        }
    }

    /** A GET of the API carrying its token. */
    private static HttpRequest withToken(String uri) {
        return HttpRequest.newBuilder(URI.create(uri)).header("Authorization", "Bearer " + API_TOKEN).build();
    }

    private void checkApi(StreamsApp app) throws Exception {
        HttpClient http = https;
        String base = "https://localhost:" + app.httpPort().orElseThrow();
        // the API speaks only HTTPS; a client that does not trust its certificate gets no answer
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + app.httpPort().orElseThrow() + "/health")).build(),
                HttpResponse.BodyHandlers.ofString())).isInstanceOf(java.io.IOException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(base + "/health")).build(), HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        HttpResponse<String> health;
        do {
            health = http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(), HttpResponse.BodyHandlers.ofString());
            Thread.sleep(200);
        } while (health.statusCode() != 200 && System.nanoTime() < deadline);
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(JsonSerde.MAPPER.readTree(health.body()).get("topologies").toString())
                .isEqualTo("{\"poir\":\"RUNNING\",\"progression\":\"RUNNING\"}");

        HttpResponse<String> r = http.send(withToken(base + "/patients/P2/timeline"),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode timeline = JsonSerde.MAPPER.readTree(r.body());
        assertThat(timeline.get("patientId").asText()).isEqualTo("P2");
        assertThat(timeline.get("patientName").asText()).isEqualTo("Name^P2");
        assertThat(timeline.get("measurements")).hasSize(3);
        assertThat(timeline.get("measurements").get(0)).isEqualTo(JsonSerde.MAPPER.readTree("""
                {"seriesUid":"P2-s1","studyUid":"st-P2","accessionNumber":"A-P2-s1",
                 "acquisitionTime":"2024-02-20T06:00:00Z","lungMl":1000.0,"infectedMl":40.0,"poir":4.0,
                 "lungMethod":"model","infectionMethod":"model","lungModelVersion":"lung-v1",
                 "infectionModelVersion":"inf-v1","measuredAt":"2024-02-20T07:00:00Z"}"""));
        assertThat(timeline.get("measurements").get(2).get("poir").asDouble()).isEqualTo(10.0);
        JsonNode alerts = timeline.get("alerts");
        assertThat(alerts).hasSize(3);
        ObjectNode firstAlert = (ObjectNode) alerts.get(0).deepCopy();
        Instant raisedAt = Instant.parse(firstAlert.remove("raisedAt").asText());
        assertThat(raisedAt).isAfter(Instant.now().minus(Duration.ofMinutes(5)));
        String rule = ProgressionThresholds.DEFAULT.describe();
        assertThat(firstAlert).isEqualTo(JsonSerde.MAPPER.readTree("""
                {"alertId":"%s","patientId":"P2","patientName":"Name^P2","earlierSeriesUid":"P2-s1",
                 "laterSeriesUid":"P2-s2","earlierAcquisitionTime":"2024-02-20T06:00:00Z",
                 "laterAcquisitionTime":"2024-02-21T12:00:00Z","earlierInfectedMl":40.0,"laterInfectedMl":64.0,
                 "earlierPoir":4.0,"laterPoir":6.4,"growthPercent":60.0,"hoursApart":30.0,"rule":"%s",
                 "message":"PROGRESSION Name^P2 (patient P2): infected 40.0 → 64.0 mL (+60%%), PoIR 4.0%% → 6.4%%, 30.0 h apart. Rule: %s",
                 "retraction":null}"""
                .formatted(ProgressionAlerts.alertId("P2", "P2-s1", "P2-s2"), rule, rule)));

        HttpResponse<String> missing = http.send(withToken(base + "/patients/NOBODY/timeline"),
                HttpResponse.BodyHandlers.ofString());
        assertThat(missing.statusCode()).isEqualTo(404);

        HttpResponse<String> all = http.send(withToken(base + "/alerts?since=0"),
                HttpResponse.BodyHandlers.ofString());
        JsonNode allAlerts = JsonSerde.MAPPER.readTree(all.body());
        assertThat(allAlerts.get("since").asText()).isEqualTo("1970-01-01T00:00:00Z");
        assertThat(allAlerts.get("alerts")).hasSize(expectedAlertIds().size());
        HttpResponse<String> future = http.send(withToken(base + "/alerts?since=2999-01-01T00:00:00Z"),
                HttpResponse.BodyHandlers.ofString());
        assertThat(JsonSerde.MAPPER.readTree(future.body()).get("alerts")).isEmpty();
        HttpResponse<String> bad = http.send(withToken(base + "/alerts?since=yesterday"),
                HttpResponse.BodyHandlers.ofString());
        assertThat(bad.statusCode()).isEqualTo(400);

        String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("radstream_streams_running{topology=\"progression\"} 1");
        assertThat(metrics).contains("# TYPE radstream_alerts_raised_total counter");

        // the patients' data only with the token; /health and /metrics (asked above without it) stay open
        for (String path : List.of("/patients/P2/timeline", "/alerts?since=0")) {
            HttpResponse<String> none = http.send(HttpRequest.newBuilder(URI.create(base + path)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(none.statusCode()).as("%s without the token", path).isEqualTo(401);
            assertThat(none.headers().firstValue("WWW-Authenticate")).contains("Bearer realm=\"radstream-timeline\"");
            assertThat(none.body()).contains("RADSTREAM_API_TOKEN").doesNotContain("P2-s1").doesNotContain(API_TOKEN);
            HttpResponse<String> wrong = http.send(HttpRequest.newBuilder(URI.create(base + path))
                    .header("Authorization", "Bearer " + API_TOKEN.replace('a', 'b')).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(wrong.statusCode()).as("%s with another token", path).isEqualTo(401);
        }

        // the audit trail: each disclosure of patient data and each refusal, once (health and metrics are not audited)
        List<String> audited = org.radstream.schemas.TestAuditRepository.receiveAll(auditRepository,
                Duration.ofMillis(1500));
        assertThat(audited).allMatch(m -> m.matches("(?s)<8[45]>1 \\S+ \\S+ radstream-streams \\d+ IHE\\+RFC-3881 - .*"));
        assertThat(audited.stream().filter(m -> m.contains("csd-code=\"110110\"") && m.contains("EventActionCode=\"R\"")
                && m.contains("EventOutcomeIndicator=\"0\"") && m.contains("ParticipantObjectID=\"P2\"")
                && m.contains("<ParticipantObjectName>Name^P2</ParticipantObjectName>")
                && m.contains("NetworkAccessPointID=\"127.0.0.1\"")
                && m.split("<ParticipantObjectIdentification", -1).length == 2)).as("P2's timeline read, P2 alone").hasSize(1);
        assertThat(audited.stream().filter(m -> m.contains("csd-code=\"110110\"") && m.contains("EventOutcomeIndicator=\"4\"")
                && m.contains("ParticipantObjectID=\"NOBODY\""))).as("a patient not found").hasSize(1);
        Set<String> alerted = new TreeSet<>();
        allAlerts.get("alerts").forEach(a -> alerted.add(a.get("patientId").asText()));
        assertThat(alerted).isNotEmpty();
        assertThat(audited.stream().filter(m -> m.contains("csd-code=\"110110\"") && alerted.stream().allMatch(id ->
                m.contains("ParticipantObjectID=\"" + id + "\"")))).as("the alerts read, naming their patients").hasSize(1);
        assertThat(audited.stream().filter(m -> m.contains("csd-code=\"110114\"") && m.contains("EventOutcomeIndicator=\"4\"")))
                .as("requests without or with another token").hasSize(4);
        assertThat(audited.stream().filter(m -> m.contains("csd-code=\"110100\"") && m.contains("csd-code=\"110120\"")))
                .as("the instance's start").hasSize(1);
        assertThat(audited).hasSize(9); // and the alerts since 2999, which disclosed nobody
    }

    /** Settings running one topology under a fresh application id, without the HTTP API. */
    private static StreamsSettings alone(TopologyName topology, String idPrefix) throws java.io.IOException {
        return StreamsSettings.defaults(broker.bootstrap, "http://unused", Files.createTempDirectory(idPrefix))
                .withApplicationId(idPrefix + UUID.randomUUID().toString().substring(0, 8))
                .withTopologies(EnumSet.of(topology)).withHttp("localhost", -1);
    }

    @Test
    void aRejectionNoteFromThePacsRetractsTheAlertsOfItsSeriesAndItsScanNoLongerCounts() throws Exception {
        String appId = "it-reject-" + UUID.randomUUID().toString().substring(0, 8);
        String patient = "R-" + appId;
        StreamsSettings settings = StreamsSettings.defaults(broker.bootstrap, "http://unused",
                        Files.createTempDirectory("sp-it-reject")).withApplicationId(appId)
                .withTopologies(EnumSet.of(TopologyName.POIR_JOIN, TopologyName.PROGRESSION_ALERTS)).withHttp("localhost", 0);
        try (StreamsApp app = new StreamsApp(settings, topics, OVERRIDES);
             KafkaProducer<String, byte[]> producer = producer();
             KafkaConsumer<String, byte[]> alerts = committedReader(Topics.ALERTS)) {
            app.start();
            send(producer, scan(patient, 1));
            send(producer, scan(patient, 2));
            List<ProgressionAlert> raised = read(alerts, patient, 1, Duration.ofSeconds(90), Duration.ofSeconds(2)).stream()
                    .map(r -> topics.alerts().valueSerde().deserializer().deserialize(Topics.ALERTS, r.value())).toList();
            assertThat(raised).extracting(ProgressionAlert::getAlertId)
                    .containsExactly(ProgressionAlerts.alertId(patient, patient + "-s1", patient + "-s2"));

            // the PACS withdraws scan 2 (another patient's images filed under this one): its alert is retracted
            org.radstream.avro.RejectionNote note = org.radstream.avro.RejectionNote.newBuilder()
                    .setSopInstanceUid("2.25.1234").setPatientId(patient).setReasonCode("113038")
                    .setReasonMeaning("Incorrect Modality Worklist Entry")
                    .setSeries(List.of(org.radstream.avro.RejectedSeries.newBuilder().setStudyUid("st-" + patient)
                            .setSeriesUid(patient + "-s2").setSopInstanceUids(List.of()).build()))
                    .setCallingAe("PACS").setReceivedVia("c-store").setReceivedAt(T0).build();
            producer.send(new ProducerRecord<>(Topics.REJECTION_NOTES, patient,
                    topics.rejectionNotes().valueSerde().serializer().serialize(Topics.REJECTION_NOTES, note)));
            producer.flush();
            List<ProgressionAlert> retracted = read(alerts, patient, 1, Duration.ofSeconds(60), Duration.ofSeconds(2)).stream()
                    .map(r -> topics.alerts().valueSerde().deserializer().deserialize(Topics.ALERTS, r.value())).toList();
            assertThat(retracted).singleElement().satisfies(a -> {
                assertThat(a.getAlertId()).isEqualTo(raised.get(0).getAlertId());
                assertThat(a.getRetraction().getSeriesUid()).isEqualTo(patient + "-s2");
                assertThat(a.getRetraction().getRejectionNoteUid()).isEqualTo("2.25.1234");
            });

            // the timeline no longer counts scan 2, and shows its alert retracted, with why
            HttpResponse<String> timeline = HttpClient.newHttpClient().send(HttpRequest.newBuilder(java.net.URI.create(
                    "http://localhost:" + app.httpPort().orElseThrow() + "/patients/" + patient + "/timeline")).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode t = JsonSerde.MAPPER.readTree(timeline.body());
            assertThat(t.get("measurements")).extracting(m -> m.get("seriesUid").asText()).containsExactly(patient + "-s1");
            assertThat(t.get("withdrawn")).singleElement().satisfies(w -> {
                assertThat(w.get("seriesUid").asText()).isEqualTo(patient + "-s2");
                assertThat(w.get("reason").asText()).isEqualTo("Incorrect Modality Worklist Entry (DCM 113038)");
                assertThat(w.get("rejectionNoteUid").asText()).isEqualTo("2.25.1234");
            });
            assertThat(t.get("alerts")).singleElement().satisfies(a -> {
                assertThat(a.get("retraction").get("seriesUid").asText()).isEqualTo(patient + "-s2");
                assertThat(a.get("retraction").get("reason").asText()).isEqualTo("Incorrect Modality Worklist Entry (DCM 113038)");
                assertThat(a.get("retraction").get("rejectionNoteUid").asText()).isEqualTo("2.25.1234");
            });

            // scan 3 is compared with scan 1 only: no alert from the withdrawn scan 2
            send(producer, scan(patient, 3));
            List<ProgressionAlert> after = read(alerts, patient, 1, Duration.ofSeconds(60), Duration.ofSeconds(3)).stream()
                    .map(r -> topics.alerts().valueSerde().deserializer().deserialize(Topics.ALERTS, r.value())).toList();
            assertThat(after).extracting(ProgressionAlert::getAlertId)
                    .containsExactly(ProgressionAlerts.alertId(patient, patient + "-s1", patient + "-s3"));
        }
    }

    @Test
    void badInputIsDeadLetteredUnderExactlyOnceAndRoutingGoesOn() throws Exception {
        StreamsSettings settings = alone(TopologyName.WINDOW_AND_ROUTE, "it-dlq-");
        String series = "1.9.it." + settings.applicationId();
        try (StreamsApp app = new StreamsApp(settings, topics, OVERRIDES);
             KafkaProducer<String, byte[]> producer = producer();
             KafkaConsumer<String, byte[]> dead = committedReader(Topics.STREAMS_DEAD_LETTERS);
             KafkaConsumer<String, byte[]> chest = committedReader(Topics.TASKS_CHEST)) {
            app.start();
            byte[] garbage = {0, 0, 0, 0, 99, 1, 2, 3};
            byte[] badGeometry = topics.slices().valueSerde().serializer().serialize(Topics.SLICES,
                    TestData.event(TestData.slice(series, 1, "CHEST", TestData.words(0, 0, 0, 0, 0, 0)).setRows(0).build()));
            byte[] good = topics.slices().valueSerde().serializer().serialize(Topics.SLICES,
                    TestData.event(TestData.slice(series, 2, "CHEST", TestData.words(0, 0, 0, 0, 0, 0)).build()));
            producer.send(new ProducerRecord<>(Topics.SLICES, series, garbage));
            producer.send(new ProducerRecord<>(Topics.SLICES, series, badGeometry));
            producer.send(new ProducerRecord<>(Topics.SLICES, series, good));
            producer.flush();

            List<DeadLetter> letters = read(dead, series, 2, Duration.ofSeconds(60), Duration.ofSeconds(1)).stream()
                    .map(r -> topics.streamsDeadLetters().valueSerde().deserializer().deserialize(Topics.STREAMS_DEAD_LETTERS, r.value()))
                    .toList();
            assertThat(letters).extracting(DeadLetter::getComponent)
                    .containsExactly("stream-processors/deserialization", "stream-processors/" + WindowAndRoute.PROCESSOR);
            assertThat(letters.get(1).getReason()).isEqualTo("slice " + series + ".1 of series " + series
                    + ": impossible size 0x3");
            List<TaskSliceEvent> routed = read(chest, series, 1, Duration.ofSeconds(30), Duration.ZERO).stream()
                    .map(r -> topics.tasksChest().valueSerde().deserializer().deserialize(Topics.TASKS_CHEST, r.value()))
                    .toList();
            assertThat(routed).hasSize(1);
            assertThat(app.isRunning()).isTrue();
        }
    }

    @Test
    void aSegmentationFromThePacsBecomesTheSeriesLabelAndAPoisonedRecordDoesNotStopIt() throws Exception {
        StreamsSettings settings = alone(TopologyName.SEGMENTATION_LABELS, "it-seg-");
        String series = "1.9.seg." + settings.applicationId();
        org.radstream.imaging.Mask3D corrected = SegmentationLabelsTest.mask(4, 50, 100);
        byte[] file = org.radstream.imaging.dicom.DicomSeg.write(corrected, SegmentationLabelsTest.series(series),
                new org.radstream.imaging.dicom.DicomSeg.Segment("infection", null, null), T0, new java.util.Random(7));
        try (StreamsApp app = new StreamsApp(settings, topics, OVERRIDES);
             KafkaProducer<String, byte[]> producer = producer();
             KafkaConsumer<String, byte[]> labels = committedReader(Topics.LABELS);
             KafkaConsumer<String, byte[]> dead = committedReader(Topics.STREAMS_DEAD_LETTERS)) {
            app.start();
            send(producer, List.of(SegmentationLabelsTest.result(series, "infection", SegmentationLabelsTest.GEOMETRY)));
            producer.send(new ProducerRecord<>(Topics.SEGMENTATIONS, series, new byte[] {0, 0, 0, 0, 42, 1}));
            producer.send(new ProducerRecord<>(Topics.SEGMENTATIONS, series, topics.segmentations().valueSerde().serializer()
                    .serialize(Topics.SEGMENTATIONS, SegmentationLabelsTest.received(series, "Dr^Who", file))));
            producer.flush();

            List<ConsumerRecord<String, byte[]>> got = read(labels, Topics.seriesTaskKey(series, "infection"), 1,
                    Duration.ofSeconds(60), Duration.ofSeconds(1));
            assertThat(got).hasSize(1);
            org.radstream.avro.CorrectedLabel label = topics.labels().valueSerde().deserializer().deserialize(Topics.LABELS,
                    got.get(0).value());
            assertThat(label.getAnnotator()).isEqualTo("Dr^Who");
            assertThat(org.radstream.imaging.Rle.decode(label.getMask().getRle().array(), SegmentationLabelsTest.W,
                    SegmentationLabelsTest.H, SegmentationLabelsTest.D)).isEqualTo(corrected);
            List<DeadLetter> letters = read(dead, series, 1, Duration.ofSeconds(30), Duration.ZERO).stream()
                    .map(r -> topics.streamsDeadLetters().valueSerde().deserializer().deserialize(Topics.STREAMS_DEAD_LETTERS, r.value()))
                    .toList();
            assertThat(letters).extracting(DeadLetter::getComponent).containsExactly("stream-processors/deserialization");
            assertThat(app.isRunning()).isTrue();
        }
    }
}
