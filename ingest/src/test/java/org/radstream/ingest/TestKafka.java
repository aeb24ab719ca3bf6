package org.radstream.ingest;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.radstream.schemas.SchemaStore;
import org.radstream.schemas.Topic;
import org.radstream.schemas.TopicSpec;
import org.radstream.schemas.Topics;

/**
 * An in-process KRaft broker with radstream's topics and an in-process schema store, until the
 * platform module's embedded platform is committed. {@link #shared()} is one per test JVM; the
 * Kafka-down test makes its own with {@link #create()} and stops and restarts it on the same ports
 * and log directory.
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
    private final KafkaConfig config;
    private KafkaRaftServer server;

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
        int port = freePort();
        int controllerPort = freePort();
        Path dir = Files.createTempDirectory("ingest-kraft");
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", dir.toString());
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("socket.receive.buffer.bytes", Integer.toString(1 << 20));
        p.put("message.max.bytes", Integer.toString(Topics.PIXEL_MAX_MESSAGE_BYTES + 1024));
        config = new KafkaConfig(p, false);
        new Formatter()
                .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                .setNodeId(1)
                .setClusterId(Uuid.randomUuid().toString())
                .setDirectories(List.of(dir.toString()))
                .setMetadataLogDirectory(dir.toString())
                .setControllerListenerName("CONTROLLER")
                .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
                .setHasDynamicQuorum(false)
                .run();
        bootstrap = "127.0.0.1:" + port;
        start();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            List<NewTopic> create = new ArrayList<>();
            for (TopicSpec spec : topics.specs()) {
                create.add(new NewTopic(spec.name(), spec.partitions(), (short) 1).configs(spec.configs()));
            }
            admin.createTopics(create).all().get();
            List<String> names = topics.specs().stream().map(TopicSpec::name).toList();
            for (int i = 0; i < 100; i++) {
                boolean ready = admin.describeTopics(names).allTopicNames().get().values().stream()
                        .allMatch(d -> d.partitions().stream().allMatch(pi -> pi.leader() != null));
                if (ready) {
                    break;
                }
                Thread.sleep(100);
            }
        }
    }

    synchronized void start() {
        server = new KafkaRaftServer(config, Time.SYSTEM);
        server.startup();
    }

    synchronized void stop() {
        if (server != null) {
            server.shutdown();
            server.awaitShutdown();
            server = null;
        }
    }

    @Override
    public void close() {
        stop();
    }

    /** Settings for an ingest on this broker: free ports, 1 s stability, short producer bounds. */
    IngestSettings settings() {
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

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
