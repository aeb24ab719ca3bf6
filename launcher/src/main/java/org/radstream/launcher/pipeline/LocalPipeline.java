package org.radstream.launcher.pipeline;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.radstream.delivery.AlertDelivery;
import org.radstream.delivery.ConsoleSink;
import org.radstream.delivery.DeliveryHttpServer;
import org.radstream.delivery.DeliverySettings;
import org.radstream.ingest.IngestService;
import org.radstream.ingest.IngestSettings;
import org.radstream.schemas.HealthMetricsServer;
import org.radstream.schemas.RestSchemaRegistryClient;
import org.radstream.schemas.Topics;
import org.radstream.streams.StreamsApp;
import org.radstream.streams.StreamsSettings;
import org.radstream.trainer.TrainerService;
import org.radstream.trainer.TrainerSettings;
import org.radstream.workers.InferenceWorker;
import org.radstream.workers.TaskGroup;
import org.radstream.workers.WorkerSettings;

/**
 * Every radstream service in this process against one Kafka cluster: the ingest SCP, the stream
 * processors with their timeline API, one inference worker per task group, the trainer and alert
 * delivery to a console. What {@code radstream demo} and {@code eval --method pipeline} run; each
 * service is the same class its own command runs, only wired here. Ports are free ones; each service
 * serves its {@code /health} and {@code /metrics} as its own command does.
 */
public final class LocalPipeline implements AutoCloseable {

    /**
     * @param modelStore models the workers start with; copied into {@code workDir} first, so the
     *                   trainer's new versions never land in the shipped store
     * @param stability  ingest's series stability time
     * @param trainer    run the trainer too
     * @param alerts     where alert delivery writes each alert; null = no delivery service
     * @param windowBits bits per windowed value on the task topics (8, the default, or 16)
     */
    public record Options(String bootstrap, String registryUrl, Path workDir, Path modelStore, Duration stability,
                          boolean trainer, PrintStream alerts, int windowBits) {
        public Options(String bootstrap, String registryUrl, Path workDir, Path modelStore, Duration stability,
                       boolean trainer, PrintStream alerts) {
            this(bootstrap, registryUrl, workDir, modelStore, stability, trainer, alerts, 8);
        }
    }

    private final Options options;
    private final List<AutoCloseable> started = new ArrayList<>();
    private final List<Thread> workerThreads = new ArrayList<>();
    private final List<InferenceWorker> workers = new ArrayList<>();
    private IngestService ingest;
    private StreamsApp streams;
    private TrainerService trainer;
    private HealthMetricsServer deliveryHttp;
    private Path models;

    private LocalPipeline(Options options) {
        this.options = options;
    }

    /** Starts every service; on failure closes what had started and rethrows. */
    public static LocalPipeline start(Options options) throws IOException {
        LocalPipeline p = new LocalPipeline(options);
        try {
            p.open();
        } catch (IOException | RuntimeException e) {
            p.close();
            throw e;
        }
        return p;
    }

    private void open() throws IOException {
        Topics topics = new Topics(new RestSchemaRegistryClient(options.registryUrl()));
        models = options.workDir().resolve("models");
        copyTree(options.modelStore(), models);

        streams = new StreamsApp(StreamsSettings.defaults(options.bootstrap(), options.registryUrl(),
                options.workDir().resolve("streams")).withHttp("localhost", 0).withWindowBits(options.windowBits()), topics);
        started.add(streams);
        streams.start();

        for (TaskGroup group : TaskGroup.values()) {
            WorkerSettings ws = WorkerSettings.defaults(options.bootstrap(), options.registryUrl(), group)
                    .withModelStoreDir(models).withHttpPort(0);
            InferenceWorker w = new InferenceWorker(ws, topics);
            workers.add(w);
            started.add(w);
            Thread t = new Thread(w, "radstream-worker-" + group.id());
            t.start();
            workerThreads.add(t);
        }

        if (options.trainer()) {
            trainer = TrainerService.start(TrainerSettings.defaults(options.bootstrap(), options.workDir().resolve("trainer"),
                    models, "local-pipeline-" + Long.toHexString(System.nanoTime()) + "-deid").withHttpPort(0), topics);
            started.add(trainer);
        }
        if (options.alerts() != null) {
            AlertDelivery delivery = new AlertDelivery(DeliverySettings.defaults(options.bootstrap(), null), topics,
                    List.of(new ConsoleSink(options.alerts())));
            started.add(delivery);
            delivery.start();
            deliveryHttp = DeliveryHttpServer.start(0, delivery);
            started.add(deliveryHttp);
        }

        ingest = IngestService.start(IngestSettings.defaults(options.bootstrap(), options.registryUrl())
                .withDicomPort(0).withHttpPort(0).withStabilityTime(options.stability()), topics);
        started.add(ingest);
    }

    public IngestService ingest() { return ingest; }

    public StreamsApp streams() { return streams; }

    public List<InferenceWorker> workers() { return List.copyOf(workers); }

    public Optional<TrainerService> trainer() { return Optional.ofNullable(trainer); }

    /** The port of alert delivery's {@code /health} and {@code /metrics}; empty without a delivery service. */
    public Optional<Integer> deliveryHttpPort() {
        return Optional.ofNullable(deliveryHttp).map(HealthMetricsServer::port);
    }

    /** The model store the workers and the trainer use (a copy of {@link Options#modelStore()}). */
    public Path models() { return models; }

    /** The consumer group of each stage that reads a topic, for lag: stage name to group id. */
    public static List<String[]> stageGroups(StreamsApp streams) {
        List<String[]> out = new ArrayList<>();
        for (StreamsSettings.TopologyName t : StreamsSettings.TopologyName.values()) {
            out.add(new String[] {t.id(), streams.settings().applicationId(t)});
        }
        for (TaskGroup g : TaskGroup.values()) {
            out.add(new String[] {"worker-" + g.id(), "radstream-worker-" + g.id()});
        }
        return out;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        if (from == null || !Files.isDirectory(from)) {
            return;
        }
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    /** Removes a work directory and everything below it (best effort, says what it could not remove). */
    public static void deleteTree(Path dir) {
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("could not remove " + dir + ": " + e.getMessage());
        }
    }

    /** Closes in reverse start order: ingest first, so nothing new comes in while the rest drains. */
    @Override
    public void close() {
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).close();
            } catch (Exception e) {
                System.err.println("local pipeline: closing " + started.get(i).getClass().getSimpleName() + ": " + e);
            }
        }
        for (Thread t : workerThreads) {
            try {
                t.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
