package org.radstream.streams;

import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.radstream.schemas.AvroSerde;
import org.radstream.schemas.SchemaStore;
import org.radstream.schemas.Topic;
import org.radstream.schemas.Topics;

/**
 * One in-process KRaft broker per test JVM (the DEPENDENCIES.md recipe), used until the platform
 * module's PlatformExtension is committed. Topics are created by {@link StreamsApp#start()}.
 */
final class EmbeddedBroker {
    private static EmbeddedBroker instance;

    final String bootstrap;
    private final KafkaRaftServer server;

    static synchronized EmbeddedBroker get() throws Exception {
        if (instance == null) {
            instance = new EmbeddedBroker();
            EmbeddedBroker b = instance;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                b.server.shutdown();
                b.server.awaitShutdown();
            }));
        }
        return instance;
    }

    /**
     * A schema store whose ids are the same in every JVM: each catalogue topic's value schema is
     * registered in catalogue order before anything else, so a child process and the test agree.
     */
    static SchemaStore registry() {
        SchemaStore store = new SchemaStore();
        for (Topic<?, ?> t : new Topics(new SchemaStore()).all()) {
            store.register(t.name() + "-value", ((AvroSerde<?>) t.valueSerde()).schema());
        }
        return store;
    }

    private EmbeddedBroker() throws Exception {
        int port = freePort();
        int controllerPort = freePort();
        Path dir = Files.createTempDirectory("sp-kraft");
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
        p.put("group.min.session.timeout.ms", "1000");
        p.put("transaction.abort.timed.out.transaction.cleanup.interval.ms", "500");
        p.put("message.max.bytes", Integer.toString(Topics.PIXEL_MAX_MESSAGE_BYTES + 1024));
        KafkaConfig config = new KafkaConfig(p, false);
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
        server = new KafkaRaftServer(config, Time.SYSTEM);
        server.startup();
        bootstrap = "127.0.0.1:" + port;
    }

    private static int freePort() throws java.io.IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
