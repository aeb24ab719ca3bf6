package org.radstream.schemas;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads what a topic holds from a time to the end it has when asked, as what lists radstream's
 * records does ({@code dead-letters}, {@code label suggest}, the trainer's suggestions): committed
 * records only, no group, nothing committed.
 */
public final class TopicScan {
    private TopicScan() {}

    /** A consumer for scans: read_committed, no group, records up to the pixel topics' size. */
    public static KafkaConsumer<String, byte[]> consumer(String bootstrapServers, KafkaClientConfig client) {
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        client.addTo(c);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.PIXEL_MAX_MESSAGE_BYTES);
        return new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
    }

    /**
     * Hands {@code each} every record of {@code topic} stamped from {@code since} on, up to the end
     * each partition had when asked, in offset order per partition.
     *
     * @return whether the end was reached within {@code timeout}
     */
    public static boolean scan(KafkaConsumer<String, byte[]> consumer, String topic, Instant since, Duration timeout,
            Consumer<ConsumerRecord<String, byte[]>> each) {
        return readToEnd(consumer, assignFrom(consumer, topic, since, timeout), timeout, each);
    }

    /**
     * Assigns {@code consumer} every partition of {@code topic}, each positioned at its first record
     * stamped from {@code since} on (at its end when there is none).
     *
     * @return the partitions
     */
    public static List<TopicPartition> assignFrom(KafkaConsumer<String, byte[]> consumer, String topic, Instant since,
            Duration timeout) {
        List<TopicPartition> parts = consumer.partitionsFor(topic, timeout).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(parts);
        Map<TopicPartition, Long> at = new HashMap<>();
        parts.forEach(p -> at.put(p, since.toEpochMilli()));
        Map<TopicPartition, OffsetAndTimestamp> start = consumer.offsetsForTimes(at, timeout);
        Map<TopicPartition, Long> end = consumer.endOffsets(parts, timeout);
        for (TopicPartition p : parts) {
            OffsetAndTimestamp o = start.get(p);
            consumer.seek(p, o == null ? end.get(p) : o.offset());
        }
        return parts;
    }

    /**
     * Hands {@code each} every record of {@code parts} from where {@code consumer} stands to the end
     * each had when asked, in offset order per partition.
     *
     * @return whether the end was reached within {@code timeout} (what was read stays read)
     */
    public static boolean readToEnd(KafkaConsumer<String, byte[]> consumer, List<TopicPartition> parts, Duration timeout,
            Consumer<ConsumerRecord<String, byte[]>> each) {
        Map<TopicPartition, Long> end = consumer.endOffsets(parts, timeout);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (parts.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            consumer.poll(Duration.ofMillis(200)).forEach(each);
        }
        return true;
    }
}
