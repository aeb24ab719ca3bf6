package org.radstream.ingest;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.radstream.avro.RejectedSeries;
import org.radstream.avro.RejectionNote;
import org.radstream.schemas.Topic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The instances the PACS rejected (IHE IOCM rejection notes on radstream.dicom.rejection-notes), so
 * that one sent again is recognised: a modality or router that sends withdrawn images again (a study
 * filed under the wrong patient, say) would otherwise put them back into the pipeline, and, once the
 * progression topology has forgotten the withdrawal, into a patient's timeline. A note that names
 * the series' instances rejects those; one that names none (a series withdrawn by hand) rejects the
 * whole series. Read from the topic's start by a thread of its own, and added to at once by the
 * ingest that publishes a note. At most {@link #KEPT} instances are remembered, the newest kept.
 */
final class RejectedInstances implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RejectedInstances.class);
    static final int KEPT = 1_000_000;
    private static final Duration RETRY = Duration.ofSeconds(10);

    /** The note that rejected an instance. */
    record Rejection(String noteUid, String code, String meaning, Instant receivedAt) {
        /** As a dead letter's reason names it. */
        String describe() {
            return "rejection note " + noteUid + " (" + code + " " + meaning + ", received " + receivedAt + ")";
        }
    }

    private final Map<String, Rejection> byInstance = lru();
    private final Map<String, Rejection> wholeSeries = lru();
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private final Topic<String, RejectionNote> topic;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    /** Each partition's end when the thread first assigned it: read to there, the notes known at the start are in. */
    private final Map<TopicPartition, Long> endAtStart = new java.util.HashMap<>();
    private volatile boolean running = true;
    /** False for {@link #none()}: what is added is forgotten. */
    private final boolean remembers;

    private RejectedInstances(Topic<String, RejectionNote> topic, KafkaConsumer<String, byte[]> consumer,
            boolean remembers) {
        this.topic = topic;
        this.consumer = consumer;
        this.remembers = remembers;
        this.thread = consumer == null ? null : new Thread(this::follow, "ingest-rejection-notes");
        if (thread == null) {
            caughtUp.countDown();
        }
    }

    /** Nothing is ever rejected (ingest --accept-rejected-again): no note is followed or remembered. */
    static RejectedInstances none() {
        return new RejectedInstances(null, null, false);
    }

    /** Remembers the notes {@link #add added} to it, and follows none: for tests. */
    static RejectedInstances inMemory() {
        return new RejectedInstances(null, null, true);
    }

    /** Follows {@code topic} from its start on a thread of its own. */
    static RejectedInstances following(IngestSettings settings, Topic<String, RejectionNote> topic) {
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrap());
        settings.kafkaClient().addTo(c);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        RejectedInstances r = new RejectedInstances(topic,
                new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer()), true);
        r.thread.setDaemon(true);
        r.thread.start();
        return r;
    }

    private static Map<String, Rejection> lru() {
        return new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Rejection> eldest) {
                return size() > KEPT;
            }
        };
    }

    /** Remembers what {@code note} rejects. */
    synchronized void add(RejectionNote note) {
        if (!remembers) {
            return;
        }
        Rejection r = new Rejection(note.getSopInstanceUid().toString(), note.getReasonCode().toString(),
                note.getReasonMeaning().toString(), note.getReceivedAt());
        for (RejectedSeries s : note.getSeries()) {
            List<String> sops = s.getSopInstanceUids();
            if (sops.isEmpty()) {
                wholeSeries.put(s.getSeriesUid().toString(), r);
            }
            sops.forEach(sop -> byInstance.put(sop, r));
        }
    }

    /** The note that rejected instance {@code sop} of {@code series} (null: the instance alone), if one did. */
    synchronized Optional<Rejection> find(String series, String sop) {
        Rejection r = byInstance.get(sop);
        return Optional.ofNullable(r != null || series == null ? r : wholeSeries.get(series));
    }

    /** Waits until the notes on the topic when it started were read (or {@code timeout}); true once they were. */
    boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void follow() {
        try {
            while (running) {
                if (consumer.assignment().isEmpty() && !assign()) {
                    Thread.sleep(RETRY.toMillis());
                    continue;
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    read(r);
                }
                if (caughtUp.getCount() > 0 && consumer.assignment().stream()
                        .allMatch(tp -> consumer.position(tp) >= endAtStart.getOrDefault(tp, 0L))) {
                    caughtUp.countDown();
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("reading {} stopped: instances the PACS rejected and that are sent again are processed again: {}",
                    topic.name(), e.toString(), e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private boolean assign() {
        List<TopicPartition> parts;
        try {
            parts = consumer.partitionsFor(topic.name(), Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        } catch (WakeupException e) {
            throw e;
        } catch (org.apache.kafka.common.KafkaException e) {
            log.warn("{} not readable yet ({}); tried again in {}", topic.name(), e.toString(), RETRY);
            return false;
        }
        if (parts.isEmpty()) {
            log.warn("{} does not exist yet; looked for again in {}", topic.name(), RETRY);
            return false;
        }
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
        endAtStart.putAll(consumer.endOffsets(parts));
        return true;
    }

    private void read(ConsumerRecord<String, byte[]> r) {
        try {
            RejectionNote note = r.value() == null ? null : topic.valueSerde().deserializer().deserialize(r.topic(), r.value());
            if (note != null) {
                add(note);
            }
        } catch (RuntimeException e) {
            log.warn("rejection note at {}-{}@{} unreadable, skipped: {}", r.topic(), r.partition(), r.offset(), e.toString());
        }
    }

    @Override
    public void close() {
        running = false;
        if (thread != null) {
            consumer.wakeup();
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
