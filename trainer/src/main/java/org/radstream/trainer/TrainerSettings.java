package org.radstream.trainer;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import org.radstream.schemas.BearerToken;
import org.radstream.schemas.KafkaClientConfig;
import org.radstream.schemas.ServerTls;

/**
 * Everything the trainer service is configured with; the launcher reads the environment and the
 * command line into one of these, nothing else does.
 *
 * @param bootstrapServers  Kafka bootstrap servers
 * @param groupId           consumer group of the image-archive consumer (labels are re-read from the start of the compacted topic)
 * @param workDir           the trainer's directory: image archive ({@code archive/}) and training state ({@link TrainingLedger})
 * @param modelStore        model-store root the trainer publishes into (the workers read the same one)
 * @param deidSecret        secret of the keyed hash that replaces patient ids in the archive (≥ 16 bytes)
 * @param httpPort          port of POST /labels; 0 picks a free one; -1 disables the server
 * @param labelsPerTraining train a task after this many newly accepted labels of it; 0 disables
 * @param trainingInterval  also train every task with new labels this often; zero disables
 * @param pendingTimeout    how long a label may wait for its series' images before it is refused as unknown series
 * @param gate              the quality gate: how much lower than the champion's Dice a challenger may score and still
 *                          be published, and how many refused challengers it keeps aside per task
 * @param recipe            networks, input size and schedule of each training run
 * @param vesselMethod      how vessel runs learn: SUM, SINGLE, or CHAMPION (as the published vessel model was made)
 * @param archive           how long, and up to what archive size, a series no label names is kept (labelled
 *                          series stay: they are training data)
 * @param httpToken         the bearer token its HTTP requests that change state (POST /labels, /train, /runs/cancel) and GET /labels/suggestions carry
 *                          must carry; null: those are open to whoever reaches the port
 * @param kafkaClient TLS and SASL settings its Kafka clients add ({@code --kafka-config}); null: none
 * @param pretraining       self-supervised pretraining of runs from fresh weights on archived series no label
 *                          names; null: none
 * @param httpTls           the key its HTTP port presents over HTTPS; null: plain HTTP
 * @param auditRepository   where its audit messages go ({@code udp://} or {@code tls://HOST:PORT}, an IHE ATNA audit
 *                          record repository): label changes over HTTP, model versions announced, requests refused;
 *                          null: none
 */
public record TrainerSettings(String bootstrapServers, String groupId, Path workDir, Path modelStore, String deidSecret,
                              int httpPort, int labelsPerTraining, Duration trainingInterval, Duration pendingTimeout,
                              QualityGate gate, TrainingRecipe recipe, TaskTrainer.VesselMethod vesselMethod,
                              ArchivePolicy archive, String httpToken, KafkaClientConfig kafkaClient,
                              ArchivePretraining pretraining, ServerTls httpTls, String auditRepository) {

    public TrainerSettings {
        kafkaClient = kafkaClient == null ? KafkaClientConfig.NONE : kafkaClient;
        Objects.requireNonNull(workDir, "workDir");
        Objects.requireNonNull(modelStore, "modelStore");
        if (groupId == null || groupId.isBlank()) {
            throw new IllegalArgumentException("groupId must be set");
        }
        if (deidSecret == null || deidSecret.length() < 16) {
            throw new IllegalArgumentException("deidSecret must have at least 16 characters (RADSTREAM_DEID_SECRET)");
        }
        if (httpPort < -1 || httpPort > 65535) {
            throw new IllegalArgumentException("httpPort must be -1 (off), 0 (any) or a port, got " + httpPort);
        }
        if (labelsPerTraining < 0) {
            throw new IllegalArgumentException("labelsPerTraining must be >= 0, got " + labelsPerTraining);
        }
        if (trainingInterval == null || trainingInterval.isNegative()) {
            throw new IllegalArgumentException("trainingInterval must be zero (off) or positive");
        }
        if (pendingTimeout == null || pendingTimeout.isNegative() || pendingTimeout.isZero()) {
            throw new IllegalArgumentException("pendingTimeout must be positive");
        }
        Objects.requireNonNull(gate, "gate");
        Objects.requireNonNull(recipe, "recipe");
        Objects.requireNonNull(vesselMethod, "vesselMethod");
        Objects.requireNonNull(archive, "archive");
        if (httpToken != null && httpToken.isBlank()) {
            httpToken = null;
        }
        BearerToken.of(httpToken, TOKEN_VARIABLE); // refuses a short one
        if (auditRepository != null && auditRepository.isBlank()) {
            auditRepository = null;
        }
        if (auditRepository != null) {
            org.radstream.schemas.AuditLog.target(auditRepository); // refuses one it could not send to
        }
    }

    /** The variable the launcher reads the HTTP token from, named in messages. */
    public static final String TOKEN_VARIABLE = "RADSTREAM_TRAINER_TOKEN";

    /** The HTTP token as the endpoints check it ({@link BearerToken#NONE} without one). */
    public BearerToken bearerToken() {
        return BearerToken.of(httpToken, TOKEN_VARIABLE);
    }

    /**
     * Defaults: group radstream-trainer, HTTP 8086, every 20 labels or 24 h, labels wait 1 h, margin 0.005, the
     * newest 3 refused challengers kept, vessels retrained as their champion was made, unlabelled series kept 30 days,
     * no archive size cap.
     */
    public static TrainerSettings defaults(String bootstrapServers, Path workDir, Path modelStore, String deidSecret) {
        return new TrainerSettings(bootstrapServers, "radstream-trainer", workDir, modelStore, deidSecret, 8086, 20,
                Duration.ofHours(24), Duration.ofHours(1), new QualityGate(0.005), TrainingRecipe.defaults(),
                TaskTrainer.VesselMethod.CHAMPION, ArchivePolicy.defaults(), null, KafkaClientConfig.NONE, null, null, null);
    }

    /** Keeps archived series no label names for {@code v} (zero: every series, forever). */
    public TrainerSettings withArchiveRetention(Duration v) {
        return new TrainerSettings(bootstrapServers, groupId, workDir, modelStore, deidSecret, httpPort, labelsPerTraining,
                trainingInterval, pendingTimeout, gate, recipe, vesselMethod, archive.withMaxAge(v), httpToken,
                        kafkaClient, pretraining, httpTls, auditRepository);
    }

    /**
     * Caps the archive at {@code bytes} (zero: no cap): beyond it, series no label names are removed
     * oldest first, before their retention ends.
     */
    public TrainerSettings withArchiveMaxBytes(long bytes) {
        return new TrainerSettings(bootstrapServers, groupId, workDir, modelStore, deidSecret, httpPort, labelsPerTraining,
                trainingInterval, pendingTimeout, gate, recipe, vesselMethod, archive.withMaxBytes(bytes),
                        httpToken, kafkaClient, pretraining, httpTls, auditRepository);
    }

    public Path archiveDir() {
        return workDir.resolve("archive");
    }

    public TrainerSettings withHttpPort(int v) {
        return new TrainerSettings(bootstrapServers, groupId, workDir, modelStore, deidSecret, v, labelsPerTraining,
                trainingInterval, pendingTimeout, gate, recipe, vesselMethod, archive, httpToken, kafkaClient, pretraining, httpTls, auditRepository);
    }

    public TrainerSettings withLabelsPerTraining(int v) {
        return new TrainerSettings(bootstrapServers, groupId, workDir, modelStore, deidSecret, httpPort, v,
                trainingInterval, pendingTimeout, gate, recipe, vesselMethod, archive, httpToken, kafkaClient, pretraining, httpTls, auditRepository);
    }

    public TrainerSettings withTrainingInterval(Duration v) {
        return new TrainerSettings(bootstrapServers, groupId, workDir, modelStore, deidSecret, httpPort, labelsPerTraining,
                v, pendingTimeout, gate, recipe, vesselMethod, archive, httpToken, kafkaClient, pretraining, httpTls, auditRepository);
    }

    public TrainerSettings withPendingTimeout(Duration v) {
        return new TrainerSettings(bootstrapServers, groupId, workDir, modelStore, deidSecret, httpPort, labelsPerTraining,
                trainingInterval, v, gate, recipe, vesselMethod, archive, httpToken, kafkaClient, pretraining, httpTls, auditRepository);
    }

    public TrainerSettings withGateMargin(double v) {
        return new TrainerSettings(bootstrapServers, groupId, workDir, modelStore, deidSecret, httpPort, labelsPerTraining,
                trainingInterval, pendingTimeout, new QualityGate(v).keepingRefused(gate.refusedToKeep()).withRule(gate.rule()),
                        recipe, vesselMethod, archive, httpToken, kafkaClient, pretraining, httpTls, auditRepository);
    }

    /** Publishes by {@code r} (default {@link QualityGate.Rule#MARGIN}). */
    public TrainerSettings withGateRule(QualityGate.Rule r) {
        return new TrainerSettings(bootstrapServers, groupId, workDir, modelStore, deidSecret, httpPort, labelsPerTraining,
                trainingInterval, pendingTimeout, gate.withRule(r), recipe, vesselMethod, archive, httpToken, kafkaClient,
                pretraining, httpTls, auditRepository);
    }

    /** Keeps the newest {@code n} refused challengers per task aside in the model store (0: none). */
    public TrainerSettings withKeepRefused(int n) {
        return new TrainerSettings(bootstrapServers, groupId, workDir, modelStore, deidSecret, httpPort, labelsPerTraining,
                trainingInterval, pendingTimeout, gate.keepingRefused(n), recipe, vesselMethod, archive,
                        httpToken, kafkaClient, pretraining, httpTls, auditRepository);
    }

    public TrainerSettings withGroupId(String v) {
        return new TrainerSettings(bootstrapServers, v, workDir, modelStore, deidSecret, httpPort, labelsPerTraining,
                trainingInterval, pendingTimeout, gate, recipe, vesselMethod, archive, httpToken, kafkaClient, pretraining, httpTls, auditRepository);
    }

    public TrainerSettings withVesselMethod(TaskTrainer.VesselMethod v) {
        return new TrainerSettings(bootstrapServers, groupId, workDir, modelStore, deidSecret, httpPort, labelsPerTraining,
                trainingInterval, pendingTimeout, gate, recipe, v, archive, httpToken, kafkaClient, pretraining, httpTls, auditRepository);
    }

    public TrainerSettings withRecipe(TrainingRecipe v) {
        return new TrainerSettings(bootstrapServers, groupId, workDir, modelStore, deidSecret, httpPort, labelsPerTraining,
                trainingInterval, pendingTimeout, gate, v, vesselMethod, archive, httpToken, kafkaClient, pretraining, httpTls, auditRepository);
    }

    /** Requires {@code token} (at least 16 characters) on HTTP requests that change state; null or blank: none. */
    public TrainerSettings withHttpToken(String token) {
        return new TrainerSettings(bootstrapServers, groupId, workDir, modelStore, deidSecret, httpPort, labelsPerTraining,
                trainingInterval, pendingTimeout, gate, recipe, vesselMethod, archive, token, kafkaClient, pretraining, httpTls, auditRepository);
    }

    /** The settings without their secrets (the de-identification secret and the HTTP token), for logs. */
    @Override
    public String toString() {
        return "TrainerSettings[bootstrapServers=" + bootstrapServers + ", groupId=" + groupId + ", workDir=" + workDir
                + ", modelStore=" + modelStore + ", deidSecret=(hidden), httpPort=" + httpPort + ", labelsPerTraining="
                + labelsPerTraining + ", trainingInterval=" + trainingInterval + ", pendingTimeout=" + pendingTimeout
                + ", gate=" + gate + ", recipe=" + recipe + ", vesselMethod=" + vesselMethod + ", archive=" + archive
                + ", httpToken=" + (httpToken == null ? "none" : "(hidden)") + ", kafka=" + kafkaClient + ", pretraining="
                + (pretraining == null ? "none" : pretraining) + (httpTls == null ? "" : ", https")
                + (auditRepository == null ? "" : ", audit=" + auditRepository) + "]";
    }

    /** The same settings, its Kafka clients connecting with {@code v} (TLS, SASL). */
    public TrainerSettings withKafkaClient(KafkaClientConfig v) {
        return new TrainerSettings(bootstrapServers, groupId, workDir, modelStore, deidSecret, httpPort,
                labelsPerTraining, trainingInterval, pendingTimeout, gate, recipe, vesselMethod, archive,
                httpToken, v, pretraining, httpTls, auditRepository);
    }

    /** The same settings, runs from fresh weights first pretrained on archived series no label names ({@code v}; null: not). */
    public TrainerSettings withPretraining(ArchivePretraining v) {
        return new TrainerSettings(bootstrapServers, groupId, workDir, modelStore, deidSecret, httpPort, labelsPerTraining,
                trainingInterval, pendingTimeout, gate, recipe, vesselMethod, archive, httpToken, kafkaClient, v, httpTls, auditRepository);
    }

    /** The same settings, its HTTP port speaking HTTPS with {@code v} (null: plain HTTP). */
    public TrainerSettings withHttpTls(ServerTls v) {
        return new TrainerSettings(bootstrapServers, groupId, workDir, modelStore, deidSecret, httpPort, labelsPerTraining,
                trainingInterval, pendingTimeout, gate, recipe, vesselMethod, archive, httpToken, kafkaClient, pretraining, v, auditRepository);
    }

    /** The same settings, its audit messages sent to {@code v} ({@code udp://} or {@code tls://HOST:PORT}; null: none). */
    public TrainerSettings withAuditRepository(String v) {
        return new TrainerSettings(bootstrapServers, groupId, workDir, modelStore, deidSecret, httpPort, labelsPerTraining,
                trainingInterval, pendingTimeout, gate, recipe, vesselMethod, archive, httpToken, kafkaClient, pretraining,
                httpTls, v);
    }
}
