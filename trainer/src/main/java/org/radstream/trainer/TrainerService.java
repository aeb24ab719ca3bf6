package org.radstream.trainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.radstream.avro.CorrectedLabel;
import org.radstream.avro.DeadLetter;
import org.radstream.avro.ModelPublished;
import org.radstream.avro.RejectionNote;
import org.radstream.avro.TaskSliceEvent;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Morphology;
import org.radstream.imaging.Volume;
import org.radstream.models.ModelArtifact;
import org.radstream.models.ModelStore;
import org.radstream.models.UNetVariant;
import org.radstream.schemas.AuditLog;
import org.radstream.schemas.AvroSerde;
import org.radstream.schemas.Topic;
import org.radstream.schemas.TopicScan;
import org.radstream.schemas.Topics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer as a service: archives the windowed task topics (de-identified), keeps the label
 * store from radstream.labels.corrected (re-read from the start of the compacted topic at every
 * start), refuses bad labels onto radstream.labels.rejected, trains a task after every N new
 * labels or every T hours (and on demand), and publishes what passes the quality gate to the
 * model store and radstream.models. What it has trained on and dead-lettered is kept in its work
 * directory ({@link TrainingLedger}): after a restart, labels a finished run trained on are not new
 * again, a run the last process did not finish runs again, and no label is refused twice; triggers
 * wait until the label store has been read to the end. At the start and before each run, a store
 * version radstream.models never announced is announced ({@link LateAnnouncements}). Archived series
 * no label names are removed after the configured retention, or oldest first beyond the archive's
 * size cap ({@link ArchiveRetention}); a tombstone
 * on the label topic withdraws a label. Every training run so far, those of earlier processes too
 * ({@link RunLog}), is kept with the gate's decision and scores, the version published or where the
 * refused challenger was kept, or why the run failed or who cancelled it. Its HTTP endpoint is
 * {@link TrainerHttp}.
 */
public final class TrainerService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TrainerService.class);
    /** The archive retention sweep runs at most this often (more often for a retention under 4 h). */
    private static final Duration SWEEP_EVERY = Duration.ofHours(1);
    /** A series collected this long without its marker is given up (ingest marks a series complete within minutes). */
    private static final Duration SERIES_GIVEN_UP_AFTER = Duration.ofHours(6);
    /** How long reading radstream.models to its end may take. */
    private static final Duration MODELS_READ = Duration.ofSeconds(30);
    static final String COMPONENT = "trainer";

    private final WorkDirLock workDirLock;
    private final TrainerSettings settings;
    private final Topics topics;
    private final ImageArchive archive;
    private final LabelIntake intake;
    private final KafkaProducer<String, byte[]> producer;
    private final TaskTrainer taskTrainer;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();
    private final List<KafkaConsumer<String, byte[]>> consumers = new CopyOnWriteArrayList<>();
    private volatile Instant nextSweep = Instant.MIN;
    /** Consumer threads that stopped on an error, with the error: /health reports them. */
    private final Map<String, String> stoppedThreads = new java.util.concurrent.ConcurrentSkipListMap<>();
    private final java.util.concurrent.atomic.AtomicLong archiveRemoved = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong archiveStored = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong seriesWithdrawn = new java.util.concurrent.atomic.AtomicLong();
    /** The archive's bytes as the last sweep left them, plus what was archived since (for the size cap). */
    private final java.util.concurrent.atomic.AtomicLong archiveBytes = new java.util.concurrent.atomic.AtomicLong();
    /** Whether the last sweep left the archive over its cap (labelled series alone fill it): no early sweeps then. */
    private volatile boolean archiveOverCap;
    private final ExecutorService training = Executors.newSingleThreadExecutor(r -> new Thread(r, "trainer-training"));
    private final ScheduledExecutorService triggers = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "trainer-triggers"));
    private final TrainingLedger ledger;
    private final RunLog runLog;
    private final AtomicBoolean labelsRead = new AtomicBoolean();
    /** The run in progress (task, start, its last progress line), for GET /runs; null when none. */
    private final java.util.concurrent.atomic.AtomicReference<Map<String, Object>> current =
            new java.util.concurrent.atomic.AtomicReference<>();
    private final Map<String, Boolean> queued = new ConcurrentHashMap<>();
    /** Guards the run in progress, the runs waiting for it and their cancellations. */
    private final Object runLock = new Object();
    /** The run in progress; null between runs. */
    private Active active;
    /** Runs queued and not started yet, per task: when each was queued, oldest first. */
    private final Map<String, java.util.ArrayDeque<Instant>> waiting = new HashMap<>();
    /** Per task: how many of its waiting runs were cancelled, and why (they end as they reach the front). */
    private final Map<String, WaitingCancel> waitingCancels = new HashMap<>();

    /**
     * The run in progress: its task, start, the thread that runs it (interrupted to cancel it), why
     * it was cancelled (null: it was not), and whether it is past the point where it can be.
     */
    private static final class Active {
        final String task;
        final Instant startedAt;
        final Thread thread;
        String cancelled;
        boolean keepingDecision;

        Active(String task, Instant startedAt, Thread thread) {
            this.task = task;
            this.startedAt = startedAt;
            this.thread = thread;
        }
    }

    private record WaitingCancel(int runs, String why) {}
    private final List<TaskTrainer.Outcome> outcomes = new CopyOnWriteArrayList<>();
    /** The role of each labelled series in a task's run in progress, kept in the ledger when it finishes. */
    private final Map<String, Map<String, HeldOutSplit.Role>> heldOutInRun = new java.util.concurrent.ConcurrentHashMap<>();
    private final List<Run> runs = new CopyOnWriteArrayList<>();
    private final Map<String, ArchivedSeries.Header> headers = new ConcurrentHashMap<>();
    private final Optional<TrainerHttp> http;
    private final ResultIndex resultIndex;
    private final AuditLog audit;
    private final java.util.concurrent.atomic.AtomicLong labelsRefused = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong labelsUnchanged = new java.util.concurrent.atomic.AtomicLong();
    /** The newest refusal of each label key since this trainer started, for GET /labels (the newest keys kept). */
    private final Map<String, LabelStatus.Refusal> refusals = new java.util.LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, LabelStatus.Refusal> eldest) {
            return size() > REFUSALS_KEPT;
        }
    };
    private static final int REFUSALS_KEPT = 10_000;

    private TrainerService(TrainerSettings settings, Topics topics, WorkDirLock workDirLock) throws IOException {
        this.workDirLock = workDirLock;
        this.settings = settings;
        this.topics = topics;
        this.archive = new ImageArchive(settings.archiveDir());
        this.ledger = TrainingLedger.open(settings.workDir().resolve(TrainingLedger.FILE));
        this.runLog = RunLog.open(settings.workDir().resolve(RunLog.FILE));
        this.intake = new LabelIntake(this::header, settings.pendingTimeout(), settings.archive(), new LabelIntake.Sink() {
            @Override
            public void refused(LabelIntake.Incoming label, String reason) {
                labelsRefused.incrementAndGet();
                deadLetter(label, reason);
            }

            @Override
            public void accepted(LabelIntake.Accepted label, Optional<LabelIntake.Accepted> replaced) {
                if (replaced.filter(r -> r.digest().equals(label.digest())).isPresent()) {
                    labelsUnchanged.incrementAndGet();
                    log.info("label accepted: series {} task {} by {} ({}), the same mask as the label it replaces "
                                    + "(offset {}, by {}): not a change, no run is due for it", label.seriesUid(), label.task(),
                            label.label().getAnnotator(), label.label().getSource(), replaced.get().offset(),
                            replaced.get().label().getAnnotator());
                } else {
                    log.info("label accepted: series {} task {} by {} ({})", label.seriesUid(), label.task(),
                            label.label().getAnnotator(), label.label().getSource());
                }
            }
        });
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        settings.kafkaClient().addTo(p);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.PIXEL_MAX_MESSAGE_BYTES);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        this.taskTrainer = new TaskTrainer(new ModelStore(settings.modelStore()), settings.gate(),
                this::announce, this::progress).checkpointsIn(settings.workDir().resolve("checkpoints"))
                .beforeDecisionKept(this::keepingDecision).replacingChampionsOnlyOnGateScans()
                .keepingChampionReadings();
        this.audit = AuditLog.syslog(settings.auditRepository(), "radstream-trainer");
        this.http = TrainerHttp.bind(this, settings, audit);
        this.resultIndex = new ResultIndex(() -> TopicScan.consumer(settings.bootstrapServers(), settings.kafkaClient()),
                topics.results(), SUGGESTIONS_WINDOW);
    }

    /** Starts consumers, triggers and the HTTP endpoint. */
    public static TrainerService start(TrainerSettings settings, Topics topics) throws IOException {
        WorkDirLock lock = WorkDirLock.acquire(settings.workDir());
        TrainerService s;
        try {
            s = new TrainerService(settings, topics, lock);
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
        try {
            s.audit.applicationActivity("trainer", true);
            s.announceLate(); // before any run can publish a newer version
            s.startThreads();
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    /**
     * Reads radstream.models to its end (the last announcement per task: the trainer's, or an
     * operator's promotion) and announces each task's newest store version beyond it ({@link
     * LateAnnouncements}); at the start and before every run. A failure is logged, not fatal: the
     * next version the trainer publishes is announced anyway.
     */
    private void announceLate() {
        Topic<String, ModelPublished> t = topics.models();
        Map<String, ModelPublished> last = new HashMap<>();
        KafkaConsumer<String, byte[]> consumer = consumer(null);
        try (consumer) {
            List<TopicPartition> parts = consumer.partitionsFor(t.name(), MODELS_READ).stream()
                    .map(pi -> new TopicPartition(pi.topic(), pi.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts, MODELS_READ);
            long deadline = System.nanoTime() + MODELS_READ.toNanos();
            while (parts.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new org.apache.kafka.common.errors.TimeoutException(t.name() + " not read to its end in " + MODELS_READ);
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.key() == null || r.value() == null) {
                        continue;
                    }
                    try {
                        last.put(r.key(), t.valueSerde().deserializer().deserialize(t.name(), r.value()));
                    } catch (RuntimeException e) {
                        log.warn("{} partition {} offset {}: undecodable announcement skipped: {}", t.name(),
                                r.partition(), r.offset(), e.toString());
                    }
                }
            }
            LateAnnouncements.announce(new ModelStore(settings.modelStore()), last, this::announce);
        } catch (IOException | RuntimeException e) {
            log.warn("could not check {} for model versions the store holds and never announced: {}", t.name(), e.toString());
        } finally {
            consumers.remove(consumer);
        }
    }

    private void startThreads() {
        Thread archiver = new Thread(this::archiveLoop, "trainer-archive");
        Thread labels = new Thread(this::labelLoop, "trainer-labels");
        threads.add(archiver);
        threads.add(labels);
        archiver.start();
        labels.start();
        Instant now = Instant.now();
        for (TrainingTask t : TrainingTask.values()) {
            ledger.interrupted(t.id()).ifPresent(at -> log.warn("training {} started {} did not finish (the trainer "
                    + "stopped or crashed during it); it runs again once the label store has been read", t.id(), at));
        }
        triggers.scheduleWithFixedDelay(() -> checkTriggers(now), 1, 1, TimeUnit.SECONDS);
        http.ifPresent(TrainerHttp::start);
        log.info("trainer started: archive {}, model store {}, HTTP port {}", archive.dir(), settings.modelStore(), httpPort());
    }

    /** A consumer thread ended on an error: logged, and /health reports it until a restart. */
    void consumerStopped(String thread, RuntimeException e) {
        log.error("{} stopped; the trainer needs a restart", thread, e);
        stoppedThreads.put(thread, e.toString());
    }

    /**
     * Why the trainer cannot do its work, or null: a consumer thread stopped on an error (no more
     * images archived, or no more labels read), which only a restart mends; or it is shutting down.
     */
    String down() {
        if (!running.get()) {
            return "shutting down";
        }
        if (stoppedThreads.isEmpty()) {
            return null;
        }
        StringBuilder b = new StringBuilder();
        stoppedThreads.forEach((thread, why) -> b.append(b.length() == 0 ? "" : "; ").append(thread)
                .append(" stopped: ").append(why));
        return b.toString();
    }

    /** The HTTP port, or -1 when the endpoint is off. */
    public int httpPort() {
        return http.map(TrainerHttp::port).orElse(-1);
    }

    public ImageArchive archive() {
        return archive;
    }

    /** Prometheus text exposition: labels, training runs and gate decisions, per task. */
    String metricsText() {
        StringBuilder b = new StringBuilder();
        b.append("# HELP radstream_trainer_labels_pending labels waiting for their series' images\n")
                .append("# TYPE radstream_trainer_labels_pending gauge\n")
                .append("radstream_trainer_labels_pending ").append(pendingLabels()).append('\n');
        b.append("# HELP radstream_trainer_labels_refused_total labels dead-lettered with a reason\n")
                .append("# TYPE radstream_trainer_labels_refused_total counter\n")
                .append("radstream_trainer_labels_refused_total ").append(labelsRefused.get()).append('\n');
        b.append("# HELP radstream_trainer_labels_unchanged_total labels accepted with the same mask as the label "
                        + "they replace (a re-send): not a change\n")
                .append("# TYPE radstream_trainer_labels_unchanged_total counter\n")
                .append("radstream_trainer_labels_unchanged_total ").append(labelsUnchanged.get()).append('\n');
        b.append("# HELP radstream_trainer_labels_accepted labels accepted, per task\n")
                .append("# TYPE radstream_trainer_labels_accepted gauge\n");
        for (TrainingTask t : TrainingTask.labelled()) {
            b.append("radstream_trainer_labels_accepted{task=\"").append(t.id()).append("\"} ")
                    .append(acceptedLabels(t.id())).append('\n');
        }
        b.append("# HELP radstream_trainer_labels_untrained label changes since the last finished run, per task: accepted "
                        + "labels it did not learn from, and labels it learnt from that were withdrawn\n")
                .append("# TYPE radstream_trainer_labels_untrained gauge\n");
        for (TrainingTask t : TrainingTask.labelled()) {
            b.append("radstream_trainer_labels_untrained{task=\"").append(t.id()).append("\"} ")
                    .append(untrainedLabels(t.id())).append('\n');
        }
        try {
            List<ImageArchive.Entry> entries = archive.entries();
            b.append("# HELP radstream_trainer_archive_series series in the trainer's image archive\n")
                    .append("# TYPE radstream_trainer_archive_series gauge\n")
                    .append("radstream_trainer_archive_series ").append(entries.size()).append('\n');
            b.append("# HELP radstream_trainer_archive_bytes bytes of the trainer's image archive\n")
                    .append("# TYPE radstream_trainer_archive_bytes gauge\n")
                    .append("radstream_trainer_archive_bytes ").append(entries.stream().mapToLong(ImageArchive.Entry::bytes).sum())
                    .append('\n');
        } catch (IOException e) {
            log.warn("archive {} not listed for /metrics: {}", archive.dir(), e.toString());
        }
        b.append("# HELP radstream_trainer_archive_stored_total series archived (stored whole) since this trainer started\n")
                .append("# TYPE radstream_trainer_archive_stored_total counter\n")
                .append("radstream_trainer_archive_stored_total ").append(archiveStored.get()).append('\n');
        if (settings.archive().maxBytes() > 0) {
            b.append("# HELP radstream_trainer_archive_max_bytes the archive's size cap (--archive-max-gb)\n")
                    .append("# TYPE radstream_trainer_archive_max_bytes gauge\n")
                    .append("radstream_trainer_archive_max_bytes ").append(settings.archive().maxBytes()).append('\n');
        }
        b.append("# HELP radstream_trainer_series_withdrawn_total series the PACS withdrew (IOCM rejection notes): out of the "
                        + "archive, their labels refused\n")
                .append("# TYPE radstream_trainer_series_withdrawn_total counter\n")
                .append("radstream_trainer_series_withdrawn_total ").append(seriesWithdrawn.get()).append('\n');
        b.append("# HELP radstream_trainer_archive_removed_total series removed from the archive by its retention or size "
                + "cap, or withdrawn by the PACS\n")
                .append("# TYPE radstream_trainer_archive_removed_total counter\n")
                .append("radstream_trainer_archive_removed_total ").append(archiveRemoved.get()).append('\n');
        b.append("# HELP radstream_trainer_runs_total training runs, per task and gate decision\n")
                .append("# TYPE radstream_trainer_runs_total counter\n");
        Map<String, Long> runs = new java.util.TreeMap<>();
        for (Run r : this.runs) {
            runs.merge("task=\"" + r.task() + "\",decision=\"" + r.result() + "\"", 1L, Long::sum);
        }
        runs.forEach((k, v) -> b.append("radstream_trainer_runs_total{").append(k).append("} ").append(v).append('\n'));
        appendRunAndModelAges(b);
        audit.metrics(b, "trainer");
        return b.toString();
    }

    /**
     * When each task's last run finished (from the ledger: runs before a restart count), and the
     * version the workers load with when it was written, so that ops can alert on a task that has not
     * trained, or not published, for too long.
     */
    private void appendRunAndModelAges(StringBuilder b) {
        b.append("# HELP radstream_trainer_last_run_finished_timestamp_seconds when the task's last run finished, by how\n")
                .append("# TYPE radstream_trainer_last_run_finished_timestamp_seconds gauge\n");
        for (TrainingTask t : TrainingTask.values()) {
            Optional<Instant> at = ledger.lastFinished(t.id());
            Optional<String> result = ledger.lastResult(t.id());
            if (at.isPresent() && result.isPresent()) {
                b.append("radstream_trainer_last_run_finished_timestamp_seconds{task=\"").append(t.id()).append("\",result=\"")
                        .append(result.get()).append("\"} ").append(at.get().getEpochSecond()).append('\n');
            }
        }
        ModelStore store = new ModelStore(settings.modelStore());
        StringBuilder versions = new StringBuilder();
        StringBuilder created = new StringBuilder();
        for (TrainingTask t : TrainingTask.values()) {
            try {
                Optional<org.radstream.models.ModelArtifact> latest = store.latest(t.id());
                if (latest.isPresent()) {
                    versions.append("radstream_trainer_model_version{task=\"").append(t.id()).append("\"} ")
                            .append(latest.get().metadata().version()).append('\n');
                    created.append("radstream_trainer_model_created_timestamp_seconds{task=\"").append(t.id()).append("\"} ")
                            .append(latest.get().metadata().created().getEpochSecond()).append('\n');
                }
            } catch (IOException | RuntimeException e) {
                log.warn("model store {} not read for /metrics: {}", settings.modelStore(), e.toString());
            }
        }
        b.append("# HELP radstream_trainer_model_version the task's newest version in the model store (what workers load)\n")
                .append("# TYPE radstream_trainer_model_version gauge\n").append(versions);
        b.append("# HELP radstream_trainer_model_created_timestamp_seconds when that version was written\n")
                .append("# TYPE radstream_trainer_model_created_timestamp_seconds gauge\n").append(created);
    }

    /** Labels waiting for their series' images. */
    public int pendingLabels() {
        return intake.pendingCount();
    }

    /** Accepted labels of a task. */
    public int acceptedLabels(String task) {
        return intake.accepted(task).size();
    }

    /** Every training run's outcome so far, in order. */
    public List<TaskTrainer.Outcome> outcomes() {
        return List.copyOf(outcomes);
    }

    /** Trains a task now, on the training thread (after any run in progress). */
    public Future<TaskTrainer.Outcome> trainNow(String task) {
        return trainNow(TrainingTask.of(task), Instant.now());
    }

    private Future<TaskTrainer.Outcome> trainNow(TrainingTask t, Instant queuedAt) {
        waitingOneMore(t, queuedAt);
        return training.submit(() -> runTraining(t));
    }

    private void waitingOneMore(TrainingTask t, Instant queuedAt) {
        synchronized (runLock) {
            waiting.computeIfAbsent(t.id(), k -> new java.util.ArrayDeque<>()).add(queuedAt);
        }
    }

    /**
     * Queues a run of {@code task} asked for over HTTP, unless one of it is already waiting (not
     * started): a second would train on the same labels right after the first.
     *
     * @return when the waiting run was queued, and whether it is this request's
     */
    Map.Entry<Instant, Boolean> queueUnlessWaiting(TrainingTask task) {
        synchronized (runLock) {
            java.util.ArrayDeque<Instant> queued = waiting.get(task.id());
            if (queued != null && !queued.isEmpty()) {
                return Map.entry(queued.peekFirst(), false);
            }
            Instant at = Instant.now();
            trainNow(task, at);
            return Map.entry(at, true);
        }
    }

    /**
     * Cancels the task's run in progress (it stops within a training step or a batch of slices read;
     * its epoch checkpoint stays, so the next run on the same data goes on from it) and the task's runs
     * waiting behind it. A cancelled run trains on nothing: its labels stay untrained, and its task is
     * not due by its triggers for {@link TrainingTrigger#CANCELLED_RUN_PAUSE}; a run on demand starts
     * at once.
     *
     * @param why who cancelled it, and why: "cancelled by NAME: REASON"
     * @return what was cancelled, in words; it names the run in progress' start
     * @throws IllegalStateException nothing of the task runs or waits, or its run in progress is
     *                               already publishing or keeping the gate's decision
     */
    public String cancel(String task, String why) {
        TrainingTask t = TrainingTask.of(task);
        synchronized (runLock) {
            int queuedRuns = waiting.containsKey(t.id()) ? waiting.get(t.id()).size() : 0;
            boolean inProgress = active != null && active.task.equals(t.id());
            if (inProgress && active.keepingDecision) {
                throw new IllegalStateException("the " + t.id() + " run started at " + active.startedAt
                        + " is past its quality gate and is publishing or keeping its challenger; it cannot be cancelled now");
            }
            if (!inProgress && queuedRuns == 0) {
                throw new IllegalStateException("no " + t.id() + " run is in progress or waiting");
            }
            List<String> done = new ArrayList<>();
            if (inProgress) {
                active.cancelled = why;
                active.thread.interrupt();
                annotateCurrent("cancelling", why);
                done.add("cancelling the " + t.id() + " run started at " + active.startedAt
                        + ": it stops within a training step");
            }
            if (queuedRuns > 0) {
                waitingCancels.put(t.id(), new WaitingCancel(queuedRuns, why));
                done.add(queuedRuns + " waiting " + t.id() + " run" + (queuedRuns == 1 ? "" : "s") + " cancelled");
            }
            log.info("training {}: {} ({})", t.id(), String.join("; ", done), why);
            return String.join("; ", done);
        }
    }

    /** The run in progress reached its gate's decision: cancelled now if asked, else no longer cancellable. */
    private void keepingDecision() {
        synchronized (runLock) {
            if (active == null) {
                return;
            }
            if (active.cancelled != null) {
                throw new RunCancelledException(active.cancelled);
            }
            active.keepingDecision = true;
        }
    }

    Optional<ArchivedSeries.Header> header(String seriesUid) {
        ArchivedSeries.Header h = headers.get(seriesUid);
        if (h != null) {
            return Optional.of(h);
        }
        try {
            Optional<ArchivedSeries.Header> read = archive.header(seriesUid);
            read.ifPresent(x -> headers.put(seriesUid, x));
            return read;
        } catch (IOException | IllegalArgumentException e) {
            log.warn("archive header of series {} unreadable: {}", seriesUid, e.toString());
            return Optional.empty();
        }
    }

    private KafkaConsumer<String, byte[]> consumer(String group) {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        settings.kafkaClient().addTo(c);
        if (group != null) {
            c.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        }
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.PIXEL_MAX_MESSAGE_BYTES * 2);
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
        consumers.add(consumer);
        return consumer;
    }

    private void archiveLoop() {
        SeriesCollector collector = new SeriesCollector(Deidentifier.of(settings.deidSecret()));
        AvroSerde<TaskSliceEvent> serde = (AvroSerde<TaskSliceEvent>) topics.tasksChest().valueSerde();
        ArchiveOffsets offsets = new ArchiveOffsets();
        try (KafkaConsumer<String, byte[]> consumer = consumer(settings.groupId() + "-archive")) {
            List<String> taskTopics = List.of(topics.tasksChest().name(), topics.tasksLiver().name());
            consumer.subscribe(taskTopics, new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
                    commitArchived(consumer, offsets, revoked);
                    offsets.forget(revoked).forEach(collector::drop);
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
                    warnIfShared(consumer, taskTopics);
                }
            });
            while (running.get()) {
                var records = consumer.poll(Duration.ofMillis(500));
                for (ConsumerRecord<String, byte[]> r : records) {
                    try {
                        TaskSliceEvent e = serde.decode(r.topic(), r.partition(), r.offset(), r.value());
                        if (e == null) {
                            continue;
                        }
                        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                        boolean marker = !(e.getBody() instanceof org.radstream.avro.WindowedSlice);
                        if (!marker) {
                            offsets.slice(tp, e.getSeriesUid().toString(), r.offset(), Instant.now());
                        }
                        Optional<ArchivedSeries> done = collector.accept(e);
                        if (done.isPresent() && intake.withdrawal(done.get().seriesUid()).isPresent()) {
                            log.info("series {} not archived: the PACS withdrew it", done.get().seriesUid());
                        } else if (done.isPresent()) {
                            ArchivedSeries s = done.get();
                            archived(archive.store(s));
                            if (intake.withdrawal(s.seriesUid()).isPresent()) { // withdrawn while it was written
                                removeFromArchive(s.seriesUid());
                            } else {
                                headers.put(s.seriesUid(), s.header());
                                log.info("archived series {} ({}×{}×{}, {}) from {}-{}@{}", s.seriesUid(), s.width(),
                                        s.height(), s.depth(), s.header().group(), r.topic(), r.partition(), r.offset());
                                intake.seriesArchived(s.seriesUid());
                            }
                        }
                        if (marker) {
                            offsets.closed(tp, e.getSeriesUid().toString()); // not when it could not be stored: read again after a restart
                        }
                    } catch (RuntimeException | IOException ex) {
                        log.warn("task event not archived ({}-{}@{}, key {}): {}", r.topic(), r.partition(), r.offset(),
                                r.key(), ex.toString());
                    }
                }
                for (String uid : offsets.abandonOpenedBefore(Instant.now().minus(SERIES_GIVEN_UP_AFTER))) {
                    collector.drop(uid);
                    log.warn("series {}: no series-complete marker {} after its first slice; its slices are not archived",
                            uid, SERIES_GIVEN_UP_AFTER);
                }
                if (!records.isEmpty()) {
                    try {
                        commitArchived(consumer, offsets, consumer.assignment());
                    } catch (org.apache.kafka.clients.consumer.CommitFailedException
                             | org.apache.kafka.common.errors.RebalanceInProgressException e) {
                        // the group moved on (a slow poll, a rebalance): the next poll rejoins, and what was not
                        // committed is read again and archived again, which replaces the same files
                        log.warn("archive offsets not committed ({}); they are read again", e.toString());
                    }
                }
            }
        } catch (WakeupException e) {
            if (running.get()) {
                throw e;
            }
        } catch (RuntimeException e) {
            consumerStopped("archive consumer", e);
        }
    }

    /** Commits, per partition, no further than the first slice of a series still being collected ({@link ArchiveOffsets}). */
    private static void commitArchived(KafkaConsumer<String, byte[]> consumer, ArchiveOffsets offsets,
                                       Collection<TopicPartition> partitions) {
        Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
        for (TopicPartition tp : partitions) {
            commit.put(tp, new OffsetAndMetadata(offsets.commitAt(tp, consumer.position(tp))));
        }
        if (!commit.isEmpty()) {
            consumer.commitSync(commit);
        }
    }

    /**
     * A second trainer in the same archive consumer group takes part of the task topics' partitions:
     * this one then archives only part of the series, and labels for the others are refused.
     */
    private void warnIfShared(KafkaConsumer<String, byte[]> consumer, List<String> taskTopics) {
        int all = 0;
        for (String t : taskTopics) {
            all += consumer.partitionsFor(t).size();
        }
        int mine = consumer.assignment().size();
        if (mine < all) {
            log.error("trainer archive group {}-archive has another member: this trainer archives {} of {} task-topic "
                    + "partitions, and labels of series on the others will be refused as unknown; run one trainer per "
                    + "group (--group-id)", settings.groupId(), mine, all);
        }
    }

    /**
     * Removes archived series no label names once older than the retention, and oldest first while
     * the archive is over its size cap ({@link ArchiveRetention}), on the label thread so that no
     * label is accepted for a series while it is removed, and only once the label store has been
     * read to its end. Runs every hour (every quarter of a retention under 4 h), and sooner once the
     * series archived since the last sweep take the archive over its cap.
     */
    private void sweepArchiveIfDue(Instant now) {
        ArchivePolicy policy = settings.archive();
        if (policy.keepsEverything() || !labelsRead.get() || now.isBefore(nextSweep)) {
            return;
        }
        Duration quarter = policy.maxAge().dividedBy(4);
        nextSweep = now.plus(!quarter.isZero() && quarter.compareTo(SWEEP_EVERY) < 0 ? quarter : SWEEP_EVERY);
        try {
            ArchiveRetention.Sweep sweep = ArchiveRetention.sweep(archive, intake.labelledSeries(), now, policy);
            sweep.removed().forEach(headers::remove);
            archiveRemoved.addAndGet(sweep.removed().size());
            archiveBytes.set(sweep.bytesKept());
            archiveOverCap = sweep.overCap();
            if (!sweep.removed().isEmpty()) {
                log.info("archive retention: {} unlabelled series removed ({} MB; {} of them, oldest first, for the "
                        + "size cap), {} series ({} MB) kept", sweep.removed().size(), sweep.bytesRemoved() / 1_000_000,
                        sweep.removedForSpace(), sweep.kept(), sweep.bytesKept() / 1_000_000);
            }
            if (sweep.overCap()) {
                log.warn("archive {} holds {} of labelled series and series waiting for a label, over its cap of {}: "
                        + "labelled series are training data and are not removed; raise --archive-max-gb, give the "
                        + "archive more disk, or withdraw labels no longer wanted", archive.dir(),
                        ArchivePolicy.gigabytes(sweep.bytesKept()), ArchivePolicy.gigabytes(policy.maxBytes()));
            }
        } catch (IOException | RuntimeException e) {
            log.warn("archive retention sweep of {} failed: {}", archive.dir(), e.toString());
        }
    }

    /** Counts a newly archived series' file; a sweep is due at once when it takes the archive over its cap. */
    private void archived(Path file) {
        archiveStored.incrementAndGet();
        long cap = settings.archive().maxBytes();
        try {
            long now = archiveBytes.addAndGet(Files.size(file));
            if (cap > 0 && now > cap && !archiveOverCap) {
                nextSweep = Instant.MIN;
            }
        } catch (IOException e) {
            log.warn("archived file {} not measured: {}", file, e.toString());
        }
    }

    /**
     * Reads the label dead-letter topic to its end, so that {@code GET /labels} tells of labels this
     * trainer's earlier processes refused too (the newest refusal of each key). Bounded by {@link
     * #MODELS_READ}; a topic not read in time leaves the earlier refusals unknown, and is logged.
     */
    private void readEarlierRefusals() {
        Topic<String, DeadLetter> t = topics.labelsRejected();
        try (KafkaConsumer<String, byte[]> consumer = consumer(null)) {
            List<TopicPartition> parts = consumer.partitionsFor(t.name()).stream()
                    .map(pi -> new TopicPartition(pi.topic(), pi.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            long deadline = System.nanoTime() + MODELS_READ.toNanos();
            int read = 0;
            while (running.get() && !parts.stream().allMatch(p -> consumer.position(p) >= end.get(p))) {
                if (System.nanoTime() > deadline) {
                    log.warn("{} not read to its end within {}: labels refused before this start are not all known to "
                            + "GET /labels", t.name(), MODELS_READ);
                    return;
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(300))) {
                    try {
                        DeadLetter d = t.valueSerde().deserializer().deserialize(r.topic(), r.value());
                        if (d != null && r.key() != null && COMPONENT.equals(String.valueOf(d.getComponent()))) {
                            synchronized (refusals) {
                                refusals.put(r.key(), new LabelStatus.Refusal(d.getOffset(), String.valueOf(d.getReason()),
                                        d.getFailedAt()));
                            }
                            read++;
                        }
                    } catch (RuntimeException e) {
                        log.warn("dead letter {}-{}@{} unreadable: {}", r.topic(), r.partition(), r.offset(), e.toString());
                    }
                }
            }
            log.info("{} read: {} labels refused before this start", t.name(), read);
        } catch (RuntimeException e) {
            log.warn("{} not read ({}): labels refused before this start are not known to GET /labels", t.name(),
                    e.toString());
        }
    }

    private void labelLoop() {
        readEarlierRefusals();
        Topic<String, CorrectedLabel> labels = topics.labels();
        AvroSerde<CorrectedLabel> serde = (AvroSerde<CorrectedLabel>) labels.valueSerde();
        Topic<String, RejectionNote> notes = topics.rejectionNotes();
        try (KafkaConsumer<String, byte[]> consumer = consumer(null)) {
            // the PACS's rejection notes are read on this thread too, from their start at every start: a series it
            // withdrew is known before the labels of it are read to their end, and no label is taken for it meanwhile
            List<TopicPartition> parts = java.util.stream.Stream.of(labels.name(), notes.name())
                    .flatMap(name -> consumer.partitionsFor(name).stream())
                    .map(pi -> new TopicPartition(pi.topic(), pi.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            while (running.get()) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(300))) {
                    if (r.topic().equals(notes.name())) {
                        rejectionNote(r);
                        continue;
                    }
                    if (r.value() == null) { // a tombstone: the label under this key was withdrawn
                        if (r.key() != null && intake.withdraw(r.key())) {
                            log.info("label {} withdrawn ({} partition {} offset {}); no later run trains on it",
                                    r.key(), r.topic(), r.partition(), r.offset());
                        }
                        continue;
                    }
                    if (ledger.deadLettered(r.partition(), r.offset())) {
                        continue; // refused before a restart, with its reason on the dead-letter topic
                    }
                    LabelIntake.Incoming in;
                    try {
                        CorrectedLabel label = serde.decode(r.topic(), r.partition(), r.offset(), r.value());
                        in = new LabelIntake.Incoming(r.key(), label, r.value(), r.topic(), r.partition(), r.offset(), Instant.now());
                    } catch (RuntimeException e) {
                        deadLetter(new LabelIntake.Incoming(r.key(), null, r.value(), r.topic(), r.partition(), r.offset(),
                                Instant.now()), "undecodable label: " + e.getMessage());
                        continue;
                    }
                    try {
                        intake.offer(in);
                    } catch (RuntimeException e) {
                        deadLetter(in, "label could not be processed: " + e);
                    }
                }
                intake.expire(Instant.now());
                sweepArchiveIfDue(Instant.now());
                if (!labelsRead.get() && parts.stream().allMatch(p -> consumer.position(p) >= end.get(p))) {
                    labelsRead.set(true);
                    log.info("label store read up to where it ended at the start ({} records): {} labels accepted, {} waiting for their images",
                            end.values().stream().mapToLong(Long::longValue).sum(),
                            TrainingTask.labelled().stream().mapToInt(t -> acceptedLabels(t.id())).sum(), pendingLabels());
                }
            }
        } catch (WakeupException e) {
            if (running.get()) {
                throw e;
            }
        } catch (RuntimeException e) {
            consumerStopped("label consumer", e);
        }
    }

    /**
     * An IOCM rejection note: each series it names leaves the archive (the PACS withdrew it, for a wrong
     * patient, safety, quality or an expired retention, so radstream keeps no copy to train on), and
     * its labels are dead-lettered with the reason; a later label of it is refused. A note that cannot
     * be read is logged and skipped: it withdraws nothing.
     */
    private void rejectionNote(ConsumerRecord<String, byte[]> r) {
        RejectionNote note;
        try {
            note = topics.rejectionNotes().valueSerde().deserializer().deserialize(r.topic(), r.value());
        } catch (RuntimeException e) {
            log.warn("rejection note {}-{}@{} unreadable, nothing withdrawn: {}", r.topic(), r.partition(), r.offset(),
                    e.toString());
            return;
        }
        if (note == null) {
            return;
        }
        for (org.radstream.avro.RejectedSeries s : note.getSeries()) {
            String series = s.getSeriesUid();
            if (intake.withdrawal(series).isPresent()) {
                continue; // read before: at an earlier start, or named by an earlier note
            }
            String why = "series " + series + " was withdrawn by the PACS (" + note.getReasonMeaning() + ", DCM "
                    + note.getReasonCode() + "; rejection note " + note.getSopInstanceUid() + "): its images are not kept "
                    + "or trained on";
            LabelIntake.Withdrawn took = intake.seriesWithdrawn(series, why);
            boolean removed = removeFromArchive(series);
            seriesWithdrawn.incrementAndGet();
            Topic<String, CorrectedLabel> labels = topics.labels();
            for (LabelIntake.Accepted a : took.accepted()) {
                deadLetter(new LabelIntake.Incoming(a.key(), a.label(), labels.valueSerde().serializer()
                        .serialize(labels.name(), a.label()), labels.name(), a.partition(), a.offset(), Instant.now()), why);
            }
            took.waiting().forEach(in -> deadLetter(in, why));
            log.warn("series {} withdrawn by rejection note {} ({}): {} from the archive, {} label(s) refused", series,
                    note.getSopInstanceUid(), note.getReasonMeaning(), removed ? "removed" : "not archived",
                    took.accepted().size() + took.waiting().size());
        }
        // a radiologist's segmentation the PACS rejected (a wrong correction withdrawn, say): the labels read from it go
        Map<String, String> instances = new java.util.HashMap<>();
        for (org.radstream.avro.RejectedSeries s : note.getSeries()) {
            for (String sop : s.getSopInstanceUids()) {
                instances.put(sop, "the DICOM Segmentation " + sop + " this label was read from was rejected by the PACS ("
                        + note.getReasonMeaning() + ", DCM " + note.getReasonCode() + "; rejection note "
                        + note.getSopInstanceUid() + "): it is not trained on");
            }
        }
        LabelIntake.Withdrawn fromRejected = intake.instancesRejected(instances);
        Topic<String, CorrectedLabel> labels = topics.labels();
        for (LabelIntake.Accepted a : fromRejected.accepted()) {
            String why = instances.get(a.label().getSourceInstanceUid().toString());
            deadLetter(new LabelIntake.Incoming(a.key(), a.label(), labels.valueSerde().serializer()
                    .serialize(labels.name(), a.label()), labels.name(), a.partition(), a.offset(), Instant.now()), why);
            log.warn("label {} refused: {}", a.key(), why);
        }
        for (LabelIntake.Incoming in : fromRejected.waiting()) {
            String why = instances.get(in.label().getSourceInstanceUid().toString());
            deadLetter(in, why);
            log.warn("label {} refused: {}", in.key(), why);
        }
    }

    /** Removes a withdrawn series' images from the archive; whether there were any. */
    private boolean removeFromArchive(String series) {
        headers.remove(series);
        try {
            boolean removed = archive.remove(series);
            if (removed) {
                archiveRemoved.incrementAndGet();
            }
            return removed;
        } catch (IOException e) {
            log.error("withdrawn series {} could not be removed from the archive {}: {}", series, archive.dir(), e.toString());
            return false;
        }
    }

    private void deadLetter(LabelIntake.Incoming in, String reason) {
        log.warn("label refused ({}-{}@{}, key {}): {}", in.topic(), in.partition(), in.offset(), in.key(), reason);
        if (in.key() != null) {
            synchronized (refusals) {
                refusals.put(in.key(), new LabelStatus.Refusal(in.offset(), reason, Instant.now()));
            }
        }
        DeadLetter d = DeadLetter.newBuilder()
                .setComponent(COMPONENT)
                .setSourceTopic(in.topic())
                .setPartition(in.partition())
                .setOffset(in.offset())
                .setKey(in.key())
                .setReason(reason)
                .setAttempts(1)
                .setFailedAt(Instant.now())
                .setValue(in.raw() == null ? null : java.nio.ByteBuffer.wrap(in.raw()))
                .build();
        Topic<String, DeadLetter> t = topics.labelsRejected();
        try {
            producer.send(new ProducerRecord<>(t.name(), in.key(), t.valueSerde().serializer().serialize(t.name(), d)))
                    .get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.error("interrupted dead-lettering label {}-{}@{}; it is refused again at the next start", in.topic(),
                    in.partition(), in.offset());
            return;
        } catch (Exception e) {
            // not remembered as dead-lettered: the next start refuses it again, and then it reaches the topic
            log.error("label {}-{}@{} could not be dead-lettered ({}); it is refused again at the next start",
                    in.topic(), in.partition(), in.offset(), e.toString());
            return;
        }
        ledger.deadLetter(in.partition(), in.offset());
    }

    private void announce(ModelPublished published) {
        Topic<String, ModelPublished> t = topics.models();
        try {
            producer.send(new ProducerRecord<>(t.name(), published.getTask(),
                    t.valueSerde().serializer().serialize(t.name(), published))).get(30, TimeUnit.SECONDS);
            audit.record(TrainerAudit.modelAnnounced(published, "trainer", null));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while announcing " + published.getTask(), e);
        } catch (Exception e) {
            throw new IllegalStateException("could not announce " + published.getTask() + " v" + published.getVersion(), e);
        }
    }

    /**
     * Queues the runs that are due: a task with N labels its last finished run did not train on, or
     * with any such label T after that run (or after the start), or whose run the last process did
     * not finish. Nothing is due before the label store has been read to the end: a count reached
     * half-way through the replay would train on half of it.
     */
    private void checkTriggers(Instant started) {
        if (!labelsRead.get()) {
            return;
        }
        try {
            Instant now = Instant.now();
            for (TrainingTask t : TrainingTask.values()) {
                int fresh = TrainingTask.labelled().contains(t) ? untrainedLabels(t.id()) : 0;
                Optional<String> due = TrainingTrigger.due(ledger.interrupted(t.id()).isPresent(), fresh,
                        settings.labelsPerTraining(), settings.trainingInterval(), ledger.lastFinished(t.id()),
                        ledger.lastResult(t.id()), started, now);
                if (due.isPresent() && queued.putIfAbsent(t.id(), Boolean.TRUE) == null) {
                    log.info("training {} triggered: {} labels new, corrected or withdrawn ({})", t.id(), fresh, due.get());
                    waitingOneMore(t, Instant.now());
                    training.submit(() -> {
                        try {
                            return runTraining(t);
                        } finally {
                            queued.remove(t.id());
                        }
                    });
                }
            }
        } catch (RuntimeException e) {
            log.error("training trigger check failed", e);
        }
    }

    /**
     * A finished training run: its outcome, or why it failed or who cancelled it ({@code outcome}
     * null). A failed run is logged and kept here, so that a run nobody waits for (a trigger's) does
     * not fail unseen.
     */
    public record Run(String task, Instant startedAt, Instant finishedAt, TaskTrainer.Outcome outcome, String failure,
                      boolean cancelled) {
        /** published, refused, failed or cancelled. */
        public String result() {
            return outcome != null ? outcome.decision().publish() ? "published" : "refused"
                    : cancelled ? TrainingLedger.CANCELLED : TrainingLedger.FAILED;
        }

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("task", task);
            m.put("started_at", startedAt.toString());
            m.put("finished_at", finishedAt.toString());
            m.put("result", result());
            if (outcome == null) {
                m.put(cancelled ? "cancelled" : "failure", failure);
                return m;
            }
            m.put("decision", outcome.decision().reason());
            outcome.published().ifPresent(p -> {
                m.put("version", Integer.parseInt(p.getVersion()));
                m.put("location", p.getLocation());
            });
            outcome.keptRefused().ifPresent(u -> m.put("kept_refused", u.toString()));
            m.put("metrics", finite(outcome.metrics()));
            m.put("champion_metrics", finite(outcome.championMetrics()));
            return m;
        }

        /** JSON has no NaN: an unmeasured figure is null. */
        private static Map<String, Double> finite(Map<String, Double> figures) {
            Map<String, Double> out = new LinkedHashMap<>();
            figures.forEach((k, v) -> out.put(k, v == null || v.isNaN() || v.isInfinite() ? null : v));
            return out;
        }
    }

    /** Every finished training run so far, oldest first. */
    public List<Run> runs() {
        return List.copyOf(runs);
    }

    /** Every run so far as GET /runs lists them: those of earlier processes, this one's, the one in progress. */
    Object runsAnswer(RunQuery query) {
        List<Map<String, Object>> finished = new ArrayList<>(runLog.earlier());
        for (Run r : runs) {
            finished.add(r.toJson());
        }
        return query.select(finished, current.get());
    }

    /**
     * A run, recorded in the ledger when it starts and when it finishes (published, refused or
     * failed: a failed run is not repeated until new labels arrive or it is asked for). A run the
     * trainer's own shutdown interrupts is not recorded as finished, so it runs again at the next
     * start, as one a crash interrupts does.
     */
    private TaskTrainer.Outcome runTraining(TrainingTask task) throws Exception {
        Instant started = Instant.now();
        String cancelledWaiting = startOrCancel(task, started);
        if (cancelledWaiting != null) {
            finished(new Run(task.id(), started, started, null, cancelledWaiting + " while it waited", true),
                    intake.accepted(labelTask(task)));
            throw new RunCancelledException(cancelledWaiting);
        }
        try {
            return runStarted(task, started);
        } finally {
            synchronized (runLock) {
                active = null;
            }
            Thread.interrupted(); // a cancel that came as the run ended is answered: the thread runs the next run
        }
    }

    /**
     * The run leaves the waiting ones: it becomes the run in progress, or, when it was cancelled while
     * it waited, it says why.
     */
    private String startOrCancel(TrainingTask task, Instant started) {
        synchronized (runLock) {
            java.util.ArrayDeque<Instant> queued = waiting.get(task.id());
            if (queued != null) {
                queued.pollFirst();
                if (queued.isEmpty()) {
                    waiting.remove(task.id());
                }
            }
            WaitingCancel c = waitingCancels.get(task.id());
            if (c != null) {
                if (c.runs() > 1) {
                    waitingCancels.put(task.id(), new WaitingCancel(c.runs() - 1, c.why()));
                } else {
                    waitingCancels.remove(task.id());
                }
                return c.why();
            }
            active = new Active(task.id(), started, Thread.currentThread());
            return null;
        }
    }

    private TaskTrainer.Outcome runStarted(TrainingTask task, Instant started) throws Exception {
        announceLate(); // a version whose announcement failed in this process goes out before a newer one can
        List<LabelIntake.Accepted> labels = intake.accepted(labelTask(task));
        ledger.started(task.id(), started);
        Map<String, Object> now = new LinkedHashMap<>();
        now.put("task", task.id());
        now.put("started_at", started.toString());
        now.put("result", "running");
        now.put("progress", "starting");
        current.set(now);
        try {
            TaskTrainer.Outcome outcome = train(task, labels);
            outcomes.add(outcome);
            Run run = new Run(task.id(), started, Instant.now(), outcome, null, false);
            finished(run, labels);
            return outcome;
        } catch (Exception | Error e) {
            String cancelled;
            synchronized (runLock) {
                cancelled = active == null ? null : active.cancelled;
            }
            if (cancelled != null) {
                log.info("training {} {}", task.id(), cancelled);
                finished(new Run(task.id(), started, Instant.now(), null, cancelled, true), labels);
                if (e instanceof RunCancelledException) {
                    throw e;
                }
                throw new RunCancelledException(cancelled);
            }
            if (!running.get()) {
                log.warn("training {} stopped by the trainer's shutdown; it runs again at the next start", task.id());
                throw e;
            }
            log.error("training {} failed", task.id(), e);
            finished(new Run(task.id(), started, Instant.now(), null, e.getMessage() == null ? e.toString() : e.getMessage(),
                    false), labels);
            throw e;
        }
    }

    private void finished(Run run, List<LabelIntake.Accepted> labels) {
        runs.add(run);
        current.set(null);
        Map<String, HeldOutSplit.Role> heldOut = heldOutInRun.remove(run.task());
        ledger.finished(run.task(), run.finishedAt(), run.result(), labels, heldOut == null ? Map.of() : heldOut);
        try {
            runLog.append(run.toJson());
        } catch (RuntimeException e) {
            log.warn("training {} run not appended to the run log: {}", run.task(), e.toString());
        }
    }

    /** A training progress line (epoch, loss, validation Dice, ETA; the gate): logged and shown in GET /runs. */
    private void progress(String line) {
        log.info("{}", line);
        annotateCurrent("progress", line);
    }

    /** Sets {@code key} of the run in progress' entry in GET /runs (none when no run is in progress). */
    private void annotateCurrent(String key, Object value) {
        current.getAndUpdate(c -> {
            if (c == null) {
                return null;
            }
            Map<String, Object> m = new LinkedHashMap<>(c);
            m.put(key, value);
            return m;
        });
    }

    /** The task whose labels a task trains on (the classifier learns from the infection labels). */
    private static String labelTask(TrainingTask task) {
        return task == TrainingTask.INFECTION_CLASSIFIER ? "infection" : task.id();
    }

    /** Label changes of a task since its last finished run: new, corrected or withdrawn ({@link TrainingLedger#fresh}). */
    int untrainedLabels(String task) {
        return ledger.fresh(task, intake.accepted(task));
    }

    /** Whether the label store has been read to the end offsets it had when the trainer started. */
    public boolean labelsRead() {
        return labelsRead.get();
    }

    private TaskTrainer.Outcome train(TrainingTask task, List<LabelIntake.Accepted> accepted) throws Exception {
        List<LabelIntake.Accepted> labels = new ArrayList<>(accepted);
        labels.sort(Comparator.comparing(LabelIntake.Accepted::seriesUid));
        List<ScanData> scans = new ArrayList<>();
        for (LabelIntake.Accepted a : labels) {
            Optional<ArchivedSeries> s = archive.read(a.seriesUid());
            if (s.isEmpty()) {
                continue;
            }
            Mask3D region = null;
            if (task == TrainingTask.VESSEL) {
                region = intake.accepted("liver").stream().filter(l -> l.seriesUid().equals(a.seriesUid())).findFirst()
                        .map(l -> Morphology.dilate3D(l.mask(), CohortTraining.LIVER_DILATION)).orElse(null);
            }
            scans.add(new ScanData(a.seriesUid(), s.get().huVolume(task.window()), a.mask(), region, null));
        }
        TrainingRecipe recipe = recipeFor(settings.recipe(), new ModelStore(settings.modelStore()).latest(task.id()));
        if (!recipe.equals(settings.recipe())) {
            log.info("training {} like its champion: {}² input, {} slice(s) in, {} levels, width {}{}; focal gamma {}, "
                    + "dense weight {}, dense term {} over a band of {} px", task.id(), recipe.inputSize(), recipe.sliceChannels(), recipe.levels(),
                    recipe.baseWidth(), recipe.variant() == UNetVariant.PLAIN ? "" : ", " + recipe.variant().architecture(),
                    recipe.focalGamma(), recipe.denseWeight(), recipe.denseTerm(), recipe.denseBand());
        }
        // the unlabelled series are read only for a run from fresh weights, not for one that transfers from the champion
        taskTrainer.pretrainingFrom(!takesPretraining(task) ? null : () -> {
            try {
                return pretrainingPlan(task, labels);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        HeldOutSplit<ScanData> split = split(task, scans);
        heldOutInRun.put(task.id(), split.roles(ScanData::id));
        return trainHeldOut(taskTrainer, task, split, recipe, settings.vesselMethod(), this::progress);
    }

    /**
     * A task's labelled {@code scans} (in UID order) divided by {@link HeldOutSplit}. The classifier
     * keeps the one held-out set it always had: its gate is its effect on the infection Dice of the
     * scans that choose its threshold.
     */
    static HeldOutSplit<ScanData> split(TrainingTask task, List<ScanData> scans) {
        return HeldOutSplit.of(scans, ScanData::id, task != TrainingTask.INFECTION_CLASSIFIER);
    }

    /**
     * Trains {@code task} on a {@link HeldOutSplit} of its labelled scans: the selection series
     * choose the kept epoch and the reading, and the quality gate compares challenger and champion
     * on the gate series alone, which chose nothing.
     */
    static TaskTrainer.Outcome trainHeldOut(TaskTrainer trainer, TrainingTask task, HeldOutSplit<ScanData> split,
                                            TrainingRecipe recipe, TaskTrainer.VesselMethod vesselMethod,
                                            Consumer<String> progress) throws Exception {
        progress.accept(split.describe(task.id()));
        return trainer.train(task, split.train(), split.choosing(), recipe, vesselMethod,
                split.gateApart() ? split.gate() : List.of());
    }

    /**
     * The archived series a run of {@code task} pretrains on: of its group, named by none of its
     * labels, not held out for selection or the gate ({@link HeldOutSplit}); the newest first, at
     * most {@code max}.
     *
     * @param groupOf the group an archived series was windowed for; empty when it is gone
     */
    static List<String> pretrainingSeries(List<ImageArchive.Entry> entries, Function<String, Optional<String>> groupOf,
                                          Set<String> labelled, TrainingTask task, int max) {
        List<ImageArchive.Entry> newestFirst = new ArrayList<>(entries);
        newestFirst.sort(Comparator.comparing(ImageArchive.Entry::written).reversed()
                .thenComparing(ImageArchive.Entry::seriesUid));
        List<String> out = new ArrayList<>();
        for (ImageArchive.Entry e : newestFirst) {
            if (out.size() == max) {
                break;
            }
            if (!labelled.contains(e.seriesUid()) && !HeldOutSplit.heldOut(e.seriesUid())
                    && groupOf.apply(e.seriesUid()).filter(task.group()::equals).isPresent()) {
                out.add(e.seriesUid());
            }
        }
        return out;
    }

    /**
     * What a run of {@code task} pretrains on ({@link ArchivePretraining}): up to the configured number
     * of archived series of its group that none of its labels names and that are not held out for
     * selection or the gate, the newest first, in the task's window; null when pretraining is off,
     * the task does not take it (a region or component network), or no such series is archived.
     */
    private SelfSupervisedPretraining.Plan pretrainingPlan(TrainingTask task, List<LabelIntake.Accepted> labels)
            throws IOException {
        ArchivePretraining p = settings.pretraining();
        if (!takesPretraining(task)) {
            return null;
        }
        Set<String> labelled = labels.stream().map(LabelIntake.Accepted::seriesUid).collect(Collectors.toSet());
        List<Volume> scans = new ArrayList<>();
        for (String uid : pretrainingSeries(archive.entries(), uid -> {
            try {
                return archive.header(uid).map(ArchivedSeries.Header::group);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, labelled, task, p.maxSeries())) {
            Optional<ArchivedSeries> s = archive.read(uid);
            if (s.isPresent()) { // not removed by the retention sweep meanwhile
                scans.add(s.get().huVolume(task.window()));
            }
        }
        if (scans.isEmpty()) {
            progress(task.id() + ": not pretrained: no archived " + task.group() + " series outside the selection and gate series "
                    + "that no " + task.id() + " label names");
            return null;
        }
        return new SelfSupervisedPretraining.Plan(p.epochs(), SelfSupervisedPretraining.DEFAULT_CROPS_PER_SCAN, scans,
                "the newest " + scans.size() + " archived " + task.group() + " series no " + task.id() + " label names");
    }

    /** Whether runs of {@code task} pretrain: pretraining is on, and the task is a whole-slice U-Net's. */
    private boolean takesPretraining(TrainingTask task) {
        return settings.pretraining() != null && !task.regionInput() && task != TrainingTask.INFECTION_CLASSIFIER;
    }

    /**
     * The recipe of a retraining run: the configured one, shaped like the task's published champion
     * when there is one (its input size, slices in, levels, width, normalisation). Retraining then
     * trains the kind of network that ships (the shipped models are not the default recipe's 128²,
     * 4 levels), which the gate compares like with like and transfer can start from.
     */
    static TrainingRecipe recipeFor(TrainingRecipe configured, Optional<ModelArtifact> champion) {
        return champion.map(c -> configured.following(c.metadata())).orElse(configured);
    }

    /**
     * What became of the label of {@code series} for {@code task} ({@link LabelStatus}).
     *
     * @throws IllegalArgumentException a task that takes no labels
     */
    public Map<String, Object> labelStatus(String series, String task) {
        String t = TrainingTask.of(task).id();
        if (TrainingTask.labelled().stream().noneMatch(x -> x.id().equals(t))) {
            throw new IllegalArgumentException(t + " takes no labels of its own (it learns from the infection labels)");
        }
        String key = Topics.seriesTaskKey(series, t);
        LabelStatus.Refusal refused;
        synchronized (refusals) {
            refused = refusals.get(key);
        }
        Optional<LabelIntake.Accepted> accepted = intake.acceptedLabel(key);
        boolean trained = accepted.flatMap(a -> ledger.task(t).map(s -> s.covers(a))).orElse(false);
        Optional<HeldOutSplit.Role> heldOut = accepted.flatMap(a -> ledger.task(t).flatMap(s -> s.heldOut(a)));
        Optional<Map.Entry<Instant, String>> lastRun = ledger.lastFinished(t).flatMap(at -> ledger.lastResult(t)
                .filter(r -> r.equals("published") || r.equals("refused")).map(r -> Map.entry(at, r)));
        return LabelStatus.of(series, t, accepted, intake.waitingLabel(key), Optional.ofNullable(refused),
                trained, heldOut, lastRun);
    }

    /**
     * The states {@link #labelStatuses} filters by: a label's state, accepted and not trained on yet,
     * or accepted and held out of the last run to choose or judge it.
     */
    static final List<String> LABEL_STATES = List.of("accepted", "waiting", "refused", "untrained", "held_out");

    /**
     * Every label of {@code task} the trainer holds, waits for or refused (since its start, and as read
     * back from the dead-letter topic), each as {@link #labelStatus} says it, by series; with {@code
     * state}, only those in it ("untrained": accepted and not yet trained on; "held_out": accepted and
     * held out of the last run, {@link HeldOutSplit}). Counts of each state come with the list,
     * whatever the filter.
     *
     * <p>A page of them: the first {@code limit} (0: all) whose series sorts after {@code after}
     * (null: from the first); when more follow, {@code next} names the series to pass as {@code
     * after} for the next page.
     *
     * @throws IllegalArgumentException a task that takes no labels, an unknown state, or a negative limit
     */
    public Map<String, Object> labelStatuses(String task, String state, int limit, String after) {
        String t = TrainingTask.of(task).id();
        if (state != null && !LABEL_STATES.contains(state)) {
            throw new IllegalArgumentException("state must be one of " + LABEL_STATES + ", got '" + state + "'");
        }
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be 0 (all) or more, got " + limit);
        }
        java.util.Set<String> keys = new java.util.TreeSet<>(intake.keys(t));
        String suffix = ":" + t;
        synchronized (refusals) {
            refusals.keySet().stream().filter(k -> k.endsWith(suffix)).forEach(keys::add);
        }
        List<Map<String, Object>> labels = new ArrayList<>();
        Map<String, Integer> counts = new LinkedHashMap<>();
        LABEL_STATES.forEach(x -> counts.put(x, 0));
        String next = null;
        for (String key : keys) {
            String series = key.substring(0, key.length() - suffix.length());
            Map<String, Object> one = labelStatus(series, t);
            String s = String.valueOf(one.get("state"));
            boolean untrained = one.get("accepted") instanceof Map<?, ?> a && Boolean.FALSE.equals(a.get("trained"));
            boolean heldOut = one.get("accepted") instanceof Map<?, ?> a && a.containsKey("held_out");
            counts.merge(s, 1, Integer::sum);
            if (untrained) {
                counts.merge("untrained", 1, Integer::sum);
            }
            if (heldOut) {
                counts.merge("held_out", 1, Integer::sum);
            }
            boolean listed = (state == null || state.equals(s) || state.equals("untrained") && untrained
                    || state.equals("held_out") && heldOut)
                    && (after == null || series.compareTo(after) > 0);
            if (listed && limit > 0 && labels.size() == limit) {
                next = String.valueOf(labels.get(labels.size() - 1).get("series"));
            } else if (listed) {
                labels.add(one);
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("task", t);
        out.put("counts", counts);
        out.put("labels", labels);
        if (next != null) {
            out.put("next", next);
        }
        return out;
    }

    /** How far back suggestions look: results older than this are not kept for them. */
    static final Duration SUGGESTIONS_WINDOW = Duration.ofDays(30);

    /** A ranking, and the time from which results were looked at (no earlier than {@link #SUGGESTIONS_WINDOW} ago). */
    public record Suggestions(LabelSuggestions.Listing listing, Instant since) {}

    /**
     * The series whose newest result of {@code task} made since {@code since} a radiologist should
     * correct first ({@link LabelSuggestions}), ranked against the labels this trainer holds (accepted,
     * or waiting for their images: a label it refused leaves its series in) and the series the PACS
     * withdrew. The results come from a {@link ResultIndex}: the first call reads the last 30 days of
     * them, each later one what came since, at most for {@code timeout}.
     *
     * @throws IllegalArgumentException a task that takes no labels
     * @throws IllegalStateException    the label store has not been read to its end since the start
     * @throws org.apache.kafka.common.KafkaException the results could not be read to their end in time
     */
    public Suggestions suggestions(String task, Instant since, Duration timeout) {
        if (!TrainingTask.isLabelled(task)) {
            throw new IllegalArgumentException("unknown task '" + task + "' (one of lung, infection, liver, vessel)");
        }
        if (!labelsRead.get()) {
            throw new IllegalStateException("the label store is still being read since the trainer started: which series "
                    + "are labelled is not known yet");
        }
        ResultIndex.Answer results = resultIndex.newest(task, since, timeout, Instant.now());
        return new Suggestions(LabelSuggestions.rank(results.newest(), series -> {
            String key = Topics.seriesTaskKey(series, task);
            return intake.acceptedLabel(key).map(LabelIntake.Accepted::label)
                    .or(() -> intake.waitingLabel(key).map(LabelIntake.Incoming::label))
                    .map(LabelSuggestions.Origin::of).orElse(null);
        }, series -> intake.withdrawal(series).isPresent(), (int) Math.min(Integer.MAX_VALUE, results.undecodable())),
                results.since());
    }

    /** Whether the trainer holds a label under {@code key} (series:task), accepted or waiting for its images. */
    boolean holdsLabel(String key) {
        return intake.acceptedLabel(key).isPresent() || intake.waitingLabel(key).isPresent();
    }

    /** The label topic's name. */
    String labelTopic() {
        return topics.labels().name();
    }

    /**
     * Sends {@code label} under {@code key} (series:task) onto the label topic, or a tombstone for a
     * null label (a withdrawal), and waits for Kafka's acknowledgement; the label loop then takes it in
     * as any other.
     */
    void send(String key, CorrectedLabel label) throws Exception {
        Topic<String, CorrectedLabel> t = topics.labels();
        producer.send(new ProducerRecord<>(t.name(), key, label == null ? null
                : t.valueSerde().serializer().serialize(t.name(), label))).get(30, TimeUnit.SECONDS);
    }

    /** The archive directory a settings object points at (for label bootstrap from the same archive). */
    public static Path archiveDir(TrainerSettings settings) {
        return settings.archiveDir();
    }

    @Override
    public void close() {
        running.set(false);
        consumers.forEach(KafkaConsumer::wakeup);
        http.ifPresent(TrainerHttp::close);
        resultIndex.close();
        triggers.shutdownNow();
        training.shutdownNow();
        for (Thread t : threads) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            training.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(5));
        audit.applicationActivity("trainer", false);
        audit.close();
        try {
            workDirLock.close();
        } catch (IOException e) {
            log.warn("work directory lock of {} not released: {}", settings.workDir(), e.toString());
        }
    }
}
