package org.radstream.streams;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.radstream.schemas.AuditLog;
import org.radstream.schemas.TopicSpec;
import org.radstream.schemas.Topics;
import org.radstream.streams.StreamsSettings.TopologyName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stream processors as one service: each selected topology runs as its own
 * {@link KafkaStreams} instance (application id {@code <applicationId>-<topology>}), so window and
 * route — stateless, CPU-bound, as many instances as the slices topic has partitions — scales
 * apart from the small stateful PoIR and progression topologies, and a failure in one does not
 * restart the others' tasks. The patient timeline HTTP API runs alongside when the progression
 * topology is selected and {@link StreamsSettings#httpPort()} is not -1.
 *
 * <p>Use: {@code new StreamsApp(settings, topics)}, {@link #start()}, {@link #close()}.
 */
public final class StreamsApp implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StreamsApp.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private final StreamsSettings settings;
    private final Topics topics;
    private final Map<TopologyName, KafkaStreams> streams = new EnumMap<>(TopologyName.class);
    private TimelineServer server;
    private AuditLog audit = AuditLog.NONE;
    private boolean started;

    private final Map<String, Object> overrides;

    public StreamsApp(StreamsSettings settings, Topics topics) {
        this(settings, topics, Map.of());
    }

    /** With extra Kafka Streams configuration (tests and benchmarks: session timeouts, commit intervals). */
    StreamsApp(StreamsSettings settings, Topics topics, Map<String, Object> overrides) {
        this.settings = settings;
        this.topics = topics;
        this.overrides = Map.copyOf(overrides);
    }

    /** The topology of one part of the service. */
    public static Topology topology(TopologyName which, Topics topics, StreamsSettings settings) {
        StreamsBuilder builder = new StreamsBuilder();
        switch (which) {
            case WINDOW_AND_ROUTE -> WindowAndRoute.build(builder, topics, settings);
            case POIR_JOIN -> PoirJoin.build(builder, topics, settings);
            case PROGRESSION_ALERTS -> ProgressionAlerts.build(builder, topics, settings);
            case SEGMENTATION_LABELS -> SegmentationLabels.build(builder, topics, settings);
            default -> throw new IllegalStateException(which.toString());
        }
        return builder.build();
    }

    /**
     * The Kafka Streams configuration of one topology: exactly-once v2, explicit state directory,
     * dead-letter exception handlers, pixel-sized producer requests.
     *
     * @param applicationServer {@code host:port} of this instance's HTTP API, or null
     */
    public static Properties properties(StreamsSettings settings, TopologyName which, Topics topics,
                                        String applicationServer) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, settings.applicationId(which));
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        settings.kafkaClient().addTo(p);
        p.put(StreamsConfig.STATE_DIR_CONFIG, settings.stateDir().toAbsolutePath().toString());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, settings.processingGuarantee());
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, settings.threadsPerTopology());
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandlers.Deserialization.class);
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandlers.Processing.class);
        p.put(DeadLetterHandlers.TOPICS_CONFIG, topics);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), Topics.PIXEL_MAX_MESSAGE_BYTES);
        // internal topics too: segmentation-labels re-keys received segmentations, records of a pixel record's size
        p.put(StreamsConfig.topicPrefix(TopicConfig.MAX_MESSAGE_BYTES_CONFIG), Integer.toString(Topics.PIXEL_MAX_MESSAGE_BYTES));
        p.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
        if (applicationServer != null) {
            p.put(StreamsConfig.APPLICATION_SERVER_CONFIG, applicationServer);
        }
        return p;
    }

    /** Creates missing topics of the catalogue, starts the HTTP API (if enabled) and the topologies. */
    public synchronized void start() throws IOException {
        if (started) {
            throw new IllegalStateException("already started");
        }
        started = true;
        ensureTopics();
        String applicationServer = null;
        if (settings.topologies().contains(TopologyName.PROGRESSION_ALERTS) && settings.httpPort() >= 0) {
            audit = AuditLog.syslog(settings.auditRepository(), "radstream-streams");
            audit.applicationActivity("streams", true);
            server = new TimelineServer(settings.httpHost(), settings.httpPort(), settings.apiToken(), settings.httpTls(),
                    audit, this);
            applicationServer = settings.httpHost() + ":" + server.port();
        }
        for (TopologyName which : TopologyName.values()) {
            if (!settings.topologies().contains(which)) {
                continue;
            }
            Properties props = properties(settings, which, topics,
                    which == TopologyName.PROGRESSION_ALERTS ? applicationServer : null);
            props.putAll(overrides);
            KafkaStreams ks = new KafkaStreams(topology(which, topics, settings), props);
            ks.setUncaughtExceptionHandler(e -> {
                LOG.error("Stream thread of {} died; replacing it", settings.applicationId(which), e);
                return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
            });
            streams.put(which, ks);
        }
        if (server != null) {
            server.start();
        }
        streams.values().forEach(KafkaStreams::start);
        LOG.info("Stream processors started: {} (state dir {}, {}{})", streams.keySet(), settings.stateDir(),
                settings.processingGuarantee(), server == null ? "" : ", HTTP on port " + server.port());
    }

    /** The KafkaStreams instance of a running topology. */
    public KafkaStreams streams(TopologyName which) {
        KafkaStreams ks = streams.get(which);
        if (ks == null) {
            throw new IllegalStateException(which + " is not running in this instance");
        }
        return ks;
    }

    /** All running KafkaStreams instances. */
    public Map<TopologyName, KafkaStreams> allStreams() {
        return Map.copyOf(streams);
    }

    public StreamsSettings settings() {
        return settings;
    }

    /** Port of the HTTP API, when it runs. */
    public Optional<Integer> httpPort() {
        return server == null ? Optional.empty() : Optional.of(server.port());
    }

    /** Whether every topology is RUNNING. */
    public boolean isRunning() {
        return !streams.isEmpty() && streams.values().stream().allMatch(ks -> ks.state() == KafkaStreams.State.RUNNING);
    }

    /** Stops the HTTP API and closes every topology, keeping local state for a fast restart. */
    @Override
    public synchronized void close() {
        if (server != null) {
            server.close();
        }
        audit.applicationActivity("streams", false);
        audit.close();
        List<Thread> closers = new ArrayList<>();
        for (Map.Entry<TopologyName, KafkaStreams> e : streams.entrySet()) {
            Thread t = new Thread(() -> {
                if (!e.getValue().close(CLOSE_TIMEOUT)) {
                    LOG.warn("{} did not close within {}", settings.applicationId(e.getKey()), CLOSE_TIMEOUT);
                }
            }, "close-" + e.getKey().id());
            t.start();
            closers.add(t);
        }
        for (Thread t : closers) {
            try {
                t.join();
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void ensureTopics() throws IOException {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        settings.kafkaClient().addTo(p);
        try (Admin admin = Admin.create(p)) {
            List<NewTopic> wanted = new ArrayList<>();
            for (TopicSpec spec : topics.specs()) {
                wanted.add(new NewTopic(spec.name(), Optional.of(spec.partitions()), Optional.empty()).configs(spec.configs()));
            }
            var existing = admin.listTopics().names().get();
            wanted.removeIf(t -> existing.contains(t.name()));
            if (wanted.isEmpty()) {
                return;
            }
            try {
                admin.createTopics(wanted).all().get();
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IOException("cannot create topics: " + e.getCause().getMessage(), e.getCause());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while creating topics", e);
        } catch (ExecutionException e) {
            throw new IOException("cannot list topics: " + e.getCause().getMessage(), e.getCause());
        }
    }
}
