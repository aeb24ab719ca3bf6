package org.radstream.streams;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import org.apache.kafka.streams.StreamsConfig;
import org.radstream.schemas.BearerToken;
import org.radstream.schemas.KafkaClientConfig;
import org.radstream.schemas.ServerTls;

/**
 * Everything the stream processors are configured with. The launcher reads the environment and
 * command line into this record; nothing else in this module reads either.
 *
 * @param bootstrapServers     Kafka bootstrap servers
 * @param registryUrl          schema registry URL (the launcher builds the registry client from it)
 * @param applicationId        prefix of the Kafka Streams application ids; each topology runs as
 *                             {@code <applicationId>-<topology id>}
 * @param stateDir             Kafka Streams state directory (set explicitly; the library default
 *                             /tmp/kafka-streams is shared by everything on the host)
 * @param processingGuarantee  {@link StreamsConfig#EXACTLY_ONCE_V2} (default and what alerts'
 *                             idempotency relies on) or {@link StreamsConfig#AT_LEAST_ONCE}
 * @param threadsPerTopology   stream threads of each topology's KafkaStreams instance
 * @param topologies           which topologies this process runs
 * @param routing              routing rules from header values to task groups
 * @param windowBits           bits per windowed value on the task topics: 8 (default) or 16
 * @param poirPairRetention    how long a series' lung/infection pair is kept for duplicate
 *                             detection and the missing half (from its last result's time)
 * @param progression          progression criterion and history retention
 * @param httpHost             host name other instances reach this one's HTTP API on
 *                             (Kafka Streams {@code application.server})
 * @param httpPort             HTTP API port; 0 picks a free port; -1 disables the API
 * @param apiToken             the token the patient timeline and alerts API asks for (patient
 *                             names and findings); {@link BearerToken#NONE}: open. {@code /health}
 *                             and {@code /metrics} never ask for it
 * @param kafkaClient TLS and SASL settings its Kafka clients add ({@code --kafka-config}); null: none
 * @param httpTls     the key the HTTP API presents over HTTPS, and whom it trusts among the other
 *                    instances it forwards to ({@link ServerTls#peerContext}); null: plain HTTP
 * @param auditRepository where the API's audit messages go ({@code udp://HOST:PORT}, an IHE ATNA audit
 *                    record repository); null: none are sent
 */
public record StreamsSettings(String bootstrapServers, String registryUrl, String applicationId, Path stateDir,
                              String processingGuarantee, int threadsPerTopology, Set<TopologyName> topologies,
                              RoutingRules routing, int windowBits, Duration poirPairRetention,
                              ProgressionThresholds progression, String httpHost, int httpPort,
                              BearerToken apiToken, KafkaClientConfig kafkaClient, ServerTls httpTls,
                              String auditRepository) {

    /** The topologies; each runs as its own KafkaStreams instance so each scales on its own. */
    public enum TopologyName {
        WINDOW_AND_ROUTE("window-route"), POIR_JOIN("poir"), PROGRESSION_ALERTS("progression"),
        SEGMENTATION_LABELS("segmentation-labels");

        private final String id;

        TopologyName(String id) {
            this.id = id;
        }

        /** Suffix of the application id and state directory. */
        public String id() {
            return id;
        }

        public static TopologyName fromId(String id) {
            for (TopologyName t : values()) {
                if (t.id.equalsIgnoreCase(id.trim())) {
                    return t;
                }
            }
            throw new IllegalArgumentException("unknown topology '" + id + "' (window-route, poir, progression, "
                    + "segmentation-labels)");
        }
    }

    public static final String DEFAULT_APPLICATION_ID = "radstream-streams";
    public static final int DEFAULT_HTTP_PORT = 8084;
    /** The variable the launcher reads the API token from, named in messages. */
    public static final String API_TOKEN_VARIABLE = "RADSTREAM_API_TOKEN";

    public StreamsSettings {
        kafkaClient = kafkaClient == null ? KafkaClientConfig.NONE : kafkaClient;
        requireText(bootstrapServers, "bootstrapServers");
        requireText(registryUrl, "registryUrl");
        requireText(applicationId, "applicationId");
        Objects.requireNonNull(stateDir, "stateDir (set it explicitly)");
        if (!StreamsConfig.EXACTLY_ONCE_V2.equals(processingGuarantee)
                && !StreamsConfig.AT_LEAST_ONCE.equals(processingGuarantee)) {
            throw new IllegalArgumentException("processingGuarantee must be " + StreamsConfig.EXACTLY_ONCE_V2 + " or "
                    + StreamsConfig.AT_LEAST_ONCE + ": " + processingGuarantee);
        }
        if (threadsPerTopology < 1) {
            throw new IllegalArgumentException("threadsPerTopology must be >= 1: " + threadsPerTopology);
        }
        if (topologies.isEmpty()) {
            throw new IllegalArgumentException("at least one topology must run");
        }
        topologies = Set.copyOf(topologies);
        Objects.requireNonNull(routing, "routing");
        if (windowBits != 8 && windowBits != 16) {
            throw new IllegalArgumentException("windowBits must be 8 or 16: " + windowBits);
        }
        if (poirPairRetention.isNegative() || poirPairRetention.isZero()) {
            throw new IllegalArgumentException("poirPairRetention must be positive: " + poirPairRetention);
        }
        Objects.requireNonNull(progression, "progression");
        requireText(httpHost, "httpHost");
        if (auditRepository != null && !auditRepository.isBlank()) {
            org.radstream.schemas.AuditLog.target(auditRepository);
        }
        Objects.requireNonNull(apiToken, "apiToken (BearerToken.NONE for none)");
        if (httpPort < -1 || httpPort > 65535) {
            throw new IllegalArgumentException("httpPort must be -1 (off), 0 (any) or a port: " + httpPort);
        }
    }

    /** Defaults: exactly-once v2, all topologies, one thread each, DESIGN.md routing, 8-bit windows. */
    public static StreamsSettings defaults(String bootstrapServers, String registryUrl, Path stateDir) {
        return new StreamsSettings(bootstrapServers, registryUrl, DEFAULT_APPLICATION_ID, stateDir,
                StreamsConfig.EXACTLY_ONCE_V2, 1, EnumSet.allOf(TopologyName.class), RoutingRules.DEFAULT, 8,
                Duration.ofDays(7), ProgressionThresholds.DEFAULT, "localhost", DEFAULT_HTTP_PORT,
                        BearerToken.NONE, KafkaClientConfig.NONE, null, null);
    }

    public StreamsSettings withApplicationId(String id) {
        return new StreamsSettings(bootstrapServers, registryUrl, id, stateDir, processingGuarantee,
                threadsPerTopology, topologies, routing, windowBits, poirPairRetention, progression, httpHost,
                        httpPort, apiToken, kafkaClient, httpTls, auditRepository);
    }

    public StreamsSettings withStateDir(Path dir) {
        return new StreamsSettings(bootstrapServers, registryUrl, applicationId, dir, processingGuarantee,
                threadsPerTopology, topologies, routing, windowBits, poirPairRetention, progression, httpHost,
                        httpPort, apiToken, kafkaClient, httpTls, auditRepository);
    }

    public StreamsSettings withTopologies(Set<TopologyName> which) {
        return new StreamsSettings(bootstrapServers, registryUrl, applicationId, stateDir, processingGuarantee,
                threadsPerTopology, which, routing, windowBits, poirPairRetention, progression, httpHost,
                        httpPort, apiToken, kafkaClient, httpTls, auditRepository);
    }

    public StreamsSettings withRouting(RoutingRules rules) {
        return new StreamsSettings(bootstrapServers, registryUrl, applicationId, stateDir, processingGuarantee,
                threadsPerTopology, topologies, rules, windowBits, poirPairRetention, progression, httpHost,
                        httpPort, apiToken, kafkaClient, httpTls, auditRepository);
    }

    public StreamsSettings withWindowBits(int bits) {
        return new StreamsSettings(bootstrapServers, registryUrl, applicationId, stateDir, processingGuarantee,
                threadsPerTopology, topologies, routing, bits, poirPairRetention, progression, httpHost,
                        httpPort, apiToken, kafkaClient, httpTls, auditRepository);
    }

    public StreamsSettings withProgression(ProgressionThresholds p) {
        return new StreamsSettings(bootstrapServers, registryUrl, applicationId, stateDir, processingGuarantee,
                threadsPerTopology, topologies, routing, windowBits, poirPairRetention, p, httpHost, httpPort,
                        apiToken, kafkaClient, httpTls, auditRepository);
    }

    public StreamsSettings withHttp(String host, int port) {
        return new StreamsSettings(bootstrapServers, registryUrl, applicationId, stateDir, processingGuarantee,
                threadsPerTopology, topologies, routing, windowBits, poirPairRetention, progression, host,
                        port, apiToken, kafkaClient, httpTls, auditRepository);
    }

    /** The same settings, the HTTP API speaking HTTPS with {@code tls} (null: plain HTTP). */
    public StreamsSettings withHttpTls(ServerTls tls) {
        return new StreamsSettings(bootstrapServers, registryUrl, applicationId, stateDir, processingGuarantee,
                threadsPerTopology, topologies, routing, windowBits, poirPairRetention, progression, httpHost, httpPort,
                apiToken, kafkaClient, tls, auditRepository);
    }

    /** The same settings, the API's audit messages sent to {@code v} ({@code udp://HOST:PORT}; null: none). */
    public StreamsSettings withAuditRepository(String v) {
        return new StreamsSettings(bootstrapServers, registryUrl, applicationId, stateDir, processingGuarantee,
                threadsPerTopology, topologies, routing, windowBits, poirPairRetention, progression, httpHost, httpPort,
                apiToken, kafkaClient, httpTls, v);
    }

    /** The token the timeline and alerts API asks for. */
    public StreamsSettings withApiToken(BearerToken token) {
        return new StreamsSettings(bootstrapServers, registryUrl, applicationId, stateDir, processingGuarantee,
                threadsPerTopology, topologies, routing, windowBits, poirPairRetention, progression, httpHost, httpPort,
                token, kafkaClient, httpTls, auditRepository);
    }

    public StreamsSettings withProcessingGuarantee(String guarantee) {
        return new StreamsSettings(bootstrapServers, registryUrl, applicationId, stateDir, guarantee,
                threadsPerTopology, topologies, routing, windowBits, poirPairRetention, progression, httpHost,
                        httpPort, apiToken, kafkaClient, httpTls, auditRepository);
    }

    public StreamsSettings withThreadsPerTopology(int threads) {
        return new StreamsSettings(bootstrapServers, registryUrl, applicationId, stateDir, processingGuarantee,
                threads, topologies, routing, windowBits, poirPairRetention, progression, httpHost, httpPort,
                        apiToken, kafkaClient, httpTls, auditRepository);
    }

    /** Application id of one topology's KafkaStreams instance. */
    public String applicationId(TopologyName topology) {
        return applicationId + "-" + topology.id();
    }

    private static void requireText(String v, String name) {
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException(name + " is required");
        }
    }

    /** The same settings, its Kafka clients connecting with {@code v} (TLS, SASL). */
    public StreamsSettings withKafkaClient(KafkaClientConfig v) {
        return new StreamsSettings(bootstrapServers, registryUrl, applicationId, stateDir, processingGuarantee,
                threadsPerTopology, topologies, routing, windowBits, poirPairRetention, progression, httpHost,
                httpPort, apiToken, v, httpTls, auditRepository);
    }
}
