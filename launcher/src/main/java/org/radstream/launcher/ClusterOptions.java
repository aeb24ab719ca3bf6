package org.radstream.launcher;

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

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--bootstrap", defaultValue = "${env:" + ENV_BOOTSTRAP + "}",
            description = "Kafka bootstrap servers, host:port[,host:port] (env " + ENV_BOOTSTRAP + ")")
    String bootstrap;

    @Option(names = "--registry", defaultValue = "${env:" + ENV_REGISTRY + "}",
            description = "schema registry URL, e.g. http://localhost:8081 (env " + ENV_REGISTRY + ")")
    String registry;

    /** The bootstrap servers, or a usage error saying how to get a cluster. */
    String bootstrap() {
        if (bootstrap == null || bootstrap.isBlank()) {
            throw new ParameterException(spec.commandLine(), "no Kafka given: pass --bootstrap or set "
                    + ENV_BOOTSTRAP + " (for a local one, run ./radstream platform and use its kafka.bootstrap line)");
        }
        return bootstrap;
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
