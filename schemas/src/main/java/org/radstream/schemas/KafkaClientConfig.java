package org.radstream.schemas;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.common.security.auth.SecurityProtocol;

/**
 * How radstream's Kafka clients reach a cluster that asks for more than a plain connection: the TLS
 * and SASL settings ({@code security.protocol}, {@code ssl.*}, {@code sasl.*}) and a few connection
 * settings (name lookup, idle and set-up times), from one properties file that operators give every
 * service ({@code --kafka-config}). Every producer, consumer, admin client and Kafka Streams instance
 * adds them to its own configuration. Whatever radstream sets itself for its guarantees
 * (serialisers, transactions, isolation, idempotence, groups, sizes, request and delivery timeouts)
 * is refused here rather than silently overridden. Its {@code toString} hides the values that can be
 * secrets, so settings that hold it can be logged.
 *
 * @param properties Kafka client configuration keys and values
 */
public record KafkaClientConfig(Map<String, String> properties) {
    /** Connection settings taken besides {@code security.protocol}, {@code ssl.*} and {@code sasl.*}. */
    static final Set<String> CONNECTION_KEYS = Set.of("client.dns.lookup", "connections.max.idle.ms",
            "reconnect.backoff.ms", "socket.connection.setup.timeout.ms", "socket.connection.setup.timeout.max.ms");
    /** The keys taken, as operators read them. */
    public static final String ACCEPTED = "security.protocol, ssl.*, sasl.* and "
            + CONNECTION_KEYS.stream().sorted().collect(Collectors.joining(", "));
    /** Values shown by {@link #toString}: none of them can be a secret. */
    private static final Set<String> SHOWN = Set.of("security.protocol", "sasl.mechanism", "ssl.protocol",
            "ssl.enabled.protocols", "ssl.endpoint.identification.algorithm", "ssl.truststore.type",
            "ssl.truststore.location", "ssl.keystore.type", "ssl.keystore.location");

    /** The one key whose empty value means something: no host name check of the broker's certificate. */
    static final String NO_HOSTNAME_CHECK_KEY = "ssl.endpoint.identification.algorithm";

    /** A plain connection: nothing added. */
    public static final KafkaClientConfig NONE = new KafkaClientConfig(Map.of());

    public KafkaClientConfig {
        properties = Collections.unmodifiableMap(new TreeMap<>(properties)); // sorted: read in the same order
        for (Map.Entry<String, String> e : properties.entrySet()) {
            String key = e.getKey();
            if (!takes(key)) {
                throw new IllegalArgumentException("Kafka client setting " + key + " is not one radstream takes from its "
                        + "client configuration: only " + ACCEPTED + "; radstream sets the others itself");
            }
            if (e.getValue() == null || e.getValue().isBlank() && !key.equals(NO_HOSTNAME_CHECK_KEY)) {
                throw new IllegalArgumentException("Kafka client setting " + key + " has no value");
            }
        }
        String protocol = properties.get("security.protocol");
        if (protocol != null && !SecurityProtocol.names().contains(protocol.toUpperCase(Locale.ROOT))) {
            throw new IllegalArgumentException("security.protocol must be one of " + SecurityProtocol.names() + ", got "
                    + protocol);
        }
    }

    private static boolean takes(String key) {
        return key.equals("security.protocol") || key.startsWith("ssl.") || key.startsWith("sasl.")
                || CONNECTION_KEYS.contains(key);
    }

    /**
     * The settings of a Java properties file (UTF-8).
     *
     * @throws IOException              when it cannot be read
     * @throws IllegalArgumentException when it holds a setting radstream does not take, naming the file
     */
    public static KafkaClientConfig load(Path file) throws IOException {
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        }
        try {
            return new KafkaClientConfig(p.stringPropertyNames().stream().collect(Collectors.toMap(k -> k,
                    k -> p.getProperty(k).strip())));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** Adds the settings to a client's configuration (after its own: these are connection settings only). */
    public <M extends Map<? super String, Object>> M addTo(M config) {
        config.putAll(properties);
        return config;
    }

    /** Whether nothing is added: a plain connection. */
    public boolean isEmpty() {
        return properties.isEmpty();
    }

    /** The keys, with the values that cannot be secrets: "security.protocol=SASL_SSL, sasl.jaas.config=(hidden)". */
    @Override
    public String toString() {
        if (properties.isEmpty()) {
            return "plain connection";
        }
        return properties.entrySet().stream().map(e -> e.getKey() + "=" + (SHOWN.contains(e.getKey()) ? e.getValue()
                : "(hidden)")).collect(Collectors.joining(", "));
    }
}
