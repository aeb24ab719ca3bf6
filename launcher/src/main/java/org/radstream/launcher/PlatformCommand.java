package org.radstream.launcher;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.radstream.platform.Platform;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The embedded default as a process of its own: a KRaft broker and the schema registry, every
 * topic created, until SIGTERM or Ctrl-C. Services in other processes join with the two lines it
 * prints ({@code --bootstrap} and {@code --registry}); with {@code --sasl-user} a third names a
 * listener that takes only SASL/PLAIN clients, to try {@code --kafka-config} locally.
 */
@Command(name = "platform", mixinStandardHelpOptions = true,
        description = "Run the embedded Kafka broker (KRaft) and schema registry until stopped; prints where they listen.")
final class PlatformCommand implements Callable<Integer> {
    @Option(names = "--data-dir", description = "keep the broker's log here (default: a temporary directory, removed on exit)")
    Path dataDir;

    @Option(names = "--registry-port", defaultValue = "0", description = "schema registry HTTP port (default: a free port)")
    int registryPort;

    @Option(names = "--sasl-user", paramLabel = "NAME:PASSWORD",
            description = "also listen for clients authenticated with SASL/PLAIN as this user (repeatable; no TLS: for "
                    + "trying --kafka-config locally); the listener is printed as kafka.bootstrap.sasl")
    List<String> saslUsers;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Map<String, String> users = new LinkedHashMap<>();
        for (String u : saslUsers == null ? List.<String>of() : saslUsers) {
            int colon = u.indexOf(':');
            if (colon < 1 || colon == u.length() - 1) {
                throw new ParameterException(spec.commandLine(), "--sasl-user takes NAME:PASSWORD, got " + u.split(":")[0]
                        + (colon < 0 ? " (no colon)" : ":…"));
            }
            users.put(u.substring(0, colon), u.substring(colon + 1));
        }
        Platform platform;
        try {
            platform = Platform.start(dataDir, registryPort, users);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            try {
                platform.close();
            } catch (Exception e) {
                System.err.println("platform: shutdown: " + e);
            } finally {
                stopped.countDown();
            }
        }, "platform-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        System.out.println("kafka.bootstrap=" + platform.bootstrap());
        System.out.println("schema.registry.url=" + platform.registryUrl());
        if (platform.kafka().saslBootstrap() != null) {
            System.out.println("kafka.bootstrap.sasl=" + platform.kafka().saslBootstrap());
        }
        System.out.flush();
        // stdout carries exactly the lines above, for scripts; the rest is for people
        System.err.println("platform: " + platform.topics().all().size() + " topics created, data in "
                + platform.dataDir() + (dataDir == null ? " (removed on exit)" : "") + "; services join with --bootstrap "
                + platform.bootstrap() + " --registry " + platform.registryUrl() + "; stop with Ctrl-C or SIGTERM");
        stopped.await();
        return 0;
    }
}
