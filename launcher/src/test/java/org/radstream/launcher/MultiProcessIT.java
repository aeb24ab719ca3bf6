package org.radstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.avro.InferenceResult;
import org.radstream.avro.PoirMeasurement;
import org.radstream.avro.ProgressionAlert;
import org.radstream.imaging.ProgressionRule;
import org.radstream.imaging.cohort.Cohort;
import org.radstream.imaging.cohort.CohortGenerator;
import org.radstream.imaging.cohort.CohortManifest;
import org.radstream.imaging.cohort.CohortSpec;
import org.radstream.launcher.pipeline.CohortPush;
import org.radstream.schemas.RestSchemaRegistryClient;
import org.radstream.schemas.TestCertificates;
import org.radstream.schemas.Topics;

/**
 * Issue 8's multi-process test: the services run as the separate processes an operator starts
 * from the shaded jar ({@code radstream platform}, then {@code ingest}, {@code streams} and two
 * chest {@code worker}s), a longitudinal cohort is pushed with dcmtk's {@code storescu} scan by
 * scan in acquisition order (over DICOM TLS, with a client certificate the ingest trusts), and one worker is SIGKILLed after the first result while the rest is
 * still being pushed. The survivor must take over the dead worker's partitions, and what comes out
 * must be complete and exactly once: one result per series and task, one PoIR measurement per
 * series, and exactly the progression alerts that the pipeline's own measurements call for, each
 * once. Alerts are compared with the measurements, not with the cohort's truth: with the shipped
 * models on 64² series the infection volumes are the HU-threshold fallback's, not the generator's
 * (and never grow by 50%, so a synthetic patient's two measurements carry the one certain alert).
 *
 * <p>A worker stopped with SIGTERM takes 30 s to exit (its shutdown hook waits for the main
 * thread, which is blocked in {@code System.exit}); teardown kills what has not exited in 10 s.
 */
class MultiProcessIT {
    private static final long SEED = 11;
    private static final List<String> SCENARIOS = List.of("rapid-growth", "stable", "rapid-growth");
    private static final String GROUP = "radstream-worker-chest";
    private static final String API_TOKEN = "multi-process-it-api-token";
    private static final String STOW_TOKEN = "multi-process-it-stow-token";
    private static final List<String> CHEST_TASKS = List.of("lung", "infection");

    @TempDir
    Path tmp;

    private final Map<String, Service> services = new LinkedHashMap<>();

    /** A radstream process and the files its stdout and stderr go to. */
    private record Service(String name, Process process, Path stdout, Path stderr) {
        String stdoutText() {
            return read(stdout);
        }

        String tail(int lines) {
            List<String> all = new ArrayList<>();
            for (Path p : List.of(stdout, stderr)) {
                String text = read(p);
                List<String> l = text.isEmpty() ? List.of() : List.of(text.split("\n"));
                all.add("---- " + name + " " + p.getFileName() + " (last " + Math.min(lines, l.size()) + " of " + l.size()
                        + " lines)" + (process.isAlive() ? "" : ", exited " + process.exitValue()));
                all.addAll(l.subList(Math.max(0, l.size() - lines), l.size()));
            }
            return String.join("\n", all);
        }

        private static String read(Path p) {
            try {
                return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
            } catch (IOException e) {
                return "(unreadable: " + e + ")";
            }
        }
    }

    @Test
    void servicesAsProcessesSurviveAWorkerKilledMidRun() throws Exception {
        String storescu = onPath("storescu").orElseThrow(() -> new AssertionError(
                "storescu (dcmtk) is not on PATH: this test pushes the cohort with it; install dcmtk "
                        + "(bin/setup --test, or apt-get install dcmtk)"));
        Path jar = launcherJar();
        Path repo = repositoryRoot();
        long t0 = System.nanoTime();
        try {
            // 1. the platform, and where it listens
            // the services reach Kafka on a listener that takes only SASL-authenticated clients, as on a
            // secured cluster; this test's own clients use the plain one
            String saslPassword = "pw-" + UUID.randomUUID();
            Service platform = start(jar, "platform", "-Xmx1g", List.of("platform", "--data-dir", tmp.resolve("kafka").toString(),
                    "--sasl-user", "radstream:" + saslPassword));
            awaitOrFail(() -> platform.stdoutText().contains("schema.registry.url="), Duration.ofSeconds(120),
                    "platform printed no schema.registry.url line");
            Map<String, String> printed = new HashMap<>();
            for (String line : platform.stdoutText().split("\n")) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    printed.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
                }
            }
            assertThat(printed).containsOnlyKeys("kafka.bootstrap", "schema.registry.url", "kafka.bootstrap.sasl");
            String bootstrap = printed.get("kafka.bootstrap");
            String saslBootstrap = printed.get("kafka.bootstrap.sasl");
            String registry = printed.get("schema.registry.url");
            log(t0, "platform: kafka %s (SASL %s), registry %s", bootstrap, saslBootstrap, registry);
            Path kafkaConfig = KafkaConfigFile.write(tmp.resolve("kafka-client.properties"),
                    org.radstream.platform.EmbeddedKafka.saslClient("radstream", saslPassword));

            // 2. the services, each a process of its own, authenticated (--kafka-config; the ingest's from the environment)
            int dicomPort = freePort();
            // the modality pushes its scans over DICOM TLS with a certificate the ingest trusts; the PACS sends
            // its correction to the plain port
            int tlsPort = freePort();
            String tlsPassword = "tls-" + UUID.randomUUID();
            Path ingestKeys = TestCertificates.keyStore(tmp, "ingest", "localhost", tlsPassword);
            Path modalityKeys = TestCertificates.keyStore(tmp, "tester", "TESTER modality", tlsPassword);
            Path modalities = TestCertificates.trustStore(tmp, "modalities", tlsPassword, modalityKeys);
            modalityTls = List.of("+tls", TestCertificates.privateKeyPem(modalityKeys, tlsPassword, tmp.resolve("tester.key"))
                            .toString(), TestCertificates.certificatePem(modalityKeys, tlsPassword, tmp.resolve("tester.crt"))
                            .toString(), "+cf", TestCertificates.certificatePem(ingestKeys, tlsPassword, tmp.resolve("ingest.crt"))
                            .toString());
            List<String> cluster = List.of("--bootstrap", saslBootstrap, "--registry", registry, "--kafka-config",
                    kafkaConfig.toString());
            // the HTTP tokens from the environment, as compose passes them
            Service ingest = start(jar, "ingest", "-Xmx512m", concat(List.of("ingest", "--bootstrap", saslBootstrap,
                    "--registry", registry), List.of("--port", Integer.toString(dicomPort), "--tls-port", Integer.toString(tlsPort),
                    "--http-port", "0", "--stability", "2")), Map.of("RADSTREAM_STOW_TOKEN", STOW_TOKEN,
                    "RADSTREAM_KAFKA_CONFIG", kafkaConfig.toString(), "RADSTREAM_TLS_KEY_STORE", ingestKeys.toString(),
                    "RADSTREAM_TLS_KEY_STORE_PASSWORD", tlsPassword, "RADSTREAM_TLS_TRUST_STORE", modalities.toString(),
                    "RADSTREAM_TLS_TRUST_STORE_PASSWORD", tlsPassword));
            Service streams = start(jar, "streams", "-Xmx768m", concat(List.of("streams"), cluster, List.of("--state-dir",
                    tmp.resolve("streams-state").toString(), "--http-port", "0")), Map.of("RADSTREAM_API_TOKEN", API_TOKEN));
            for (String id : List.of("w1", "w2")) {
                start(jar, id, "-Xmx1g", concat(List.of("worker", "--task", "chest"), cluster, List.of("--model-store",
                        repo.resolve("models-default").toString(), "--http-port", "-1", "--instance-id", id,
                        "--marker-timeout", "60", "--threads", "1")));
            }

            // 3. the cohort, while the services start
            Path cohortDir = tmp.resolve("cohort");
            CohortGenerator.generate(CohortSpec.patients(SEED, SCENARIOS, 2, 0, 64), cohortDir);
            Cohort cohort = Cohort.open(cohortDir);
            List<CohortManifest.Scan> scans = CohortPush.inAcquisitionOrder(cohort);
            assertThat(scans).hasSize(6);
            Set<String> seriesUids = scans.stream().map(CohortManifest.Scan::seriesUid).collect(Collectors.toSet());
            for (CohortManifest.Scan s : scans) {
                log(t0, "scan %s patient %s acquired %s series %s -> %s-%d", s.scanId(), s.patientId(),
                        s.acquisitionDateTime(), s.seriesUid(), Topics.TASKS_CHEST, partitionOf(s.seriesUid()));
            }

            Topics topics = new Topics(new RestSchemaRegistryClient(registry));
            try (Admin admin = admin(bootstrap); Outputs outputs = new Outputs(bootstrap, topics)) {
                awaitOrFail(() -> ingest.stdoutText().contains("on DICOM port " + dicomPort), Duration.ofSeconds(120),
                        "ingest did not start listening on port " + dicomPort);
                assertThat(ingest.stdoutText()).contains("DICOM TLS port " + tlsPort + " (TLS TLSv1.3/TLSv1.2 as CN=localhost "
                        + "(key store " + ingestKeys + ", expires ").contains("client certificate required (1 trusted in "
                        + modalities + ")");
                awaitOrFail(() -> streams.stdoutText().contains("running"), Duration.ofSeconds(120),
                        "streams did not start");
                awaitOrFail(() -> {
                            Map<String, Set<Integer>> now = assignment(admin);
                            return now.keySet().equals(Set.of("w1", "w2")) && now.values().stream().noneMatch(Set::isEmpty)
                                    && now.values().stream().mapToInt(Set::size).sum() == Topics.DEFAULT_PARTITIONS;
                        }, Duration.ofSeconds(150), "the two workers did not share the task topic's partitions");
                Map<String, Set<Integer>> before = assignment(admin);
                log(t0, "services up; worker partitions %s", before);

                // 4. the first scan, then a worker killed once results flow, while the rest is pushed
                push(storescu, tlsPort, cohort, scans.get(0), t0);
                awaitOrFail(() -> !outputs.poll().results.isEmpty(), Duration.ofSeconds(120),
                        "no inference result after the first scan");
                Set<Integer> pending = new TreeSet<>();
                for (CohortManifest.Scan s : scans) {
                    if (!outputs.hasAllResults(s.seriesUid())) {
                        pending.add(partitionOf(s.seriesUid()));
                    }
                }
                // the worker that owns partitions still to receive series (w1 unless only w2 does)
                String victim = !disjoint(before.getOrDefault("w1", Set.of()), pending) ? "w1" : "w2";
                String survivor = victim.equals("w1") ? "w2" : "w1";
                Service killed = services.get(victim);
                killed.process().destroyForcibly();
                assertThat(killed.process().waitFor(10, TimeUnit.SECONDS)).as("%s dead after SIGKILL", victim).isTrue();
                log(t0, "killed %s (partitions %s; partitions of series not yet inferred %s)", victim,
                        before.get(victim), pending);
                for (CohortManifest.Scan s : scans.subList(1, scans.size())) {
                    push(storescu, tlsPort, cohort, s, t0);
                }
                List<String> synthetic = publishSyntheticCourse(bootstrap, topics);
                log(t0, "published the synthetic patient's measurements %s", synthetic);

                // 5. the survivor takes over (after the group's session timeout), and every series is measured
                awaitOrFail(() -> {
                    Map<String, Set<Integer>> now = assignment(admin);
                    return now.keySet().equals(Set.of(survivor)) && now.get(survivor).size() == Topics.DEFAULT_PARTITIONS;
                }, Duration.ofSeconds(120), survivor + " did not take over all partitions from " + victim);
                log(t0, "%s holds every partition", survivor);
                awaitOrFail(() -> outputs.poll().measuredSeries().containsAll(seriesUids), Duration.ofSeconds(180),
                        "not every series got a PoIR measurement");
                log(t0, "every series measured");

                // 6. the alerts the measurements call for, each once
                List<String> expected = expectedAlerts(outputs.poir);
                assertThat(expected).as("alerts the measurements call for").contains(synthetic.get(0) + ">" + synthetic.get(1));
                awaitOrFail(() -> new HashSet<>(alertPairs(outputs.poll().alerts)).containsAll(expected),
                        Duration.ofSeconds(60), "alerts expected from the measurements did not all arrive: " + expected);
                // anything repeated (a reprocessed measurement, a re-run series) would come now
                long settle = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                while (System.nanoTime() < settle) {
                    outputs.poll();
                }
                log(t0, "measurements %s", outputs.poir.stream().map(MultiProcessIT::describe).toList());
                log(t0, "alerts %s (expected %s)", alertPairs(outputs.alerts), expected);

                assertThat(alertPairs(outputs.alerts)).as("alert pairs (earlier > later series), sorted")
                        .isEqualTo(expected);
                assertThat(outputs.alerts).allSatisfy(a -> assertThat(a.getAlertId().toString()).isNotBlank());

                Map<String, Long> perKey = outputs.results.stream().collect(Collectors.groupingBy(
                        r -> Topics.seriesTaskKey(r.getSeriesUid().toString(), r.getTask().toString()), Collectors.counting()));
                Map<String, Long> expectedPerKey = new HashMap<>();
                for (String uid : seriesUids) {
                    for (String task : CHEST_TASKS) {
                        expectedPerKey.put(Topics.seriesTaskKey(uid, task), 1L);
                    }
                }
                assertThat(perKey).as("committed results per series and task").isEqualTo(expectedPerKey);
                Map<String, Long> poirPerSeries = outputs.poir.stream().collect(Collectors.groupingBy(
                        m -> m.getSeriesUid().toString(), Collectors.counting()));
                Map<String, Long> expectedPoir = new HashMap<>();
                seriesUids.forEach(u -> expectedPoir.put(u, 1L));
                synthetic.forEach(u -> expectedPoir.put(u, 1L));
                assertThat(poirPerSeries).as("committed PoIR measurements per series").isEqualTo(expectedPoir);
                for (Service s : services.values()) {
                    if (!s.name().equals(victim)) {
                        assertThat(s.process().isAlive()).as("%s still running", s.name()).isTrue();
                    }
                }
                checkTokens(ingest, streams, outputs.poir.get(0));
                // each service says how it reaches Kafka, its password hidden and nowhere in what it printed
                for (Service s : List.of(ingest, streams)) {
                    assertThat(s.stdoutText()).as(s.name()).contains("(sasl.jaas.config=(hidden), sasl.mechanism=PLAIN, "
                            + "security.protocol=SASL_PLAINTEXT)");
                    assertThat(s.tail(100_000)).as(s.name()).doesNotContain(saslPassword).doesNotContain(tlsPassword);
                }
                correctionThroughThePacs(jar, cluster, storescu, dicomPort, scans.get(0).seriesUid(), bootstrap, topics, t0);
                log(t0, "done");
            }
        } catch (Throwable e) {
            for (Service s : services.values()) {
                System.err.println(s.tail(60));
            }
            throw e;
        } finally {
            stopAll();
        }
    }

    // ---------------------------------------------------------------- expected alerts

    /** Every pair of one patient's measurements that {@link ProgressionRule} calls an alert, as "earlier>later" series. */
    static List<String> expectedAlerts(List<PoirMeasurement> measurements) {
        Map<String, List<PoirMeasurement>> byPatient = measurements.stream()
                .collect(Collectors.groupingBy(m -> m.getPatientId().toString()));
        List<String> out = new ArrayList<>();
        for (List<PoirMeasurement> ms : byPatient.values()) {
            for (PoirMeasurement earlier : ms) {
                for (PoirMeasurement later : ms) {
                    long gapMs = later.getAcquisitionTime().toEpochMilli() - earlier.getAcquisitionTime().toEpochMilli();
                    if (ProgressionRule.isAlert(earlier.getInfectedMl(), later.getInfectedMl(), gapMs / 3_600_000.0)) {
                        out.add(earlier.getSeriesUid() + ">" + later.getSeriesUid());
                    }
                }
            }
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }

    /**
     * Two measurements of a patient who is not in the cohort, written straight onto the PoIR topic:
     * 10 mL then 40 mL of infection 20 h apart, an alert by any reading of the rule. The shipped
     * models have no infection network, and the HU-threshold fallback measures about half the lung
     * as infected on every synthetic scan, so the cohort's own measurements never differ by 50%;
     * without this course the alert topic would be checked only for being empty. Acquisition times
     * lie within the cohort's, so the alert task's acquisition-time clock expires nothing of it.
     *
     * @return the synthetic series UIDs, earlier first
     */
    private static List<String> publishSyntheticCourse(String bootstrap, Topics topics) throws Exception {
        String patient = "MPIT-SYNTHETIC";
        List<String> series = List.of("2.25.1001", "2.25.1002");
        Instant first = Instant.parse("2024-03-03T00:00:00Z");
        double[] infected = {10, 40};
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        try (KafkaProducer<String, PoirMeasurement> producer = new KafkaProducer<>(p, topics.poir().keySerde().serializer(),
                topics.poir().valueSerde().serializer())) {
            for (int i = 0; i < series.size(); i++) {
                PoirMeasurement m = PoirMeasurement.newBuilder()
                        .setPatientId(patient)
                        .setStudyUid(series.get(i) + ".0")
                        .setSeriesUid(series.get(i))
                        .setAcquisitionTime(first.plus(Duration.ofHours(20L * i)))
                        .setLungMl(3000)
                        .setInfectedMl(infected[i])
                        .setPoir(100 * infected[i] / 3000)
                        .setLungMethod("synthetic")
                        .setInfectionMethod("synthetic")
                        .setMeasuredAt(Instant.now())
                        .build();
                producer.send(new ProducerRecord<>(Topics.POIR, patient, m)).get(30, TimeUnit.SECONDS);
            }
        }
        return series;
    }

    static List<String> alertPairs(List<ProgressionAlert> alerts) {
        return alerts.stream().map(a -> a.getEarlier().getSeriesUid() + ">" + a.getLater().getSeriesUid())
                .sorted().toList();
    }

    private static String describe(PoirMeasurement m) {
        return String.format(Locale.ROOT, "%s %s %s infected %.2f mL lung %.1f mL (%s/%s)", m.getPatientId(),
                m.getSeriesUid(), m.getAcquisitionTime(), m.getInfectedMl(), m.getLungMl(), m.getLungMethod(),
                m.getInfectionMethod());
    }

    // ---------------------------------------------------------------- what the pipeline committed

    /** Reads results, PoIR measurements and alerts from the beginning, read_committed. */
    private static final class Outputs implements AutoCloseable {
        final List<InferenceResult> results = new ArrayList<>();
        final List<PoirMeasurement> poir = new ArrayList<>();
        final List<ProgressionAlert> alerts = new ArrayList<>();
        private final KafkaConsumer<String, byte[]> consumer;
        private final Deserializer<InferenceResult> resultValues;
        private final Deserializer<PoirMeasurement> poirValues;
        private final Deserializer<ProgressionAlert> alertValues;

        Outputs(String bootstrap, Topics topics) {
            Properties p = new Properties();
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString().toLowerCase(Locale.ROOT));
            p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 * Topics.PIXEL_MAX_MESSAGE_BYTES);
            consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
            resultValues = topics.results().valueSerde().deserializer();
            poirValues = topics.poir().valueSerde().deserializer();
            alertValues = topics.alerts().valueSerde().deserializer();
            List<TopicPartition> parts = new ArrayList<>();
            for (String t : List.of(Topics.RESULTS, Topics.POIR, Topics.ALERTS)) {
                for (PartitionInfo pi : consumer.partitionsFor(t)) {
                    parts.add(new TopicPartition(t, pi.partition()));
                }
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
        }

        Outputs poll() {
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(250))) {
                switch (r.topic()) {
                    case Topics.RESULTS -> results.add(resultValues.deserialize(r.topic(), r.value()));
                    case Topics.POIR -> poir.add(poirValues.deserialize(r.topic(), r.value()));
                    case Topics.ALERTS -> alerts.add(alertValues.deserialize(r.topic(), r.value()));
                    default -> throw new IllegalStateException("unexpected topic " + r.topic());
                }
            }
            return this;
        }

        boolean hasAllResults(String seriesUid) {
            return results.stream().filter(r -> r.getSeriesUid().toString().equals(seriesUid))
                    .map(r -> r.getTask().toString()).collect(Collectors.toSet()).containsAll(CHEST_TASKS);
        }

        Set<String> measuredSeries() {
            return poir.stream().map(m -> m.getSeriesUid().toString()).collect(Collectors.toSet());
        }

        @Override
        public void close() {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    // ---------------------------------------------------------------- processes

    /**
     * The tokens set in the services' environment guard their HTTP: STOW-RS refuses a sender without
     * its token, and the timeline answers only with its token (the measured patient's series then).
     */
    private static void checkTokens(Service ingest, Service streams, PoirMeasurement measured) throws Exception {
        java.util.regex.Matcher stow = java.util.regex.Pattern.compile("STOW-RS http://localhost:(\\d+)/studies \\(token required\\)")
                .matcher(ingest.stdoutText());
        assertThat(stow.find()).as("ingest says its STOW-RS requires a token: %s", ingest.stdoutText()).isTrue();
        java.util.regex.Matcher api = java.util.regex.Pattern.compile("timeline API http://localhost:(\\d+)/patients/\\{id}/timeline \\(token required\\)")
                .matcher(streams.stdoutText());
        assertThat(api.find()).as("streams says its API requires a token: %s", streams.stdoutText()).isTrue();
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        var unsigned = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://localhost:" + stow.group(1)
                        + "/studies")).header("Content-Type", "multipart/related; type=\"application/dicom\"; boundary=b")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("--b--")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(unsigned.statusCode()).as("STOW-RS without the token").isEqualTo(401);
        java.net.URI timeline = java.net.URI.create("http://localhost:" + api.group(1) + "/patients/"
                + java.net.URLEncoder.encode(measured.getPatientId().toString(), StandardCharsets.UTF_8) + "/timeline");
        var without = http.send(java.net.http.HttpRequest.newBuilder(timeline).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(without.statusCode()).as("the timeline without the token").isEqualTo(401);
        var with = http.send(java.net.http.HttpRequest.newBuilder(timeline).header("Authorization", "Bearer " + API_TOKEN)
                .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(with.statusCode()).as(with.body()).isEqualTo(200);
        assertThat(with.body()).contains(measured.getSeriesUid().toString());
    }

    /**
     * A radiologist's correction the way a hospital makes it: {@code label draft} writes the
     * infection result as a DICOM Segmentation, a viewer changes one voxel and stores it (dcmtk's
     * storescu, as a PACS forwards it) to ingest, and the streams process turns it into the series'
     * infection label, with the voxel and the radiologist's name.
     */
    private void correctionThroughThePacs(Path jar, List<String> cluster, String storescu, int dicomPort, String series,
                                          String bootstrap, Topics topics, long t0) throws Exception {
        Path draft = tmp.resolve("draft.dcm");
        Service drafting = start(jar, "label-draft", "-Xmx256m", concat(List.of("label", "draft"), cluster,
                List.of("--series", series, "--task", "infection", "--out", draft.toString())));
        assertThat(drafting.process().waitFor(60, TimeUnit.SECONDS)).as(drafting.tail(20)).isTrue();
        assertThat(drafting.process().exitValue()).as(drafting.tail(20)).isZero();

        com.pixelmed.dicom.AttributeList seg = new com.pixelmed.dicom.AttributeList();
        seg.read(draft.toString());
        byte[] pixels = seg.get(com.pixelmed.dicom.TagFromName.PixelData).getByteValues();
        int drafted = 0;
        for (byte b : pixels) {
            drafted += Integer.bitCount(b & 0xff);
        }
        boolean wasSet = (pixels[0] & 1) != 0;
        pixels[0] ^= 1; // voxel (0, 0, 0): the viewer's one change
        seg.get(com.pixelmed.dicom.TagFromName.PixelData).setValues(pixels);
        String sop = org.radstream.imaging.dicom.Uids.fromUuid(java.util.UUID.randomUUID());
        for (com.pixelmed.dicom.AttributeTag t : List.of(com.pixelmed.dicom.TagFromName.SOPInstanceUID,
                com.pixelmed.dicom.TagFromName.MediaStorageSOPInstanceUID)) {
            seg.get(t).setValue(sop);
        }
        seg.get(com.pixelmed.dicom.TagFromName.ContentCreatorName).setValue("Radiologist^Test");
        Path corrected = tmp.resolve("corrected.dcm");
        seg.write(corrected.toString(), com.pixelmed.dicom.TransferSyntax.ExplicitVRLittleEndian, true, true);
        Process store = new ProcessBuilder(storescu, "--required", "-aec", "RADSTREAM", "-aet", "PACS", "localhost",
                Integer.toString(dicomPort), corrected.toString()).redirectErrorStream(true).start();
        String stored = new String(store.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(store.waitFor()).as(stored).isZero();

        Map<String, Object> c = new HashMap<>();
        c.put(org.apache.kafka.clients.consumer.ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(org.apache.kafka.clients.consumer.ConsumerConfig.GROUP_ID_CONFIG, "it-labels-" + java.util.UUID.randomUUID());
        c.put(org.apache.kafka.clients.consumer.ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(org.apache.kafka.clients.consumer.ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        org.radstream.avro.CorrectedLabel label = null;
        try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(c,
                new org.apache.kafka.common.serialization.StringDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.LABELS));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (label == null && System.nanoTime() < deadline) {
                for (var r : consumer.poll(Duration.ofMillis(300))) {
                    if (r.key().equals(Topics.seriesTaskKey(series, "infection"))) {
                        label = topics.labels().valueSerde().deserializer().deserialize(r.topic(), r.value());
                    }
                }
            }
        }
        assertThat(label).as("a label from the stored segmentation").isNotNull();
        assertThat(label.getAnnotator()).isEqualTo("Radiologist^Test");
        var mask = org.radstream.imaging.Rle.decode(label.getMask().getRle().array(), label.getMask().getWidth(),
                label.getMask().getHeight(), label.getMask().getDepth());
        assertThat(mask.get(0, 0, 0)).isEqualTo(!wasSet);
        assertThat(mask.count()).isEqualTo(drafted + (wasSet ? -1 : 1));
        log(t0, "a correction stored as DICOM SEG became the infection label of %s (%d voxels, by %s)", series,
                mask.count(), label.getAnnotator());
    }

    private Service start(Path jar, String name, String heap, List<String> args) throws IOException {
        return start(jar, name, heap, args, Map.of());
    }

    private Service start(Path jar, String name, String heap, List<String> args, Map<String, String> env) throws IOException {
        List<String> command = new ArrayList<>(List.of(javaExecutable(), heap, "-XX:+UseSerialGC",
                "-Dai.djl.offline=true", "-Dai.djl.repository.zoo.location=none", "-jar", jar.toString()));
        command.addAll(args);
        Path out = tmp.resolve(name + ".out");
        Path err = tmp.resolve(name + ".err");
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().put("OPT_OUT_TRACKING", "true");
        pb.environment().put("DJL_OFFLINE", "true");
        pb.environment().put("DNNL_MAX_CPU_ISA", "AVX");
        pb.environment().remove("RADSTREAM_BOOTSTRAP");
        pb.environment().remove("RADSTREAM_REGISTRY_URL");
        pb.environment().putAll(env);
        Service s = new Service(name, pb.start(), out, err);
        services.put(name, s);
        return s;
    }

    /** SIGTERM to every service (the platform last, so the others can still reach Kafka), SIGKILL after 10 s. */
    private void stopAll() throws InterruptedException {
        List<Service> order = new ArrayList<>(services.values());
        Service platform = services.get("platform");
        order.remove(platform);
        stop(order);
        if (platform != null) {
            stop(List.of(platform));
        }
    }

    private static void stop(List<Service> list) throws InterruptedException {
        list.forEach(s -> s.process().destroy());
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        for (Service s : list) {
            long left = Math.max(0, end - System.nanoTime());
            if (!s.process().waitFor(left, TimeUnit.NANOSECONDS)) {
                System.err.println("MultiProcessIT: " + s.name() + " had not exited 10 s after SIGTERM; killing it");
                s.process().destroyForcibly();
                s.process().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** storescu's options to speak TLS as the modality: its key and certificate, and the ingest's certificate to trust. */
    private List<String> modalityTls = List.of();

    private void push(String storescu, int port, Cohort cohort, CohortManifest.Scan scan, long t0)
            throws IOException, InterruptedException {
        List<String> files;
        try (Stream<Path> walk = Files.walk(cohort.dicomDir(scan))) {
            files = walk.filter(Files::isRegularFile).map(Path::toString).sorted().toList();
        }
        assertThat(files).as("DICOM files of %s", scan.scanId()).hasSize(scan.depth());
        List<String> command = new ArrayList<>(List.of(storescu, "-aec", "RADSTREAM", "-aet", "TESTER"));
        command.addAll(modalityTls);
        command.addAll(List.of("localhost", Integer.toString(port)));
        command.addAll(files);
        Path log = tmp.resolve("storescu-" + scan.scanId() + ".log");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("TCP_NODELAY", "1");
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("storescu of " + scan.scanId() + " did not finish within 60 s:\n" + Files.readString(log));
        }
        assertThat(p.exitValue()).as("storescu exit code for %s:\n%s", scan.scanId(), Files.readString(log)).isZero();
        log(t0, "pushed %s (%d files)", scan.scanId(), files.size());
    }

    // ---------------------------------------------------------------- helpers

    /** Members of the chest worker group (by instance id) and the task-topic partitions each holds. */
    private static Map<String, Set<Integer>> assignment(Admin admin) {
        try {
            ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(GROUP)).describedGroups().get(GROUP)
                    .get(5, TimeUnit.SECONDS);
            if (d.groupState() != GroupState.STABLE) {
                return Map.of();
            }
            Map<String, Set<Integer>> out = new HashMap<>();
            for (MemberDescription m : d.members()) {
                String id = m.clientId().startsWith(GROUP + "-") ? m.clientId().substring(GROUP.length() + 1) : m.clientId();
                out.put(id, m.assignment().topicPartitions().stream().filter(tp -> tp.topic().equals(Topics.TASKS_CHEST))
                        .map(TopicPartition::partition).collect(Collectors.toCollection(TreeSet::new)));
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (Exception e) {
            return Map.of();
        }
    }

    private static Admin admin(String bootstrap) {
        Properties a = new Properties();
        a.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return Admin.create(a);
    }

    /** The default partitioner's choice for a series on the task topic (Kafka Streams keys it by series UID). */
    private static int partitionOf(String seriesUid) {
        return Utils.toPositive(Utils.murmur2(seriesUid.getBytes(StandardCharsets.UTF_8))) % Topics.DEFAULT_PARTITIONS;
    }

    private static boolean disjoint(Set<Integer> a, Set<Integer> b) {
        return a.stream().noneMatch(b::contains);
    }

    private static void awaitOrFail(BooleanSupplier done, Duration timeout, String what) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) {
                fail(what + " (waited " + timeout.toSeconds() + " s)");
            }
            Thread.sleep(200);
        }
    }

    @SafeVarargs
    private static List<String> concat(List<String>... parts) {
        List<String> out = new ArrayList<>();
        for (List<String> p : parts) {
            out.addAll(p);
        }
        return out;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    private static void log(long t0, String format, Object... args) {
        System.out.printf(Locale.ROOT, "[MultiProcessIT %6.1fs] %s%n", (System.nanoTime() - t0) / 1e9,
                String.format(Locale.ROOT, format, args));
    }

    private static String javaExecutable() {
        return ProcessHandle.current().info().command()
                .filter(c -> Files.isExecutable(Path.of(c)))
                .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
    }

    private static Optional<String> onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isExecutable(p)) {
                return Optional.of(p.toString());
            }
        }
        return Optional.empty();
    }

    private static Path repositoryRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("models-default")) && Files.isRegularFile(p.resolve("mvnw"))) {
                return p;
            }
        }
        throw new AssertionError("repository root (models-default, mvnw) not found above " + Path.of("").toAbsolutePath());
    }

    /** The shaded jar the package phase built, before failsafe's integration-test phase. */
    private static Path launcherJar() {
        Path root = repositoryRoot();
        Path jar = root.resolve("launcher/target/radstream.jar");
        if (!Files.isRegularFile(jar)) {
            throw new AssertionError(jar + " not found: run the package phase first (./mvnw -pl launcher verify does)");
        }
        return jar;
    }
}
