package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.schemas.ServerTls;
import org.radstream.schemas.TestCertificates;

/**
 * A trainer with an HTTP token on the embedded broker: requests that change state (labels, runs,
 * cancels) need it, reading (runs, metrics, health, a label's status) does not, and a run is queued
 * only by a POST. Its audit trail records each request refused for want of the token and each label
 * submitted, refused or withdrawn, by whom and from where.
 */
class TrainerHttpIT {
    private static final String TOKEN = "a-token-for-the-http-it";

    @TempDir
    Path dir;

    @Test
    void requestsThatChangeStateNeedTheTokenAndReadingDoesNot() throws Exception {
        TestBroker broker = TestBroker.get();
        java.net.DatagramSocket auditRepository = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress());
        TrainerSettings settings = TrainerSettings.defaults(broker.bootstrap, dir.resolve("work"), dir.resolve("store"),
                "integration-test-secret-0123456789").withHttpPort(0).withGroupId("trainer-http-it")
                .withTrainingInterval(Duration.ZERO).withLabelsPerTraining(0).withHttpToken(TOKEN)
                .withAuditRepository("udp://127.0.0.1:" + auditRepository.getLocalPort());
        assertThat(settings.toString()).doesNotContain(TOKEN).doesNotContain("integration-test-secret");
        try (auditRepository; TrainerService service = TrainerService.start(settings, broker.topics)) {
            URI base = URI.create("http://localhost:" + service.httpPort());
            HttpClient http = HttpClient.newHttpClient();

            HttpResponse<String> deleteWithout = http.send(HttpRequest.newBuilder(base.resolve("/labels?series=1.1&task=lung"))
                    .DELETE().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(deleteWithout.statusCode()).isEqualTo(401);
            for (String path : List.of("/train?task=lung", "/runs/cancel?task=lung", "/labels?series=1.1&task=lung")) {
                HttpResponse<String> none = post(http, base.resolve(path), null);
                assertThat(none.statusCode()).as(path).isEqualTo(401);
                assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"radstream-trainer\"");
                assertThat(post(http, base.resolve(path), "not-the-token-at-all").statusCode()).as(path).isEqualTo(401);
            }
            assertThat(service.runs()).isEmpty();
            // a GET does not queue a run
            assertThat(get(http, base.resolve("/train?task=lung")).statusCode()).isEqualTo(405);
            for (String path : List.of("/runs", "/metrics", "/health", "/labels?series=1.1&task=lung")) {
                assertThat(get(http, base.resolve(path)).statusCode()).as(path).isEqualTo(200);
            }

            // malformed requests, even with the token, are refused with the reason and send nothing to the label topic
            int labelRecords = broker.values(broker.topics.labels()).size();
            for (String path : List.of("/labels?series=1.1&task=spleen", "/labels?task=lung")) {
                HttpResponse<String> bad = http.send(HttpRequest.newBuilder(base.resolve(path)).DELETE()
                        .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(bad.statusCode()).as(path).isEqualTo(400);
            }
            assertThat(get(http, base.resolve("/labels?series=1.1&task=spleen")).body()).contains("unknown task 'spleen'");
            assertThat(get(http, base.resolve("/labels?series=1.1&task=infection-classifier")).body())
                    .isEqualTo("infection-classifier takes no labels of its own (it learns from the infection labels)\n");
            assertThat(get(http, base.resolve("/labels?series=1.1")).statusCode()).isEqualTo(400);
            assertThat(get(http, base.resolve("/runs?since=yesterday")).body())
                    .isEqualTo("since must be an instant such as 2026-12-06T08:00:00Z, got 'yesterday'\n");
            HttpResponse<String> cancelSpleen = post(http, base.resolve("/runs/cancel?task=spleen"), TOKEN);
            assertThat(cancelSpleen.statusCode()).isEqualTo(400);
            assertThat(cancelSpleen.body()).contains("unknown task 'spleen'");
            assertThat(post(http, base.resolve("/runs/cancel?task=lung"), TOKEN).body())
                    .isEqualTo("no lung run is in progress or waiting\n");
            assertThat(broker.values(broker.topics.labels())).hasSize(labelRecords);

            // a label submitted, then a body that is not a mask, then the label withdrawn, each naming its annotator
            byte[] mask = TrainerIT.rleFile(4, 4, 2, org.radstream.imaging.Rle.encode(new org.radstream.imaging.Mask3D(4, 4, 2)));
            assertThat(http.send(HttpRequest.newBuilder(base.resolve("/labels?series=1.1&task=lung&annotator=dr-lee"))
                    .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.ofByteArray(mask)).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(202);
            assertThat(http.send(HttpRequest.newBuilder(base.resolve("/labels?series=1.1&task=lung&annotator=dr-lee"))
                    .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {1, 2}))
                    .build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(400);
            assertThat(http.send(HttpRequest.newBuilder(base.resolve("/labels?series=1.1&task=lung&annotator=dr-kim"))
                    .header("Authorization", "Bearer " + TOKEN).DELETE().build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode()).isEqualTo(202);
            // a mask read from a DICOM Segmentation names it; a source that is not a UID is refused with the reason
            assertThat(http.send(HttpRequest.newBuilder(base.resolve("/labels?series=1.1&task=lung&annotator=dr-lee&source=1.2.826.77"))
                    .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.ofByteArray(mask)).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(202);
            HttpResponse<String> badSource = http.send(HttpRequest.newBuilder(base.resolve(
                    "/labels?series=1.1&task=lung&annotator=dr-lee&source=seg.dcm")).header("Authorization", "Bearer " + TOKEN)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(mask)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(badSource.statusCode()).isEqualTo(400);
            assertThat(badSource.body()).contains("source 'seg.dcm' is not a DICOM UID");
            // (the label topic is shared with this JVM's other tests: series 1.1 is this test's alone)
            assertThat(broker.values(broker.topics.labels()).stream().filter(java.util.Objects::nonNull)
                    .filter(l -> l.getSeriesUid().equals("1.1")).map(org.radstream.avro.CorrectedLabel::getSourceInstanceUid)
                    .toList()).containsExactly(null, "1.2.826.77");
            // withdrawn again: the shared label topic ends as it did (other tests' trainers read it)
            assertThat(http.send(HttpRequest.newBuilder(base.resolve("/labels?series=1.1&task=lung&annotator=dr-kim"))
                    .header("Authorization", "Bearer " + TOKEN).DELETE().build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode()).isEqualTo(202);

            // a client with the token asks for a run (it fails: no liver labels) and follows it; one without is told why
            List<String> lines = new ArrayList<>();
            RunFollower withToken = new RunFollower(http, base, Duration.ofMillis(20), Duration.ofSeconds(5), lines::add, TOKEN);
            assertThat(withToken.follow("liver", withToken.request("liver")).end()).isEqualTo(RunFollower.End.FAILED);
            RunFollower without = new RunFollower(http, base, Duration.ofMillis(20), Duration.ofSeconds(5), lines::add);
            assertThatThrownBy(() -> without.request("liver")).isInstanceOf(IOException.class)
                    .hasMessage("the trainer at " + base + " refused the request without its token (none was given: "
                            + "--trainer-token or RADSTREAM_TRAINER_TOKEN)");
            assertThat(service.runs()).hasSize(1);

            // the audit trail so far: the start, 8 requests refused for want of the token, the label's six requests
            List<String> audited = org.radstream.schemas.TestAuditRepository.receiveAll(auditRepository, Duration.ofMillis(1500));
            assertThat(audited).allMatch(m -> m.matches("(?s)<8[45]>1 \\S+ \\S+ radstream-trainer \\d+ IHE\\+RFC-3881 - .*"));
            assertThat(audited).filteredOn(m -> m.contains("csd-code=\"110120\"")).hasSize(1);
            assertThat(audited).filteredOn(m -> m.contains("csd-code=\"110114\"") && m.contains("EventOutcomeIndicator=\"4\"")
                    && m.contains("without the bearer token")).hasSize(8);
            List<String> labels = audited.stream().filter(m -> m.contains("csd-code=\"110103\"")).toList();
            assertThat(labels).hasSize(6).allMatch(m -> m.contains("ParticipantObjectID=\"1.1\"")
                    && m.contains("csd-code=\"112002\"") && m.contains("NetworkAccessPointID=\"127.0.0.1\""));
            assertThat(labels.get(0)).contains("EventActionCode=\"C\"", "EventOutcomeIndicator=\"0\"", "UserID=\"dr-lee\"");
            assertThat(labels.get(1)).contains("EventOutcomeIndicator=\"4\"",
                    "body is not a .rle mask file");
            assertThat(labels.get(2)).contains("EventActionCode=\"D\"", "EventOutcomeIndicator=\"0\"", "UserID=\"dr-kim\"");
            assertThat(labels.get(3)).contains("EventOutcomeIndicator=\"0\"", "UserID=\"dr-lee\"");
            assertThat(labels.get(4)).contains("EventOutcomeIndicator=\"4\"", "is not a DICOM UID");
            assertThat(labels.get(5)).contains("EventActionCode=\"D\"", "EventOutcomeIndicator=\"0\"");
            assertThat(audited).hasSize(1 + 8 + 6);
            assertThat(get(http, base.resolve("/metrics")).body()).contains("radstream_trainer_audit_messages_sent_total 15");

            // a label upload that stalls half-way holds one request thread, not /health (the container's check)
            try (java.net.Socket stalled = new java.net.Socket("localhost", service.httpPort())) {
                stalled.getOutputStream().write(("POST /labels?series=1.1&task=lung HTTP/1.1\r\nHost: localhost\r\n"
                        + "Authorization: Bearer " + TOKEN + "\r\nContent-Length: 1000\r\n\r\n0123456789")
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                stalled.getOutputStream().flush();
                Thread.sleep(200); // the trainer is reading its body now
                HttpResponse<String> health = http.send(HttpRequest.newBuilder(base.resolve("/health"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(health.statusCode()).isEqualTo(200);
            }
        }
        assertThatThrownBy(() -> settings.withHttpToken("short")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 16 characters");
    }

    @Test
    void overHttpsTheApiAnswersClientsThatTrustItsKeyAndPlainHttpGetsNoAnswer() throws Exception {
        TestBroker broker = TestBroker.get();
        ServerTls tls = ServerTls.load(TestCertificates.keyStore(dir, "trainer", "localhost", "tls-password"),
                "tls-password", null, null);
        TrainerSettings settings = TrainerSettings.defaults(broker.bootstrap, dir.resolve("work"), dir.resolve("store"),
                "integration-test-secret-0123456789").withHttpPort(0).withGroupId("trainer-https-it")
                .withTrainingInterval(Duration.ZERO).withLabelsPerTraining(0).withHttpToken(TOKEN).withHttpTls(tls);
        assertThat(settings.toString()).endsWith(", https]").doesNotContain("tls-password");
        try (TrainerService service = TrainerService.start(settings, broker.topics)) {
            HttpClient trusting = HttpClient.newBuilder().sslContext(tls.peerContext()).build();
            URI base = URI.create("https://localhost:" + service.httpPort());
            assertThat(get(trusting, base.resolve("/runs")).statusCode()).isEqualTo(200);
            assertThat(post(trusting, base.resolve("/train?task=lung"), null).statusCode()).as("the token still applies")
                    .isEqualTo(401);
            assertThatThrownBy(() -> get(HttpClient.newHttpClient(), URI.create("http://localhost:" + service.httpPort()
                    + "/runs"))).isInstanceOf(IOException.class);
            assertThatThrownBy(() -> get(HttpClient.newHttpClient(), base.resolve("/runs")))
                    .as("a client that does not trust the key").isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
        }
    }

    @Test
    void suggestionsListTheUnlabelledSeriesLeastStableFirstToHoldersOfTheToken() throws Exception {
        TestBroker broker = TestBroker.get();
        java.time.Instant start = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        String p = "9.77." + System.nanoTime() + ".";
        TrainerSettings settings = TrainerSettings.defaults(broker.bootstrap, dir.resolve("work"), dir.resolve("store"),
                "integration-test-secret-0123456789").withHttpPort(0).withGroupId("trainer-suggest-it")
                .withTrainingInterval(Duration.ZERO).withLabelsPerTraining(0).withHttpToken(TOKEN);
        try (TrainerService service = TrainerService.start(settings, broker.topics);
                org.apache.kafka.clients.producer.KafkaProducer<String, byte[]> producer = producer(broker)) {
            URI base = URI.create("http://localhost:" + service.httpPort());
            HttpClient http = HttpClient.newHttpClient();
            // results: an older shaky one superseded by a firmer one (F), one a radiologist labels (C), one labelled only
            // by the HU draft (H), one the PACS withdraws (D), an HU baseline result (E, no stability), another task (G)
            send(producer, broker, result(p + "A", "infection", 0.9, 1000));
            send(producer, broker, result(p + "B", "infection", 0.5, 1000));
            send(producer, broker, result(p + "C", "infection", 0.1, 1000));
            send(producer, broker, result(p + "D", "infection", 0.05, 1000));
            send(producer, broker, org.radstream.avro.InferenceResult.newBuilder(result(p + "E", "infection", 0.5, 1000))
                    .setMethod("hu-threshold").setMaskStability(null).setModelVersion(null).build());
            send(producer, broker, result(p + "F", "infection", 0.2, 1000));
            send(producer, broker, result(p + "F", "infection", 0.6, 2000));
            send(producer, broker, result(p + "G", "lung", 0.01, 1000));
            send(producer, broker, result(p + "H", "infection", 0.4, 1000));
            byte[] mask = TrainerIT.rleFile(4, 4, 2, org.radstream.imaging.Rle.encode(new org.radstream.imaging.Mask3D(4, 4, 2)));
            assertThat(http.send(HttpRequest.newBuilder(base.resolve("/labels?series=" + p + "C&task=infection"))
                    .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.ofByteArray(mask)).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(202);
            org.radstream.schemas.Topic<String, org.radstream.avro.CorrectedLabel> labels = broker.topics.labels();
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(labels.name(),
                    org.radstream.schemas.Topics.seriesTaskKey(p + "H", "infection"), labels.valueSerde().serializer()
                            .serialize(labels.name(), LabelMaker.label(p + "H", "infection",
                                    new org.radstream.imaging.Mask3D(4, 4, 2), "bootstrap", "hu-bootstrap", "HU draft"))))
                    .get(30, java.util.concurrent.TimeUnit.SECONDS);
            org.radstream.schemas.Topic<String, org.radstream.avro.RejectionNote> notes = broker.topics.rejectionNotes();
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(notes.name(), "P-suggest",
                    notes.valueSerde().serializer().serialize(notes.name(), org.radstream.avro.RejectionNote.newBuilder()
                            .setSopInstanceUid(p + "99").setPatientId("P-suggest").setReasonCode("113001")
                            .setReasonMeaning("Rejected for Quality Reasons").setSeries(List.of(
                                    org.radstream.avro.RejectedSeries.newBuilder().setStudyUid("st-" + p + "D")
                                            .setSeriesUid(p + "D").setSopInstanceUids(List.of()).build()))
                            .setCallingAe("PACS").setReceivedVia("c-store").setReceivedAt(java.time.Instant.now()).build())))
                    .get(30, java.util.concurrent.TimeUnit.SECONDS);

            URI ask = base.resolve("/labels/suggestions?task=infection&since=" + start);
            TrainerIT.waitFor(() -> {
                try {
                    HttpResponse<String> r = get(http, ask, TOKEN);
                    return r.statusCode() == 200 && !r.body().contains(p + "C") && !r.body().contains(p + "D");
                } catch (Exception e) {
                    return false;
                }
            }, Duration.ofSeconds(30));
            com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
            com.fasterxml.jackson.databind.JsonNode all = json.readTree(get(http, ask, TOKEN).body());
            assertThat(all.get("task").asText()).isEqualTo("infection");
            assertThat(all.get("since").asText()).isEqualTo(start.toString());
            assertThat(series(all, p)).containsExactly(p + "H", p + "B", p + "F", p + "A");
            com.fasterxml.jackson.databind.JsonNode first = all.get("suggestions").get(0);
            assertThat(first.get("study").asText()).isEqualTo("st-" + p + "H");
            assertThat(first.get("stability").asDouble()).isEqualTo(0.4);
            assertThat(first.get("model_version").asText()).isEqualTo("9");
            assertThat(first.has("patient_id")).as("no patient identifiers").isFalse();
            assertThat(all.toString()).doesNotContain("P-suggest");
            assertThat(all.get("suggestions").get(2).get("produced_at").asText())
                    .isEqualTo(java.time.Instant.ofEpochMilli(2000).toString());
            // (the results topic is shared with this JVM's other tests; none of them made a result since this one began)
            assertThat(all.get("left_out").toString())
                    .isEqualTo("{\"labelled\":1,\"withdrawn\":1,\"without_stability\":1,\"at_or_above_below\":0,\"undecodable\":0}");
            assertThat(all.get("more").asInt()).isZero();

            com.fasterxml.jackson.databind.JsonNode firm = json.readTree(get(http,
                    base.resolve("/labels/suggestions?task=infection&below=0.8&limit=2&since=" + start), TOKEN).body());
            assertThat(series(firm, p)).containsExactly(p + "H", p + "B");
            assertThat(firm.get("more").asInt()).isEqualTo(1);
            assertThat(firm.get("left_out").get("at_or_above_below").asInt()).isEqualTo(1);
            assertThat(series(json.readTree(get(http, base.resolve("/labels/suggestions?task=lung&since=" + start), TOKEN)
                    .body()), p)).containsExactly(p + "G");

            // later results are taken in as they come: a new series, and A made again less firmly
            send(producer, broker, result(p + "I", "infection", 0.3, 3000));
            send(producer, broker, result(p + "A", "infection", 0.15, 3000));
            assertThat(series(json.readTree(get(http, ask, TOKEN).body()), p))
                    .containsExactly(p + "A", p + "I", p + "H", p + "B", p + "F");
            // results are looked at for the last 30 days at most; the answer says from when
            java.time.Instant from = java.time.Instant.parse(json.readTree(get(http,
                    base.resolve("/labels/suggestions?task=infection&since=2020-01-01T00:00:00Z"), TOKEN).body())
                    .get("since").asText());
            assertThat(from).isBetween(start.minus(Duration.ofDays(30)).minusSeconds(5),
                    java.time.Instant.now().minus(Duration.ofDays(30)));

            // it lists the hospital's studies: not without the token; bad parameters are refused with the reason
            assertThat(get(http, ask, null).statusCode()).isEqualTo(401);
            assertThat(get(http, ask, "not-the-token-at-all").statusCode()).isEqualTo(401);
            HttpResponse<String> spleen = get(http, base.resolve("/labels/suggestions?task=spleen"), TOKEN);
            assertThat(spleen.statusCode()).isEqualTo(400);
            assertThat(spleen.body()).isEqualTo("unknown task 'spleen' (one of lung, infection, liver, vessel)\n");
            for (String bad : List.of("task=infection&below=2", "task=infection&limit=0", "task=infection&since=yesterday",
                    "task=infection&limit=many")) {
                assertThat(get(http, base.resolve("/labels/suggestions?" + bad), TOKEN).statusCode()).as(bad).isEqualTo(400);
            }
            assertThat(post(http, ask, TOKEN).statusCode()).isEqualTo(405);
        }
    }

    private static List<String> series(com.fasterxml.jackson.databind.JsonNode listing, String prefix) {
        List<String> out = new ArrayList<>();
        listing.get("suggestions").forEach(s -> out.add(s.get("series").asText()));
        return out.stream().filter(s -> s.startsWith(prefix)).toList();
    }

    private static org.radstream.avro.InferenceResult result(String series, String task, double stability, long producedAt) {
        org.radstream.imaging.Mask3D m = new org.radstream.imaging.Mask3D(4, 4, 2);
        return org.radstream.avro.InferenceResult.newBuilder().setSeriesUid(series).setTask(task).setTaskGroup("chest")
                .setPatientId("P-suggest").setStudyUid("st-" + series).setAcquisitionTime(java.time.Instant.parse(
                        "2026-12-01T08:00:00Z")).setSliceCount(2).setVoxelVolumeMm3(2.0).setVolumeMl(1.5)
                .setMask(new org.radstream.avro.Mask(4, 4, 2, java.nio.ByteBuffer.wrap(org.radstream.imaging.Rle.encode(m))))
                .setMethod("model").setModelVersion("9").setMaskStability(stability)
                .setProducedAt(java.time.Instant.ofEpochMilli(producedAt)).build();
    }

    private static org.apache.kafka.clients.producer.KafkaProducer<String, byte[]> producer(TestBroker broker) {
        java.util.Map<String, Object> c = new java.util.HashMap<>();
        c.put(org.apache.kafka.clients.producer.ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap);
        return new org.apache.kafka.clients.producer.KafkaProducer<>(c,
                new org.apache.kafka.common.serialization.StringSerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer());
    }

    private static void send(org.apache.kafka.clients.producer.KafkaProducer<String, byte[]> producer, TestBroker broker,
            org.radstream.avro.InferenceResult r) throws Exception {
        org.radstream.schemas.Topic<String, org.radstream.avro.InferenceResult> t = broker.topics.results();
        producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(t.name(),
                org.radstream.schemas.Topics.seriesTaskKey(r.getSeriesUid().toString(), r.getTask().toString()),
                t.valueSerde().serializer().serialize(t.name(), r))).get(30, java.util.concurrent.TimeUnit.SECONDS);
    }

    private static HttpResponse<String> get(HttpClient http, URI uri, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).GET();
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(HttpClient http, URI uri, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(HttpClient http, URI uri) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
