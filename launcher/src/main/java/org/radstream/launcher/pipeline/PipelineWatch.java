package org.radstream.launcher.pipeline;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.radstream.avro.DeadLetter;
import org.radstream.avro.DicomSliceEvent;
import org.radstream.avro.InferenceResult;
import org.radstream.avro.PoirMeasurement;
import org.radstream.avro.ProgressionAlert;
import org.radstream.avro.RejectedInstance;
import org.radstream.avro.SeriesComplete;
import org.radstream.avro.TaskSliceEvent;
import org.radstream.schemas.AvroSerde;
import org.radstream.schemas.Topics;

/**
 * Follows a series through the pipeline by reading what each stage committed (read_committed):
 * the ingest's series-complete marker, the windowed marker on the task topic, the inference results,
 * the PoIR measurement and the alerts, plus every dead letter. Pixel records are never decoded:
 * only their timestamps count (a series' first slice), and only small records there are markers.
 * Events go to a listener as they arrive; the collected state answers the summary and evaluation.
 */
public final class PipelineWatch implements AutoCloseable {
    /** Pixel-topic records below this size are markers, not slices (a slice holds ≥ 4 KiB of pixels). */
    private static final int MARKER_MAX_BYTES = 4096;

    /** What happened, in arrival order. */
    public sealed interface Event permits Received, Windowed, Inferred, Measured, Alerted, DeadLettered {}

    public record Received(String seriesUid, SeriesComplete marker, Instant firstSliceAt, Instant at) implements Event {}

    public record Windowed(String seriesUid, String taskGroup, Instant at) implements Event {}

    public record Inferred(InferenceResult result, Instant at) implements Event {}

    public record Measured(PoirMeasurement measurement, Instant at) implements Event {}

    public record Alerted(ProgressionAlert alert, Instant at) implements Event {}

    public record DeadLettered(String topic, String key, String reason) implements Event {}

    /** Stage times of one series. */
    public static final class SeriesTrack {
        public volatile Instant firstSlice;
        public volatile Instant received;
        public volatile Instant windowed;
        public final Map<String, InferenceResult> results = new ConcurrentHashMap<>();
        public final Map<String, Instant> resultAt = new ConcurrentHashMap<>();
        public volatile PoirMeasurement measurement;
        public volatile Instant measuredAt;
        public volatile SeriesComplete marker;
    }

    private final Topics topics;
    private final Consumer<Event> listener;
    private final Map<String, SeriesTrack> series = new ConcurrentHashMap<>();
    private final List<ProgressionAlert> alerts = new CopyOnWriteArrayList<>();
    private final List<DeadLettered> deadLetters = new CopyOnWriteArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final KafkaConsumer<String, byte[]> consumer;
    private final Admin admin;
    private final Thread thread;

    public PipelineWatch(String bootstrap, Topics topics, Consumer<Event> listener) {
        this.topics = topics;
        this.listener = listener;
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString().toLowerCase(Locale.ROOT));
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 * Topics.PIXEL_MAX_MESSAGE_BYTES);
        this.consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        Properties a = new Properties();
        a.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        this.admin = Admin.create(a);
        this.thread = new Thread(this::run, "pipeline-watch");
        thread.setDaemon(true);
    }

    public PipelineWatch start() {
        thread.start();
        return this;
    }

    private List<String> watched() {
        return List.of(Topics.SLICES, Topics.TASKS_CHEST, Topics.TASKS_LIVER, Topics.RESULTS, Topics.POIR, Topics.ALERTS,
                Topics.REJECTED, Topics.SERIES_UNMATCHED, Topics.STREAMS_DEAD_LETTERS, Topics.INFERENCE_DEAD_LETTERS);
    }

    private void run() {
        try {
            List<TopicPartition> parts = new ArrayList<>();
            for (String t : watched()) {
                for (PartitionInfo pi : consumer.partitionsFor(t)) {
                    parts.add(new TopicPartition(t, pi.partition()));
                }
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            while (running.get()) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    try {
                        handle(r);
                    } catch (RuntimeException e) {
                        emit(new DeadLettered(r.topic(), r.key(), "pipeline watch could not read " + r.topic() + "-"
                                + r.partition() + "@" + r.offset() + ": " + e.getMessage()));
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    @SuppressWarnings("unchecked")
    private static <V> V decode(org.radstream.schemas.Topic<String, V> topic, ConsumerRecord<String, byte[]> r) {
        return (V) ((AvroSerde<?>) topic.valueSerde()).decode(r.topic(), r.partition(), r.offset(), r.value());
    }

    private void handle(ConsumerRecord<String, byte[]> r) {
        // when a stage's output became readable (committed): Kafka Streams' outputs carry their
        // input's timestamp, so record timestamps do not tell when a stage finished
        Instant at = Instant.now();
        switch (r.topic()) {
            case Topics.SLICES -> {
                SeriesTrack s = track(r.key());
                Instant produced = Instant.ofEpochMilli(r.timestamp());
                if (s.firstSlice == null || produced.isBefore(s.firstSlice)) {
                    s.firstSlice = produced;
                }
                if (r.value() != null && r.value().length < MARKER_MAX_BYTES) {
                    DicomSliceEvent e = decode(topics.slices(), r);
                    if (e.getBody() instanceof SeriesComplete m) {
                        s.marker = m;
                        s.received = at;
                        emit(new Received(r.key(), m, s.firstSlice, at));
                    }
                }
            }
            case Topics.TASKS_CHEST, Topics.TASKS_LIVER -> {
                if (r.value() != null && r.value().length < MARKER_MAX_BYTES) {
                    TaskSliceEvent e = decode(topics.tasksChest(), r);
                    if (e.getBody() instanceof SeriesComplete) {
                        SeriesTrack s = track(r.key());
                        s.windowed = at;
                        emit(new Windowed(r.key(), r.topic().equals(Topics.TASKS_CHEST) ? "chest" : "liver", at));
                    }
                }
            }
            case Topics.RESULTS -> {
                InferenceResult res = decode(topics.results(), r);
                SeriesTrack s = track(res.getSeriesUid());
                s.results.put(res.getTask(), res);
                s.resultAt.put(res.getTask(), at);
                emit(new Inferred(res, at));
            }
            case Topics.POIR -> {
                PoirMeasurement m = decode(topics.poir(), r);
                SeriesTrack s = track(m.getSeriesUid());
                s.measurement = m;
                s.measuredAt = at;
                emit(new Measured(m, at));
            }
            case Topics.ALERTS -> {
                ProgressionAlert a = decode(topics.alerts(), r);
                if (a.getRetraction() != null) {
                    alerts.removeIf(standing -> standing.getAlertId().equals(a.getAlertId())); // it no longer stands
                } else {
                    alerts.add(a);
                }
                emit(new Alerted(a, at));
            }
            case Topics.REJECTED -> {
                RejectedInstance x = decode(topics.rejected(), r);
                deadLetter(new DeadLettered(r.topic(), r.key(), x.getReason()));
            }
            default -> {
                DeadLetter d = decode(topics.streamsDeadLetters(), r);
                deadLetter(new DeadLettered(r.topic(), r.key(), d.getReason()));
            }
        }
    }

    private void deadLetter(DeadLettered d) {
        deadLetters.add(d);
        emit(d);
    }

    private void emit(Event e) {
        try {
            listener.accept(e);
        } catch (RuntimeException ex) {
            System.err.println("pipeline watch listener failed on " + e + ": " + ex);
        }
    }

    private SeriesTrack track(String seriesUid) {
        return series.computeIfAbsent(seriesUid, k -> new SeriesTrack());
    }

    /** The track of a series (empty until something of it was seen). */
    public SeriesTrack series(String seriesUid) {
        return track(seriesUid);
    }

    public Map<String, SeriesTrack> allSeries() {
        return Map.copyOf(series);
    }

    /** The alerts raised and not retracted, in the order they came. */
    public List<ProgressionAlert> alerts() {
        return List.copyOf(alerts);
    }

    public List<DeadLettered> deadLetters() {
        return List.copyOf(deadLetters);
    }

    /** Waits until {@code done} holds or the timeout passes; true when it holds. */
    public boolean await(java.util.function.BooleanSupplier done, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) {
                return false;
            }
            Thread.sleep(100);
        }
        return true;
    }

    /**
     * Records each consumer group has still to read of its input (committed offset to the log end),
     * summed over partitions; -1 when the group has committed nothing yet.
     */
    public Map<String, Long> lag(Collection<String> groupIds) {
        Map<String, Long> out = new java.util.LinkedHashMap<>();
        for (String group : groupIds) {
            try {
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                        .partitionsToOffsetAndMetadata().get(5, TimeUnit.SECONDS);
                if (committed.isEmpty()) {
                    out.put(group, -1L);
                    continue;
                }
                Map<TopicPartition, OffsetSpec> ask = new HashMap<>();
                committed.keySet().forEach(tp -> ask.put(tp, OffsetSpec.latest()));
                var ends = admin.listOffsets(ask, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all()
                        .get(5, TimeUnit.SECONDS);
                long lag = 0;
                for (var e : committed.entrySet()) {
                    if (e.getValue() != null && ends.containsKey(e.getKey())) {
                        lag += Math.max(0, ends.get(e.getKey()).offset() - e.getValue().offset());
                    }
                }
                out.put(group, lag);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return out;
            } catch (ExecutionException | TimeoutException e) {
                out.put(group, -1L);
            }
        }
        return out;
    }

    @Override
    public void close() {
        running.set(false);
        consumer.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        admin.close(Duration.ofSeconds(2));
    }
}
