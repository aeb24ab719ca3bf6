package org.radstream.platform;

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
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.LeaderNotAvailableException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.radstream.schemas.KafkaClientConfig;
import org.radstream.schemas.TopicSpec;
import org.radstream.schemas.Topics;

/**
 * A single-node Apache Kafka (KRaft, combined broker and controller) in this JVM: the embedded
 * default. Storage is formatted with {@link Formatter} before {@link KafkaRaftServer} starts, as
 * {@code kafka-storage.sh format} would. Both listeners take free ports, so several platforms can
 * run on one machine.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private static final Duration LEADER_WAIT = Duration.ofSeconds(30);

    private final KafkaConfig config;
    private final String bootstrap;
    private final String saslBootstrap;
    private final String sslBootstrap;
    private final Path logDir;
    private KafkaRaftServer server;

    private EmbeddedKafka(KafkaConfig config, String bootstrap, String saslBootstrap, String sslBootstrap, Path logDir) {
        this.config = config;
        this.bootstrap = bootstrap;
        this.saslBootstrap = saslBootstrap;
        this.sslBootstrap = sslBootstrap;
        this.logDir = logDir;
        restart();
    }

    /** Formats {@code logDir} (a fresh directory) and starts a broker on free loopback ports. */
    public static EmbeddedKafka start(Path logDir) throws IOException {
        return start(logDir, Map.of());
    }

    /**
     * The same, and where {@code saslUsers} (user name to password) is not empty, a second listener
     * that takes only clients authenticated with SASL/PLAIN as one of them (no TLS): for trying the
     * services' {@code --kafka-config} against a secured listener locally. The plain listener stays.
     */
    public static EmbeddedKafka start(Path logDir, Map<String, String> saslUsers) throws IOException {
        return start(logDir, saslUsers, null);
    }

    /**
     * The broker's own TLS key: a PKCS12 key store holding its key and certificate, and the store's
     * password (also the key's).
     */
    public record TlsKey(Path keyStore, String password) {}

    /**
     * The same, and with {@code tls} a third listener that speaks TLS only ({@link #sslBootstrap}),
     * presenting that key: for trying the services' TLS client settings locally.
     */
    public static EmbeddedKafka start(Path logDir, Map<String, String> saslUsers, TlsKey tls) throws IOException {
        Files.createDirectories(logDir);
        int port = freePort();
        int controllerPort = freePort();
        int saslPort = saslUsers.isEmpty() ? -1 : freePort();
        int sslPort = tls == null ? -1 : freePort();
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        List<String> listeners = new ArrayList<>(List.of("PLAINTEXT://127.0.0.1:" + port));
        List<String> protocols = new ArrayList<>(List.of("PLAINTEXT:PLAINTEXT", "CONTROLLER:PLAINTEXT"));
        if (!saslUsers.isEmpty()) {
            listeners.add("SASL_PLAINTEXT://127.0.0.1:" + saslPort);
            protocols.add("SASL_PLAINTEXT:SASL_PLAINTEXT");
            p.put("sasl.enabled.mechanisms", "PLAIN");
            p.put("listener.name.sasl_plaintext.plain.sasl.jaas.config", plainJaas(saslUsers));
        }
        if (tls != null) {
            listeners.add("SSL://127.0.0.1:" + sslPort);
            protocols.add("SSL:SSL");
            p.put("listener.name.ssl.ssl.keystore.type", "PKCS12");
            p.put("listener.name.ssl.ssl.keystore.location", tls.keyStore().toString());
            p.put("listener.name.ssl.ssl.keystore.password", tls.password());
            p.put("listener.name.ssl.ssl.key.password", tls.password());
        }
        p.put("advertised.listeners", String.join(",", listeners));
        listeners.add("CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("listeners", String.join(",", listeners));
        p.put("listener.security.protocol.map", String.join(",", protocols));
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", logDir.toString());
        p.put("num.partitions", Integer.toString(Topics.DEFAULT_PARTITIONS));
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
        p.put("socket.receive.buffer.bytes", Integer.toString(1 << 20)); // a 512² slice per read, not 100 KB
        p.put("message.max.bytes", Integer.toString(Topics.PIXEL_MAX_MESSAGE_BYTES + 1024));
        KafkaConfig config = new KafkaConfig(p, false);
        try {
            new Formatter()
                .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                .setNodeId(1)
                .setClusterId(Uuid.randomUuid().toString())
                .setDirectories(List.of(logDir.toString()))
                .setMetadataLogDirectory(logDir.toString())
                .setControllerListenerName("CONTROLLER")
                .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
                .setHasDynamicQuorum(false)
                .run();
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("could not format the KRaft storage in " + logDir + ": " + e.getMessage(), e);
        }
        return new EmbeddedKafka(config, "127.0.0.1:" + port, saslUsers.isEmpty() ? null : "127.0.0.1:" + saslPort,
                tls == null ? null : "127.0.0.1:" + sslPort, logDir);
    }

    /**
     * Starts the broker again after {@link #stop}, on the same ports and log: a broker outage that
     * ends, as the ingest's Kafka-down test needs. Does nothing while it runs.
     */
    public synchronized void restart() {
        if (server == null) {
            server = new KafkaRaftServer(config, Time.SYSTEM);
            server.startup();
        }
    }

    /** Stops the broker and keeps its log and ports for {@link #restart}; does nothing when stopped. */
    public synchronized void stop() {
        if (server != null) {
            server.shutdown();
            server.awaitShutdown();
            server = null;
        }
    }

    /** host:port for clients. */
    public String bootstrap() {
        return bootstrap;
    }

    /** host:port of the TLS listener; null when it has none. */
    public String sslBootstrap() {
        return sslBootstrap;
    }

    /** host:port of the SASL/PLAIN listener; null when it has none. */
    public String saslBootstrap() {
        return saslBootstrap;
    }

    /**
     * The client settings of a user of the SASL listener ({@code --kafka-config}'s content for it):
     * SASL/PLAIN without TLS, as that listener speaks.
     */
    public static KafkaClientConfig saslClient(String user, String password) {
        return new KafkaClientConfig(Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN",
                "sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                        + user + "\" password=\"" + password + "\";"));
    }

    /** The broker's JAAS entry that knows each user by its password (PLAIN's user_NAME="PASSWORD" options). */
    private static String plainJaas(Map<String, String> users) {
        StringBuilder jaas = new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required");
        for (Map.Entry<String, String> u : users.entrySet()) {
            if (!u.getKey().matches("[A-Za-z0-9._-]+") || u.getValue().isEmpty() || u.getValue().contains("\"")
                    || u.getValue().contains("\\")) {
                throw new IllegalArgumentException("a SASL user needs a name of letters, digits, '.', '_' or '-' and a "
                        + "password without quotes or backslashes, got user " + u.getKey());
            }
            jaas.append(" user_").append(u.getKey()).append("=\"").append(u.getValue()).append('"');
        }
        return jaas.append(';').toString();
    }

    /** Where the broker keeps its log. */
    public Path logDir() {
        return logDir;
    }

    /** Creates each topic of {@code specs} that does not exist yet, with its partitions and config. */
    public void createTopics(List<TopicSpec> specs) throws InterruptedException {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            Set<String> existing = admin.listTopics().names().get();
            List<NewTopic> missing = new ArrayList<>();
            for (TopicSpec s : specs) {
                if (!existing.contains(s.name())) {
                    missing.add(new NewTopic(s.name(), s.partitions(), (short) 1).configs(s.configs()));
                }
            }
            if (!missing.isEmpty()) {
                admin.createTopics(missing).all().get();
            }
            awaitLeaders(admin, specs.stream().map(TopicSpec::name).toList());
        } catch (ExecutionException e) {
            throw new IllegalStateException("could not create topics on " + bootstrap + ": " + e.getCause().getMessage(),
                    e.getCause());
        }
    }

    /**
     * Waits until every partition of {@code names} has a leader: a new topic takes a moment to get
     * its leaders, and until the broker has applied the controller's record it answers "does not host
     * this topic-partition" for a topic the controller has already created. Clients that started at
     * once would log and retry; a topic that never gets its leaders is an error.
     */
    private void awaitLeaders(Admin admin, List<String> names) throws InterruptedException, ExecutionException {
        long deadline = System.nanoTime() + LEADER_WAIT.toNanos();
        while (true) {
            try {
                boolean ready = admin.describeTopics(names).allTopicNames().get().values().stream()
                        .allMatch(d -> d.partitions().stream().allMatch(pi -> pi.leader() != null));
                if (ready) {
                    return;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException
                        || e.getCause() instanceof LeaderNotAvailableException)) {
                    throw e;
                }
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("topics on " + bootstrap + " have no partition leader after "
                        + LEADER_WAIT.toSeconds() + " s: " + names);
            }
            Thread.sleep(100);
        }
    }

    /** Names of the topics on the broker, internal ones excluded. */
    public Set<String> topicNames() throws InterruptedException, ExecutionException {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            return admin.listTopics().names().get().stream().collect(Collectors.toUnmodifiableSet());
        }
    }

    /**
     * Deletes every record of {@code topic} (its log start moves to its end), so that a consumer
     * group that starts afterwards reads an empty log whatever its offset reset.
     */
    public void truncate(String topic) throws InterruptedException, ExecutionException {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int i = 0; i < partitions; i++) {
                latest.put(new TopicPartition(topic, i), OffsetSpec.latest());
            }
            Map<TopicPartition, RecordsToDelete> delete = new HashMap<>();
            admin.listOffsets(latest).all().get().forEach((tp, info) ->
                    delete.put(tp, RecordsToDelete.beforeOffset(info.offset())));
            admin.deleteRecords(delete).all().get();
        }
    }

    @Override
    public void close() {
        stop();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
