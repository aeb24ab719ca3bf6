package org.radstream.ingest;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.radstream.platform.EmbeddedKafka;
import org.radstream.schemas.KafkaClientConfig;
import org.radstream.schemas.SchemaStore;
import org.radstream.schemas.Topic;
import org.radstream.schemas.Topics;

/**
 * The platform module's in-process KRaft broker ({@link EmbeddedKafka}) with radstream's topics and
 * an in-process schema store. {@link #shared()} is one per test JVM; the Kafka-down test makes its
 * own with {@link #create()} and stops and restarts it on the same ports and log directory.
 */
final class TestKafka implements AutoCloseable {
    private static TestKafka shared;

    static {
        // the broker and PixelMed log through java.util.logging here: keep test output to our WARN/ERROR
        java.util.logging.LogManager.getLogManager().reset();
    }

    final SchemaStore registry = new SchemaStore();
    final Topics topics = new Topics(registry, Topics.DEFAULT_PARTITIONS);
    final String bootstrap;
    /** The listener that takes only clients authenticated as {@link #SASL_USER} ({@link #saslClient}). */
    final String saslBootstrap;
    static final String SASL_USER = "radstream-test";
    static final String SASL_PASSWORD = "radstream-test-password";
    private final EmbeddedKafka kafka;

    static synchronized TestKafka shared() throws Exception {
        if (shared == null) {
            shared = create();
            Runtime.getRuntime().addShutdownHook(new Thread(shared::close));
        }
        return shared;
    }

    static TestKafka create() throws Exception {
        return new TestKafka();
    }

    private TestKafka() throws Exception {
        kafka = EmbeddedKafka.start(Files.createTempDirectory("ingest-kraft"), Map.of(SASL_USER, SASL_PASSWORD));
        bootstrap = kafka.bootstrap();
        saslBootstrap = kafka.saslBootstrap();
        kafka.createTopics(topics.specs());
    }

    /** What a service's {@code --kafka-config} holds to reach {@link #saslBootstrap}. */
    static KafkaClientConfig saslClient() {
        return EmbeddedKafka.saslClient(SASL_USER, SASL_PASSWORD);
    }

    /** Starts the broker again after {@link #stop}, on the same ports and log. */
    void start() {
        kafka.restart();
    }

    void stop() {
        kafka.stop();
    }

    @Override
    public void close() {
        kafka.close();
    }

    /** Settings for an ingest on this broker: free ports, 1 s stability, short producer bounds. */
    IngestSettings settings() {
        return settings(bootstrap);
    }

    /** The same settings on the SASL listener, its clients connecting with {@code client}. */
    IngestSettings saslSettings(KafkaClientConfig client) {
        return settings(saslBootstrap).withKafkaClient(client);
    }

    private static IngestSettings settings(String bootstrap) {
        return IngestSettings.defaults(bootstrap, null)
                .withDicomPort(0)
                .withHttpPort(0)
                .withStabilityTime(Duration.ofMillis(1000))
                .withDeliveryTimeout(Duration.ofSeconds(3))
                .withMaxBlock(Duration.ofSeconds(2));
    }

    /** A consumer of {@code topic} positioned at the current end of every partition. */
    <V> KafkaConsumer<String, V> consumerAtEnd(Topic<String, V> topic) {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID());
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.PIXEL_MAX_MESSAGE_BYTES * 2);
        KafkaConsumer<String, V> consumer = new KafkaConsumer<>(c, topic.keySerde().deserializer(), topic.valueSerde().deserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(topic.name()).stream()
                .map(pi -> new TopicPartition(pi.topic(), pi.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);
        return consumer;
    }

    /** Polls until {@code until} says enough was read or {@code timeout} passes; returns everything read. */
    static <V> List<ConsumerRecord<String, V>> poll(KafkaConsumer<String, V> consumer, Duration timeout,
                                                   java.util.function.Predicate<List<ConsumerRecord<String, V>>> until) {
        List<ConsumerRecord<String, V>> out = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline && !until.test(out)) {
            consumer.poll(Duration.ofMillis(200)).forEach(out::add);
        }
        return out;
    }
}
