package org.radstream.launcher;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.radstream.avro.CorrectedLabel;
import org.radstream.avro.InferenceResult;
import org.radstream.avro.Mask;
import org.radstream.avro.SeriesGeometry;
import org.radstream.imaging.HuThresholdBaseline;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Nifti;
import org.radstream.imaging.Rle;
import org.radstream.imaging.cohort.Cohort;
import org.radstream.imaging.cohort.CohortManifest;
import org.radstream.imaging.dicom.DicomSeg;
import org.radstream.imaging.dicom.Part10;
import org.radstream.ingest.ResultSegmentation;
import org.radstream.schemas.AuditLog;
import org.radstream.schemas.AuditMessage;
import org.radstream.schemas.RestSchemaRegistryClient;
import org.radstream.schemas.Topic;
import org.radstream.schemas.TopicScan;
import org.radstream.schemas.Topics;
import org.radstream.trainer.ArchivedSeries;
import org.radstream.trainer.ImageArchive;
import org.radstream.trainer.LabelMaker;
import org.radstream.trainer.LabelSuggestions;
import org.radstream.trainer.TrainerAudit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code radstream label draft|submit|withdraw|status|bootstrap|simulate}: gives a radiologist the mask
 * the workers made of a series to correct ({@code draft}), puts corrected labels (or a
 * withdrawal, a tombstone) on radstream.labels.corrected; the trainer validates them, and says what
 * became of one ({@code status}). Only wires: the labels are made by org.radstream.trainer.LabelMaker.
 */
@Command(name = "label", mixinStandardHelpOptions = true, description = "Submit corrected labels to the trainer.",
        subcommands = {LabelCommand.Suggest.class, LabelCommand.Draft.class, LabelCommand.Submit.class, LabelCommand.Withdraw.class, LabelCommand.Status.class,
                LabelCommand.Bootstrap.class, LabelCommand.Simulate.class})
final class LabelCommand {

    /**
     * Where a label sent straight to Kafka is audited ({@code --audit-repository}), checked before
     * anything is sent (a bad target is a usage error); null when unset, or when the label goes through
     * {@code --trainer-url}, whose trainer audits it.
     */
    static String auditTarget(AuditOptions audit, ThroughTrainer trainer, CommandSpec spec) {
        if (trainer.url != null || audit.repository == null || audit.repository.isBlank()) {
            return null;
        }
        try {
            AuditLog.target(audit.repository);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        return audit.repository;
    }

    /**
     * Records a label of {@code series} and {@code task} sent or withdrawn by {@code annotator}; the
     * study and patient are named where a result of the series is known ({@code result}, null: not).
     */
    static void audited(AuditLog auditLog, AuditMessage.Action action, String series, String task, InferenceResult result,
                        String annotator) {
        AuditMessage m = TrainerAudit.label(action, series, task, java.util.Optional.ofNullable(result)
                .map(r -> r.getStudyUid() == null ? null : r.getStudyUid().toString()), annotator, null, null, "label");
        if (result != null && result.getPatientId() != null) {
            m.patient(result.getPatientId().toString(), result.getPatientName() == null ? null
                    : result.getPatientName().toString());
        }
        auditLog.record(m);
    }

    static void send(ClusterOptions cluster, Iterable<CorrectedLabel> labels) throws Exception {
        Topics topics = new Topics(new RestSchemaRegistryClient(cluster.registry()));
        Topic<String, CorrectedLabel> t = topics.labels();
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrap());
        cluster.kafkaClient().addTo(p);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.PIXEL_MAX_MESSAGE_BYTES);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            for (CorrectedLabel l : labels) {
                String key = Topics.seriesTaskKey(l.getSeriesUid(), l.getTask());
                producer.send(new ProducerRecord<>(t.name(), key, t.valueSerde().serializer().serialize(t.name(), l))).get();
                System.out.println("submitted " + key + " (" + l.getSource() + ", " + l.getAnnotator() + ")");
            }
        }
    }

    /** Submit and withdraw through a running trainer's HTTP API instead of Kafka. */
    static final class ThroughTrainer {
        @Option(names = "--trainer-url", description = "Go through this running trainer's /labels instead of Kafka: a bad "
                + "request (a mask whose size is not its series', an unknown task) is refused at once, with the reason "
                + "(exit 4), and no Kafka or registry access is needed.") String url;
        @Option(names = "--trainer-token", defaultValue = "${env:RADSTREAM_TRAINER_TOKEN}",
                description = "With --trainer-url: the trainer's HTTP token, when it requires one.") String token;
    }

    /** The newest committed inference result of a series and task, read from its key's partition; null when none. */
    static InferenceResult newestResult(ClusterOptions cluster, String series, String task, Duration timeout)
            throws Exception {
        Topics topics = new Topics(new RestSchemaRegistryClient(cluster.registry()));
        Topic<String, InferenceResult> t = topics.results();
        String key = Topics.seriesTaskKey(series, task);
        InferenceResult newest = null;
        try (KafkaConsumer<String, byte[]> consumer = TopicScan.consumer(cluster.bootstrap(), cluster.kafkaClient())) {
            // the workers key results by series and task, so the result is on the key's partition
            int partitions = consumer.partitionsFor(t.name()).size();
            TopicPartition partition = new TopicPartition(t.name(),
                    Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions);
            consumer.assign(java.util.List.of(partition));
            consumer.seekToBeginning(java.util.List.of(partition));
            long end = consumer.endOffsets(java.util.List.of(partition)).get(partition);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (consumer.position(partition) < end) {
                if (System.nanoTime() > deadline) {
                    throw new java.util.concurrent.TimeoutException(String.format(java.util.Locale.ROOT,
                            "read %d of %d records of %s within %d s; the result may be further on (--timeout)",
                            consumer.position(partition), end, partition, timeout.toSeconds()));
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (key.equals(r.key()) && r.value() != null) {
                        newest = t.valueSerde().deserializer().deserialize(r.topic(), r.value());
                    }
                }
            }
        }
        return newest;
    }

    /** Whether a mask file is NIfTI (.nii or .nii.gz) rather than the .rle truth format. */
    static boolean isNifti(Path file) {
        String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        return name.endsWith(".nii") || name.endsWith(".nii.gz");
    }

    /** Whether a file to write is named as DICOM (.dcm). */
    static boolean isDicomName(Path file) {
        return file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".dcm");
    }

    /** The voxel-to-RAS affine of a result's grid; null when the result carries no geometry. */
    static double[][] affine(InferenceResult r) {
        SeriesGeometry g = r.getGeometry();
        if (g == null) {
            return null;
        }
        return Nifti.affine(doubles(g.getOrigin()), doubles(g.getRow()), doubles(g.getColumn()), g.getSpacingX(),
                g.getSpacingY(), g.getSpacingZ());
    }

    private static double[] doubles(java.util.List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).toArray();
    }

    @Command(name = "suggest", mixinStandardHelpOptions = true,
            description = "Which series to correct first for a task: those whose newest result (made since --since) the "
                    + "network decided least firmly (its mask stability: the Dice of its strict and lenient cuts), which "
                    + "on the held-out cohort are mostly those it segmented worst. Leaves out series labelled by a "
                    + "radiologist (a label bootstrapped from the HU threshold is a draft: its series stays in) and "
                    + "series the PACS withdrew. Each line ends with the draft command.",
            footer = {"", "Exit codes: 0 listed, 5 nothing to suggest, 1 an error."})
    static final class Suggest implements Callable<Integer> {
        static final int EXIT_NONE = 5;

        @Spec CommandSpec spec;
        @Mixin ClusterOptions cluster;
        @Option(names = "--task", required = true, description = "lung, infection, liver or vessel") String task;
        @Option(names = "--since", description = "Results made from this time on (ISO-8601, e.g. 2026-12-01T00:00:00Z). "
                + "Default: 30 days ago, as long as the trainer's image archive keeps a series no label names "
                + "(--archive-retention-days): a label for a series it no longer holds waits for its images.")
        Instant since;
        @Option(names = "--below", defaultValue = "1", description = "Only results whose stability is below this. "
                + "Default ${DEFAULT-VALUE} (all).") double below;
        @Option(names = "--limit", defaultValue = "20", description = "At most this many lines, the least stable. "
                + "Default ${DEFAULT-VALUE}.") int limit;
        @Option(names = "--timeout", defaultValue = "60",
                description = "Seconds to read the topics for. Default ${DEFAULT-VALUE}.") double timeoutSeconds;
        @Option(names = "--trainer-url", description = "Ask this running trainer (GET /labels/suggestions) instead of "
                + "reading Kafka: ranked against the labels the trainer holds (a label it refused leaves its series in), "
                + "results of the last 30 days at most; its answer names no patient.") String trainerUrl;
        @Option(names = "--trainer-token", defaultValue = "${env:RADSTREAM_TRAINER_TOKEN}",
                description = "With --trainer-url: the trainer's HTTP token, when it requires one.") String token;

        @Override
        public Integer call() throws InterruptedException {
            if (!org.radstream.trainer.TrainingTask.isLabelled(task)) {
                throw new ParameterException(spec.commandLine(), "unknown task '" + task
                        + "' (one of lung, infection, liver, vessel)");
            }
            if (limit < 1 || !(below > 0 && below <= 1)) {
                throw new ParameterException(spec.commandLine(), "--limit must be at least 1 and --below in (0, 1]");
            }
            Instant from = since != null ? since : Instant.now().minus(Duration.ofDays(30));
            if (trainerUrl != null) {
                return fromTrainer(from);
            }
            LabelSuggestions.Listing l;
            try (KafkaConsumer<String, byte[]> consumer = TopicScan.consumer(cluster.bootstrap(), cluster.kafkaClient())) {
                l = LabelSuggestions.read(consumer, new Topics(new RestSchemaRegistryClient(cluster.registry())), task, from,
                        Duration.ofMillis(Math.round(timeoutSeconds * 1000)));
            } catch (org.apache.kafka.common.KafkaException e) {
                spec.commandLine().getErr().println("cannot read the results, labels or rejection notes: " + e.getMessage());
                return 1;
            }
            List<LabelSuggestions.Suggestion> shown = l.ranked().stream().filter(x -> x.stability() < below).toList();
            java.io.PrintWriter out = spec.commandLine().getOut();
            header(out, shown.size(), from, l.labelled(), l.withdrawn(), l.withoutStability(), l.ranked().size() - shown.size(),
                    l.undecodable());
            for (LabelSuggestions.Suggestion x : shown.subList(0, Math.min(limit, shown.size()))) {
                line(out, x.stability(), x.series(), x.patientId(), x.studyUid(), x.modelVersion(), x.volumeMl(),
                        x.producedAt().toString());
            }
            return end(out, shown.size(), shown.size() - Math.min(limit, shown.size()));
        }

        /** The same listing from the trainer's GET /labels/suggestions; 1 when it does not answer with one. */
        private int fromTrainer(Instant from) throws InterruptedException {
            java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(java.net.URI.create(trainerUrl)
                    .resolve("/labels/suggestions?task=" + Status.enc(task) + "&since=" + from + "&below=" + below
                            + "&limit=" + limit)).timeout(Duration.ofMillis(Math.round(timeoutSeconds * 1000))).GET();
            if (token != null && !token.isBlank()) {
                b.header("Authorization", "Bearer " + token);
            }
            com.fasterxml.jackson.databind.JsonNode answer;
            try {
                java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(b.build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    spec.commandLine().getErr().println("the trainer answered " + r.statusCode() + ": " + r.body().strip());
                    return 1;
                }
                answer = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
            } catch (java.io.IOException e) {
                spec.commandLine().getErr().println("no trainer answers at " + trainerUrl + " (" + e + ")");
                return 1;
            }
            com.fasterxml.jackson.databind.JsonNode listed = answer.path("suggestions");
            com.fasterxml.jackson.databind.JsonNode left = answer.path("left_out");
            int more = answer.path("more").asInt();
            java.io.PrintWriter out = spec.commandLine().getOut();
            header(out, listed.size() + more, Instant.parse(answer.path("since").asText()), left.path("labelled").asInt(),
                    left.path("withdrawn").asInt(), left.path("without_stability").asInt(),
                    left.path("at_or_above_below").asInt(), left.path("undecodable").asInt());
            for (com.fasterxml.jackson.databind.JsonNode x : listed) {
                line(out, x.path("stability").asDouble(), x.path("series").asText(), null, x.path("study").asText(),
                        x.path("model_version").isNull() ? null : x.path("model_version").asText(),
                        x.path("volume_ml").asDouble(), x.path("produced_at").asText());
            }
            return end(out, listed.size() + more, more);
        }

        private void header(java.io.PrintWriter out, int shown, Instant from, int labelled, int withdrawn, int without,
                            int atOrAbove, int undecodable) {
            out.printf(java.util.Locale.ROOT, "%d series of %s to review since %s, the least firmly segmented first"
                            + " (left out: %d labelled, %d withdrawn, %d without a stability%s%s)%n",
                    shown, task, from, labelled, withdrawn, without,
                    below < 1 ? String.format(java.util.Locale.ROOT, ", %d at or above %.2f", atOrAbove, below) : "",
                    undecodable > 0 ? ", " + undecodable + " undecodable record(s) skipped" : "");
        }

        /** One series to review, with its draft command; {@code patient} null where the source names none. */
        private void line(java.io.PrintWriter out, double stability, String series, String patient, String study,
                          String version, double volumeMl, String producedAt) {
            out.printf(java.util.Locale.ROOT, "  %.3f  series %s%s  study %s  %s  %.1f mL  made %s"
                            + "  -> radstream label draft --series %s --task %s --out %s.dcm%n",
                    stability, series, patient == null ? "" : "  patient " + patient, study,
                    version == null ? "model" : "v" + version, volumeMl, producedAt, series, task, series);
        }

        private int end(java.io.PrintWriter out, int shown, int more) {
            if (more > 0) {
                out.printf(java.util.Locale.ROOT, "  ... and %d more (--limit)%n", more);
            }
            out.flush();
            return shown == 0 ? EXIT_NONE : 0;
        }
    }

    @Command(name = "draft", mixinStandardHelpOptions = true,
            description = "Write the newest mask the workers made of a series for a task (radstream.inference.results) "
                    + "for a radiologist to correct, then submit: a DICOM Segmentation (--out *.dcm), which a PACS "
                    + "stores and OHIF or 3D Slicer lay over the series; a NIfTI-1 label map (--out *.nii or *.nii.gz), "
                    + "the format ITK-SNAP and 3D Slicer open over a series; or the .rle truth format.",
            footer = {"", "Exit codes: 0 written, 5 no result for the series and task, 1 an error."})
    static final class Draft implements Callable<Integer> {
        static final int EXIT_NONE = 5;

        @Mixin ClusterOptions cluster;
        @Option(names = "--series", required = true) String series;
        @Option(names = "--task", required = true, description = "lung, infection, liver or vessel; into a DICOM "
                + "Segmentation, several, comma-separated (lung,infection): one segment each, corrected together")
        String task;
        @Option(names = "--out", required = true,
                description = "The file to write (replaced if it exists): *.dcm for a DICOM Segmentation, *.nii or "
                        + "*.nii.gz for NIfTI, else .rle.") Path out;
        @Option(names = "--timeout", defaultValue = "30",
                description = "Seconds to read the result's partition for. Default ${DEFAULT-VALUE}.") double timeoutSeconds;

        @Override
        public Integer call() throws Exception {
            List<String> tasks = java.util.Arrays.stream(task.split(",")).map(String::strip).filter(t -> !t.isEmpty())
                    .distinct().toList();
            if (tasks.size() != 1 && !isDicomName(out)) {
                System.err.println("several tasks (" + String.join(", ", tasks) + ") go into one file only as a DICOM "
                        + "Segmentation (--out FILE.dcm); a NIfTI or .rle file holds one task");
                return 1;
            }
            List<InferenceResult> found = new java.util.ArrayList<>();
            for (String t : tasks) {
                InferenceResult r;
                try {
                    r = newestResult(cluster, series, t, Duration.ofMillis(Math.round(timeoutSeconds * 1000)));
                } catch (java.util.concurrent.TimeoutException e) {
                    System.err.println(e.getMessage());
                    return 1;
                }
                if (r == null) {
                    System.err.println("no inference result for series " + series + " and task " + t + " on "
                            + Topics.RESULTS);
                    return EXIT_NONE;
                }
                found.add(r);
            }
            InferenceResult newest = found.get(0);
            Mask m = newest.getMask();
            Mask3D mask = Rle.decode(bytes(m.getRle()), m.getWidth(), m.getHeight(), m.getDepth());
            Files.createDirectories(out.toAbsolutePath().getParent());
            if (isDicomName(out)) {
                DicomSeg.Series s = ResultSegmentation.series(newest);
                if (s == null) {
                    System.err.println(noGeometry());
                    return 1;
                }
                try {
                    Files.write(out, ResultSegmentation.write(found));
                } catch (IllegalArgumentException e) {
                    System.err.println(e.getMessage() + ": write one task at a time");
                    return 1;
                }
                if (s.sopInstanceUids().isEmpty()) {
                    System.out.println("note: the result names none of the series' images (a worker before they were "
                            + "carried made it): the segmentation lies over them by position only");
                }
            } else if (isNifti(out)) {
                double[][] affine = affine(newest);
                if (affine == null) {
                    System.err.println(noGeometry());
                    return 1;
                }
                Files.write(out, Nifti.write(mask, affine, out.getFileName().toString().toLowerCase(java.util.Locale.ROOT)
                        .endsWith(".gz")));
            } else {
                Rle.write(out, mask);
            }
            for (InferenceResult r : found) {
                Mask rm = r.getMask();
                System.out.printf("wrote %s: the %s mask of series %s (%d×%d×%d, %d voxels, %.1f mL) by %s%s at %s; "
                                + "correct it, then: radstream label submit --series %s --task %s --mask %s%n",
                        out, r.getTask(), series, rm.getWidth(), rm.getHeight(), rm.getDepth(),
                        Rle.decode(bytes(rm.getRle()), rm.getWidth(), rm.getHeight(), rm.getDepth()).count(), r.getVolumeMl(),
                        r.getMethod(), r.getModelVersion() == null ? "" : " v" + r.getModelVersion(), r.getProducedAt(),
                        series, r.getTask(), out);
            }
            return 0;
        }

        private String noGeometry() {
            return "the result of series " + series + " carries no geometry (its slices had no orientation, or a worker "
                    + "before the geometry field made it): write --out FILE.rle";
        }

        private static byte[] bytes(java.nio.ByteBuffer b) {
            byte[] out = new byte[b.remaining()];
            b.duplicate().get(out);
            return out;
        }
    }

    @Command(name = "submit", mixinStandardHelpOptions = true,
            description = "Submit a radiologist's mask: a DICOM Segmentation (any name; one segment: the only one, the "
                    + "one labelled as the task, or --segment) or a NIfTI label map (*.nii, *.nii.gz; non-zero voxels "
                    + "are the label), each mapped onto the series' grid through the geometry of its newest result on "
                    + "Kafka; or the .rle truth format (3 big-endian int32 width, height, depth, then the RLE).",
            footer = {"", "Exit codes: 0 submitted, 4 refused (a segmentation or NIfTI that does not fall onto the "
                    + "series' voxels, or was made on another series; or the trainer's refusal with --trainer-url), "
                    + "5 no result to map it by, 1 an error."})
    static final class Submit implements Callable<Integer> {
        static final int EXIT_REFUSED = 4;

        @Mixin ClusterOptions cluster;
        @Option(names = "--series", required = true) String series;
        @Option(names = "--task", required = true, description = "lung, infection, liver or vessel") String task;
        @Option(names = "--mask", required = true) Path mask;
        @Option(names = "--annotator", defaultValue = "${env:USER:-radiologist}") String annotator;
        @Option(names = "--segment", description = "In a DICOM Segmentation of several segments: the segment's number "
                + "or label. By default the only segment, or the one labelled as the task.") String segment;
        @Mixin ThroughTrainer trainer;
        @Mixin AuditOptions audit;
        @Spec CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            String auditTo = auditTarget(audit, trainer, spec);
            Mask3D voxels = null;
            InferenceResult mappedBy = null; // the result whose geometry maps a SEG or NIfTI: it names study and patient
            String source = "from " + mask.getFileName();
            String sourceInstance = null; // the segmentation's SOP instance: a rejection note naming it withdraws the label
            byte[] head = head(mask);
            if (Part10.is(head)) { // a DICOM file: a Segmentation
                InferenceResult result = newestResult(cluster, series, task, Duration.ofSeconds(30));
                mappedBy = result;
                DicomSeg.Series s = result == null ? null : ResultSegmentation.series(result);
                if (s == null) {
                    System.err.println("no result of series " + series + " and task " + task + " with its geometry on "
                            + Topics.RESULTS + " to map " + mask.getFileName() + " onto the series' grid");
                    return Draft.EXIT_NONE;
                }
                DicomSeg.Read read;
                try {
                    byte[] file = Files.readAllBytes(mask);
                    read = DicomSeg.read(file, s, task, segment);
                    sourceInstance = DicomSeg.summary(file).sopInstanceUid();
                } catch (IllegalArgumentException | java.io.IOException e) {
                    System.err.println("refused " + mask.getFileName() + ": " + e.getMessage());
                    return EXIT_REFUSED;
                }
                voxels = read.mask();
                source = "from " + mask.getFileName() + " segment " + read.segmentNumber() + " '" + read.segmentLabel() + "'";
                System.out.printf("%s: segment %d '%s', %d frames, %d voxels on the series' %d×%d×%d grid%n",
                        mask.getFileName(), read.segmentNumber(), read.segmentLabel(), read.frames(), voxels.count(),
                        s.width(), s.height(), s.depth());
            } else if (isNifti(mask)) {
                InferenceResult result = newestResult(cluster, series, task, Duration.ofSeconds(30));
                mappedBy = result;
                double[][] affine = result == null ? null : affine(result);
                if (affine == null) {
                    System.err.println("no result of series " + series + " and task " + task + " with its geometry on "
                            + Topics.RESULTS + " to map " + mask.getFileName() + " onto the series' grid");
                    return Draft.EXIT_NONE;
                }
                Mask m = result.getMask();
                try {
                    voxels = Nifti.onGrid(Nifti.read(Files.readAllBytes(mask)), affine, m.getWidth(), m.getHeight(),
                            m.getDepth());
                } catch (IllegalArgumentException | java.io.IOException e) {
                    System.err.println("refused " + mask.getFileName() + ": " + e.getMessage());
                    return EXIT_REFUSED;
                }
                System.out.printf("%s: %d voxels on the series' %d×%d×%d grid%n", mask.getFileName(), voxels.count(),
                        m.getWidth(), m.getHeight(), m.getDepth());
            }
            if (trainer.url != null) {
                return overHttp(voxels, sourceInstance);
            }
            try (AuditLog auditLog = AuditLog.syslog(auditTo, "radstream-label")) {
                send(cluster, java.util.List.of(voxels == null ? LabelMaker.fromFile(series, task, mask, annotator)
                        : CorrectedLabel.newBuilder(LabelMaker.label(series, task, voxels, annotator, "radiologist", source))
                                .setSourceInstanceUid(sourceInstance).build()));
                audited(auditLog, AuditMessage.Action.CREATE, series, task, mappedBy, annotator);
            }
            return 0;
        }

        /** The first 132 bytes of a file (fewer when it is shorter): enough to tell DICOM Part 10. */
        private static byte[] head(Path file) throws java.io.IOException {
            try (var in = Files.newInputStream(file)) {
                return in.readNBytes(132);
            }
        }

        /** POST /labels with the mask as an .rle file; 0 submitted, 4 refused with the trainer's reason, 1 no answer. */
        private int overHttp(Mask3D voxels, String sourceInstance) throws Exception {
            java.net.http.HttpRequest.BodyPublisher body = voxels == null
                    ? java.net.http.HttpRequest.BodyPublishers.ofFile(mask)
                    : java.net.http.HttpRequest.BodyPublishers.ofByteArray(Rle.fileBytes(voxels));
            int code = Status.overHttp(trainer.url, trainer.token, "POST", "/labels?series=" + Status.enc(series) + "&task="
                    + Status.enc(task) + "&annotator=" + Status.enc(annotator)
                    + (sourceInstance == null ? "" : "&source=" + Status.enc(sourceInstance)), body, "label");
            if (code == 0) {
                System.out.println("(see: label status --series " + series + " --task " + task + ")");
            }
            return code;
        }
    }

    @Command(name = "withdraw", mixinStandardHelpOptions = true,
            description = "Withdraw the label of a series and task (a tombstone on the label topic): the trainer stops "
                    + "training on it, and counts the withdrawal as a label change.")
    static final class Withdraw implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Option(names = "--series", required = true) String series;
        @Option(names = "--task", required = true, description = "lung, infection, liver or vessel") String task;
        @Option(names = "--annotator", defaultValue = "${env:USER:-radiologist}",
                description = "Who withdraws it, named in the audit trail (the trainer's with --trainer-url, else "
                        + "--audit-repository's). Default ${DEFAULT-VALUE}.")
        String annotator;
        @Mixin ThroughTrainer trainer;
        @Mixin AuditOptions audit;
        @Spec CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            String auditTo = auditTarget(audit, trainer, spec);
            if (trainer.url != null) {
                return Status.overHttp(trainer.url, trainer.token, "DELETE", "/labels?series=" + Status.enc(series)
                        + "&task=" + Status.enc(task) + "&annotator=" + Status.enc(annotator),
                        java.net.http.HttpRequest.BodyPublishers.noBody(), "withdrawal");
            }
            Topics topics = new Topics(new RestSchemaRegistryClient(cluster.registry()));
            String key = Topics.seriesTaskKey(series, task);
            Map<String, Object> p = new HashMap<>();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrap());
            cluster.kafkaClient().addTo(p);
            try (AuditLog auditLog = AuditLog.syslog(auditTo, "radstream-label");
                 KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(),
                         new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>(topics.labels().name(), key, null)).get();
                audited(auditLog, AuditMessage.Action.DELETE, series, task, null, annotator);
            }
            System.out.println("withdrawn " + key);
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "What became of the label of a series and task on a running trainer: accepted (and whether a "
                    + "run trained on it), waiting for the series' images, or refused and why. Without --series: every "
                    + "label of the task, one line each, after the counts (--state narrows the lines, --limit and "
                    + "--after page through them).",
            footer = {"", "Exit codes: 0 the newest label is accepted (without --series: answered), 3 it waits for its "
                    + "images, 4 it was refused, 5 the trainer holds none, 1 no answer."})
    static final class Status implements Callable<Integer> {
        static final int EXIT_WAITING = 3;
        static final int EXIT_REFUSED = 4;
        static final int EXIT_UNKNOWN = 5;

        @Option(names = "--series", description = "The series; without it, every label of the task.") String series;
        @Option(names = "--task", required = true, description = "lung, infection, liver or vessel") String task;
        @Option(names = "--state", description = "Without --series: only the labels accepted, waiting, refused, "
                + "untrained (accepted, not trained on yet), or held_out (accepted, and held out of the last run to choose "
                + "or judge it).") String state;
        @Option(names = "--limit", description = "Without --series: at most this many lines (then the command for the "
                + "next ones). Default: all.") Integer limit;
        @Option(names = "--after", description = "Without --series: the lines after this series (as the previous page's "
                + "last line named it).") String after;
        @Option(names = "--trainer-url", defaultValue = "${env:RADSTREAM_TRAINER_URL:-http://localhost:8086}",
                description = "Running trainer's HTTP address. Default ${DEFAULT-VALUE}.") String trainerUrl;

        @Override
        public Integer call() throws Exception {
            if (series != null && (state != null || limit != null || after != null)) {
                System.err.println("--state, --limit and --after page through a task's labels; with --series there is one label");
                return 2;
            }
            if (limit != null && limit < 1) {
                System.err.println("--limit must be at least 1, got " + limit);
                return 2;
            }
            java.net.http.HttpResponse<String> r;
            try {
                r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(trainerUrl).resolve("/labels?" + (series == null ? "" : "series=" + enc(series)
                                + "&") + "task=" + enc(task) + (state == null ? "" : "&state=" + enc(state))
                                + (limit == null ? "" : "&limit=" + limit) + (after == null ? "" : "&after=" + enc(after))))
                        .GET().build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            } catch (java.io.IOException e) {
                System.err.println("no trainer answers at " + trainerUrl + " (" + e + ")");
                return 1;
            }
            if (r.statusCode() != 200) {
                System.err.println("the trainer answered " + r.statusCode() + ": " + r.body().strip());
                return 1;
            }
            com.fasterxml.jackson.databind.JsonNode status = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
            if (series == null) {
                printList(status);
                if (status.hasNonNull("next")) {
                    System.out.println("more: label status --task " + task + (state == null ? "" : " --state " + state)
                            + " --limit " + limit + " --after " + status.get("next").asText());
                }
                return 0;
            }
            System.out.println(Topics.seriesTaskKey(series, task) + ": " + status.path("summary").asText());
            return switch (status.path("state").asText()) {
                case "accepted" -> 0;
                case "waiting" -> EXIT_WAITING;
                case "refused" -> EXIT_REFUSED;
                default -> EXIT_UNKNOWN;
            };
        }

        /** The counts, then one line per label: its series and what became of it. */
        static void printList(com.fasterxml.jackson.databind.JsonNode list) {
            StringBuilder counts = new StringBuilder(list.path("task").asText()).append(" labels:");
            list.path("counts").fields().forEachRemaining(e -> counts.append(' ').append(e.getKey()).append(' ')
                    .append(e.getValue().asInt()));
            System.out.println(counts);
            for (com.fasterxml.jackson.databind.JsonNode l : list.path("labels")) {
                System.out.println(l.path("series").asText() + "  " + l.path("state").asText() + "  "
                        + l.path("summary").asText());
            }
        }

        static String enc(String s) {
            return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
        }

        /**
         * A request that changes a label through the trainer, with its token: prints the trainer's answer;
         * 0 done, {@link #EXIT_REFUSED} refused with the trainer's reason, 1 no answer or another error.
         */
        static int overHttp(String trainerUrl, String token, String method, String pathAndQuery,
                            java.net.http.HttpRequest.BodyPublisher body, String what) throws InterruptedException {
            java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(java.net.URI.create(trainerUrl)
                    .resolve(pathAndQuery)).method(method, body);
            if (token != null && !token.isBlank()) {
                b.header("Authorization", "Bearer " + token);
            }
            java.net.http.HttpResponse<String> r;
            try {
                r = java.net.http.HttpClient.newHttpClient().send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            } catch (java.io.IOException e) {
                System.err.println("no trainer answers at " + trainerUrl + " (" + e + ")");
                return 1;
            }
            String answer = r.body().strip();
            if (r.statusCode() / 100 == 2) {
                System.out.println(answer);
                return 0;
            }
            System.err.println("the trainer refused the " + what + " (" + r.statusCode() + "): " + answer);
            return r.statusCode() == 400 || r.statusCode() == 413 ? EXIT_REFUSED : 1;
        }
    }

    @Command(name = "bootstrap", mixinStandardHelpOptions = true,
            description = "HU-threshold \"dirty\" lung and infection labels for every archived chest series (source hu-bootstrap).")
    static final class Bootstrap implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Option(names = "--archive", required = true, description = "The trainer's archive directory (<work dir>/archive).") Path archiveDir;
        @Option(names = "--lung-hu", defaultValue = "-200") double lungHu;
        @Option(names = "--infection-low-hu", defaultValue = "-750") double infectionLowHu;

        @Override
        public Integer call() throws Exception {
            ImageArchive archive = new ImageArchive(archiveDir);
            HuThresholdBaseline.Thresholds t = new HuThresholdBaseline.Thresholds(lungHu, infectionLowHu);
            java.util.List<CorrectedLabel> labels = new java.util.ArrayList<>();
            try (var files = java.nio.file.Files.list(archiveDir)) {
                for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".rsa.gz")).sorted().toList()) {
                    String uid = f.getFileName().toString().replace(".rsa.gz", "");
                    ArchivedSeries s = archive.read(uid).orElseThrow();
                    if (s.header().group().equals("chest")) {
                        labels.add(LabelMaker.bootstrap(s, "lung", t));
                        labels.add(LabelMaker.bootstrap(s, "infection", t));
                    }
                }
            }
            send(cluster, labels);
            return 0;
        }
    }

    @Command(name = "simulate", mixinStandardHelpOptions = true,
            description = "A simulated radiologist: submits a cohort's truth (vessels: its noisy labels), optionally with annotator noise.")
    static final class Simulate implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Option(names = "--cohort", required = true) Path cohort;
        @Option(names = "--boundary", defaultValue = "0", description = "Per-slice boundary change in pixels (negative erodes).") int boundary;
        @Option(names = "--miss-below", defaultValue = "0", description = "Components smaller than this many voxels may be missed.") int missBelow;
        @Option(names = "--miss-probability", defaultValue = "0") double missProbability;
        @Option(names = "--seed", defaultValue = "1") long seed;

        @Override
        public Integer call() throws Exception {
            Cohort c = Cohort.open(cohort);
            LabelMaker.Noise noise = new LabelMaker.Noise(boundary, missBelow, missProbability);
            Random random = new Random(seed);
            java.util.List<CorrectedLabel> labels = new java.util.ArrayList<>();
            for (CohortManifest.Scan s : c.scans()) {
                boolean chest = s.kind().equals("chest");
                for (String task : chest ? new String[] {"lung", "infection"} : new String[] {"liver", "vessel"}) {
                    String truth = task.equals("vessel") ? "vessel-noisy" : task;
                    labels.add(LabelMaker.label(s.seriesUid(), task, LabelMaker.withNoise(c.truth(s, truth), noise, random),
                            "simulated-radiologist", "simulated", "cohort " + c.manifest().seed() + " " + s.scanId()));
                }
            }
            send(cluster, labels);
            return 0;
        }
    }
}
