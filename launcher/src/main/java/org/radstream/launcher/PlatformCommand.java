package org.radstream.launcher;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.radstream.platform.Platform;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The embedded default as a process of its own: a KRaft broker and the schema registry, every
 * topic created, until SIGTERM or Ctrl-C. Services in other processes join with the two lines it
 * prints ({@code --bootstrap} and {@code --registry}).
 */
@Command(name = "platform", mixinStandardHelpOptions = true,
        description = "Run the embedded Kafka broker (KRaft) and schema registry until stopped; prints where they listen.")
final class PlatformCommand implements Callable<Integer> {
    @Option(names = "--data-dir", description = "keep the broker's log here (default: a temporary directory, removed on exit)")
    Path dataDir;

    @Option(names = "--registry-port", defaultValue = "0", description = "schema registry HTTP port (default: a free port)")
    int registryPort;

    @Override
    public Integer call() throws Exception {
        Platform platform = Platform.start(dataDir, registryPort);
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
        System.out.flush();
        // stdout carries exactly the two lines above, for scripts; the rest is for people
        System.err.println("platform: " + platform.topics().all().size() + " topics created, data in "
                + platform.dataDir() + (dataDir == null ? " (removed on exit)" : "") + "; services join with --bootstrap "
                + platform.bootstrap() + " --registry " + platform.registryUrl() + "; stop with Ctrl-C or SIGTERM");
        stopped.await();
        return 0;
    }
}
