package org.radstream.workers;

import ai.djl.Device;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.radstream.avro.DeadLetter;
import org.radstream.avro.InferenceResult;
import org.radstream.avro.Mask;
import org.radstream.avro.SeriesComplete;
import org.radstream.avro.TaskSliceEvent;
import org.radstream.avro.WindowedSlice;
import org.radstream.imaging.Rle;
import org.radstream.models.Devices;
import org.radstream.schemas.HealthMetricsServer;
import org.radstream.schemas.Topic;
import org.radstream.schemas.Topics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One inference worker of a task group: reads the group's task topic in a consumer group,
 * assembles each series in memory, runs the group's segmentations when the series-complete
 * marker arrives and publishes one {@link InferenceResult} per task — in the same Kafka
 * transaction as the consumed offsets ({@code sendOffsetsToTransaction} with the consumer's
 * group metadata), so a result is published exactly once whatever crashes.
 *
 * <h2>Offsets</h2>
 * Per partition, the committed offset is {@code min(first offset of any open series, next offset)}
 * and the commit metadata lists the series already handled beyond it (see {@link PartitionState}):
 * a new owner of the partition skips their records. Revoked partitions drop their open series;
 * the new owner re-reads them from the committed offset.
 *
 * <h2>Failures</h2>
 * <ul>
 *   <li>Fatal (fenced producer, authorization, authentication, unsupported version): the worker
 *       stops; {@link #failure()} says why.</li>
 *   <li>Any other Kafka error: the transaction is aborted, every partition seeks back to its
 *       committed offset and the in-memory state is rebuilt from the committed metadata.</li>
 *   <li>A poisoned series (wrong count, inconsistent slice sizes, inference failing
 *       {@code maxAttempts} times, or a result that could not be published {@code maxAttempts}
 *       times) becomes a {@link DeadLetter} on the inference dead-letter topic, committed like a
 *       result: the partition moves on.</li>
 *   <li>A series without a new slice for {@code markerTimeout} is reported ("missing
 *       series-complete marker") and dropped.</li>
 * </ul>
 *
 * <p>Threads: {@link #run()} is the poll loop (it owns the consumer, the producer and every
 * model in use); {@link #close()} may be called from any thread.
 */
public final class InferenceWorker implements Runnable, AutoCloseable {
    /** The component name in dead letters. */
    public static final String COMPONENT = "gpu-workers";

    private static final Logger log = LoggerFactory.getLogger(InferenceWorker.class);
    /** Largest result record the producer may send (its max.request.size, less headers). */
    static final int MAX_RESULT_BYTES = Topics.PIXEL_MAX_MESSAGE_BYTES - 16 * 1024;

    private final WorkerSettings settings;
    private final Topics topics;
    private final Topic<String, TaskSliceEvent> taskTopic;
    private final Device device;
    private final WorkerMetrics metrics;
    private final LiveModels models;
    private final ModelWatcher watcher;
    private final SeriesInference inference;
    private final HealthMetricsServer http;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicBoolean started = new AtomicBoolean(false);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Map<TopicPartition, PartitionState> partitions = new HashMap<>();
    private final Set<TopicPartition> paused = new HashSet<>();
    private final Map<String, Integer> publishFailures = new HashMap<>();
    private final Map<String, String> lastPublishError = new HashMap<>();

    private volatile KafkaConsumer<String, byte[]> consumer;
    private KafkaProducer<String, byte[]> producer;
    private volatile boolean halted;
    private volatile Throwable failure;
    private volatile FaultHook faultHook = seriesUid -> { };
    private boolean rewound;
    private boolean inTransaction;
    private KafkaException lastTransactionError;
    private volatile Thread pollThread;
    private boolean earlyWork;

    /** Test seam: called inside each result transaction just before it commits. */
    interface FaultHook {
        void beforeCommit(String seriesUid);
    }

    /** Thrown by a fault hook after {@link #halt()}: the worker dies as if its process had. */
    static final class Halted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Halted() {
            super("worker halted", null, false, false);
        }
    }

    /** A worker with the given settings; clients start in {@link #run()}, the HTTP server now. */
    public InferenceWorker(WorkerSettings settings, Topics topics) {
        this.settings = settings;
        this.topics = topics;
        this.taskTopic = topics.tasks(settings.taskGroup().id());
        if (settings.threads() > 0) {
            // read by the PyTorch engine when it loads; later changes have no effect
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(settings.threads()));
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
        this.device = Devices.parse(settings.device());
        this.metrics = new WorkerMetrics(settings.taskGroup().id());
        this.models = new LiveModels(metrics);
        this.watcher = new ModelWatcher(topics.models(), settings.bootstrap(), settings.kafkaClient(),
                settings.transactionalId() + "-models", settings.taskGroup(), device, settings.modelStoreDir(),
                models, metrics);
        this.inference = new SeriesInference(settings.taskGroup(), settings.batchSize());
        try {
            this.http = settings.httpPort() < 0 ? null : HealthMetricsServer.start(settings.httpPort(),
                    "radstream-worker-metrics", metrics::isRunning, metrics::lastError, metrics::render);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve metrics on port " + settings.httpPort(), e);
        }
    }

    public WorkerSettings settings() {
        return settings;
    }

    public WorkerMetrics metrics() {
        return metrics;
    }

    /** The port of {@code /metrics} and {@code /health}, or -1 when disabled. */
    public int httpPort() {
        return http == null ? -1 : http.port();
    }

    /** Why the worker stopped on its own (fatal error), or null. */
    public Throwable failure() {
        return failure;
    }

    /** Waits for the poll loop to end. */
    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    void faultHook(FaultHook hook) {
        this.faultHook = hook;
    }

    /**
     * Test seam: stops like a crash. The open transaction is neither committed nor aborted (the
     * producer closes without waiting), the in-memory series are lost; the consumer leaves the
     * group so that the partitions move at once.
     */
    void halt() {
        halted = true;
        running.set(false);
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
    }

    /** The poll loop; returns when {@link #close()} is called or a fatal error occurs. */
    @Override
    public void run() {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("worker already started");
        }
        pollThread = Thread.currentThread();
        Thread watcherThread = new Thread(watcher, "radstream-" + settings.instanceId() + "-models");
        watcherThread.setDaemon(true);
        try {
            Devices.requireAvailable(device);
            producer = new KafkaProducer<>(producerProps(), new StringSerializer(), new ByteArraySerializer());
            consumer = new KafkaConsumer<>(consumerProps(), new StringDeserializer(), new ByteArrayDeserializer());
            producer.initTransactions();
            watcherThread.start();
            if (!watcher.awaitReady(settings.modelsReadyTimeout())) {
                log.warn("{} not read to its end within {}: starting with the models loaded so far",
                        topics.models(), settings.modelsReadyTimeout());
            }
            consumer.subscribe(List.of(taskTopic.name()), new Rebalance());
            metrics.running(running.get());
            log.info("worker {} of group {} consuming {} (device {}, batch {})", settings.instanceId(),
                    settings.groupId(), taskTopic, device, settings.batchSize());
            while (running.get()) {
                ConsumerRecords<String, byte[]> records = consumer.poll(earlyWork ? Duration.ZERO : settings.pollTimeout());
                try {
                    handle(records);
                    earlyWork = inferEarly();
                    expireStale();
                    publishRefusals();
                    backpressure();
                    observeLag();
                } catch (KafkaException e) {
                    recover(e, "processing");
                }
            }
        } catch (WakeupException e) {
            if (running.get()) {
                fail(e);
            }
        } catch (Halted e) {
            log.info("worker {} halted", settings.instanceId());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail(e);
        } catch (RuntimeException | Error e) {
            if (!halted) {
                fail(e);
            }
        } finally {
            running.set(false);
            metrics.running(false);
            watcher.stop();
            closeClients();
            try {
                watcherThread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            models.close();
            stopped.countDown();
        }
    }

    /** Stops the poll loop (flag + wakeup) and waits for it; stops the HTTP server. */
    @Override
    public void close() {
        running.set(false);
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        watcher.stop();
        try {
            if (started.get() && !isPollThread()) {
                if (!stopped.await(60, TimeUnit.SECONDS)) {
                    log.warn("worker {} did not stop within 60 s", settings.instanceId());
                }
            } else if (!started.get()) {
                models.close();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (http != null) {
                http.close();
            }
        }
    }

    private boolean isPollThread() {
        return Thread.currentThread() == pollThread;
    }

    private void fail(Throwable e) {
        failure = e;
        metrics.lastError(e.toString());
        log.error("worker {} of group {} stopped: {}", settings.instanceId(), settings.groupId(), e.toString(), e);
    }

    private void closeClients() {
        Duration grace = halted ? Duration.ZERO : Duration.ofSeconds(10);
        if (consumer != null) {
            try {
                consumer.close(Duration.ofSeconds(10));
            } catch (RuntimeException e) {
                log.warn("closing the consumer of {}: {}", settings.instanceId(), e.toString());
            }
        }
        if (producer != null) {
            try {
                producer.close(grace);
            } catch (RuntimeException e) {
                log.warn("closing the producer of {}: {}", settings.instanceId(), e.toString());
            }
        }
    }

    // ---------------------------------------------------------------- records

    private void handle(ConsumerRecords<String, byte[]> records) {
        rewound = false;
        long now = System.currentTimeMillis();
        for (TopicPartition tp : records.partitions()) {
            for (ConsumerRecord<String, byte[]> r : records.records(tp)) {
                PartitionState state = partitions.get(tp);
                if (state == null || rewound) {
                    return; // revoked, or rewound to the committed offsets: the rest is fetched again
                }
                handle(state, r, now);
                if (rewound) {
                    return;
                }
            }
            PartitionState state = partitions.get(tp);
            if (state != null) {
                state.advanceTo(consumer.position(tp));
            }
        }
    }

    private void handle(PartitionState state, ConsumerRecord<String, byte[]> r, long now) {
        TaskSliceEvent event;
        try {
            event = taskTopic.valueSerde().deserializer().deserialize(r.topic(), r.value());
            if (event == null) {
                throw new IllegalArgumentException("null value (tombstone)");
            }
        } catch (RuntimeException e) {
            state.skip(r.offset());
            String reason = "undecodable task event at " + r.topic() + "-" + r.partition() + "@" + r.offset()
                    + ": " + e.getMessage();
            log.warn("{}", reason);
            transact(List.of(deadLetterRecord(r, r.key(), reason, 1)), r.key(), () -> metrics.deadLetter("undecodable"));
            return;
        }
        String uid = event.getSeriesUid();
        Object body = event.getBody();
        if (body instanceof WindowedSlice slice) {
            if (state.offerSlice(r.offset(), uid, slice, now)) {
                metrics.slice();
            } else {
                metrics.sliceSkipped();
            }
        } else if (body instanceof SeriesComplete marker) {
            switch (state.offerMarker(r.offset(), uid)) {
                case ALREADY_HANDLED -> log.info("series {} at {}@{} was handled before the last commit; skipped",
                        uid, state.partition(), r.offset());
                case ORPHAN -> {
                    String reason = "series-complete marker without slices in flight (series dropped earlier for a"
                            + " missing marker, or never sent)";
                    log.warn("{} {} at {}@{}", reason, uid, state.partition(), r.offset());
                    transact(List.of(deadLetterRecord(r, uid, reason, 1)), uid, () -> metrics.deadLetter("orphan-marker"));
                }
                case COMPLETE -> complete(state, r, state.completed(), marker);
            }
        } else {
            state.skip(r.offset());
        }
    }

    /**
     * One batch of forward passes on the slices of an open series received so far (see
     * {@link SeriesInference#prefetch}), between polls: work done while the sender is still sending
     * and during the ingest's stability wait, when the worker would otherwise be idle. Any failure is
     * left to completion, which runs (and retries, and reports) whatever is still missing.
     *
     * @return whether more may be done before the next series completes (poll without waiting)
     */
    private boolean inferEarly() {
        for (PartitionState state : partitions.values()) {
            for (SeriesBuffer buffer : state.open()) {
                if (!buffer.earlyWorkLeft()) {
                    continue;
                }
                long start = System.nanoTime();
                int forwarded = 0;
                try {
                    forwarded = inference.prefetch(buffer.seriesUid(), buffer.slices(), models.forNextSeries(),
                            buffer.early(), settings.batchSize());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (Exception e) {
                    log.debug("early inference of series {} failed, left to completion: {}", buffer.seriesUid(), e.toString());
                }
                if (forwarded == 0) {
                    buffer.noEarlyWorkLeft();
                    continue;
                }
                long busyMs = (System.nanoTime() - start) / 1_000_000;
                for (PartitionState p : partitions.values()) {
                    p.postponeAll(busyMs);
                }
                return true;
            }
        }
        return false;
    }

    /** Assembles, infers and publishes one complete series, or dead-letters it. */
    private void complete(PartitionState state, ConsumerRecord<String, byte[]> markerRecord, SeriesBuffer buffer,
            SeriesComplete marker) {
        String uid = buffer.seriesUid();
        String attemptKey = state.partition() + "@" + markerRecord.offset();
        int failedPublishes = publishFailures.getOrDefault(attemptKey, 0);
        long start = System.nanoTime();
        List<ProducerRecord<String, byte[]>> out;
        String kind;
        List<TaskOutput> outputs = List.of();
        int depth = buffer.slices().size();
        try {
            if (failedPublishes >= settings.maxAttempts()) {
                throw new PoisonedSeriesException("result could not be published in " + failedPublishes
                        + " attempts: " + lastPublishError.get(attemptKey));
            }
            AssembledSeries series = SeriesAssembly.assemble(uid, buffer.slices(), marker);
            double assembleMs = (System.nanoTime() - start) / 1e6;
            ModelSet set = models.forNextSeries();
            int early = buffer.early().computed();
            outputs = inferWithRetries(series, set, uid, buffer.early());
            int late = buffer.early().computed() - early;
            metrics.forwardPasses(early, late);
            log.info("series {}: {} slices, {} slice forward passes before its marker, {} after, {} ms from marker to results",
                    uid, series.depth(), early, late, Math.round((System.nanoTime() - start) / 1e6));
            double totalMs = (System.nanoTime() - start) / 1e6;
            out = new ArrayList<>(outputs.size());
            for (TaskOutput o : outputs) {
                out.add(resultRecord(series, o, assembleMs, totalMs));
            }
            depth = series.depth();
            kind = null;
        } catch (PoisonedSeriesException e) {
            log.warn("series {} at {}@{} dead-lettered: {}", uid, state.partition(), markerRecord.offset(), e.getMessage());
            boolean publishFailed = failedPublishes >= settings.maxAttempts();
            boolean inferenceFailed = !publishFailed && e.getCause() != null;
            int attempts = publishFailed ? failedPublishes : inferenceFailed ? settings.maxAttempts() : 1;
            out = List.of(deadLetterRecord(markerRecord, uid, e.getMessage(), attempts));
            kind = publishFailed ? "publish-failed" : inferenceFailed ? "inference-failed" : "invalid-series";
        }
        // the poll loop was busy with this series: that time is not a sender's silence
        long busyMs = (System.nanoTime() - start) / 1_000_000;
        for (PartitionState other : partitions.values()) {
            other.postponeAll(busyMs);
        }
        List<TaskOutput> published = outputs;
        String deadKind = kind;
        int slices = depth;
        boolean ok = transact(out, uid, () -> {
            if (deadKind != null) {
                metrics.deadLetter(deadKind);
            } else {
                for (TaskOutput o : published) {
                    metrics.result(o.task(), o.method());
                    if (!Double.isNaN(o.stability())) {
                        metrics.stability(o.task(), o.stability());
                    }
                }
                double inferMs = published.stream().mapToDouble(o -> o.inferenceMs() + o.postprocessMs()).sum();
                metrics.inferencePerSlice(inferMs / Math.max(1, slices));
                metrics.forward(published.stream().mapToDouble(TaskOutput::forwardMs).sum());
            }
            metrics.seriesLatency(System.currentTimeMillis() - buffer.firstArrivalMs());
        });
        if (ok) {
            publishFailures.remove(attemptKey);
            lastPublishError.remove(attemptKey);
        } else {
            publishFailures.merge(attemptKey, 1, Integer::sum);
            lastPublishError.put(attemptKey, lastTransactionError == null ? "unknown" : rootCause(lastTransactionError));
        }
    }

    private List<TaskOutput> inferWithRetries(AssembledSeries series, ModelSet set, String uid, SliceResults early)
            throws PoisonedSeriesException {
        Exception last = null;
        for (int attempt = 1; attempt <= settings.maxAttempts(); attempt++) {
            try {
                return inference.run(series, set, early);
            } catch (PoisonedSeriesException e) {
                throw e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted during inference of " + uid, e);
            } catch (Exception e) {
                last = e;
                log.warn("inference of series {} failed (attempt {}/{}): {}", uid, attempt, settings.maxAttempts(),
                        e.toString());
            }
        }
        throw new PoisonedSeriesException("inference failed " + settings.maxAttempts() + " times: " + last, last);
    }

    /** Series idle longer than the marker timeout: reported and dropped, advancing the commit point. */
    private void expireStale() {
        long now = System.currentTimeMillis();
        long timeout = settings.markerTimeout().toMillis();
        for (PartitionState state : List.copyOf(partitions.values())) {
            if (paused.contains(state.partition())) {
                continue;
            }
            for (SeriesBuffer b : state.expire(now, timeout)) {
                String reason = String.format(java.util.Locale.ROOT,
                        "missing series-complete marker after %d s (%d slices buffered, offsets %d..%d)",
                        settings.markerTimeout().toSeconds(), b.slices().size(), b.firstOffset(), b.lastOffset());
                log.warn("series {} on {}: {}", b.seriesUid(), state.partition(), reason);
                DeadLetter dl = deadLetter(state.partition(), b.lastOffset(), b.seriesUid(), reason, 1, null);
                boolean ok = transact(List.of(new ProducerRecord<>(topics.inferenceDeadLetters().name(), b.seriesUid(),
                        encode(topics.inferenceDeadLetters(), dl))), b.seriesUid(), () -> {
                            metrics.markerTimeout();
                            metrics.deadLetter("missing-marker");
                        });
                if (!ok) {
                    return;
                }
            }
        }
    }

    /** Refused model versions, reported by the watcher, go out as dead letters. */
    private void publishRefusals() {
        DeadLetter dl;
        while ((dl = models.pollRefusal()) != null) {
            DeadLetter report = dl;
            if (!transact(List.of(new ProducerRecord<>(topics.inferenceDeadLetters().name(), report.getKey(),
                    encode(topics.inferenceDeadLetters(), report))), report.getKey(), () -> metrics.deadLetter("model-refused"))) {
                models.refused(report);
                return;
            }
        }
    }

    /**
     * Above the in-flight bound, pauses every partition except the one holding the oldest open
     * series (whose slices must keep coming for it to complete); resumes all once below.
     */
    private void backpressure() {
        long bytes = 0;
        long open = 0;
        PartitionState oldest = null;
        long oldestArrival = Long.MAX_VALUE;
        for (PartitionState s : partitions.values()) {
            bytes += s.bufferedBytes();
            for (SeriesBuffer b : s.open()) {
                open++;
                if (b.firstArrivalMs() < oldestArrival) {
                    oldestArrival = b.firstArrivalMs();
                    oldest = s;
                }
            }
        }
        if (bytes > settings.maxInFlightBytes()) {
            Set<TopicPartition> toPause = new HashSet<>(partitions.keySet());
            if (oldest != null) {
                toPause.remove(oldest.partition());
            }
            toPause.removeAll(paused);
            if (!toPause.isEmpty()) {
                consumer.pause(toPause);
                paused.addAll(toPause);
                log.info("{} bytes in flight exceed {}: paused {}", bytes, settings.maxInFlightBytes(), toPause);
            }
        } else if (!paused.isEmpty()) {
            Set<TopicPartition> resume = new HashSet<>(paused);
            resume.retainAll(partitions.keySet());
            consumer.resume(resume);
            long now = System.currentTimeMillis();
            for (TopicPartition tp : resume) {
                partitions.get(tp).touchAll(now);
            }
            paused.clear();
        }
        metrics.inFlight(bytes, open, paused.size());
    }

    private void observeLag() {
        for (TopicPartition tp : partitions.keySet()) {
            OptionalLong lag = consumer.currentLag(tp);
            if (lag.isPresent()) {
                metrics.lag(tp.toString(), lag.getAsLong());
            }
        }
    }

    // ---------------------------------------------------------------- transactions

    /**
     * Publishes {@code out} and every partition's commit point in one transaction.
     *
     * @return whether it committed; false after a transient failure (then everything was rewound)
     */
    private boolean transact(List<ProducerRecord<String, byte[]>> out, String seriesUid, Runnable onCommit) {
        try {
            producer.beginTransaction();
            inTransaction = true;
            for (ProducerRecord<String, byte[]> r : out) {
                producer.send(r);
            }
            Map<TopicPartition, OffsetAndMetadata> offsets = commitPoints();
            if (!offsets.isEmpty()) {
                producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
            }
            faultHook.beforeCommit(seriesUid);
            producer.commitTransaction();
            inTransaction = false;
            onCommit.run();
            return true;
        } catch (KafkaException e) {
            lastTransactionError = e;
            recover(e, "publishing for series " + seriesUid);
            return false;
        }
    }

    private Map<TopicPartition, OffsetAndMetadata> commitPoints() {
        Map<TopicPartition, OffsetAndMetadata> offsets = new LinkedHashMap<>();
        for (PartitionState s : partitions.values()) {
            PartitionState.Encoded meta = s.commitMetadata(settings.metadataMaxBytes());
            if (meta.dropped() > 0) {
                log.warn("commit metadata of {} is full: {} handled series beyond the commit point are not recorded;"
                        + " a crash before the commit point passes them would publish them again",
                        s.partition(), meta.dropped());
            }
            OptionalLong offset = s.commitOffset();
            if (offset.isPresent()) {
                offsets.put(s.partition(), new OffsetAndMetadata(offset.getAsLong(), meta.text()));
            }
        }
        return offsets;
    }

    /** Fatal errors stop the worker; anything else aborts, rewinds to the committed offsets and goes on. */
    private void recover(KafkaException e, String what) {
        if (e instanceof WakeupException) {
            throw e; // close() was called: the loop ends, the open transaction is aborted on close
        }
        if (e instanceof InterruptException) {
            Thread.currentThread().interrupt();
            throw e;
        }
        if (isFatal(e)) {
            throw e;
        }
        log.warn("transient Kafka error while {} ({}): aborting and re-reading from the committed offsets",
                what, rootCause(e));
        metrics.aborted();
        try {
            if (inTransaction) {
                producer.abortTransaction();
                inTransaction = false;
            }
        } catch (KafkaException abortFailed) {
            if (isFatal(abortFailed)) {
                throw abortFailed;
            }
            throw new KafkaException("cannot abort the transaction after " + e, abortFailed);
        }
        rewind();
    }

    /** Seeks every assigned partition back to its committed offset and restores its state from the metadata. */
    private void rewind() {
        rewound = true;
        Set<TopicPartition> assigned = consumer.assignment();
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(assigned);
        partitions.clear();
        for (TopicPartition tp : assigned) {
            OffsetAndMetadata c = committed.get(tp);
            partitions.put(tp, PartitionState.restore(tp, c));
            if (c != null) {
                consumer.seek(tp, c.offset());
            } else {
                consumer.seekToBeginning(List.of(tp));
            }
        }
        if (!paused.isEmpty()) {
            consumer.resume(paused);
            paused.clear();
        }
    }

    /** The exception and, when it wraps one, the innermost cause: "error state" alone says nothing. */
    static String rootCause(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == e ? e.toString() : e + ", caused by " + root;
    }

    static boolean isFatal(Throwable e) {
        return e instanceof ProducerFencedException
                || e instanceof InvalidProducerEpochException
                || e instanceof FencedInstanceIdException
                || e instanceof OutOfOrderSequenceException
                || e instanceof AuthorizationException
                || e instanceof AuthenticationException
                || e instanceof UnsupportedVersionException;
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
            drop(revoked, "revoked");
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> lost) {
            drop(lost, "lost");
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
            if (assigned.isEmpty()) {
                return;
            }
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new HashSet<>(assigned));
            for (TopicPartition tp : assigned) {
                PartitionState state = PartitionState.restore(tp, committed.get(tp));
                partitions.put(tp, state);
                metrics.assignedPartitions(partitions.size());
                log.info("worker {} assigned {} at {} ({} handled series beyond it)", settings.instanceId(), tp,
                        committed.get(tp) == null ? "the beginning" : committed.get(tp).offset(), state.handled().size());
            }
        }

        private void drop(Collection<TopicPartition> gone, String how) {
            for (TopicPartition tp : gone) {
                PartitionState state = partitions.remove(tp);
                metrics.assignedPartitions(partitions.size());
                paused.remove(tp);
                metrics.forgetLag(tp.toString());
                publishFailures.keySet().removeIf(k -> k.startsWith(tp + "@"));
                if (state != null && !state.open().isEmpty()) {
                    log.info("worker {}: partition {} {} with {} series in flight; its next owner re-reads them",
                            settings.instanceId(), tp, how, state.open().size());
                }
            }
        }
    }

    // ---------------------------------------------------------------- records out

    private ProducerRecord<String, byte[]> resultRecord(AssembledSeries s, TaskOutput o, double assembleMs,
            double totalMs) throws PoisonedSeriesException {
        WindowedSlice first = s.first();
        double voxelMm3 = s.voxelVolumeMm3();
        Map<String, Double> timings = new LinkedHashMap<>();
        timings.put("assemble", assembleMs);
        timings.put("inference", o.inferenceMs());
        timings.put("postprocess", o.postprocessMs());
        timings.put("forward", o.forwardMs());
        timings.put("stability", o.stabilityMs());
        timings.put("total", totalMs);
        InferenceResult result = InferenceResult.newBuilder()
                .setSeriesUid(s.seriesUid())
                .setTask(o.task())
                .setTaskGroup(settings.taskGroup().id())
                .setPatientId(first.getPatientId())
                .setPatientName(first.getPatientName())
                .setStudyUid(first.getStudyUid())
                .setAccessionNumber(first.getAccessionNumber())
                .setAcquisitionTime(first.getAcquisitionTime())
                .setSliceCount(s.depth())
                .setVoxelVolumeMm3(voxelMm3)
                .setVolumeMl(o.mask().count() * voxelMm3 / 1000.0)
                .setMask(Mask.newBuilder().setWidth(s.width()).setHeight(s.height()).setDepth(s.depth())
                        .setRle(ByteBuffer.wrap(Rle.encode(o.mask()))).build())
                .setMethod(o.method())
                .setModelVersion(o.modelVersion())
                .setClassifierVersion(o.classifierVersion())
                .setComponentsRemoved(o.componentsRemoved())
                .setMaskStability(Double.isNaN(o.stability()) ? null : o.stability())
                .setTimingsMs(timings)
                .setProducedAt(Instant.now())
                .setGeometry(s.geometry())
                .build();
        String key = Topics.seriesTaskKey(s.seriesUid(), o.task());
        byte[] value = encode(topics.results(), result);
        if (value.length > MAX_RESULT_BYTES) {
            // deterministic: retrying would fail the same way, so it is poison, not a transient error
            throw new PoisonedSeriesException("the " + o.task() + " result is " + value.length + " bytes (mask RLE "
                    + result.getMask().getRle().remaining() + " bytes), above the " + MAX_RESULT_BYTES
                    + "-byte record limit: the mask is too fragmented to publish");
        }
        return new ProducerRecord<>(topics.results().name(), key, value);
    }

    private ProducerRecord<String, byte[]> deadLetterRecord(ConsumerRecord<String, byte[]> r, String key, String reason,
            int attempts) {
        DeadLetter dl = deadLetter(new TopicPartition(r.topic(), r.partition()), r.offset(), key, reason, attempts,
                r.value());
        return new ProducerRecord<>(topics.inferenceDeadLetters().name(), key, encode(topics.inferenceDeadLetters(), dl));
    }

    private DeadLetter deadLetter(TopicPartition tp, long offset, String key, String reason, int attempts, byte[] value) {
        return DeadLetter.newBuilder()
                .setComponent(COMPONENT + "/" + settings.taskGroup().id())
                .setSourceTopic(tp.topic())
                .setPartition(tp.partition())
                .setOffset(offset)
                .setKey(key)
                .setReason(reason)
                .setAttempts(attempts)
                .setFailedAt(Instant.now())
                .setValue(value == null ? null : ByteBuffer.wrap(value))
                .build();
    }

    private static <V> byte[] encode(Topic<String, V> topic, V value) {
        return topic.valueSerde().serializer().serialize(topic.name(), value);
    }

    // ---------------------------------------------------------------- client configs

    private Properties consumerProps() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrap());
        settings.kafkaClient().addTo(p);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, settings.groupId());
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, settings.transactionalId());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 64);
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 2 * Topics.PIXEL_MAX_MESSAGE_BYTES);
        // a 300-slice series on a CPU takes minutes; the group must not evict us meanwhile
        p.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, (int) Duration.ofMinutes(15).toMillis());
        return p;
    }

    private Properties producerProps() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrap());
        settings.kafkaClient().addTo(p);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, settings.transactionalId() + "-producer");
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, settings.transactionalId());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.PIXEL_MAX_MESSAGE_BYTES);
        p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) settings.transactionTimeout().toMillis());
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        return p;
    }
}
