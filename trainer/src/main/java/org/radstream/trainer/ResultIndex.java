package org.radstream.trainer;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.radstream.avro.InferenceResult;
import org.radstream.schemas.Topic;
import org.radstream.schemas.TopicScan;

/**
 * The newest result of each series and task made within a window (30 days), for the trainer's
 * suggestions: a worklist asks again and again, and reading a month of results (masks and all)
 * each time would cost far more than the answer. The first request reads the window; each later
 * one reads only what came since, where the last left off. Only what a listing needs of a result
 * is kept ({@link LabelSuggestions.Made}), and entries that leave the window are dropped.
 */
final class ResultIndex implements AutoCloseable {
    private final Supplier<KafkaConsumer<String, byte[]>> consumers;
    private final Topic<String, InferenceResult> topic;
    private final Duration window;
    /** Per series:task, the newest result and when its record was written. */
    private final Map<String, Entry> newest = new HashMap<>();
    /** Opened by the first request; volatile so that {@link #close} can wake a request reading with it. */
    private volatile KafkaConsumer<String, byte[]> consumer;
    private List<TopicPartition> partitions;
    private long undecodable;

    private record Entry(LabelSuggestions.Made made, String task, long writtenAt) {}

    /** What the index answers: the newest results, and how many records it skipped as undecodable so far. */
    record Answer(List<LabelSuggestions.Made> newest, long undecodable, Instant since) {}

    ResultIndex(Supplier<KafkaConsumer<String, byte[]>> consumers, Topic<String, InferenceResult> topic, Duration window) {
        this.consumers = consumers;
        this.topic = topic;
        this.window = window;
    }

    /**
     * The newest result of {@code task} per series, among those written from {@code since} on (no
     * earlier than the window's start: {@link Answer#since} says from when), once the topic has been
     * read to the end it has now.
     *
     * @throws org.apache.kafka.common.errors.TimeoutException the end was not reached within {@code timeout}
     *                                                         (what was read stays read)
     */
    synchronized Answer newest(String task, Instant since, Duration timeout, Instant now) {
        long windowStart = now.minus(window).toEpochMilli();
        if (consumer == null) {
            open(windowStart, timeout);
        }
        if (!TopicScan.readToEnd(consumer, partitions, timeout, this::take)) {
            throw new org.apache.kafka.common.errors.TimeoutException(
                    "read " + topic.name() + " for " + timeout.toSeconds() + " s without reaching its end");
        }
        newest.values().removeIf(e -> e.writtenAt() < windowStart);
        Instant from = since.toEpochMilli() < windowStart ? Instant.ofEpochMilli(windowStart) : since;
        List<LabelSuggestions.Made> out = new ArrayList<>();
        for (Entry e : newest.values()) {
            if (e.task().equals(task) && e.writtenAt() >= from.toEpochMilli()) {
                out.add(e.made());
            }
        }
        return new Answer(out, undecodable, from);
    }

    /** Opens the consumer at the window's start; kept only once it is positioned (a failed start is tried again). */
    private void open(long windowStart, Duration timeout) {
        KafkaConsumer<String, byte[]> c = consumers.get();
        try {
            partitions = TopicScan.assignFrom(c, topic.name(), Instant.ofEpochMilli(windowStart), timeout);
            consumer = c;
        } catch (RuntimeException e) {
            c.close(Duration.ZERO);
            throw e;
        }
    }

    private void take(ConsumerRecord<String, byte[]> r) {
        if (r.value() == null) {
            return;
        }
        InferenceResult result;
        try {
            result = topic.valueSerde().deserializer().deserialize(r.topic(), r.value());
        } catch (RuntimeException e) {
            undecodable++;
            return;
        }
        LabelSuggestions.Made made = LabelSuggestions.Made.of(result);
        String task = result.getTask().toString();
        newest.merge(made.series() + ":" + task, new Entry(made, task, r.timestamp()),
                (a, b) -> b.made().producedAt().isBefore(a.made().producedAt()) ? a : b);
    }

    /** Wakes a request still reading (it ends with a WakeupException, answered 503), then closes the consumer. */
    @Override
    public void close() {
        KafkaConsumer<String, byte[]> reading = consumer;
        if (reading != null) {
            reading.wakeup();
        }
        synchronized (this) {
            if (consumer != null) {
                consumer.close(Duration.ofSeconds(5));
            }
        }
    }
}
