package org.radstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.avro.CorrectedLabel;
import org.radstream.avro.InferenceResult;
import org.radstream.avro.Mask;
import org.radstream.avro.SeriesGeometry;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Nifti;
import org.radstream.imaging.Rle;
import org.radstream.imaging.dicom.DicomSeg;
import org.radstream.platform.Platform;
import org.radstream.platform.PlatformExtension;
import org.radstream.schemas.Topic;
import org.radstream.schemas.Topics;
import org.radstream.trainer.LabelMaker;
import picocli.CommandLine;

/** {@code radstream label draft} against the embedded broker: the newest result of the series and task, as submit takes it. */
@ExtendWith(PlatformExtension.class)
class LabelDraftIT {
    @TempDir
    Path dir;

    private static Mask3D mask(int voxels) {
        Mask3D m = new Mask3D(16, 16, 4);
        for (int i = 0; i < voxels; i++) {
            m.set(i * 7, true);
        }
        return m;
    }

    private static InferenceResult result(String series, String task, Mask3D m, String version, long producedAt) {
        return InferenceResult.newBuilder().setSeriesUid(series).setTask(task).setTaskGroup("chest").setPatientId("P1")
                .setStudyUid("st-" + series).setAcquisitionTime(Instant.parse("2026-12-01T08:00:00Z")).setSliceCount(4)
                .setVoxelVolumeMm3(2.0).setVolumeMl(m.count() * 0.002)
                .setMask(new Mask(m.width(), m.height(), m.depth(), ByteBuffer.wrap(Rle.encode(m))))
                .setMethod("model").setModelVersion(version).setProducedAt(Instant.ofEpochMilli(producedAt))
                .setGeometry(GEOMETRY).build();
    }

    /** Head first supine: columns run to the patient's left, rows to the back, slices to the head. */
    private static final SeriesGeometry GEOMETRY = SeriesGeometry.newBuilder().setOrigin(List.of(-90.0, -120.5, -400.0))
            .setRow(List.of(1.0, 0.0, 0.0)).setColumn(List.of(0.0, 1.0, 0.0)).setSpacingX(0.8).setSpacingY(0.8)
            .setSpacingZ(2.5).build();

    private static String[] cluster(Platform platform) {
        return new String[] {"--bootstrap", platform.bootstrap(), "--registry", platform.registryUrl()};
    }

    /** Runs a label subcommand; its exit code and what it printed on stdout and stderr. */
    private static String[] run(String... args) {
        java.io.PrintStream stdout = System.out;
        java.io.PrintStream stderr = System.err;
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        try {
            System.setOut(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
            System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
            int code = new CommandLine(new LabelCommand()).execute(args);
            return new String[] {Integer.toString(code), out.toString(java.nio.charset.StandardCharsets.UTF_8),
                    err.toString(java.nio.charset.StandardCharsets.UTF_8)};
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
    }

    @Test
    void aNiftiDraftCorrectedInAToolIsSubmittedOnTheSeriesGrid(Platform platform) throws Exception {
        Mask3D draft = mask(12);
        publish(platform, result("S-N", "infection", draft, "9", 2000));
        Path nii = dir.resolve("S-N-infection.nii.gz");
        String[] drafted = run(Cli.concat(new String[] {"draft", "--series", "S-N", "--task", "infection", "--out", nii.toString()},
                cluster(platform)));
        assertThat(drafted[0]).as(drafted[2]).isEqualTo("0");
        Nifti.Image image = Nifti.read(Files.readAllBytes(nii));
        double[][] grid = image.affine();
        // voxel (0, 0, 0) at the first slice's position (LPS -90, -120.5, -400), in RAS
        assertThat(new double[] {grid[0][3], grid[1][3], grid[2][3]}).containsExactly(90.0, 120.5, -400.0);
        assertThat(Nifti.onGrid(image, grid, 16, 16, 4)).isEqualTo(draft);

        // the radiologist's correction, saved by a tool that stores x the other way round: file voxel (i, j, k)
        // is grid voxel (15 - i, j, k), and its affine says so
        Mask3D corrected = draft.copy();
        corrected.set(0, false);
        corrected.set(3, 3, 1, true);
        Mask3D stored = new Mask3D(16, 16, 4);
        for (int z = 0; z < 4; z++) {
            for (int y = 0; y < 16; y++) {
                for (int x = 0; x < 16; x++) {
                    stored.set(15 - x, y, z, corrected.get(x, y, z));
                }
            }
        }
        double[][] flipped = new double[4][];
        for (int r = 0; r < 4; r++) {
            flipped[r] = grid[r].clone();
            flipped[r][0] = -grid[r][0];
            flipped[r][3] = grid[r][3] + 15 * grid[r][0];
        }
        Path fixed = dir.resolve("S-N-infection-corrected.nii");
        Files.write(fixed, Nifti.write(stored, flipped, false));
        String[] submitted;
        List<String> audited;
        try (java.net.DatagramSocket repository = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
            submitted = run(Cli.concat(new String[] {"submit", "--series", "S-N", "--task", "infection", "--mask",
                    fixed.toString(), "--annotator", "dr-it", "--audit-repository", "udp://127.0.0.1:"
                            + repository.getLocalPort()}, cluster(platform)));
            audited = org.radstream.schemas.TestAuditRepository.receiveAll(repository, java.time.Duration.ofSeconds(2));
        }
        assertThat(submitted[0]).as(submitted[2]).isEqualTo("0");
        // straight onto the label topic, so audited here: the annotator, the series, and the study and patient its result names
        assertThat(audited).singleElement().asString().contains(" radstream-label ", "csd-code=\"110103\"",
                "EventActionCode=\"C\"", "UserID=\"dr-it\"", "ParticipantObjectID=\"S-N\"",
                "ParticipantObjectID=\"st-S-N\"", "ParticipantObjectID=\"P1\"");
        assertThat(submitted[1]).contains("S-N-infection-corrected.nii: " + corrected.count() + " voxels on the series' 16×16×4 grid");
        CorrectedLabel label = newestLabel(platform, "S-N:infection");
        assertThat(label.getAnnotator()).isEqualTo("dr-it");
        assertThat(Rle.decode(label.getMask().getRle().array(), 16, 16, 4)).isEqualTo(corrected);

        // one whose voxels fall between the series' is refused, and nothing is sent
        double[][] shifted = new double[4][];
        for (int r = 0; r < 4; r++) {
            shifted[r] = grid[r].clone();
        }
        shifted[0][3] += 0.4;
        Path between = dir.resolve("between.nii");
        Files.write(between, Nifti.write(draft, shifted, false));
        String[] refused = run(Cli.concat(new String[] {"submit", "--series", "S-N", "--task", "infection", "--mask",
                between.toString()}, cluster(platform)));
        assertThat(refused[0]).isEqualTo("4");
        assertThat(refused[2]).contains("refused between.nii: the label map is shifted by -0.500 voxels");
        assertThat(newestLabel(platform, "S-N:infection").getAnnotator()).isEqualTo("dr-it");

        // an audit repository that is no address is a usage error, before anything is sent
        String[] unaudited = run(Cli.concat(new String[] {"withdraw", "--series", "S-N", "--task", "infection",
                "--audit-repository", "syslog-server"}, cluster(platform)));
        assertThat(unaudited[0]).isEqualTo("2");
        assertThat(unaudited[2]).contains("the audit repository must be udp://HOST:PORT or tls://HOST:PORT");
        assertThat(newestLabel(platform, "S-N:infection").getAnnotator()).isEqualTo("dr-it");
        // the label withdrawn: audited as a deletion by whoever withdrew it
        String[] withdrawn;
        try (java.net.DatagramSocket repository = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
            withdrawn = run(Cli.concat(new String[] {"withdraw", "--series", "S-N", "--task", "infection", "--annotator",
                    "dr-it", "--audit-repository", "udp://127.0.0.1:" + repository.getLocalPort()}, cluster(platform)));
            audited = org.radstream.schemas.TestAuditRepository.receiveAll(repository, java.time.Duration.ofSeconds(2));
        }
        assertThat(withdrawn[0]).as(withdrawn[2]).isEqualTo("0");
        assertThat(audited).singleElement().asString().contains(" radstream-label ", "EventActionCode=\"D\"",
                "UserID=\"dr-it\"", "ParticipantObjectID=\"S-N\"");
    }

    @Test
    void aDicomSegmentationDraftCorrectedInAViewerIsSubmittedOnTheSeriesGrid(Platform platform) throws Exception {
        Mask3D draft = mask(15);
        SeriesGeometry geometry = SeriesGeometry.newBuilder(GEOMETRY).setFrameOfReferenceUid("1.2.826.9")
                .setSopClassUid("1.2.840.10008.5.1.4.1.1.2").setSopInstanceUids(List.of("9.1", "9.2", "9.3", "9.4")).build();
        publish(platform, InferenceResult.newBuilder(result("S-D", "infection", draft, "9", 3000)).setGeometry(geometry)
                .setPatientName("Doe^Jane").build());
        Path dcm = dir.resolve("S-D-infection.dcm");
        String[] drafted = run(Cli.concat(new String[] {"draft", "--series", "S-D", "--task", "infection", "--out", dcm.toString()},
                cluster(platform)));
        assertThat(drafted[0]).as(drafted[2]).isEqualTo("0");
        assertThat(drafted[1]).doesNotContain("note:");
        com.pixelmed.dicom.AttributeList seg = new com.pixelmed.dicom.AttributeList();
        seg.read(dcm.toString());
        assertThat(com.pixelmed.dicom.Attribute.getSingleStringValueOrEmptyString(seg, com.pixelmed.dicom.TagFromName.PatientID))
                .isEqualTo("P1");
        assertThat(com.pixelmed.dicom.Attribute.getSingleStringValueOrEmptyString(seg, com.pixelmed.dicom.TagFromName.StudyInstanceUID))
                .isEqualTo("st-S-D");
        assertThat(com.pixelmed.dicom.Attribute.getSingleStringValueOrEmptyString(seg,
                com.pixelmed.dicom.TagFromName.FrameOfReferenceUID)).isEqualTo("1.2.826.9");
        var frame3 = ((com.pixelmed.dicom.SequenceAttribute) seg.get(com.pixelmed.dicom.TagFromName.PerFrameFunctionalGroupsSequence))
                .getItem(2).getAttributeList();
        assertThat(com.pixelmed.dicom.SequenceAttribute.getAttributeListFromWithinSequenceWithSingleItem(
                com.pixelmed.dicom.SequenceAttribute.getAttributeListFromWithinSequenceWithSingleItem(frame3,
                        com.pixelmed.dicom.TagFromName.DerivationImageSequence), com.pixelmed.dicom.TagFromName.SourceImageSequence)
                .get(com.pixelmed.dicom.TagFromName.ReferencedSOPInstanceUID).getSingleStringValueOrEmptyString()).isEqualTo("9.3");
        DicomSeg.Series series = org.radstream.ingest.ResultSegmentation.series(InferenceResult.newBuilder(result("S-D", "infection", draft, "9", 3000))
                .setGeometry(geometry).build());
        assertThat(DicomSeg.read(Files.readAllBytes(dcm), series, "infection", null).mask()).isEqualTo(draft);

        // lung and infection in one file, for a radiologist to correct together
        Mask3D lung = mask(40);
        publish(platform, InferenceResult.newBuilder(result("S-D", "lung", lung, "1", 3100)).setGeometry(geometry).build());
        Path both = dir.resolve("S-D-chest.dcm");
        String[] drafted2 = run(Cli.concat(new String[] {"draft", "--series", "S-D", "--task", "lung,infection", "--out",
                both.toString()}, cluster(platform)));
        assertThat(drafted2[0]).as(drafted2[2]).isEqualTo("0");
        assertThat(drafted2[1]).contains("the lung mask of series S-D").contains("the infection mask of series S-D");
        byte[] bothBytes = Files.readAllBytes(both);
        assertThat(DicomSeg.summary(bothBytes).segments()).extracting(DicomSeg.SegmentInfo::task)
                .containsExactly("lung", "infection");
        assertThat(DicomSeg.read(bothBytes, series, "lung", null).mask()).isEqualTo(lung);
        assertThat(DicomSeg.read(bothBytes, series, "infection", null).mask()).isEqualTo(draft);
        String[] notNifti = run(Cli.concat(new String[] {"draft", "--series", "S-D", "--task", "lung,infection", "--out",
                dir.resolve("both.nii.gz").toString()}, cluster(platform)));
        assertThat(notNifti[0]).isEqualTo("1");
        assertThat(notNifti[2]).contains("a NIfTI or .rle file holds one task");

        // the radiologist's correction, stored back by the viewer under a name without an extension
        Mask3D corrected = draft.copy();
        corrected.set(7, false);
        corrected.set(5, 6, 3, true);
        Path fixed = dir.resolve("1.2.3.4.5");
        Files.write(fixed, DicomSeg.write(corrected, series, new DicomSeg.Segment("infection", "corrected", null),
                Instant.parse("2026-12-06T11:00:00Z"), new java.util.Random(3)));
        String[] submitted = run(Cli.concat(new String[] {"submit", "--series", "S-D", "--task", "infection", "--mask",
                fixed.toString(), "--annotator", "dr-seg"}, cluster(platform)));
        assertThat(submitted[0]).as(submitted[2]).isEqualTo("0");
        assertThat(submitted[1]).contains("1.2.3.4.5: segment 1 'infection', 4 frames, " + corrected.count()
                + " voxels on the series' 16×16×4 grid");
        CorrectedLabel label = newestLabel(platform, "S-D:infection");
        assertThat(label.getAnnotator()).isEqualTo("dr-seg");
        // it names the segmentation it was read from: a rejection note naming that withdraws the label at the trainer
        assertThat(label.getSourceInstanceUid()).isEqualTo(DicomSeg.summary(Files.readAllBytes(fixed)).sopInstanceUid());
        assertThat(Rle.decode(label.getMask().getRle().array(), 16, 16, 4)).isEqualTo(corrected);

        // the same through a running trainer (POST /labels?...&source=UID), as a radiologist without Kafka credentials sends it
        try (org.radstream.trainer.TrainerService trainer = trainer(platform, "seg-")) {
            String[] viaTrainer = run(Cli.concat(new String[] {"submit", "--series", "S-D", "--task", "infection", "--mask",
                    fixed.toString(), "--annotator", "dr-seg-http", "--trainer-url", "http://localhost:" + trainer.httpPort(),
                    "--trainer-token", TRAINER_TOKEN}, cluster(platform)));
            assertThat(viaTrainer[0]).as(viaTrainer[2]).isEqualTo("0");
            assertThat(viaTrainer[1]).contains("label S-D:infection submitted to radstream.labels.corrected");
            CorrectedLabel overHttp = newestLabel(platform, "S-D:infection");
            assertThat(overHttp.getAnnotator()).isEqualTo("dr-seg-http");
            assertThat(overHttp.getSourceInstanceUid()).isEqualTo(label.getSourceInstanceUid());
            assertThat(Rle.decode(overHttp.getMask().getRle().array(), 16, 16, 4)).isEqualTo(corrected);
        }

        // a segmentation of another series is refused, and nothing is sent
        DicomSeg.Series other = new DicomSeg.Series("P1", null, "st-S-D", null, "S-OTHER", "1.2.826.9", null, List.of("8.1",
                "8.2", "8.3", "8.4"), series.origin(), series.row(), series.column(), 0.8, 0.8, 2.5, 16, 16, 4);
        Path wrong = dir.resolve("other.dcm");
        Files.write(wrong, DicomSeg.write(draft, other, new DicomSeg.Segment("infection", null, null), Instant.EPOCH,
                new java.util.Random(4)));
        String[] refused = run(Cli.concat(new String[] {"submit", "--series", "S-D", "--task", "infection", "--mask",
                wrong.toString()}, cluster(platform)));
        assertThat(refused[0]).isEqualTo("4");
        assertThat(refused[2]).contains("refused other.dcm: the segmentation was made on series S-OTHER, not on S-D");
        assertThat(newestLabel(platform, "S-D:infection").getAnnotator()).isEqualTo("dr-seg-http");
    }

    private static final String TRAINER_TOKEN = "a-token-for-label-draft-it";

    /** A trainer on the embedded broker, its HTTP endpoint on a free port, taking requests with {@link #TRAINER_TOKEN}. */
    private org.radstream.trainer.TrainerService trainer(Platform platform, String group) throws Exception {
        return org.radstream.trainer.TrainerService.start(org.radstream.trainer.TrainerSettings.defaults(platform.bootstrap(),
                        dir.resolve(group + "trainer"), dir.resolve(group + "store"), "label-draft-it-secret-0123456789")
                        .withHttpPort(0).withHttpToken(TRAINER_TOKEN).withGroupId(group + "trainer")
                        .withTrainingInterval(java.time.Duration.ZERO).withLabelsPerTraining(0), platform.topics());
    }

    /** Puts results on the results topic, keyed as the workers key them. */
    private static void publish(Platform platform, InferenceResult... results) throws Exception {
        Topic<String, InferenceResult> t = platform.topics().results();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, platform.bootstrap()), new StringSerializer(), new ByteArraySerializer())) {
            for (InferenceResult r : results) {
                String key = Topics.seriesTaskKey(r.getSeriesUid().toString(), r.getTask().toString());
                producer.send(new ProducerRecord<>(t.name(), key, t.valueSerde().serializer().serialize(t.name(), r))).get();
            }
        }
    }

    /** Puts one record on a topic, stamped {@code at}. */
    private static <V> void publish(Platform platform, Topic<String, V> t, String key, V value, Instant at) throws Exception {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, platform.bootstrap()), new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(t.name(), null, at.toEpochMilli(), key,
                    t.valueSerde().serializer().serialize(t.name(), value))).get();
        }
    }

    private static InferenceResult withStability(InferenceResult r, Double stability, long producedAt) {
        return InferenceResult.newBuilder(r).setMaskStability(stability).setProducedAt(Instant.ofEpochMilli(producedAt))
                .build();
    }

    @Test
    void suggestOffersTheLeastStableUnlabelledSeriesFirst(Platform platform) throws Exception {
        String p = "sg-" + java.util.UUID.randomUUID().toString().substring(0, 8) + "-";
        Instant since = Instant.now();
        long t = since.toEpochMilli();
        Topic<String, InferenceResult> results = platform.topics().results();
        // made before the window: left out whatever its stability
        publish(platform, results, p + "OLD:infection", withStability(result(p + "OLD", "infection", mask(3), "9", 0),
                0.05, t - 60_000), since.minusSeconds(60));
        // C's older result was shaky; its newest is what counts
        InferenceResult[] made = {
            withStability(result(p + "A", "infection", mask(4), "9", 0), 0.9, t + 1),
            withStability(result(p + "B", "infection", mask(5), "9", 0), 0.6, t + 2),
            withStability(result(p + "C", "infection", mask(6), "8", 0), 0.3, t + 3),
            withStability(result(p + "C", "infection", mask(7), "9", 0), 0.75, t + 4),
            withStability(result(p + "D", "infection", mask(8), "9", 0), 0.5, t + 5), // corrected by a radiologist
            withStability(result(p + "E", "infection", mask(9), "9", 0), 0.4, t + 6), // only an HU draft label
            withStability(result(p + "F", "infection", mask(10), "9", 0), 0.2, t + 7), // withdrawn by the PACS
            InferenceResult.newBuilder(result(p + "G", "infection", mask(11), null, 0)).setMethod("hu-threshold")
                    .setProducedAt(Instant.ofEpochMilli(t + 8)).build(), // the baseline: no stability
            withStability(result(p + "A", "lung", mask(12), "1", 0), 0.1, t + 9), // another task
            withStability(result(p + "H", "infection", mask(13), "9", 0), 0.45, t + 10)}; // its SEG rejected, below
        for (InferenceResult r : made) {
            publish(platform, results, Topics.seriesTaskKey(r.getSeriesUid().toString(), r.getTask().toString()), r,
                    Instant.now());
        }
        Topic<String, CorrectedLabel> labels = platform.topics().labels();
        for (String[] l : new String[][] {{"D", "radiologist"}, {"E", "hu-bootstrap"}, {"H", "radiologist"}}) {
            publish(platform, labels, p + l[0] + ":infection", CorrectedLabel.newBuilder().setSeriesUid(p + l[0])
                    .setTask("infection").setMask(result(p + l[0], "infection", mask(1), "9", 0).getMask())
                    .setAnnotator("dr-it").setSource(l[1]).setSubmittedAt(Instant.now())
                    .setSourceInstanceUid(l[0].equals("H") ? p + "SEG-H" : null).build(), Instant.now());
        }
        publish(platform, platform.topics().rejectionNotes(), "P1", org.radstream.avro.RejectionNote.newBuilder()
                .setSopInstanceUid("2.25.1" + t).setPatientId("P1").setReasonCode("113001")
                .setReasonMeaning("Rejected for Quality Reasons").setSeries(List.of(org.radstream.avro.RejectedSeries
                        .newBuilder().setStudyUid("st-" + p + "F").setSeriesUid(p + "F").build(),
                        // the radiologist's segmentation H's label was read from: the trainer refuses that label
                        org.radstream.avro.RejectedSeries.newBuilder().setStudyUid("st-" + p + "H").setSeriesUid(p + "SEGS")
                                .setSopInstanceUids(List.of(p + "SEG-H")).build()))
                .setCallingAe("PACS").setReceivedVia("c-store").setReceivedAt(Instant.now()).build(), Instant.now());

        String[] listed = run(Cli.concat(new String[] {"suggest", "--task", "infection", "--since", since.toString()},
                cluster(platform)));
        assertThat(listed[0]).as(listed[2]).isEqualTo("0");
        assertThat(listed[1].lines().toList()).containsExactly(
                "5 series of infection to review since " + since + ", the least firmly segmented first (left out: 1 labelled,"
                        + " 1 withdrawn, 1 without a stability)",
                line(0.4, p + "E", 9, made[5]), line(0.45, p + "H", 13, made[9]), line(0.6, p + "B", 5, made[1]),
                line(0.75, p + "C", 7, made[3]), line(0.9, p + "A", 4, made[0]));

        String[] few = run(Cli.concat(new String[] {"suggest", "--task", "infection", "--since", since.toString(),
                "--below", "0.7", "--limit", "1"}, cluster(platform)));
        assertThat(few[0]).isEqualTo("0");
        assertThat(few[1].lines().toList()).containsExactly(
                "3 series of infection to review since " + since + ", the least firmly segmented first (left out: 1 labelled,"
                        + " 1 withdrawn, 1 without a stability, 2 at or above 0.70)",
                line(0.4, p + "E", 9, made[5]), "  ... and 2 more (--limit)");

        // the radiologist's label withdrawn (a tombstone): D is to review again
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, platform.bootstrap()), new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(labels.name(), p + "D:infection", null)).get();
        }
        String[] again = run(Cli.concat(new String[] {"suggest", "--task", "infection", "--since", since.toString(),
                "--limit", "2"}, cluster(platform)));
        assertThat(again[1].lines().toList()).containsExactly(
                "6 series of infection to review since " + since + ", the least firmly segmented first (left out: 0 labelled,"
                        + " 1 withdrawn, 1 without a stability)",
                line(0.4, p + "E", 9, made[5]), line(0.45, p + "H", 13, made[9]), "  ... and 4 more (--limit)");

        // a record no one can decode on the results topic is skipped and counted, not fatal
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, platform.bootstrap()), new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(results.name(), p + "X:infection", new byte[] {0, 0, 0, 0, 9})).get();
        }
        String[] skipping = run(Cli.concat(new String[] {"suggest", "--task", "infection", "--since", since.toString(),
                "--limit", "1"}, cluster(platform)));
        assertThat(skipping[0]).isEqualTo("0");
        assertThat(skipping[1].lines().findFirst().orElseThrow()).isEqualTo("6 series of infection to review since "
                + since + ", the least firmly segmented first (left out: 0 labelled, 1 withdrawn, 1 without a stability,"
                + " 1 undecodable record(s) skipped)");
        // a running trainer answers the same, from the labels it holds, without the patient; only with its token
        try (org.radstream.trainer.TrainerService trainer = trainer(platform, p)) {
            String[] viaTrainer = {"", "", ""};
            String[] ask = {"suggest", "--task", "infection", "--since", since.toString(), "--limit", "2", "--trainer-url",
                "http://localhost:" + trainer.httpPort(), "--trainer-token", TRAINER_TOKEN};
            long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline && !(viaTrainer = run(ask))[0].equals("0")) {
                Thread.sleep(200); // the trainer reads the label store and the rejection notes first (503 meanwhile)
            }
            assertThat(viaTrainer[0]).as(viaTrainer[2]).isEqualTo("0");
            List<String> lines = viaTrainer[1].lines().toList();
            // (the trainer counts every undecodable result of the shared broker's last 30 days, this test's among them)
            assertThat(lines.get(0)).matches(java.util.regex.Pattern.quote("6 series of infection to review since " + since
                    + ", the least firmly segmented first (left out: 0 labelled, 1 withdrawn, 1 without a stability, ")
                    + "[1-9][0-9]* undecodable record\\(s\\) skipped\\)");
            assertThat(lines.subList(1, lines.size())).containsExactly(
                    line(0.4, p + "E", 9, made[5]).replace("  patient P1", ""),
                    line(0.45, p + "H", 13, made[9]).replace("  patient P1", ""), "  ... and 4 more (--limit)");
            String[] without = run(java.util.Arrays.copyOf(ask, ask.length - 2));
            assertThat(without[0]).isEqualTo("1");
            assertThat(without[2]).contains("the trainer answered 401");
        }

        String[] badLimit = run(Cli.concat(new String[] {"suggest", "--task", "infection", "--limit", "0"},
                cluster(platform)));
        assertThat(badLimit[0]).isEqualTo("2");
        assertThat(badLimit[2]).contains("--limit must be at least 1 and --below in (0, 1]");

        Instant later = Instant.now().plusSeconds(3600);
        assertThat(run(Cli.concat(new String[] {"suggest", "--task", "infection", "--since", later.toString()},
                cluster(platform)))[0]).isEqualTo("5");
        String[] unknown = run(Cli.concat(new String[] {"suggest", "--task", "spleen"}, cluster(platform)));
        assertThat(unknown[0]).isEqualTo("2");
        assertThat(unknown[2]).contains("unknown task 'spleen'");
    }

    private static String line(double stability, String series, int voxels, InferenceResult r) {
        return String.format(java.util.Locale.ROOT, "  %.3f  series %s  patient P1  study st-%s  v9  %.1f mL  made %s"
                        + "  -> radstream label draft --series %s --task infection --out %s.dcm", stability, series, series,
                voxels * 0.002, r.getProducedAt(), series, series);
    }

    /** The newest label of a key on the label topic, read from its start. */
    private static CorrectedLabel newestLabel(Platform platform, String key) {
        Topic<String, CorrectedLabel> t = platform.topics().labels();
        Map<String, Object> c = Map.of(org.apache.kafka.clients.consumer.ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                platform.bootstrap());
        CorrectedLabel newest = null;
        try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(c,
                new org.apache.kafka.common.serialization.StringDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            var parts = consumer.partitionsFor(t.name()).stream()
                    .map(p -> new org.apache.kafka.common.TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            var end = consumer.endOffsets(parts);
            while (parts.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                for (var r : consumer.poll(java.time.Duration.ofMillis(300))) {
                    if (key.equals(r.key()) && r.value() != null) {
                        newest = t.valueSerde().deserializer().deserialize(r.topic(), r.value());
                    }
                }
            }
        }
        return newest;
    }

    @Test
    void theNewestMaskOfTheSeriesAndTaskIsWrittenAsSubmitTakesIt(Platform platform) throws Exception {
        Mask3D older = mask(10);
        Mask3D newer = mask(20);
        publish(platform, result("S-1", "infection", older, "8", 1000), result("S-1", "lung", mask(30), "1", 1100),
                result("S-2", "infection", mask(5), "9", 1200), result("S-1", "infection", newer, "9", 1300));
        String[] cluster = {"--bootstrap", platform.bootstrap(), "--registry", platform.registryUrl()};
        Path out = dir.resolve("drafts/S-1-infection.rle");
        StringWriter printed = new StringWriter();
        java.io.PrintStream stdout = System.out;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
            code = new CommandLine(new LabelCommand()).setErr(new PrintWriter(printed)).execute(Cli.concat(
                    new String[] {"draft", "--series", "S-1", "--task", "infection", "--out", out.toString()}, cluster));
        } finally {
            System.setOut(stdout);
        }
        assertThat(code).as(printed.toString()).isZero();
        assertThat(Rle.read(out)).isEqualTo(newer);
        assertThat(captured.toString(java.nio.charset.StandardCharsets.UTF_8))
                .contains("the infection mask of series S-1 (16×16×4, 20 voxels, 0.0 mL) by model v9")
                .contains("radstream label submit --series S-1 --task infection --mask " + out);
        // what submit then sends: the same voxels, for the same series and task
        CorrectedLabel label = LabelMaker.fromFile("S-1", "infection", out, "dr-it");
        assertThat(label.getSeriesUid()).isEqualTo("S-1");
        assertThat(Rle.decode(label.getMask().getRle().array(), 16, 16, 4)).isEqualTo(newer);

        StringWriter none = new StringWriter();
        int missing = new CommandLine(new LabelCommand()).setErr(new PrintWriter(none)).execute(Cli.concat(
                new String[] {"draft", "--series", "S-3", "--task", "infection", "--out", dir.resolve("x.rle").toString()},
                cluster));
        assertThat(missing).isEqualTo(LabelCommand.Draft.EXIT_NONE);
        assertThat(dir.resolve("x.rle")).doesNotExist();
    }
}
