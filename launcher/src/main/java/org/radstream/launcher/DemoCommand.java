package org.radstream.launcher;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.radstream.avro.InferenceResult;
import org.radstream.imaging.cohort.Cohort;
import org.radstream.imaging.cohort.CohortGenerator;
import org.radstream.imaging.cohort.CohortManifest;
import org.radstream.imaging.cohort.CohortSpec;
import org.radstream.launcher.pipeline.AlertScore;
import org.radstream.launcher.pipeline.CohortPush;
import org.radstream.launcher.pipeline.LocalPipeline;
import org.radstream.launcher.pipeline.PipelineWatch;
import org.radstream.models.ModelStore;
import org.radstream.platform.Platform;
import org.radstream.schemas.RestSchemaRegistryClient;
import org.radstream.schemas.Topics;
import org.radstream.workers.TaskGroup.Tasks;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code radstream demo}: the whole product in one process on the embedded default. Starts Kafka
 * and the schema registry, every service (ingest SCP, stream processors, a worker per task group,
 * the trainer, alert delivery to this console), generates a small longitudinal cohort, pushes it
 * over DICOM C-STORE scan by scan in acquisition order, shows each stage as it happens and ends
 * with a summary scored against the cohort's truth.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run everything in one process on a generated cohort: DICOM in, PoIR and progression alerts out.")
final class DemoCommand implements Callable<Integer> {
    /** Clear-cut courses, in rotation: the demo shows the product; near-threshold pairs belong to evaluation. */
    static final List<String> DEMO_SCENARIOS = List.of("rapid-growth", "stable", "no-infection", "late-growth", "shrinking");

    @Option(names = "--patients", defaultValue = "3", description = "Chest patients (courses in rotation: " + "rapid-growth, stable, no-infection, late-growth, shrinking). Default ${DEFAULT-VALUE}.")
    int patients;

    @Option(names = "--scans", defaultValue = "2", description = "Chest scans per patient, 2..5. Default ${DEFAULT-VALUE}.")
    int scansPerPatient;

    @Option(names = "--abdomen", defaultValue = "1", description = "Abdominal scans (liver and vessel workers). Default ${DEFAULT-VALUE}.")
    int abdomen;

    @Option(names = "--size", defaultValue = "256", description = "Matrix size of the generated series. Default ${DEFAULT-VALUE}.")
    int size;

    @Option(names = "--seed", defaultValue = "7", description = "Cohort seed. Default ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--model-store", defaultValue = "${env:RADSTREAM_MODEL_STORE:-models-default}",
            description = "Models the workers start with (env RADSTREAM_MODEL_STORE). Default ${DEFAULT-VALUE}.")
    Path modelStore;

    @Option(names = "--work-dir", description = "Where the cohort, Kafka's log and the services' state go (default: a temporary directory, removed at the end).")
    Path workDir;

    @Option(names = "--stability", defaultValue = "2", description = "Seconds without an instance before ingest completes a series. Default ${DEFAULT-VALUE}.")
    double stabilitySeconds;

    @Option(names = "--timeout", defaultValue = "20", description = "Minutes to wait for the pipeline to finish every scan. Default ${DEFAULT-VALUE}.")
    long timeoutMinutes;

    @Option(names = "--withdraw", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "After the summary, the PACS withdraws the later scan of the first alert (filed under the wrong "
                    + "worklist entry): an IOCM rejection note over C-STORE, and the alert is retracted to the clinicians. "
                    + "Default ${DEFAULT-VALUE}.")
    boolean withdraw;

    @Option(names = "--keep-running", description = "Keep every service up after the summary, until Ctrl-C.")
    boolean keepRunning;

    @Option(names = "--log", description = "The services' log file (default: radstream-demo.log in the system's temporary directory); "
            + "the console shows the demo's own view only.")
    Path logFile;

    private final PrintStream out = System.out;
    private final long t0 = System.nanoTime();
    private final Map<String, CohortManifest.Scan> scanBySeries = new HashMap<>();

    @Override
    public Integer call() throws Exception {
        if (scansPerPatient < 2 || scansPerPatient > 5 || patients < 1) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "--patients must be >= 1 and --scans 2..5");
        }
        boolean temporary = workDir == null;
        Path dir = temporary ? Files.createTempDirectory("radstream-demo-") : Files.createDirectories(workDir);
        try {
            return run(dir);
        } finally {
            if (temporary && !keepRunning) {
                LocalPipeline.deleteTree(dir);
            }
        }
    }

    private int run(Path dir) throws Exception {
        List<String> scenarios = new ArrayList<>();
        for (int i = 0; i < patients; i++) {
            scenarios.add(DEMO_SCENARIOS.get(i % DEMO_SCENARIOS.size()));
        }
        Path log = logFile != null ? logFile : Path.of(System.getProperty("java.io.tmpdir"), "radstream-demo.log");
        logTo(log);
        say("radstream demo: every service in this process on an embedded Kafka; work directory %s; service logs %s", dir, log);
        CohortManifest manifest = CohortGenerator.generate(CohortSpec.patients(seed, scenarios, scansPerPatient, abdomen, size),
                dir.resolve("cohort"));
        Cohort cohort = Cohort.open(dir.resolve("cohort"));
        manifest.scans().forEach(s -> scanBySeries.put(s.seriesUid(), s));
        say("cohort: %d patients (%s), %d chest scans each, %d abdominal; %d scans at %d², seed %d; truth: %d alert pair(s)",
                patients, String.join(", ", scenarios), scansPerPatient, abdomen, manifest.scans().size(), size, seed,
                manifest.alertPairs().size());
        say("models: %s", describeModels(modelStore));

        try (Platform platform = Platform.start(dir.resolve("kafka"), 0)) {
            say("kafka %s, schema registry %s", platform.bootstrap(), platform.registryUrl());
            Topics topics = new Topics(new RestSchemaRegistryClient(platform.registryUrl()));
            try (LocalPipeline pipeline = LocalPipeline.start(new LocalPipeline.Options(platform.bootstrap(),
                    platform.registryUrl(), dir.resolve("services"), modelStore,
                    Duration.ofMillis(Math.round(stabilitySeconds * 1000)), true, out));
                 PipelineWatch watch = new PipelineWatch(platform.bootstrap(), topics, this::show).start()) {
                String timeline = pipeline.streams().httpPort().map(p -> "http://localhost:" + p).orElse("(off)");
                say("services: ingest DICOM %s@localhost:%d (STOW-RS http://localhost:%d/studies), stream processors "
                                + "(timeline API %s), workers chest + liver, trainer, alert delivery to this console",
                        pipeline.ingest().settings().aeTitle(), pipeline.ingest().dicomPort(), pipeline.ingest().httpPort(),
                        timeline);
                List<String> groups = LocalPipeline.stageGroups(pipeline.streams()).stream().map(g -> g[1]).toList();
                ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "demo-progress");
                    t.setDaemon(true);
                    return t;
                });
                ticker.scheduleWithFixedDelay(() -> status(watch, cohort, groups), 10, 10, TimeUnit.SECONDS);
                say("pushing %d scans over DICOM C-STORE, scan by scan in acquisition order", manifest.scans().size());
                CohortPush.send(cohort, "localhost", pipeline.ingest().dicomPort(), pipeline.ingest().settings().aeTitle(),
                        s -> say("sent      %s  %s  %s  %s, %d slices", s.scanId(), s.patientId(), s.bodyPart(),
                                s.acquisitionDateTime(), s.depth()));
                boolean finished = CohortPush.awaitAll(watch, cohort, Duration.ofMinutes(timeoutMinutes));
                // alerts of the last measurement travel one more topic: give them a moment
                watch.await(() -> false, Duration.ofSeconds(3));
                ticker.shutdownNow();
                summary(watch, manifest, cohort, finished, timeline);
                if (withdraw && !watch.alerts().isEmpty()) {
                    withdraw(watch, cohort, pipeline, dir.resolve("withdrawal"));
                }
                next(manifest, timeline);
                if (keepRunning) {
                    String cluster = "--bootstrap " + platform.bootstrap() + " --registry " + platform.registryUrl();
                    String series = cohort.scans().get(0).seriesUid();
                    String ingestAe = pipeline.ingest().settings().aeTitle();
                    int ingestPort = pipeline.ingest().dicomPort();
                    Path draft = Path.of(System.getProperty("java.io.tmpdir"), series + "-infection.dcm");
                    say("a radiologist's draft to correct: ./radstream label draft %s --series %s --task infection --out %s "
                            + "(or .nii.gz); the correction back as a label: ./radstream label submit %s --series %s --task "
                            + "infection --mask %s, or store it to ingest as a PACS would: storescu --required -aec %s localhost %d %s",
                            cluster, series, draft, cluster, series, draft, ingestAe, ingestPort, draft);
                    pipeline.trainer().ifPresent(t -> say("what the trainer made of the labels: ./radstream label status "
                            + "--task infection --trainer-url http://localhost:%d", t.httpPort()));
                    say("running until Ctrl-C (--keep-running)");
                    CountDownLatch stop = new CountDownLatch(1);
                    Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "demo-stop"));
                    stop.await();
                }
                return finished ? 0 : 2;
            }
        }
    }

    /**
     * The PACS finds the later scan of the first alert filed under the wrong worklist entry and
     * withdraws it with an IOCM rejection note (a Key Object Selection document naming each of its
     * instances, DCM 113038) stored to ingest as a PACS stores one; the scan leaves the patient's
     * timeline and delivery prints the alert's retraction, as the clinicians get it.
     */
    private void withdraw(PipelineWatch watch, Cohort cohort, LocalPipeline pipeline, Path folder) throws Exception {
        org.radstream.avro.ProgressionAlert alert = watch.alerts().get(0);
        String series = alert.getLater().getSeriesUid().toString();
        CohortManifest.Scan scan = scanBySeries.get(series);
        List<org.radstream.imaging.dicom.RejectionNoteDocument.Reference> instances = new ArrayList<>();
        try (var files = Files.list(cohort.dicomDir(scan))) {
            for (Path f : files.sorted().toList()) {
                com.pixelmed.dicom.AttributeList a = new com.pixelmed.dicom.AttributeList();
                a.read(f.toString(), com.pixelmed.dicom.TagFromName.PixelData);
                instances.add(new org.radstream.imaging.dicom.RejectionNoteDocument.Reference(series,
                        com.pixelmed.dicom.Attribute.getSingleStringValueOrEmptyString(a, com.pixelmed.dicom.TagFromName.SOPClassUID),
                        com.pixelmed.dicom.Attribute.getSingleStringValueOrEmptyString(a,
                                com.pixelmed.dicom.TagFromName.SOPInstanceUID)));
            }
        }
        Files.createDirectories(folder);
        Files.write(folder.resolve("rejection-note.dcm"), org.radstream.imaging.dicom.RejectionNoteDocument.write(
                alert.getPatientId().toString(), alert.getPatientName() == null ? "" : alert.getPatientName().toString(),
                alert.getLater().getStudyUid().toString(), "113038", "Incorrect Modality Worklist Entry", instances,
                "radstream demo (as the PACS)", Instant.now(), new java.util.Random(seed)));
        say("the PACS withdraws %s (%s, filed under the wrong worklist entry): a rejection note naming its %d instances, "
                + "over C-STORE", scan(series), alert.getPatientId(), instances.size());
        org.radstream.launcher.pipeline.DicomPush.Outcome stored = org.radstream.launcher.pipeline.DicomPush.send(folder,
                "localhost", pipeline.ingest().dicomPort(), pipeline.ingest().settings().aeTitle(), "DEMO-PACS");
        if (!stored.allStored()) {
            say("-- the rejection note was not stored: %s", stored);
            return;
        }
        boolean retracted = watch.await(() -> watch.alerts().stream()
                .noneMatch(a -> a.getAlertId().equals(alert.getAlertId())), Duration.ofSeconds(60));
        watch.await(() -> false, Duration.ofSeconds(1)); // delivery prints the retraction a moment after
        say(retracted ? "the alert is retracted (above, as the clinicians got it); %d alert(s) stand"
                : "-- the alert was not retracted within 60 s; %d alert(s) stand", watch.alerts().size());
    }

    /** Sends every service's log to {@code file} instead of stderr, so the console shows the demo's view. */
    static void logTo(Path file) throws IOException {
        if (!(org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext ctx)) {
            return;
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        ch.qos.logback.classic.encoder.PatternLayoutEncoder encoder = new ch.qos.logback.classic.encoder.PatternLayoutEncoder();
        encoder.setContext(ctx);
        encoder.setPattern("%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{36} - %msg%n");
        encoder.start();
        ch.qos.logback.core.FileAppender<ch.qos.logback.classic.spi.ILoggingEvent> appender = new ch.qos.logback.core.FileAppender<>();
        appender.setContext(ctx);
        appender.setName("DEMO_FILE");
        appender.setFile(file.toString());
        appender.setAppend(false);
        appender.setEncoder(encoder);
        appender.start();
        ch.qos.logback.classic.Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.detachAndStopAllAppenders();
        root.addAppender(appender);
    }

    /** Each task's latest model in {@code modelStore}, or what the workers do without one. */
    static String describeModels(Path modelStore) {
        ModelStore store = new ModelStore(modelStore);
        List<String> parts = new ArrayList<>();
        for (String task : List.of(Tasks.LUNG, Tasks.INFECTION, Tasks.INFECTION_CLASSIFIER, Tasks.LIVER, Tasks.VESSEL)) {
            try {
                parts.add(task + " " + store.latest(task).map(a -> "v" + a.metadata().version()).orElse(withoutModel(task)));
            } catch (IOException e) {
                parts.add(task + " unreadable (" + e.getMessage() + ")");
            }
        }
        return String.join(", ", parts) + " from " + modelStore;
    }

    /** What the workers do for a task the store holds no model of. */
    static String withoutModel(String task) {
        return task.equals(Tasks.INFECTION_CLASSIFIER)
                ? "none (every infection component kept)"
                : "none (HU threshold)";
    }

    private void show(PipelineWatch.Event e) {
        if (e instanceof PipelineWatch.Received r) {
            say("received  %s  %d instances, series complete", scan(r.seriesUid()), r.marker().getInstanceCount());
        } else if (e instanceof PipelineWatch.Windowed w) {
            say("windowed  %s  HU -> %s window, routed to the %s workers", scan(w.seriesUid()),
                    w.taskGroup().equals("chest") ? "lung" : "liver and vessel", w.taskGroup());
        } else if (e instanceof PipelineWatch.Inferred i) {
            say("inferred  %s  %s", scan(i.result().getSeriesUid().toString()), describe(i.result()));
        } else if (e instanceof PipelineWatch.Measured m) {
            say("measured  %s  %s  PoIR %.2f%%  (infected %.1f mL of %.0f mL lung)",
                    scan(m.measurement().getSeriesUid().toString()), m.measurement().getPatientId(), m.measurement().getPoir(),
                    m.measurement().getInfectedMl(), m.measurement().getLungMl());
        } else if (e instanceof PipelineWatch.DeadLettered d) {
            say("DEAD LETTER on %s (%s): %s", d.topic(), d.key(), d.reason());
        }
        // Alerted: alert delivery prints the alert, as clinicians get it
    }

    private static String describe(InferenceResult r) {
        String how = "model".equals(r.getMethod().toString()) ? "model v" + r.getModelVersion() : r.getMethod().toString();
        String clf = r.getClassifierVersion() == null ? ""
                : String.format(Locale.ROOT, ", classifier v%s removed %d region(s)", r.getClassifierVersion(), r.getComponentsRemoved());
        String stability = r.getMaskStability() == null ? ""
                : String.format(Locale.ROOT, ", stability %.2f", r.getMaskStability());
        return String.format(Locale.ROOT, "%-9s %8.1f mL  (%s%s%s)", r.getTask(), r.getVolumeMl(), how, stability, clf);
    }

    private void status(PipelineWatch watch, Cohort cohort, List<String> groups) {
        int n = cohort.scans().size();
        long received = count(watch, cohort, t -> t.received != null);
        long windowed = count(watch, cohort, t -> t.windowed != null);
        long inferred = cohort.scans().stream().filter(s -> CohortPush.finished(watch, s)
                || !watch.series(s.seriesUid()).results.isEmpty()).count();
        long measured = count(watch, cohort, t -> t.measurement != null);
        StringBuilder lag = new StringBuilder();
        watch.lag(groups).forEach((g, l) -> lag.append(' ').append(g).append('=').append(l < 0 ? "-" : l));
        say("progress  received %d/%d, windowed %d/%d, inferred %d/%d, measured %d/%d | consumer lag:%s",
                received, n, windowed, n, inferred, n, measured, cohort.scans("chest").size(), lag);
    }

    private static long count(PipelineWatch watch, Cohort cohort, java.util.function.Predicate<PipelineWatch.SeriesTrack> p) {
        return cohort.scans().stream().filter(s -> p.test(watch.series(s.seriesUid()))).count();
    }

    private void summary(PipelineWatch watch, CohortManifest manifest, Cohort cohort, boolean finished, String timeline) {
        say("---- summary ----");
        long chest = cohort.scans("chest").size();
        long done = cohort.scans().stream().filter(s -> CohortPush.finished(watch, s)).count();
        say("%d patients, %d scans (%d chest, %d abdominal): %d finished%s", manifest.patients().size(),
                manifest.scans().size(), chest, manifest.scans().size() - chest, done,
                finished ? "" : " -- TIMED OUT after " + timeoutMinutes + " min");
        AlertScore score = AlertScore.of(manifest, watch.alerts());
        say("alerts: %d raised; %d correct of %d expected by the cohort's truth, %d false, %d missed, %d repeated",
                watch.alerts().size(), score.correct().size(), manifest.alertPairs().size(), score.falseAlerts().size(),
                score.missed().size(), score.duplicates());
        score.falseAlerts().forEach(f -> say("  false alert: %s", f));
        score.missed().forEach(p -> say("  missed: %s %s -> %s (%.1f -> %.1f mL in %.1f h)", p.patientId(),
                p.earlierScanId(), p.laterScanId(), p.earlierInfectionMl(), p.laterInfectionMl(), p.hoursApart()));
        List<double[]> stages = new ArrayList<>();
        for (CohortManifest.Scan s : cohort.scans()) {
            PipelineWatch.SeriesTrack t = watch.series(s.seriesUid());
            Instant inferred = t.resultAt.values().stream().max(Comparator.naturalOrder()).orElse(null);
            stages.add(new double[] {secs(t.firstSlice, t.received), secs(t.received, t.windowed), secs(t.windowed, inferred),
                    secs(inferred, t.measuredAt)});
        }
        say("time per series, median [max]: ingest (first slice -> series complete, incl. the %.0f s stability wait) %s; "
                        + "windowing %s; inference %s; PoIR measurement %s", stabilitySeconds, stat(stages, 0),
                stat(stages, 1), stat(stages, 2), stat(stages, 3));
        if (!watch.deadLetters().isEmpty()) {
            say("dead letters: %d (listed above)", watch.deadLetters().size());
        }
    }

    private void next(CohortManifest manifest, String timeline) {
        String patient = manifest.patients().get(0).patientId();
        say("next: timeline %s/patients/%s/timeline; topics %s, %s, %s; %s",
                timeline, patient, Topics.POIR, Topics.ALERTS, Topics.RESULTS,
                keepRunning ? "services stay up (--keep-running)" : "--keep-running keeps the services up to look around");
    }

    private static double secs(Instant a, Instant b) {
        return a == null || b == null ? Double.NaN : Duration.between(a, b).toMillis() / 1000.0;
    }

    private static String stat(List<double[]> rows, int col) {
        double[] v = rows.stream().mapToDouble(r -> r[col]).filter(d -> !Double.isNaN(d)).sorted().toArray();
        if (v.length == 0) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.1f s [%.1f s]", v[v.length / 2], v[v.length - 1]);
    }

    private String scan(String seriesUid) {
        CohortManifest.Scan s = scanBySeries.get(seriesUid);
        return s == null ? seriesUid : s.scanId();
    }

    private void say(String format, Object... args) {
        String line = String.format(Locale.ROOT, "[%6.1fs] ", (System.nanoTime() - t0) / 1e9) + String.format(Locale.ROOT, format, args);
        synchronized (out) {
            out.println(line);
            out.flush();
        }
    }
}
