package org.radstream.launcher;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.radstream.schemas.Topics;
import org.radstream.schemas.RestSchemaRegistryClient;
import org.radstream.workers.InferenceWorker;
import org.radstream.workers.TaskGroup;
import org.radstream.workers.WorkerSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code radstream worker --task chest|liver}: one inference worker of a task group. Only wires:
 * reads options (and the cluster's environment variables) into {@link WorkerSettings}, runs the
 * worker until SIGTERM/SIGINT, then shuts it down cleanly.
 */
@Command(name = "worker", mixinStandardHelpOptions = true,
        description = "Run an inference worker of a task group (chest: lung + infection + classifier; liver: liver + vessels).")
final class WorkerCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--task", required = true, description = "Task group: chest or liver.")
    String task;

    @Mixin
    ClusterOptions cluster;
    @Option(names = "--group-id", description = "Consumer group (default radstream-worker-<task>).")
    String groupId;

    @Option(names = "--instance-id", description = "Unique per worker process; makes the transactional.id (default: random).")
    String instanceId;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu or gpu:N (a CUDA libtorch must be present). Default ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--threads", defaultValue = "0", description = "Inference engine threads, 0 = engine default.")
    int threads;

    @Option(names = "--batch-size", defaultValue = "8", description = "Slices per forward pass. Default ${DEFAULT-VALUE}.")
    int batchSize;

    @Option(names = "--max-in-flight-mb", defaultValue = "1024", description = "Pixel MiB of series being assembled before partitions are paused. Default ${DEFAULT-VALUE}.")
    long maxInFlightMb;

    @Option(names = "--marker-timeout", defaultValue = "120", description = "Seconds without a slice before a series is reported as missing its marker. Default ${DEFAULT-VALUE}.")
    long markerTimeoutSeconds;

    @Option(names = "--max-attempts", defaultValue = "3", description = "Attempts per series before it is dead-lettered. Default ${DEFAULT-VALUE}.")
    int maxAttempts;

    @Option(names = "--model-store", description = "Model store root: tasks never announced on radstream.models use its newest version.")
    Path modelStore;

    @Option(names = "--http-port", defaultValue = "9464", description = "Port of /metrics and /health, -1 = none. Default ${DEFAULT-VALUE}.")
    int httpPort;

    @Override
    public Integer call() throws Exception {
        String bootstrap = cluster.bootstrap();
        String registry = cluster.registry();
        TaskGroup group;
        WorkerSettings settings;
        try {
            group = TaskGroup.of(task);
            settings = WorkerSettings.defaults(bootstrap, registry, group)
                    .withDevice(device)
                    .withThreads(threads)
                    .withBatchSize(batchSize)
                    .withMaxInFlightBytes(maxInFlightMb * 1024 * 1024)
                    .withMarkerTimeout(Duration.ofSeconds(markerTimeoutSeconds))
                    .withMaxAttempts(maxAttempts)
                    .withModelStoreDir(modelStore)
                    .withHttpPort(httpPort)
                    .withKafkaClient(cluster.kafkaClient());
            if (groupId != null) {
                settings = settings.withGroupId(groupId);
            }
            if (instanceId != null) {
                settings = settings.withInstanceId(instanceId);
            }
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        Topics topics = new Topics(new RestSchemaRegistryClient(registry));
        InferenceWorker worker = new InferenceWorker(settings, topics);
        // the hook waits for the poll loop (its transaction aborted or committed, consumer closed),
        // not for the main thread: main ends in System.exit, which blocks while hooks run
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            worker.close();
            try {
                if (!worker.awaitStopped(Duration.ofSeconds(30))) {
                    System.err.println("worker " + worker.settings().instanceId() + ": poll loop still running 30 s after SIGTERM; exiting anyway");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "radstream-worker-shutdown"));
        System.out.println("worker " + settings.instanceId() + " of " + settings.groupId() + " on "
                + ClusterOptions.describe(bootstrap, settings.kafkaClient())
                + (worker.httpPort() > 0 ? "; metrics http://localhost:" + worker.httpPort() + "/metrics" : ""));
        worker.run();
        return worker.failure() == null ? 0 : 1;
    }
}
