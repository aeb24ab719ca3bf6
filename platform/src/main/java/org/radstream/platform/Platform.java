package org.radstream.platform;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.radstream.schemas.SchemaStore;
import org.radstream.schemas.Topics;

/**
 * The embedded default: one KRaft broker and one schema registry in this process, every topic of
 * the catalogue created with its config and every value schema registered, so other processes
 * (services started with {@code --bootstrap} and {@code --registry}) can join at once.
 */
public final class Platform implements AutoCloseable {
    private final EmbeddedKafka kafka;
    private final EmbeddedRegistry registry;
    private final Topics topics;
    private final Path dataDir;
    private final boolean deleteOnClose;

    private Platform(EmbeddedKafka kafka, EmbeddedRegistry registry, Topics topics, Path dataDir, boolean deleteOnClose) {
        this.kafka = kafka;
        this.registry = registry;
        this.topics = topics;
        this.dataDir = dataDir;
        this.deleteOnClose = deleteOnClose;
    }

    /**
     * Starts a broker whose log lives under {@code dataDir} (null: a temporary directory removed on
     * close) and a registry on {@code registryPort} (0: a free port).
     */
    public static Platform start(Path dataDir, int registryPort) throws IOException, InterruptedException {
        return start(dataDir, registryPort, Map.of());
    }

    /**
     * The same, the broker with a second listener for clients authenticated with SASL/PLAIN as one of
     * {@code saslUsers} (name to password) when there are any ({@link EmbeddedKafka#start(Path, Map)}).
     */
    public static Platform start(Path dataDir, int registryPort, Map<String, String> saslUsers)
            throws IOException, InterruptedException {
        boolean temporary = dataDir == null;
        Path dir = temporary ? Files.createTempDirectory("radstream-platform") : dataDir;
        EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"), saslUsers);
        EmbeddedRegistry registry = null;
        try {
            SchemaStore store = new SchemaStore();
            registry = EmbeddedRegistry.start(store, registryPort);
            Topics topics = new Topics(store);
            kafka.createTopics(topics.specs());
            for (var t : topics.all()) {
                if (t.valueSerde() instanceof org.radstream.schemas.AvroSerde<?> serde) {
                    store.register(org.radstream.schemas.SchemaRegistryClient.valueSubject(t.name()), serde.schema());
                }
            }
            return new Platform(kafka, registry, topics, dir, temporary);
        } catch (IOException | InterruptedException | RuntimeException e) {
            if (registry != null) {
                registry.close();
            }
            kafka.close();
            throw e;
        }
    }

    public String bootstrap() {
        return kafka.bootstrap();
    }

    public String registryUrl() {
        return registry.url();
    }

    /** The catalogue over this platform's registry. */
    public Topics topics() {
        return topics;
    }

    public EmbeddedKafka kafka() {
        return kafka;
    }

    public EmbeddedRegistry registry() {
        return registry;
    }

    public Path dataDir() {
        return dataDir;
    }

    @Override
    public void close() throws IOException {
        registry.close();
        kafka.close();
        if (deleteOnClose) {
            try (Stream<Path> files = Files.walk(dataDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
