package org.radstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.schemas.ClientTls;
import org.radstream.schemas.TestCertificates;
import org.radstream.avro.DeadLetter;
import org.radstream.avro.InferenceResult;
import org.radstream.avro.Mask;
import org.radstream.avro.PoirMeasurement;
import org.radstream.avro.SeriesGeometry;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Rle;
import org.radstream.imaging.dicom.DicomSeg;
import org.radstream.schemas.Topics;

/**
 * Results stored at a PACS as DICOM Segmentations; the PACS is dcmtk's storescp, an independent
 * implementation, and what it stored must be valid to dicom3tools and lay the result's voxels over
 * the series. What it does not take is dead-lettered with the reason and the record.
 */
class ResultExportIT {
    static final Path STORESCP = Path.of("/usr/bin/storescp");
    static final Path DCIODVFY = Path.of("/usr/bin/dciodvfy");
    static TestKafka kafka;

    @TempDir
    Path dir;

    @BeforeAll
    static void broker() throws Exception {
        kafka = TestKafka.shared();
    }

    static InferenceResult result(String series, String task, Mask3D m, boolean geometry) {
        InferenceResult.Builder b = InferenceResult.newBuilder().setSeriesUid(series).setTask(task).setTaskGroup("chest")
                .setPatientId("P-" + series).setPatientName("Doe^Jane").setStudyUid("1.2.77." + Math.floorMod(series.hashCode(), 1000))
                .setAcquisitionTime(Instant.parse("2026-12-01T08:00:00Z")).setSliceCount(m.depth()).setVoxelVolumeMm3(1)
                .setVolumeMl(m.count() / 1000.0)
                .setMask(new Mask(m.width(), m.height(), m.depth(), ByteBuffer.wrap(Rle.encode(m))))
                .setMethod("model").setModelVersion("9").setProducedAt(Instant.parse("2026-12-01T08:05:00Z"));
        if (geometry) {
            b.setGeometry(SeriesGeometry.newBuilder().setOrigin(List.of(-80.0, -90.0, 10.0)).setRow(List.of(1.0, 0.0, 0.0))
                    .setColumn(List.of(0.0, 1.0, 0.0)).setSpacingX(0.9).setSpacingY(0.9).setSpacingZ(3.0)
                    .setFrameOfReferenceUid("1.2.77.9").setSopClassUid("1.2.840.10008.5.1.4.1.1.2")
                    .setSopInstanceUids(List.of(series + ".1", series + ".2", series + ".3")).build());
        }
        return b.build();
    }

    static Mask3D mask(int... voxels) {
        Mask3D m = new Mask3D(16, 12, 3);
        for (int v : voxels) {
            m.set(v, true);
        }
        return m;
    }

    private static void publish(Map<String, byte[]> records) throws Exception {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrap), new StringSerializer(), new ByteArraySerializer())) {
            for (Map.Entry<String, byte[]> e : records.entrySet()) {
                producer.send(new ProducerRecord<>(Topics.RESULTS, e.getKey(), e.getValue())).get();
            }
        }
    }

    private static byte[] bytes(InferenceResult r) {
        return kafka.topics.results().valueSerde().serializer().serialize(Topics.RESULTS, r);
    }

    private static int freePort() throws Exception {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** dcmtk's storescp as the PACS, storing into {@code pacs}, its log beside it. */
    private static Process storescp(Path pacs, int port, String... options) throws Exception {
        List<String> command = new ArrayList<>(List.of(STORESCP.toString()));
        command.addAll(List.of(options));
        command.addAll(List.of("-od", pacs.toString(), "-aet", "PACS", Integer.toString(port)));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(pacs.resolveSibling("storescp.log").toFile()).start();
    }

    /** dciodvfy (when installed) names the IOD and reports no error. */
    private static void assertValid(Path file, String iod) throws Exception {
        if (Files.isExecutable(DCIODVFY)) {
            Process v = new ProcessBuilder(DCIODVFY.toString(), file.toString()).redirectErrorStream(true).start();
            String out = new String(v.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            v.waitFor();
            assertThat(out).as("dciodvfy %s", file).contains(iod).doesNotContain("Error");
        }
    }

    private static List<Path> stored(Path pacs) throws Exception {
        try (Stream<Path> files = Files.list(pacs)) {
            return files.filter(f -> f.getFileName().toString().startsWith("SG.")).sorted().toList();
        }
    }

    @Test
    void resultsAreStoredAtThePacsAsSegmentationsAndWhatCannotBeIsDeadLettered() throws Exception {
        assumeTrue(Files.isExecutable(STORESCP), "storescp (dcmtk) not installed at " + STORESCP + ": skipping");
        String run = UUID.randomUUID().toString().substring(0, 8);
        String s1 = "1.2.77.1." + Math.abs(run.hashCode());
        String s2 = "1.2.77.2." + Math.abs(run.hashCode());
        InferenceResult infection = result(s1, "infection", mask(5, 40, 100, 300), true);
        InferenceResult lung = result(s1, "lung", mask(1, 2, 3, 500), true);
        InferenceResult old = result(s2, "infection", mask(7), false);
        InferenceResult liver = result(s2, "liver", mask(9), true);

        Path pacs = Files.createDirectories(dir.resolve("pacs"));
        int port = freePort();
        Process scp = storescp(pacs, port);
        ExportSettings settings = ExportSettings.defaults(kafka.bootstrap, "localhost", port, "PACS")
                .withGroupId("it-export-" + run).withTasks(Set.of("lung", "infection"))
                .withRetries(2, Duration.ofMillis(50)).fromEarliest(true);
        try (KafkaConsumer<String, DeadLetter> undelivered = kafka.consumerAtEnd(kafka.topics.exportUndelivered())) {
            Thread.sleep(500); // storescp listening
            // a record that is no result, then: two exported, one without geometry, one of a task not exported
            publish(new java.util.LinkedHashMap<>(Map.of(s2 + ":garbage", new byte[] {0, 0, 0, 0, 1, 2, 3})));
            publish(new java.util.LinkedHashMap<>(Map.of(s1 + ":infection", bytes(infection), s1 + ":lung", bytes(lung),
                    s2 + ":infection", bytes(old), s2 + ":liver", bytes(liver))));
            try (ResultExport export = ResultExport.start(settings, kafka.topics)) {
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (System.nanoTime() < deadline && (export.exported() < 2 || export.withoutGeometry() < 1
                        || export.deadLettered() < 1)) {
                    Thread.sleep(100);
                }
                assertThat(export.exported()).isEqualTo(2);
                assertThat(export.withoutGeometry()).isEqualTo(1);
                assertThat(export.deadLettered()).isEqualTo(1);
                try (org.radstream.schemas.HealthMetricsServer http = ExportHttpServer.start(0, export)) {
                    var client = java.net.http.HttpClient.newHttpClient();
                    var health = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://localhost:"
                            + http.port() + "/health")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
                    assertThat(health.statusCode()).isEqualTo(200);
                    var metrics = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://localhost:"
                            + http.port() + "/metrics")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
                    assertThat(metrics.body()).contains("radstream_export_stored_total 2\n")
                            .contains("radstream_export_undelivered_total 1\n")
                            .contains("radstream_export_without_geometry_total 1\n").contains("radstream_export_up 1\n");
                    org.radstream.schemas.PromtoolLint.assertClean("the export", metrics.body());
                }
            }
            List<Path> files = stored(pacs);
            assertThat(files).hasSize(2);
            for (InferenceResult r : List.of(infection, lung)) {
                byte[] expected = ResultSegmentation.write(r);
                String sop = DicomSeg.summary(expected).sopInstanceUid();
                Path file = pacs.resolve("SG." + sop);
                assertThat(file).as("the PACS holds %s as the SOP instance derived from the result", r.getTask()).exists();
                DicomSeg.Read read = DicomSeg.read(Files.readAllBytes(file), ResultSegmentation.series(r),
                        r.getTask().toString(), null);
                assertThat(read.mask().data()).isEqualTo(Rle.decode(r.getMask().getRle().array(), 16, 12, 3).data());
                DicomSeg.Summary summary = DicomSeg.summary(Files.readAllBytes(file));
                assertThat(summary.referencedSeriesUids()).containsExactly(s1);
                assertThat(summary.segments().get(0).algorithmName()).isEqualTo("radstream " + r.getTask() + " v9");
                assertValid(file, "Segmentation");
            }
            List<ConsumerRecord<String, DeadLetter>> letters = TestKafka.poll(undelivered, Duration.ofSeconds(20),
                    l -> !l.isEmpty());
            assertThat(letters).hasSize(1);
            assertThat(letters.get(0).value().getKey()).isEqualTo(s2 + ":garbage");
            assertThat(letters.get(0).value().getReason()).startsWith("the result cannot be read: ");

            // a new group starts with what arrives after its first start: the PACS is not sent the past again
            String s3 = "1.2.77.3." + Math.abs(run.hashCode());
            InferenceResult later = result(s3, "lung", mask(11, 12), true);
            try (ResultExport fresh = ResultExport.start(settings.withGroupId("it-export-latest-" + run).fromEarliest(false),
                    kafka.topics)) {
                // until its partitions are assigned and positioned at their ends
                awaitAssigned(fresh, Topics.DEFAULT_PARTITIONS);
                publish(Map.of(s3 + ":lung", bytes(later)));
                Path file = pacs.resolve("SG." + DicomSeg.summary(ResultSegmentation.write(later)).sopInstanceUid());
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (System.nanoTime() < deadline && fresh.exported() < 1) {
                    Thread.sleep(100);
                }
                assertThat(file).exists();
                assertThat(fresh.exported()).as("only the result that came after it started").isEqualTo(1);
            }
        } finally {
            scp.destroyForcibly();
        }
    }

    static PoirMeasurement measurement(String series, double lungMl, double infectedMl) {
        return PoirMeasurement.newBuilder().setPatientId("P-" + series).setPatientName("Doe^Jane").setStudyUid("1.2.78.1")
                .setSeriesUid(series).setAccessionNumber("ACC-1").setAcquisitionTime(Instant.parse("2026-12-01T08:00:00Z"))
                .setLungMl(lungMl).setInfectedMl(infectedMl).setPoir(infectedMl / lungMl * 100).setLungMethod("model")
                .setInfectionMethod("model").setLungModelVersion("1").setInfectionModelVersion("9")
                .setMeasuredAt(Instant.parse("2026-12-01T08:06:00Z")).build();
    }

    @Test
    void aReportReferencesNoSegmentationThePacsDidNotTake() throws Exception {
        assumeTrue(Files.isExecutable(STORESCP), "storescp (dcmtk) not installed at " + STORESCP + ": skipping");
        String run = UUID.randomUUID().toString().substring(0, 8);
        String chest = "1.2.80.1." + Math.abs(run.hashCode());
        String abdomen = "1.2.80.2." + Math.abs(run.hashCode());
        InferenceResult lung = ResultReportTest.lung(chest);
        InferenceResult infection = result(chest, "infection", mask(5, 40, 100), true);
        PoirMeasurement m = ResultReportTest.measuredFrom(lung, infection);
        InferenceResult liver = result(abdomen, "liver", mask(1, 2, 3, 4), true);
        List<String> segmentations = new ArrayList<>();
        for (InferenceResult r : List.of(lung, liver)) {
            segmentations.add(DicomSeg.summary(ResultSegmentation.write(r)).sopInstanceUid());
        }
        // a PACS that takes SR documents and no segmentations (refused at negotiation)
        Path pacs = Files.createDirectories(dir.resolve("pacs"));
        Path config = srOnly(dir);
        int port = freePort();
        Process scp = storescp(pacs, port, "-xf", config.toString(), "SR");
        ExportSettings settings = ExportSettings.defaults(kafka.bootstrap, "localhost", port, "PACS")
                .withGroupId("it-export-unreferenced-" + run).withTasks(Set.of("lung", "liver", ExportSettings.POIR,
                        ExportSettings.VOLUMES)).withRetries(2, Duration.ofMillis(50));
        try (ResultExport export = ResultExport.start(settings, kafka.topics);
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                     kafka.bootstrap), new StringSerializer(), new ByteArraySerializer())) {
            awaitAssigned(export, 2 * Topics.DEFAULT_PARTITIONS);
            // the liver result: its segmentation refused, then its volume report, from the same record, made without it
            // the lung result: its segmentation refused before the measurement made from it is read
            producer.send(new ProducerRecord<>(Topics.RESULTS, abdomen + ":liver", bytes(liver))).get();
            producer.send(new ProducerRecord<>(Topics.RESULTS, chest + ":lung", bytes(lung))).get();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline && (export.deadLettered() < 2 || export.reportsStored() < 1)) {
                Thread.sleep(50);
            }
            producer.send(new ProducerRecord<>(Topics.POIR, "P-" + chest, kafka.topics.poir().valueSerde().serializer()
                    .serialize(Topics.POIR, m))).get();
            while (System.nanoTime() < deadline && export.reportsStored() < 2) {
                Thread.sleep(50);
            }
            assertThat(export.exported()).as("no segmentation").isZero();
            assertThat(export.deadLettered()).as("the two segmentations").isEqualTo(2);
            assertThat(export.reportsStored()).as("the liver volume and the PoIR").isEqualTo(2);
        } finally {
            scp.destroyForcibly();
        }
        List<Path> reports;
        try (Stream<Path> files = Files.list(pacs)) {
            reports = files.filter(f -> f.getFileName().toString().startsWith("SR")).toList(); // SRc.: Comprehensive SR
        }
        assertThat(reports).hasSize(2);
        for (Path r : reports) {
            String content = new String(Files.readAllBytes(r), StandardCharsets.ISO_8859_1);
            assertThat(segmentations).as("%s references no segmentation the PACS does not hold", r)
                    .noneMatch(content::contains);
            assertValid(r, "ComprehensiveSR");
        }
    }

    @Test
    void nothingOfASeriesThePacsWithdrewIsStoredThereAgain() throws Exception {
        assumeTrue(Files.isExecutable(STORESCP), "storescp (dcmtk) not installed at " + STORESCP + ": skipping");
        String run = UUID.randomUUID().toString().substring(0, 8);
        String withdrawn = "1.2.79.1." + Math.abs(run.hashCode());
        String kept = "1.2.79.2." + Math.abs(run.hashCode());
        Path pacs = Files.createDirectories(dir.resolve("pacs"));
        int port = freePort();
        Process scp = storescp(pacs, port);
        ExportSettings settings = ExportSettings.defaults(kafka.bootstrap, "localhost", port, "PACS")
                .withGroupId("it-export-withdrawn-" + run).withTasks(Set.of("lung", ExportSettings.POIR))
                .withRetries(2, Duration.ofMillis(50));
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrap), new StringSerializer(), new ByteArraySerializer())) {
            // the PACS withdrew the series (read with every note at the start); its result and measurement come after
            sendNote(producer, withdrawn, "113037", "Rejected for Patient Safety Reasons");
            try (ResultExport export = ResultExport.start(settings, kafka.topics)) {
                // results and measurements, each positioned at its end (the topics hold other tests')
                awaitAssigned(export, 2 * Topics.DEFAULT_PARTITIONS);
                publish(new java.util.LinkedHashMap<>(Map.of(withdrawn + ":lung", bytes(result(withdrawn, "lung", mask(1, 2),
                        true)), kept + ":lung", bytes(result(kept, "lung", mask(3, 4), true)))));
                producer.send(new ProducerRecord<>(Topics.POIR, "P-" + withdrawn, kafka.topics.poir().valueSerde().serializer()
                        .serialize(Topics.POIR, measurement(withdrawn, 3000, 30)))).get();
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (System.nanoTime() < deadline && (export.exported() < 1 || export.withdrawnSkipped() < 2)) {
                    Thread.sleep(100);
                }
                Thread.sleep(1000);
                assertThat(export.exported()).isEqualTo(1);
                assertThat(export.withdrawnSkipped()).isEqualTo(2);
                assertThat(export.reportsStored()).isZero();
                assertThat(export.deadLettered()).isZero();
            }
            assertThat(stored(pacs)).singleElement().satisfies(f -> assertThat(DicomSeg.summary(Files.readAllBytes(f))
                    .referencedSeriesUids()).containsExactly(kept));
        } finally {
            scp.destroy();
        }
    }

    @Test
    void whatTheExportStoredOfASeriesThePacsWithdrawsIsWithdrawnThereWithRejectionNotesOfItsOwn() throws Exception {
        assumeTrue(Files.isExecutable(STORESCP), "storescp (dcmtk) not installed at " + STORESCP + ": skipping");
        String run = UUID.randomUUID().toString().substring(0, 8);
        String withdrawn = "1.2.81.1." + Math.abs(run.hashCode());
        String kept = "1.2.81.2." + Math.abs(run.hashCode());
        String crashed = "1.2.81.3." + Math.abs(run.hashCode());
        String group = "it-export-iocm-" + run;
        Path pacs = Files.createDirectories(dir.resolve("pacs"));
        int port = freePort();
        Process scp = storescp(pacs, port);
        ExportSettings settings = ExportSettings.defaults(kafka.bootstrap, "localhost", port, "PACS")
                .withGroupId(group).withTasks(Set.of("liver", ExportSettings.POIR)).withRetries(2, Duration.ofMillis(50));
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrap), new StringSerializer(), new ByteArraySerializer())) {
            // an export that stored a report of series `crashed` and stopped before it withdrew it: only its ledger entry is left
            orphan(producer, group, crashed);
            // a note that cannot be read withdraws nothing and stops nothing
            producer.send(new ProducerRecord<>(Topics.REJECTION_NOTES, "P-" + crashed, new byte[] {0, 0, 0, 0, 7, 1})).get();
            sendNote(producer, crashed, "113037", "Rejected for Patient Safety Reasons");
            try (ResultExport export = ResultExport.start(settings, kafka.topics)) {
                awaitAssigned(export, 2 * Topics.DEFAULT_PARTITIONS);
                // liver: a task the tests that read every result from the start do not export
                publish(new java.util.LinkedHashMap<>(Map.of(withdrawn + ":liver", bytes(result(withdrawn, "liver",
                        mask(1, 2), true)), kept + ":liver", bytes(result(kept, "liver", mask(3, 4), true)))));
                producer.send(new ProducerRecord<>(Topics.POIR, "P-" + withdrawn, kafka.topics.poir().valueSerde().serializer()
                        .serialize(Topics.POIR, measurement(withdrawn, 3000, 30)))).get();
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (System.nanoTime() < deadline && (export.exported() < 2 || export.reportsStored() < 1)) {
                    Thread.sleep(100);
                }
                assertThat(export.exported()).isEqualTo(2);
                assertThat(export.reportsStored()).isEqualTo(1);
                // then the PACS withdraws the series: the segmentation and the report made of it are withdrawn there too
                sendNote(producer, withdrawn, "113038", "Incorrect Modality Worklist Entry");
                deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (System.nanoTime() < deadline && export.derivedWithdrawn() < 3) {
                    Thread.sleep(100);
                }
                assertThat(export.derivedWithdrawn()).as("the orphan at the start, then a SEG and a report").isEqualTo(3);
                assertThat(export.deadLettered()).isZero();
            }
            // a restart reads both notes again and finds nothing left to withdraw: the ledger holds tombstones
            try (ResultExport again = ResultExport.start(settings, kafka.topics)) {
                awaitAssigned(again, 2 * Topics.DEFAULT_PARTITIONS);
                Thread.sleep(2000);
                assertThat(again.derivedWithdrawn()).isZero();
            }
        } finally {
            scp.destroy();
        }
        String seg = stored(pacs).stream().filter(f -> {
            try {
                return DicomSeg.summary(Files.readAllBytes(f)).referencedSeriesUids().contains(withdrawn);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).map(f -> f.getFileName().toString().substring(3)).findFirst().orElseThrow();
        String report;
        try (Stream<Path> files = Files.list(pacs)) {
            report = files.map(f -> f.getFileName().toString()).filter(f -> f.startsWith("SRc.")).findFirst()
                    .orElseThrow().substring(4);
        }
        List<Path> notes;
        try (Stream<Path> files = Files.list(pacs)) {
            notes = files.filter(f -> f.getFileName().toString().startsWith("KO.")).sorted().toList();
        }
        Map<String, List<String>> withdrawnThere = new java.util.TreeMap<>();
        for (Path f : notes) {
            assertValid(f, "KeyObjectSelectionDocument");
            org.radstream.avro.RejectionNote n = new RejectionNoteReader().read(Files.readAllBytes(f), "RADSTREAM",
                    Channel.C_STORE, Instant.now());
            n.getSeries().forEach(s -> withdrawnThere.computeIfAbsent(n.getPatientId() + " " + n.getReasonCode(),
                    k -> new ArrayList<>()).addAll(s.getSopInstanceUids().stream().map(CharSequence::toString).toList()));
        }
        // one note per study: the segmentation and the report of `withdrawn` are in two; the orphan's in one
        assertThat(notes).hasSize(3);
        assertThat(withdrawnThere).containsOnlyKeys("P-" + withdrawn + " 113038", "P-" + crashed + " 113037");
        assertThat(withdrawnThere.get("P-" + withdrawn + " 113038")).containsExactlyInAnyOrder(seg, report);
        assertThat(withdrawnThere.get("P-" + crashed + " 113037")).containsExactly("2.25.81" + Math.abs(crashed.hashCode())); // the orphan
    }

    @Test
    void aPacsThatCannotBeReachedIsWaitedForAndNothingIsDeadLetteredMeanwhile() throws Exception {
        assumeTrue(Files.isExecutable(STORESCP), "storescp (dcmtk) not installed at " + STORESCP + ": skipping");
        String run = UUID.randomUUID().toString().substring(0, 8);
        String s1 = "1.2.83.1." + Math.abs(run.hashCode());
        String s2 = "1.2.83.2." + Math.abs(run.hashCode());
        Path pacs = Files.createDirectories(dir.resolve("pacs"));
        int port = freePort(); // nothing listens there yet: the PACS is down
        // two attempts 50 ms apart: before, a PACS down for a second dead-lettered every result
        ExportSettings settings = ExportSettings.defaults(kafka.bootstrap, "localhost", port, "PACS")
                .withGroupId("it-export-down-" + run).withTasks(Set.of("vessel")).withRetries(2, Duration.ofMillis(50));
        Process scp = null;
        try (ResultExport export = ResultExport.start(settings, kafka.topics);
             org.radstream.schemas.HealthMetricsServer http = ExportHttpServer.start(0, export)) {
            awaitAssigned(export, Topics.DEFAULT_PARTITIONS);
            // vessel: a task the tests that read every result from the start do not export
            publish(new java.util.LinkedHashMap<>(Map.of(s1 + ":vessel", bytes(result(s1, "vessel", mask(1, 2), true)),
                    s2 + ":vessel", bytes(result(s2, "vessel", mask(3), true)))));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline && export.pacsReachable()) {
                Thread.sleep(50);
            }
            Thread.sleep(4000); // several tries, each more than the attempts and their backoff
            assertThat(export.pacsReachable()).isFalse();
            assertThat(export.pacsOutages()).isEqualTo(1);
            assertThat(export.deadLettered()).isZero();
            assertThat(export.exported()).isZero();
            assertThat(export.isRunning()).isTrue();
            var client = java.net.http.HttpClient.newHttpClient();
            var metrics = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://localhost:"
                    + http.port() + "/metrics")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.body()).contains("radstream_export_pacs_reachable 0\n")
                    .contains("radstream_export_pacs_outages_total 1\n");

            scp = storescp(pacs, port); // the PACS is back: both are stored, once
            deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline && export.exported() < 2) {
                Thread.sleep(100);
            }
            assertThat(export.exported()).isEqualTo(2);
            assertThat(export.deadLettered()).isZero();
            assertThat(export.pacsReachable()).isTrue();
            assertThat(stored(pacs)).hasSize(2);
        } finally {
            if (scp != null) {
                scp.destroy();
            }
        }
    }

    @Test
    void theLedgerTopicIsCreatedCompactedWhereItIsMissing() throws Exception {
        // a cluster upgraded to an export that keeps a ledger, before its streams application made the new topic
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(Map.of(
                org.apache.kafka.clients.admin.AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap))) {
            admin.deleteTopics(List.of(Topics.EXPORT_STORED)).all().get();
            long gone = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < gone && admin.listTopics().names().get().contains(Topics.EXPORT_STORED)) {
                Thread.sleep(100);
            }
            ExportSettings settings = ExportSettings.defaults(kafka.bootstrap, "localhost", freePort(), "PACS")
                    .withGroupId("it-export-ledger-" + UUID.randomUUID());
            try (ResultExport export = ResultExport.start(settings, kafka.topics)) {
                awaitAssigned(export, 2 * Topics.DEFAULT_PARTITIONS);
                var config = admin.describeConfigs(List.of(new org.apache.kafka.common.config.ConfigResource(
                        org.apache.kafka.common.config.ConfigResource.Type.TOPIC, Topics.EXPORT_STORED))).all().get()
                        .values().iterator().next();
                assertThat(config.get("cleanup.policy").value()).isEqualTo("compact");
            }
        }
    }

    @Test
    void aReplayStoresAgainWhatArrivedFromAGivenTimeOnAsTheSameInstances() throws Exception {
        assumeTrue(Files.isExecutable(STORESCP), "storescp (dcmtk) not installed at " + STORESCP + ": skipping");
        String run = UUID.randomUUID().toString().substring(0, 8);
        String series = "1.2.86.1." + Math.abs(run.hashCode());
        Path pacs = Files.createDirectories(dir.resolve("pacs"));
        int port = freePort();
        Process scp = storescp(pacs, port);
        ExportSettings settings = ExportSettings.defaults(kafka.bootstrap, "localhost", port, "PACS")
                .withGroupId("it-export-replay-" + run).withTasks(Set.of("vessel")).withRetries(2, Duration.ofMillis(50));
        try {
            Instant before = Instant.now().minusSeconds(1);
            try (ResultExport export = ResultExport.start(settings, kafka.topics)) {
                awaitAssigned(export, Topics.DEFAULT_PARTITIONS);
                // vessel: a task the tests that read every result from the start do not export
                publish(Map.of(series + ":vessel", bytes(result(series, "vessel", mask(4, 5), true))));
                awaitExported(export, 1);
                assertThat(export.exported()).isEqualTo(1);
            }
            // the same group again: nothing new, nothing stored
            try (ResultExport again = ResultExport.start(settings, kafka.topics)) {
                awaitAssigned(again, Topics.DEFAULT_PARTITIONS);
                Thread.sleep(2000);
                assertThat(again.exported()).isZero();
            }
            // replayed from before the result: stored again, the same SOP instance
            try (ResultExport replay = ResultExport.start(settings.replayingFrom(before), kafka.topics)) {
                awaitExported(replay, 1);
                Thread.sleep(1000);
                assertThat(replay.exported()).isEqualTo(1);
                assertThat(replay.deadLettered()).isZero();
            }
        } finally {
            scp.destroy();
        }
        String sop = DicomSeg.summary(ResultSegmentation.write(result(series, "vessel", mask(4, 5), true))).sopInstanceUid();
        assertThat(stored(pacs)).isNotEmpty().allSatisfy(f -> assertThat(f.getFileName().toString()).startsWith("SG." + sop));
    }

    private static void awaitExported(ResultExport export, long n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline && export.exported() < n) {
            Thread.sleep(100);
        }
    }

    /** The ledger entry of a report of {@code series} stored at the PACS by the export of {@code group}, written. */
    private static org.radstream.avro.ExportedInstance orphan(KafkaProducer<String, byte[]> producer, String group,
                                                              String series) throws Exception {
        var entry = org.radstream.avro.ExportedInstance.newBuilder().setExportGroup(group).setPacsAe("PACS")
                .setSourceSeriesUid(series).setPatientId("P-" + series).setStudyUid("1.2.81")
                .setSeriesUid("1.2.81.9").setSopClassUid(com.pixelmed.dicom.SOPClass.ComprehensiveSRStorage)
                .setSopInstanceUid("2.25.81" + Math.abs(series.hashCode())).setWhat("a report").setStoredAt(Instant.now())
                .build();
        producer.send(new ProducerRecord<>(Topics.EXPORT_STORED, group + "|" + entry.getSopInstanceUid(), kafka.topics
                .exportStored().valueSerde().serializer().serialize(Topics.EXPORT_STORED, entry))).get();
        return entry;
    }

    @Test
    void aRejectionNoteOfItsOwnThePacsDoesNotTakeIsDeadLetteredWithWhatItWithdraws() throws Exception {
        assumeTrue(Files.isExecutable(STORESCP), "storescp (dcmtk) not installed at " + STORESCP + ": skipping");
        String run = UUID.randomUUID().toString().substring(0, 8);
        String series = "1.2.82.1." + Math.abs(run.hashCode());
        String group = "it-export-iocm-refused-" + run;
        // a PACS that takes SR documents and no Key Object Selection (refused at negotiation)
        Path pacs = Files.createDirectories(dir.resolve("pacs"));
        Path config = srOnly(dir);
        int port = freePort();
        Process scp = storescp(pacs, port, "-xf", config.toString(), "SR");
        ExportSettings settings = ExportSettings.defaults(kafka.bootstrap, "localhost", port, "PACS")
                .withGroupId(group).withTasks(Set.of("liver")).withRetries(2, Duration.ofMillis(50));
        try (KafkaConsumer<String, DeadLetter> undelivered = kafka.consumerAtEnd(kafka.topics.exportUndelivered());
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                     kafka.bootstrap), new StringSerializer(), new ByteArraySerializer())) {
            var entry = orphan(producer, group, series);
            sendNote(producer, series, "113001", "Rejected for Quality Reasons");
            try (ResultExport export = ResultExport.start(settings, kafka.topics)) {
                List<ConsumerRecord<String, DeadLetter>> letters = TestKafka.poll(undelivered, Duration.ofSeconds(60),
                        l -> l.stream().anyMatch(r -> ("P-" + series).equals(r.key())));
                DeadLetter letter = letters.stream().filter(r -> ("P-" + series).equals(r.key())).findFirst()
                        .orElseThrow().value();
                assertThat(letter.getSourceTopic()).isEqualTo(Topics.REJECTION_NOTES);
                assertThat(letter.getAttempts()).isEqualTo(2);
                assertThat(letter.getReason()).startsWith("the rejection note withdrawing 1 object(s) made of series "
                        + series + " (113001 Rejected for Quality Reasons, as the PACS's note ")
                        .contains("not stored at the PACS after 2 attempts");
                // the letter holds the note, ready to be sent again once the PACS takes it
                org.radstream.avro.RejectionNote note = new RejectionNoteReader().read(letter.getValue().array(),
                        "RADSTREAM", Channel.C_STORE, Instant.now());
                assertThat(note.getReasonCode()).isEqualTo("113001");
                assertThat(note.getSeries()).singleElement().satisfies(s -> assertThat(s.getSopInstanceUids())
                        .containsExactly(entry.getSopInstanceUid()));
                assertThat(export.derivedWithdrawn()).isZero();
                assertThat(export.isRunning()).isTrue();
            }
            // not forgotten: the next start tries again (and, refused again, dead-letters it again)
            try (ResultExport again = ResultExport.start(settings, kafka.topics)) {
                List<ConsumerRecord<String, DeadLetter>> letters = TestKafka.poll(undelivered, Duration.ofSeconds(60),
                        l -> l.stream().anyMatch(r -> ("P-" + series).equals(r.key())));
                assertThat(letters).filteredOn(r -> ("P-" + series).equals(r.key())).singleElement()
                        .satisfies(r -> assertThat(r.value().getReason()).contains("not stored at the PACS after 2 attempts"));
                assertThat(again.derivedWithdrawn()).isZero();
            }
        } finally {
            scp.destroy();
        }
    }

    /** A storescp configuration (profile {@code SR}) that takes Comprehensive SR documents alone. */
    private static Path srOnly(Path dir) throws java.io.IOException {
        return Files.writeString(dir.resolve("sr-only.cfg"), String.join("\n",
                "[[TransferSyntaxes]]", "[Uncompressed]", "TransferSyntax1 = LocalEndianExplicit",
                "TransferSyntax2 = LittleEndianImplicit", "",
                "[[PresentationContexts]]", "[SROnly]", "PresentationContext1 = ComprehensiveSRStorage\\Uncompressed", "",
                "[[Profiles]]", "[SR]", "PresentationContexts = SROnly", ""));
    }

    /** Waits until {@code export} holds {@code partitions} partitions, each positioned. */
    private static void awaitAssigned(ResultExport export, int partitions) throws InterruptedException {
        long assignedBy = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < assignedBy && export.assignedPartitions() < partitions) {
            Thread.sleep(50);
        }
    }

    private static void sendNote(KafkaProducer<String, byte[]> producer, String series, String code, String meaning)
            throws Exception {
        org.radstream.avro.RejectionNote note = org.radstream.avro.RejectionNote.newBuilder()
                .setSopInstanceUid("2.25.80" + Math.abs(series.hashCode())).setPatientId("P-" + series)
                .setReasonCode(code).setReasonMeaning(meaning)
                .setSeries(List.of(org.radstream.avro.RejectedSeries.newBuilder().setStudyUid("1.2.80")
                        .setSeriesUid(series).setSopInstanceUids(List.of()).build()))
                .setCallingAe("PACS").setReceivedVia("c-store").setReceivedAt(Instant.now()).build();
        producer.send(new ProducerRecord<>(Topics.REJECTION_NOTES, note.getPatientId().toString(), kafka.topics
                .rejectionNotes().valueSerde().serializer().serialize(Topics.REJECTION_NOTES, note))).get();
    }

    @Test
    void poirMeasurementsAreStoredAsMeasurementReportsNamingTheSeriesInstancesAsEvidence() throws Exception {
        assumeTrue(Files.isExecutable(STORESCP), "storescp (dcmtk) not installed at " + STORESCP + ": skipping");
        String run = UUID.randomUUID().toString().substring(0, 8);
        String seen = "1.2.78.1." + Math.abs(run.hashCode());
        String unseen = "1.2.78.2." + Math.abs(run.hashCode());
        String late = "1.2.78.3." + Math.abs(run.hashCode());
        // a vessel result (a task not exported here) passes first: its geometry names the series' instances
        InferenceResult vessel = result(seen, "vessel", mask(3), true);
        PoirMeasurement withEvidence = measurement(seen, 3812.257, 412.5);
        // no result of this series ever comes: stored without evidence once its wait is over
        PoirMeasurement withoutEvidence = measurement(unseen, 4000, 0);
        // this measurement is read before the result of its series: it waits for it
        PoirMeasurement beforeItsResult = measurement(late, 3500, 35);
        InferenceResult lateResult = result(late, "lung", mask(3), true);
        // measured an hour ago, and no result of its series is to come (one passed before a restart): it does not wait
        String earlier = "1.2.78.4." + Math.abs(run.hashCode());
        PoirMeasurement measuredEarlier = measurement(earlier, 3000, 30);
        // as the PoIR join makes them now: the measurement names its series' images itself, and waits for nothing
        String named = "1.2.78.5." + Math.abs(run.hashCode());
        PoirMeasurement namingItsImages = measurement(named, 5000, 50);
        namingItsImages.setSopClassUid("1.2.840.10008.5.1.4.1.1.2");
        namingItsImages.setSopInstanceUids(List.of(named + ".1", named + ".2"));

        Path pacs = Files.createDirectories(dir.resolve("pacs"));
        int port = freePort();
        Process scp = storescp(pacs, port);
        ExportSettings settings = ExportSettings.defaults(kafka.bootstrap, "localhost", port, "PACS")
                .withGroupId("it-export-poir-" + run).withTasks(Set.of(ExportSettings.POIR))
                .withRetries(2, Duration.ofMillis(50)).withEvidenceWait(Duration.ofSeconds(8));
        try (KafkaConsumer<String, DeadLetter> undelivered = kafka.consumerAtEnd(kafka.topics.exportUndelivered());
             ResultExport export = ResultExport.start(settings, kafka.topics);
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                     kafka.bootstrap), new StringSerializer(), new ByteArraySerializer())) {
            // results and measurements, each positioned at its end
            awaitAssigned(export, 2 * Topics.DEFAULT_PARTITIONS);
            assertThat(export.assignedPartitions()).isEqualTo(2 * Topics.DEFAULT_PARTITIONS);
            producer.send(new ProducerRecord<>(Topics.RESULTS, seen + ":vessel", bytes(vessel))).get();
            Thread.sleep(1000); // the result passes before the measurement (two topics: no order between them)
            var serializer = kafka.topics.poir().valueSerde().serializer();
            // one partition each, so that none waits behind another
            long now = System.currentTimeMillis();
            producer.send(new ProducerRecord<>(Topics.POIR, 0, now, "P-" + late, serializer.serialize(Topics.POIR, beforeItsResult))).get();
            producer.send(new ProducerRecord<>(Topics.POIR, 1, now, "P-" + seen, serializer.serialize(Topics.POIR, withEvidence))).get();
            producer.send(new ProducerRecord<>(Topics.POIR, 2, now, "P-" + unseen, serializer.serialize(Topics.POIR, withoutEvidence))).get();
            producer.send(new ProducerRecord<>(Topics.POIR, 3, now - Duration.ofHours(1).toMillis(), "P-" + earlier,
                    serializer.serialize(Topics.POIR, measuredEarlier))).get();
            producer.send(new ProducerRecord<>(Topics.POIR, 3, now, "P-garbage-" + run, new byte[] {0, 0, 0, 0, 9})).get();
            producer.send(new ProducerRecord<>(Topics.POIR, 1, now, "P-" + named, serializer.serialize(Topics.POIR,
                    namingItsImages))).get();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline && (export.reportsStored() < 3 || export.deadLettered() < 1)) {
                Thread.sleep(50);
            }
            assertThat(stored(pacs, withEvidence, vessel.getGeometry())).isNotNull();
            assertThat(stored(pacs, namingItsImages, null)).as("names its images: no result needed").isNotNull();
            assertThat(stored(pacs, measuredEarlier, null)).as("measured earlier, all results read: it does not wait").isNotNull();
            assertThat(stored(pacs, beforeItsResult, lateResult.getGeometry())).as("waits for its series' result").isNull();
            assertThat(stored(pacs, withoutEvidence, null)).as("waits for a result of its series, up to 8 s").isNull();
            producer.send(new ProducerRecord<>(Topics.RESULTS, late + ":lung", bytes(lateResult))).get();
            deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline && export.reportsStored() < 5) {
                Thread.sleep(100);
            }
            assertThat(export.reportsStored()).isEqualTo(5);
            assertThat(export.reportsWithoutEvidence()).isEqualTo(2);
            assertThat(export.exported()).as("no segmentation: only poir is exported").isZero();
            assertThat(ExportHttpServer.render(export)).contains("radstream_export_reports_stored_total 5\n")
                    .contains("radstream_export_reports_without_evidence_total 2\n");

            Map<String, Integer> evidence = new java.util.HashMap<>();
            for (PoirMeasurement m : List.of(withEvidence, withoutEvidence, beforeItsResult, measuredEarlier, namingItsImages)) {
                Path file = stored(pacs, m, m == withEvidence ? vessel.getGeometry()
                        : m == beforeItsResult ? lateResult.getGeometry() : null);
                assertThat(file).as("the PACS holds the SOP instance derived from the measurement of " + m.getSeriesUid())
                        .isNotNull();
                com.pixelmed.dicom.AttributeList stored = read(Files.readAllBytes(file));
                assertThat(com.pixelmed.dicom.Attribute.getSingleStringValueOrNull(stored, com.pixelmed.dicom.TagFromName.SOPClassUID))
                        .isEqualTo("1.2.840.10008.5.1.4.1.1.88.33");
                assertThat(com.pixelmed.dicom.Attribute.getSingleStringValueOrNull(stored, com.pixelmed.dicom.TagFromName.StudyInstanceUID))
                        .isEqualTo("1.2.78.1");
                com.pixelmed.dicom.SequenceAttribute ev = (com.pixelmed.dicom.SequenceAttribute) stored.get(
                        com.pixelmed.dicom.TagFromName.CurrentRequestedProcedureEvidenceSequence);
                evidence.put(m.getSeriesUid(), ev == null ? 0 : ((com.pixelmed.dicom.SequenceAttribute) ev.getItem(0)
                        .getAttributeList().get(com.pixelmed.dicom.TagFromName.ReferencedSeriesSequence)).getItem(0)
                        .getAttributeList().get(com.pixelmed.dicom.TagFromName.ReferencedSOPSequence) instanceof
                        com.pixelmed.dicom.SequenceAttribute sops ? sops.getNumberOfItems() : -1);
                String text = new com.pixelmed.dicom.StructuredReport(stored).toString();
                assertThat(text).contains("Proportion of infected lung").contains(m == withEvidence ? "3812.26"
                        : m == beforeItsResult ? "3500" : m == measuredEarlier ? "3000" : m == namingItsImages ? "5000" : "4000");
                assertValid(file, "ComprehensiveSR");
            }
            assertThat(evidence).containsEntry(seen, 3).containsEntry(unseen, 0).containsEntry(late, 3)
                    .containsEntry(earlier, 0).containsEntry(named, 2);
            List<ConsumerRecord<String, DeadLetter>> letters = TestKafka.poll(undelivered, Duration.ofSeconds(20),
                    l -> l.stream().anyMatch(r -> r.key().equals("P-garbage-" + run)));
            DeadLetter letter = letters.stream().filter(r -> r.key().equals("P-garbage-" + run)).findFirst().orElseThrow().value();
            assertThat(letter.getReason()).startsWith("the PoIR measurement cannot be read: ");
            assertThat(letter.getSourceTopic()).isEqualTo(Topics.POIR);
        } finally {
            scp.destroyForcibly();
        }
    }

    @Test
    void aReportReferencesTheSegmentationsTheExportStoredOfTheResultsItWasMeasuredFrom() throws Exception {
        assumeTrue(Files.isExecutable(STORESCP), "storescp (dcmtk) not installed at " + STORESCP + ": skipping");
        String run = UUID.randomUUID().toString().substring(0, 8);
        String series = "1.2.78.6." + Math.abs(run.hashCode());
        InferenceResult lung = ResultReportTest.lung(series);
        InferenceResult infection = result(series, "infection", mask(5, 40, 100), true);
        PoirMeasurement m = ResultReportTest.measuredFrom(lung, infection);
        // an abdominal series: its liver result's volume over its segmentation; a vessel result without geometry
        String abdomen = "1.2.78.7." + Math.abs(run.hashCode());
        InferenceResult liver = result(abdomen, "liver", mask(1, 2, 3, 4), true);
        InferenceResult vessel = result(abdomen, "vessel", mask(9), false);

        Path pacs = Files.createDirectories(dir.resolve("pacs"));
        int port = freePort();
        // the PACS takes only DICOM TLS from callers with a certificate it trusts
        String password = "tls-test-password";
        Path pacsKeys = TestCertificates.keyStore(dir, "pacs", "pacs.test", password);
        Path exportKeys = TestCertificates.keyStore(dir, "export", "radstream export", password);
        Process scp = storescp(pacs, port, "+tls", TestCertificates.privateKeyPem(pacsKeys, password, dir.resolve("pacs.key"))
                .toString(), TestCertificates.certificatePem(pacsKeys, password, dir.resolve("pacs.crt")).toString(),
                "+cf", TestCertificates.certificatePem(exportKeys, password, dir.resolve("export.crt")).toString());
        // the export reaches Kafka as an authenticated client, as on a secured cluster, and the PACS over TLS
        ExportSettings settings = ExportSettings.defaults(kafka.saslBootstrap, "localhost", port, "PACS")
                .withGroupId("it-export-refs-" + run).withTasks(Set.of("lung", "infection", "liver", "vessel",
                        ExportSettings.POIR, ExportSettings.VOLUMES))
                .withRetries(2, Duration.ofMillis(50)).withKafkaClient(TestKafka.saslClient())
                .withPacsTls(ClientTls.load(TestCertificates.trustStore(dir, "pacs-trust", password, pacsKeys), password,
                        exportKeys, password));
        java.net.DatagramSocket auditRepository = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress());
        settings = settings.withAuditRepository("udp://127.0.0.1:" + auditRepository.getLocalPort());
        try (auditRepository; ResultExport export = ResultExport.start(settings, kafka.topics);
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                     kafka.bootstrap), new StringSerializer(), new ByteArraySerializer())) {
            awaitAssigned(export, 2 * Topics.DEFAULT_PARTITIONS);
            // the measurement first: it names its images and results, so it needs neither to pass before it
            producer.send(new ProducerRecord<>(Topics.POIR, "P-" + series, kafka.topics.poir().valueSerde().serializer()
                    .serialize(Topics.POIR, m))).get();
            producer.send(new ProducerRecord<>(Topics.RESULTS, series + ":lung", bytes(lung))).get();
            producer.send(new ProducerRecord<>(Topics.RESULTS, series + ":infection", bytes(infection))).get();
            producer.send(new ProducerRecord<>(Topics.RESULTS, abdomen + ":liver", bytes(liver))).get();
            producer.send(new ProducerRecord<>(Topics.RESULTS, abdomen + ":vessel", bytes(vessel))).get();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline && (export.reportsStored() < 3 || export.exported() < 3)) {
                Thread.sleep(50);
            }
            assertThat(export.reportsStored()).as("the PoIR and two volumes").isEqualTo(3);
            assertThat(export.exported()).as("lung, infection and liver segmentations").isEqualTo(3);
            assertThat(export.reportsWithoutEvidence()).as("the vessel volume").isEqualTo(1);
            assertThat(export.withoutGeometry()).isEqualTo(1);
            // the audit trail: what was sent to the PACS, by study, each naming its patient; 3 SEGs and 3 reports
            List<String> audited = new ArrayList<>(org.radstream.schemas.TestAuditRepository.receiveAll(auditRepository,
                    Duration.ofSeconds(2)));
            assertThat(audited).allMatch(a -> a.contains(" radstream-export "));
            assertThat(audited).filteredOn(a -> a.contains("<EventID csd-code=\"110100\""))
                    .as("the export's start").singleElement().asString().contains("csd-code=\"110120\"");
            audited.removeIf(a -> a.contains("<EventID csd-code=\"110100\""));
            assertThat(audited).isNotEmpty().allMatch(a -> a.contains(" radstream-export ")
                    && a.contains("<EventID csd-code=\"110104\"") && a.contains("EventActionCode=\"R\"")
                    && a.contains("EventOutcomeIndicator=\"0\"")
                    && a.contains("<ActiveParticipant UserID=\"RADSTREAM\"") && a.contains("UserIsRequestor=\"true\"")
                    && a.contains("<ActiveParticipant UserID=\"PACS\" UserIsRequestor=\"false\" NetworkAccessPointID=\"localhost\"")
                    && a.contains("<ParticipantObjectIDTypeCode csd-code=\"2\""));
            java.util.regex.Pattern counted = java.util.regex.Pattern.compile("<SOPClass UID=\"([0-9.]+)\" NumberOfInstances=\"(\\d+)\"/>");
            Map<String, Integer> sent = new java.util.TreeMap<>();
            for (String a : audited) {
                java.util.regex.Matcher c = counted.matcher(a);
                while (c.find()) {
                    sent.merge(c.group(1), Integer.parseInt(c.group(2)), Integer::sum);
                }
            }
            assertThat(sent).containsExactlyInAnyOrderEntriesOf(Map.of("1.2.840.10008.5.1.4.1.1.66.4", 3,
                    "1.2.840.10008.5.1.4.1.1.88.33", 3));
        } finally {
            scp.destroyForcibly();
        }
        Path report = stored(pacs, m, null);
        assertThat(report).isNotNull();
        assertValid(report, "ComprehensiveSR");
        List<String> groups = ResultReportTest.groups(read(Files.readAllBytes(report)));
        assertThat(groups).hasSize(2).allMatch(g -> g.startsWith("1411 "));
        // each group's segment is a segmentation the PACS now holds, made of that group's result
        for (String g : groups) {
            String task = g.split(" ")[1];
            String referenced = g.split(" ")[2];
            Path seg = pacs.resolve("SG." + referenced);
            assertThat(seg).as("the %s segmentation the report references", task).exists();
            assertThat(ResultReportTest.sop(read(ResultSegmentation.write(task.equals("lung") ? lung : infection))))
                    .isEqualTo(referenced);
            assertThat(com.pixelmed.dicom.Attribute.getSingleStringValueOrNull(read(Files.readAllBytes(seg)),
                    com.pixelmed.dicom.TagFromName.SeriesDescription)).startsWith("radstream " + task);
        }
        // the liver's volume report, over the liver segmentation the PACS holds; the vessel's, over nothing
        for (InferenceResult r : List.of(liver, vessel)) {
            String sop = ResultReportTest.sop(read(ResultReport.writeVolume(r, settings.tasks())));
            Path volume = storedAs(pacs, sop);
            assertThat(volume).as("the %s volume report, %s", r.getTask(), sop).isNotNull();
            assertValid(volume, "ComprehensiveSR");
            List<String> volumeGroups = ResultReportTest.groups(read(Files.readAllBytes(volume)));
            if (r == liver) {
                String liverSeg = ResultReportTest.sop(read(ResultSegmentation.write(liver)));
                assertThat(volumeGroups).containsExactly("1411 liver " + liverSeg + " 1 radstream liver 9");
                assertThat(pacs.resolve("SG." + liverSeg)).exists();
            } else {
                assertThat(volumeGroups).containsExactly("1501 vessel - - radstream vessel 9");
            }
        }
    }

    /** The file the PACS wrote for {@code m}'s report with {@code evidence}, or null when it holds none. */
    private static Path stored(Path pacs, PoirMeasurement m, SeriesGeometry evidence) throws Exception {
        com.pixelmed.dicom.AttributeList expected = read(ResultReport.write(m, evidence, Set.of(ExportSettings.POIR)));
        return storedAs(pacs, com.pixelmed.dicom.Attribute.getSingleStringValueOrNull(expected,
                com.pixelmed.dicom.TagFromName.SOPInstanceUID));
    }

    /** The file the PACS (storescp: modality prefix, then the SOP instance UID) wrote for {@code sop}, or null. */
    private static Path storedAs(Path pacs, String sop) throws Exception {
        try (Stream<Path> files = Files.list(pacs)) {
            return files.filter(f -> f.getFileName().toString().endsWith("." + sop)).findFirst().orElse(null);
        }
    }

    private static com.pixelmed.dicom.AttributeList read(byte[] part10) throws Exception {
        com.pixelmed.dicom.AttributeList list = new com.pixelmed.dicom.AttributeList();
        try (com.pixelmed.dicom.DicomInputStream in = new com.pixelmed.dicom.DicomInputStream(
                new java.io.ByteArrayInputStream(part10))) {
            list.read(in);
        }
        return list;
    }
}
