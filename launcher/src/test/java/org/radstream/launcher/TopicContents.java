package org.radstream.launcher;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.radstream.platform.Platform;
import org.radstream.schemas.Topic;

/** What a topic of the test platform holds, read from its start to where it ended when asked (committed records). */
final class TopicContents {
    private TopicContents() {}

    /** Every record of {@code t}, keys and decoded values, read within 30 s. */
    static <V> List<ConsumerRecord<String, V>> all(Platform platform, Topic<String, V> t) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, platform.bootstrap());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<String, V>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(t.name()).stream()
                    .map(i -> new TopicPartition(t.name(), i.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    out.add(new ConsumerRecord<>(r.topic(), r.partition(), r.offset(), r.key(),
                            r.value() == null ? null : t.valueSerde().deserializer().deserialize(t.name(), r.value())));
                }
            }
        }
        return out;
    }
}
