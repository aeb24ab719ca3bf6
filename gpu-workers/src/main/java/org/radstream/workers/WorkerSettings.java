package org.radstream.workers;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;
import org.radstream.schemas.KafkaClientConfig;

/**
 * Everything an {@link InferenceWorker} needs to know, validated once. The launcher is the only
 * place that reads the command line and environment; it builds one of these.
 *
 * @param bootstrap          Kafka bootstrap servers, host:port[,host:port]
 * @param registryUrl        schema registry URL (informational here: the worker receives a built
 *                           {@code Topics}); may be null in embedded setups
 * @param taskGroup          which task topic and tasks this worker serves
 * @param groupId            consumer group id; all workers of one task group share it
 * @param instanceId         unique per worker process; makes the transactional.id unique
 * @param device             {@code cpu} or {@code gpu:N}, passed to the model loader
 * @param threads            intra-op threads of the inference engine (0 = engine default)
 * @param batchSize          slices per forward pass
 * @param maxInFlightBytes   bound on buffered pixel bytes of series still being assembled; above
 *                           it, partitions not holding the oldest open series are paused
 * @param markerTimeout      how long a series may go without a new slice before it is reported as
 *                           missing its series-complete marker and dropped
 * @param maxAttempts        attempts per series (inference or publish) before it is dead-lettered
 * @param transactionTimeout producer transaction timeout; an abandoned transaction of a crashed
 *                           worker blocks the partition's new owner at most this long (plus the
 *                           broker's abort interval)
 * @param metadataMaxBytes   the broker's {@code offset.metadata.max.bytes}: the commit metadata
 *                           (completed series beyond the commit point) must fit in it
 * @param modelStoreDir      optional model store root: at start, tasks never announced on
 *                           {@code radstream.models} use its latest version; null = topic only
 * @param httpPort           metrics and health port; 0 = any free port, -1 = no HTTP server
 * @param pollTimeout        how long one poll waits for records
 * @param modelsReadyTimeout how long the worker waits, at start, to read {@code radstream.models}
 *                           to its end before taking series (so it does not fall back to the
 *                           HU baseline while models exist)
 * @param kafkaClient TLS and SASL settings its Kafka clients add ({@code --kafka-config}); null: none
 */
public record WorkerSettings(
        String bootstrap,
        String registryUrl,
        TaskGroup taskGroup,
        String groupId,
        String instanceId,
        String device,
        int threads,
        int batchSize,
        long maxInFlightBytes,
        Duration markerTimeout,
        int maxAttempts,
        Duration transactionTimeout,
        int metadataMaxBytes,
        Path modelStoreDir,
        int httpPort,
        Duration pollTimeout,
        Duration modelsReadyTimeout,
        KafkaClientConfig kafkaClient) {

    public static final long DEFAULT_MAX_IN_FLIGHT_BYTES = 1024L * 1024 * 1024;
    public static final Duration DEFAULT_MARKER_TIMEOUT = Duration.ofMinutes(2);

    public WorkerSettings {
        kafkaClient = kafkaClient == null ? KafkaClientConfig.NONE : kafkaClient;
        requireText(bootstrap, "bootstrap");
        Objects.requireNonNull(taskGroup, "taskGroup");
        requireText(groupId, "groupId");
        requireText(instanceId, "instanceId");
        requireText(device, "device");
        require(threads >= 0, "threads must be >= 0, got " + threads);
        require(batchSize >= 1, "batchSize must be >= 1, got " + batchSize);
        require(maxInFlightBytes >= 1, "maxInFlightBytes must be >= 1, got " + maxInFlightBytes);
        requirePositive(markerTimeout, "markerTimeout");
        require(maxAttempts >= 1, "maxAttempts must be >= 1, got " + maxAttempts);
        requirePositive(transactionTimeout, "transactionTimeout");
        require(metadataMaxBytes >= 64, "metadataMaxBytes must be >= 64, got " + metadataMaxBytes);
        require(httpPort >= -1 && httpPort <= 65535, "httpPort must be -1, 0 or a port, got " + httpPort);
        requirePositive(pollTimeout, "pollTimeout");
        requirePositive(modelsReadyTimeout, "modelsReadyTimeout");
    }

    /** Defaults for a task group: group {@code radstream-worker-<group>}, a random instance id, CPU. */
    public static WorkerSettings defaults(String bootstrap, String registryUrl, TaskGroup group) {
        return new WorkerSettings(bootstrap, registryUrl, group, "radstream-worker-" + group.id(),
                "worker-" + UUID.randomUUID().toString().substring(0, 8), "cpu", 0, 8,
                DEFAULT_MAX_IN_FLIGHT_BYTES, DEFAULT_MARKER_TIMEOUT, 3, Duration.ofSeconds(60), 4096,
                null, 9464, Duration.ofMillis(200), Duration.ofSeconds(30), KafkaClientConfig.NONE);
    }

    /** The transactional.id: stable per instance so a restarted instance fences its predecessor. */
    public String transactionalId() {
        return groupId + "-" + instanceId;
    }

    public WorkerSettings withGroupId(String v) {
        return new WorkerSettings(bootstrap, registryUrl, taskGroup, v, instanceId, device, threads, batchSize,
                maxInFlightBytes, markerTimeout, maxAttempts, transactionTimeout, metadataMaxBytes, modelStoreDir,
                httpPort, pollTimeout, modelsReadyTimeout, kafkaClient);
    }

    public WorkerSettings withInstanceId(String v) {
        return new WorkerSettings(bootstrap, registryUrl, taskGroup, groupId, v, device, threads, batchSize,
                maxInFlightBytes, markerTimeout, maxAttempts, transactionTimeout, metadataMaxBytes, modelStoreDir,
                httpPort, pollTimeout, modelsReadyTimeout, kafkaClient);
    }

    public WorkerSettings withDevice(String v) {
        return new WorkerSettings(bootstrap, registryUrl, taskGroup, groupId, instanceId, v, threads, batchSize,
                maxInFlightBytes, markerTimeout, maxAttempts, transactionTimeout, metadataMaxBytes, modelStoreDir,
                httpPort, pollTimeout, modelsReadyTimeout, kafkaClient);
    }

    public WorkerSettings withThreads(int v) {
        return new WorkerSettings(bootstrap, registryUrl, taskGroup, groupId, instanceId, device, v, batchSize,
                maxInFlightBytes, markerTimeout, maxAttempts, transactionTimeout, metadataMaxBytes, modelStoreDir,
                httpPort, pollTimeout, modelsReadyTimeout, kafkaClient);
    }

    public WorkerSettings withBatchSize(int v) {
        return new WorkerSettings(bootstrap, registryUrl, taskGroup, groupId, instanceId, device, threads, v,
                maxInFlightBytes, markerTimeout, maxAttempts, transactionTimeout, metadataMaxBytes, modelStoreDir,
                httpPort, pollTimeout, modelsReadyTimeout, kafkaClient);
    }

    public WorkerSettings withMaxInFlightBytes(long v) {
        return new WorkerSettings(bootstrap, registryUrl, taskGroup, groupId, instanceId, device, threads, batchSize,
                v, markerTimeout, maxAttempts, transactionTimeout, metadataMaxBytes, modelStoreDir,
                httpPort, pollTimeout, modelsReadyTimeout, kafkaClient);
    }

    public WorkerSettings withMarkerTimeout(Duration v) {
        return new WorkerSettings(bootstrap, registryUrl, taskGroup, groupId, instanceId, device, threads, batchSize,
                maxInFlightBytes, v, maxAttempts, transactionTimeout, metadataMaxBytes, modelStoreDir,
                httpPort, pollTimeout, modelsReadyTimeout, kafkaClient);
    }

    public WorkerSettings withMaxAttempts(int v) {
        return new WorkerSettings(bootstrap, registryUrl, taskGroup, groupId, instanceId, device, threads, batchSize,
                maxInFlightBytes, markerTimeout, v, transactionTimeout, metadataMaxBytes, modelStoreDir,
                httpPort, pollTimeout, modelsReadyTimeout, kafkaClient);
    }

    public WorkerSettings withTransactionTimeout(Duration v) {
        return new WorkerSettings(bootstrap, registryUrl, taskGroup, groupId, instanceId, device, threads, batchSize,
                maxInFlightBytes, markerTimeout, maxAttempts, v, metadataMaxBytes, modelStoreDir,
                httpPort, pollTimeout, modelsReadyTimeout, kafkaClient);
    }

    public WorkerSettings withModelStoreDir(Path v) {
        return new WorkerSettings(bootstrap, registryUrl, taskGroup, groupId, instanceId, device, threads, batchSize,
                maxInFlightBytes, markerTimeout, maxAttempts, transactionTimeout, metadataMaxBytes, v,
                httpPort, pollTimeout, modelsReadyTimeout, kafkaClient);
    }

    public WorkerSettings withHttpPort(int v) {
        return new WorkerSettings(bootstrap, registryUrl, taskGroup, groupId, instanceId, device, threads, batchSize,
                maxInFlightBytes, markerTimeout, maxAttempts, transactionTimeout, metadataMaxBytes, modelStoreDir,
                v, pollTimeout, modelsReadyTimeout, kafkaClient);
    }

    public WorkerSettings withModelsReadyTimeout(Duration v) {
        return new WorkerSettings(bootstrap, registryUrl, taskGroup, groupId, instanceId, device, threads, batchSize,
                maxInFlightBytes, markerTimeout, maxAttempts, transactionTimeout, metadataMaxBytes, modelStoreDir,
                httpPort, pollTimeout, v, kafkaClient);
    }

    private static void requireText(String v, String name) {
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException(name + " must be given");
        }
    }

    private static void requirePositive(Duration d, String name) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be a positive duration, got " + d);
        }
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** The same settings, its Kafka clients connecting with {@code v} (TLS, SASL). */
    public WorkerSettings withKafkaClient(KafkaClientConfig v) {
        return new WorkerSettings(bootstrap, registryUrl, taskGroup, groupId, instanceId, device, threads, batchSize,
                maxInFlightBytes, markerTimeout, maxAttempts, transactionTimeout, metadataMaxBytes, modelStoreDir,
                httpPort, pollTimeout, modelsReadyTimeout, v);
    }
}
