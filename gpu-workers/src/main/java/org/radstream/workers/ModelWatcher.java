package org.radstream.workers;

import ai.djl.Device;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.radstream.avro.DeadLetter;
import org.radstream.avro.ModelPublished;
import org.radstream.models.ModelArtifact;
import org.radstream.models.ModelIntegrityException;
import org.radstream.models.ModelMetadata;
import org.radstream.models.ModelStore;
import org.radstream.models.PatchClassifier;
import org.radstream.models.SegmentationModel;
import org.radstream.models.StoredModel;
import org.radstream.schemas.KafkaClientConfig;
import org.radstream.schemas.Topic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows {@code radstream.models} (compacted, key = task) from its beginning on its own thread
 * and consumer (no group: every worker reads every announcement). For each announcement of one
 * of the group's tasks it verifies and loads the artifact in the background — the announced
 * SHA-256 must equal the artifact's recorded one, and the parameter file must hash to it — and
 * offers it to {@link LiveModels}, which swaps it in between series. A refused version keeps the
 * old model: it is logged at WARN, counted, and reported as a dead letter.
 *
 * <p>At start it reads the topic to its end first and loads only the newest version of each task;
 * {@link #awaitReady} lets the worker wait for that before its first series.
 */
final class ModelWatcher implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(ModelWatcher.class);

    private final Topic<String, ModelPublished> topic;
    private final Properties consumerProps;
    private final TaskGroup group;
    private final Device device;
    private final Path storeDir;
    private final LiveModels live;
    private final WorkerMetrics metrics;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final CountDownLatch ready = new CountDownLatch(1);
    private final Map<String, String> loadedVersion = new HashMap<>();
    private volatile KafkaConsumer<String, byte[]> consumer;

    ModelWatcher(Topic<String, ModelPublished> topic, String bootstrap, KafkaClientConfig kafkaClient, String clientId,
            TaskGroup group, Device device, Path storeDir, LiveModels live, WorkerMetrics metrics) {
        this.topic = topic;
        this.group = group;
        this.device = device;
        this.storeDir = storeDir;
        this.live = live;
        this.metrics = metrics;
        consumerProps = new Properties();
        consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        kafkaClient.addTo(consumerProps);
        consumerProps.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString());
        consumerProps.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    }

    /** Waits until the topic was read to its end once and those versions were loaded (or refused). */
    boolean awaitReady(Duration timeout) throws InterruptedException {
        return ready.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    void stop() {
        running.set(false);
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
    }

    @Override
    public void run() {
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(consumerProps, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            consumer = c;
            if (!running.get()) {
                return;
            }
            List<TopicPartition> parts = partitions(c);
            while (parts.isEmpty() && running.get()) {
                ready.countDown(); // no topic yet, so no models: the worker need not wait
                Thread.sleep(1000);
                parts = partitions(c);
            }
            if (!running.get()) {
                return;
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            Map<String, ConsumerRecord<String, byte[]>> newest = new LinkedHashMap<>();
            while (running.get() && !caughtUp(c, end)) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    ModelPublished p = decode(r);
                    if (p != null && group.modelTasks().contains(p.getTask())) {
                        newest.put(p.getTask(), r);
                    }
                }
            }
            for (ConsumerRecord<String, byte[]> r : newest.values()) {
                apply(r, decode(r));
            }
            loadFromStore(newest.keySet());
            ready.countDown();
            while (running.get()) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(500))) {
                    ModelPublished p = decode(r);
                    if (p != null && group.modelTasks().contains(p.getTask())) {
                        apply(r, p);
                    }
                }
            }
        } catch (WakeupException e) {
            if (running.get()) {
                throw e;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("model watcher of the {} workers stopped: models stay as they are", group.id(), e);
        } finally {
            ready.countDown();
        }
    }

    private List<TopicPartition> partitions(KafkaConsumer<String, byte[]> c) {
        List<org.apache.kafka.common.PartitionInfo> infos = c.listTopics().containsKey(topic.name())
                ? c.partitionsFor(topic.name()) : List.of();
        return infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
    }

    private static boolean caughtUp(KafkaConsumer<String, byte[]> c, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (c.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    private ModelPublished decode(ConsumerRecord<String, byte[]> r) {
        if (r.value() == null) {
            return null;
        }
        try {
            return topic.valueSerde().deserializer().deserialize(r.topic(), r.value());
        } catch (RuntimeException e) {
            log.warn("undecodable model announcement at {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
            live.refused(report(r, r.key(), "undecodable model announcement: " + e.getMessage()));
            metrics.modelLoadFailed(r.key() == null ? "unknown" : r.key());
            return null;
        }
    }

    /** Loads one announced version, unless it is the one already running. */
    private void apply(ConsumerRecord<String, byte[]> r, ModelPublished p) {
        String task = p.getTask();
        if (p.getVersion().equals(loadedVersion.get(task))) {
            return;
        }
        try {
            LoadedModel model = load(task, p.getVersion(), toUri(p.getLocation()), p.getSha256());
            loadedVersion.put(task, p.getVersion());
            live.offer(model);
            log.info("model {} version {} verified and loaded from {}; it applies from the next series",
                    task, p.getVersion(), p.getLocation());
        } catch (IOException | RuntimeException e) {
            String keeping = loadedVersion.containsKey(task) ? "version " + loadedVersion.get(task) : "the HU-threshold baseline";
            String reason = "model " + task + " version " + p.getVersion() + " refused ("
                    + (e instanceof ModelIntegrityException ? "integrity" : e.getClass().getSimpleName()) + "): "
                    + e.getMessage() + "; keeping " + keeping;
            log.warn("{}", reason);
            metrics.modelLoadFailed(task);
            live.refused(report(r, task, reason));
        }
    }

    /** Tasks never announced on the topic take the store's newest version, when a store is configured. */
    private void loadFromStore(java.util.Set<String> announced) {
        if (storeDir == null) {
            return;
        }
        ModelStore store = new ModelStore(storeDir);
        for (String task : group.modelTasks()) {
            if (announced.contains(task)) {
                continue;
            }
            try {
                Optional<ModelArtifact> latest = store.latest(task);
                if (latest.isPresent()) {
                    ModelMetadata m = latest.get().metadata();
                    String version = String.valueOf(m.version());
                    LoadedModel model = load(task, version, latest.get().location(), m.sha256());
                    loadedVersion.put(task, version);
                    live.offer(model);
                    log.info("model {} version {} loaded from the store {} (not announced on {})",
                            task, version, storeDir, topic.name());
                }
            } catch (IOException | RuntimeException e) {
                log.warn("model {} from the store {} refused: {}; using the HU-threshold baseline",
                        task, storeDir, e.getMessage());
                metrics.modelLoadFailed(task);
            }
        }
    }

    /**
     * Verifies and loads an artifact: the announced checksum must match the artifact's metadata,
     * which {@link ModelStore#load} checks against the parameter file before any weight is used.
     */
    LoadedModel load(String task, String version, URI location, String announcedSha256) throws IOException {
        ModelMetadata metadata = ModelStore.readMetadata(location);
        if (!metadata.task().equals(task)) {
            throw new ModelIntegrityException("artifact at " + location + " is a " + metadata.task()
                    + " model, announced for " + task);
        }
        if (!metadata.sha256().equalsIgnoreCase(announcedSha256)) {
            throw new ModelIntegrityException("announced sha256 " + announcedSha256 + " differs from the artifact's "
                    + metadata.sha256() + " at " + location);
        }
        StoredModel stored = ModelStore.load(location, device);
        if (TaskGroup.Tasks.INFECTION_CLASSIFIER.equals(task)) {
            return LoadedModel.of(task, version, location, PatchClassifier.of(stored));
        }
        return LoadedModel.of(task, version, location, SegmentationModel.of(stored));
    }

    static URI toUri(String location) {
        if (location.startsWith("/")) {
            return Path.of(location).toUri();
        }
        return URI.create(location);
    }

    private DeadLetter report(ConsumerRecord<String, byte[]> r, String key, String reason) {
        return DeadLetter.newBuilder()
                .setComponent(InferenceWorker.COMPONENT + "/model-watcher")
                .setSourceTopic(r.topic())
                .setPartition(r.partition())
                .setOffset(r.offset())
                .setKey(key)
                .setReason(reason)
                .setAttempts(1)
                .setFailedAt(Instant.now())
                .setValue(r.value() == null ? null : ByteBuffer.wrap(r.value()))
                .build();
    }
}
