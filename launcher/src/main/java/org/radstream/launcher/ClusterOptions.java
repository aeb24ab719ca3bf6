package org.radstream.launcher;

import java.io.IOException;
import java.nio.file.Path;
import org.radstream.schemas.KafkaClientConfig;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Where a service finds Kafka and the schema registry: the options every service shares,
 * each with its environment variable (the table in compose/README.md), read here and nowhere else.
 */
final class ClusterOptions {
    static final String ENV_BOOTSTRAP = "RADSTREAM_BOOTSTRAP";
    static final String ENV_REGISTRY = "RADSTREAM_REGISTRY_URL";
    static final String ENV_KAFKA_CONFIG = "RADSTREAM_KAFKA_CONFIG";

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--bootstrap", defaultValue = "${env:" + ENV_BOOTSTRAP + "}",
            description = "Kafka bootstrap servers, host:port[,host:port] (env " + ENV_BOOTSTRAP + ")")
    String bootstrap;

    @Option(names = "--registry", defaultValue = "${env:" + ENV_REGISTRY + "}",
            description = "schema registry URL, e.g. http://localhost:8081 (env " + ENV_REGISTRY + ")")
    String registry;

    @Option(names = "--kafka-config", defaultValue = "${env:" + ENV_KAFKA_CONFIG + "}", paramLabel = "FILE",
            description = "properties file of the Kafka client settings a secured cluster needs: "
                    + "security.protocol, ssl.*, sasl.* (and client.dns.lookup, connections.max.idle.ms, "
                    + "reconnect.backoff.ms, socket.connection.setup.timeout[.max].ms); unset: a plain connection "
                    + "(env " + ENV_KAFKA_CONFIG + ")")
    Path kafkaConfig;

    /** The bootstrap servers, or a usage error saying how to get a cluster. */
    String bootstrap() {
        if (bootstrap == null || bootstrap.isBlank()) {
            throw new ParameterException(spec.commandLine(), "no Kafka given: pass --bootstrap or set "
                    + ENV_BOOTSTRAP + " (for a local one, run ./radstream platform and use its kafka.bootstrap line)");
        }
        return bootstrap;
    }

    /** The Kafka client settings of {@code --kafka-config}, or a usage error saying what is wrong with the file. */
    KafkaClientConfig kafkaClient() {
        if (kafkaConfig == null || kafkaConfig.toString().isBlank()) {
            return KafkaClientConfig.NONE;
        }
        try {
            return KafkaClientConfig.load(kafkaConfig);
        } catch (IOException e) {
            throw new ParameterException(spec.commandLine(), "cannot read the Kafka client settings " + kafkaConfig + ": "
                    + e);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** Where a service reaches Kafka, for its start-up line: "kafka:9093 (security.protocol=SASL_SSL, …)". */
    static String describe(String bootstrap, KafkaClientConfig client) {
        return bootstrap + (client.isEmpty() ? "" : " (" + client + ")");
    }

    /** The registry URL, or a usage error. */
    String registry() {
        if (registry == null || registry.isBlank()) {
            throw new ParameterException(spec.commandLine(), "no schema registry given: pass --registry or set "
                    + ENV_REGISTRY + " (./radstream platform prints it as schema.registry.url)");
        }
        return registry;
    }
}
