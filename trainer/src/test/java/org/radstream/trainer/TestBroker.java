package org.radstream.trainer;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.radstream.platform.EmbeddedKafka;
import org.radstream.schemas.KafkaClientConfig;
import org.radstream.schemas.SchemaStore;
import org.radstream.schemas.Topic;
import org.radstream.schemas.Topics;

/**
 * One in-process KRaft broker per test JVM, with radstream's topics, and an in-process schema
 * store, on the platform module's {@link EmbeddedKafka}; abandoned transactions are aborted within about a second here, so a crashed
 * worker's transaction does not hold its partitions for long.
 */
final class TestBroker {
    private static TestBroker instance;

    final String bootstrap;
    /** The listener that takes only clients authenticated as {@link #SASL_USER} ({@link #saslClient}). */
    final String saslBootstrap;
    static final String SASL_USER = "radstream-test";
    static final String SASL_PASSWORD = "radstream-test-password";
    final SchemaStore registry = new SchemaStore();
    final Topics topics = new Topics(registry, Topics.DEFAULT_PARTITIONS);
    private final EmbeddedKafka kafka;

    static synchronized TestBroker get() throws Exception {
        if (instance == null) {
            instance = new TestBroker();
            Runtime.getRuntime().addShutdownHook(new Thread(instance::stop));
        }
        return instance;
    }

    private TestBroker() throws Exception {
        kafka = EmbeddedKafka.start(Files.createTempDirectory("trainer-kraft"), Map.of(SASL_USER, SASL_PASSWORD));
        bootstrap = kafka.bootstrap();
        saslBootstrap = kafka.saslBootstrap();
        kafka.createTopics(topics.specs());
    }

    /** What a service's {@code --kafka-config} holds to reach {@link #saslBootstrap}. */
    static KafkaClientConfig saslClient() {
        return EmbeddedKafka.saslClient(SASL_USER, SASL_PASSWORD);
    }

    /** Every value on {@code topic}, read from its start to the end it had when asked. */
    <V> List<V> values(Topic<String, V> topic) {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(topic.name()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            List<V> out = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (parts.stream().anyMatch(p -> consumer.position(p) < end.get(p)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(300))) {
                    out.add(topic.valueSerde().deserializer().deserialize(r.topic(), r.value()));
                }
            }
            return out;
        }
    }

    /** Deletes every record of a topic so that a new consumer group starts on an empty log. */
    void truncate(String topic) throws Exception {
        kafka.truncate(topic);
    }

    private void stop() {
        kafka.close();
    }
}
