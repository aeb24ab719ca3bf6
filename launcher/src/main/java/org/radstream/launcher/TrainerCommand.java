package org.radstream.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.radstream.models.Devices;
import org.radstream.models.ModelArtifact;
import org.radstream.models.ModelStore;
import org.radstream.schemas.RestSchemaRegistryClient;
import org.radstream.schemas.Topics;
import org.radstream.trainer.ArchivePretraining;
import org.radstream.trainer.QualityGate;
import org.radstream.trainer.TaskTrainer;
import org.radstream.trainer.TrainerService;
import org.radstream.trainer.TrainerSettings;
import org.radstream.trainer.TrainingRecipe;
import org.radstream.trainer.TrainingTask;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code radstream trainer}: the trainer service (image archive, label intake, training on N new
 * labels or every T hours, quality gate, publishing) with its HTTP endpoint until SIGTERM. Only
 * wires options into {@link TrainerSettings}; {@code radstream train} asks it to train now.
 */
@Command(name = "trainer", mixinStandardHelpOptions = true,
        description = "Run the trainer service: archive task images, take corrected labels, retrain and publish models.")
final class TrainerCommand implements Callable<Integer> {
    static final String ENV_DEID_SECRET = "RADSTREAM_DEID_SECRET";

    @Spec
    CommandSpec spec;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--work-dir", defaultValue = "trainer-work",
            description = "Image archive and training state (which labels each task last trained on, runs not finished, labels dead-lettered); keep it across restarts. Default ${DEFAULT-VALUE}.")
    Path workDir;

    @Option(names = "--model-store", defaultValue = "models-default",
            description = "Model store the trainer publishes into; workers must see the same path. Default ${DEFAULT-VALUE}.")
    Path modelStore;

    @Option(names = "--deid-secret", defaultValue = "${env:" + ENV_DEID_SECRET + "}",
            description = "Secret (>= 16 characters) of the keyed hash that replaces patient ids in the archive (env "
                    + ENV_DEID_SECRET + ").")
    String deidSecret;

    @Option(names = "--http-port", defaultValue = "8086",
            description = "Port of POST /labels, POST /train and /health; 0 = any free, -1 = none. Default ${DEFAULT-VALUE}.")
    int httpPort;

    @Option(names = "--group-id", defaultValue = "radstream-trainer",
            description = "Consumer group of the image archive. Default ${DEFAULT-VALUE}.")
    String groupId;

    @Option(names = "--labels-per-training", defaultValue = "20",
            description = "Train a task after this many new labels of it; 0 = off. Default ${DEFAULT-VALUE}.")
    int labelsPerTraining;

    @Option(names = "--training-interval", defaultValue = "24",
            description = "Also train tasks with new labels every this many hours; 0 = off. Default ${DEFAULT-VALUE}.")
    double trainingIntervalHours;

    @Option(names = "--pending-timeout", defaultValue = "3600",
            description = "Seconds a label waits for its series' images before it is refused. Default ${DEFAULT-VALUE}.")
    double pendingTimeoutSeconds;

    @Option(names = "--gate-margin", defaultValue = "0.005",
            description = "How much lower than the champion's Dice on the gate's series (a fifth of the labelled series, "
                    + "which choose nothing) a new version may score. Default ${DEFAULT-VALUE}.")
    double gateMargin;

    /** The help of {@code --gate-rule}, which {@code train} shares. */
    static final String GATE_RULE_HELP = "What a new version must show against the champion: MARGIN (its mean "
            + "Dice on the gate's series is not below the champion's by more than --gate-margin) or NON_INFERIORITY "
            + "(that, and the 95%% interval of its paired per-series difference lies above -margin: refuses unless 5 or "
            + "more gate series show it no worse; the infection classifier stays under MARGIN). Default ${DEFAULT-VALUE}.";

    @Option(names = "--gate-rule", defaultValue = "MARGIN", description = GATE_RULE_HELP)
    QualityGate.Rule gateRule;

    @Option(names = "--keep-refused", defaultValue = "" + QualityGate.KEEP_REFUSED,
            description = "Refused challengers to keep aside per task, newest first, in <store>/<task>/refused/ with their "
                    + "gate.json (never loaded by workers). 0 keeps none. Default ${DEFAULT-VALUE}.")
    int keepRefused;

    @Option(names = "--vessel-method", defaultValue = "CHAMPION",
            description = "How vessel runs learn from the noisy labels: SUM, SINGLE, or CHAMPION (as the published vessel "
                    + "model was made; SUM when there is none). Default ${DEFAULT-VALUE}.")
    TaskTrainer.VesselMethod vesselMethod;

    @Option(names = "--archive-retention-days", defaultValue = "30",
            description = "Days an archived series no label names is kept (labelled series stay: they are training "
                    + "data); 0 keeps every series. Default ${DEFAULT-VALUE}.")
    double archiveRetentionDays;

    @Option(names = "--http-token", defaultValue = "${env:RADSTREAM_TRAINER_TOKEN}",
            description = "A token (at least 16 characters) that POST /labels, /train, /runs/cancel and GET /labels/suggestions must carry as "
                    + "'Authorization: Bearer TOKEN'; unset, they are open to whoever reaches the port.")
    String httpToken;

    @Option(names = "--device", defaultValue = "cpu", description = "Where runs train: cpu or gpu[:N] (a CUDA libtorch "
            + "must be present; checked at the start). Default ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--archive-max-gb", defaultValue = "0",
            description = "Size cap of the image archive in GB (10^9 bytes): beyond it, series no label names are "
                    + "removed oldest first, before their retention ends (labelled series stay, and an archive they "
                    + "alone fill is reported); 0: no cap. Default ${DEFAULT-VALUE}.")
    double archiveMaxGb;

    @Option(names = "--pretrain-epochs", defaultValue = "0",
            description = "Before a run from fresh weights learns from its labels, pretrain its U-Net this many epochs to "
                    + "restore crops of archived series no label names (self-supervised; 0: off)")
    int pretrainEpochs;

    @Option(names = "--pretrain-series", defaultValue = "" + ArchivePretraining.DEFAULT_MAX_SERIES,
            description = "At most this many unlabelled archived series of the task's group to pretrain on, the newest "
                    + "first, outside the selection and gate series (each held in memory during the pretraining)")
    int pretrainSeries;

    @Option(names = "--transfer", description = "Runs of a segmentation U-Net (lung, infection, liver; vessels trained "
            + "as one network) fine-tune the task's published version instead of training fresh weights shaped like it, "
            + "and keep its reading (test-time flips, mask thresholds, minimum component) while their own selection "
            + "series are fewer than those that chose it. Off by default: a run trains fresh weights.")
    boolean transfer;

    @Option(names = "--freeze", defaultValue = "0",
            description = "With --transfer: encoder stages kept frozen. Default ${DEFAULT-VALUE}.")
    int freeze;

    @Option(names = "--epochs", description = "Epochs of a segmentation run (at least 1). Default "
            + TrainingRecipe.DEFAULT_EPOCHS + ".")
    Integer epochs;

    @Option(names = "--lr", description = "Learning rate of a segmentation run, in (0, 1). Default 0.002, or "
            + "0.0002 with --transfer (a champion's weights are fine-tuned, not shaken loose).")
    Float learningRate;

    @Mixin
    TlsOptions tls;

    @Mixin
    AuditOptions audit;

    /** The configured recipe with this command's schedule and transfer. */
    TrainingRecipe recipe(TrainingRecipe configured) {
        if (epochs != null && epochs < 1) {
            throw new IllegalArgumentException("--epochs must be 1 or more: the trainer's runs train (0 re-reads "
                    + "weights, which `train --epochs 0 --transfer --cohort` does); got " + epochs);
        }
        if (freeze != 0 && !transfer) {
            throw new IllegalArgumentException("--freeze keeps encoder stages of the published version: it needs --transfer");
        }
        TrainingRecipe r = configured.withTransfer(transfer, freeze);
        if (epochs != null) {
            r = r.withEpochs(epochs);
        }
        float lr = learningRate != null ? learningRate
                : transfer ? TrainingRecipe.FINE_TUNING_LEARNING_RATE : configured.learningRate();
        return r.withLearningRate(lr);
    }

    /**
     * Refuses a {@code --freeze} deeper than a published network of the store: every run of that
     * task would fail on it, as the service fine-tunes each task with the same setting. The check is
     * against the champions, not the configured recipe, whose levels each run reshapes like them.
     */
    void checkFreeze(ModelStore store) throws IOException {
        if (freeze == 0 || !Files.isDirectory(modelStore)) {
            return;
        }
        List<String> shallower = new ArrayList<>();
        for (TrainingTask t : TrainingTask.values()) {
            Optional<ModelArtifact> champion = store.latest(t.id());
            if (champion.isPresent() && champion.get().metadata().network().isSegmentation()
                    && champion.get().metadata().network().levels() < freeze) {
                shallower.add(String.format(Locale.ROOT, "%s v%d has %d", t.id(), champion.get().metadata().version(),
                        champion.get().metadata().network().levels()));
            }
        }
        if (!shallower.isEmpty()) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "--freeze %d: more encoder stages than published "
                    + "networks in %s have (%s); the trainer fine-tunes every task with the same --freeze", freeze,
                    modelStore, String.join(", ", shallower)));
        }
    }

    @Override
    public Integer call() throws Exception {
        TrainerSettings settings;
        try {
            settings = TrainerSettings.defaults(cluster.bootstrap(), workDir, modelStore, deidSecret)
                    .withGroupId(groupId)
                    .withHttpPort(httpPort)
                    .withLabelsPerTraining(labelsPerTraining)
                    .withTrainingInterval(Duration.ofSeconds(Math.round(trainingIntervalHours * 3600)))
                    .withPendingTimeout(Duration.ofMillis(Math.round(pendingTimeoutSeconds * 1000)))
                    .withGateMargin(gateMargin)
                    .withGateRule(gateRule)
                    .withKeepRefused(keepRefused)
                    .withVesselMethod(vesselMethod)
                    .withArchiveRetention(Duration.ofSeconds(Math.round(archiveRetentionDays * 86_400)))
                    .withArchiveMaxBytes(Math.round(archiveMaxGb * 1e9))
                    .withHttpToken(httpToken)
                    .withKafkaClient(cluster.kafkaClient())
                    .withHttpTls(tls.forHttps(false))
                    .withPretraining(pretrainEpochs == 0 ? null : new ArchivePretraining(pretrainEpochs, pretrainSeries))
                    .withAuditRepository(audit.repository);
            // a trainer that would fail every run on a missing GPU is refused at its start
            Devices.requireAvailable(Devices.parse(device));
            settings = settings.withRecipe(recipe(settings.recipe()).withDevice(device));
            checkFreeze(new ModelStore(modelStore));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        Topics topics = new Topics(new RestSchemaRegistryClient(cluster.registry()));
        TrainerService service;
        try {
            service = TrainerService.start(settings, topics);
        } catch (IllegalStateException e) {
            System.err.println("trainer not started: " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.close();
            stopped.countDown();
        }, "radstream-trainer-shutdown"));
        System.out.println("trainer on " + ClusterOptions.describe(settings.bootstrapServers(), settings.kafkaClient())
                + ", model store " + modelStore
                + (service.httpPort() > 0 ? "; labels " + (settings.httpTls() == null ? "http" : "https") + "://localhost:" + service.httpPort() + "/labels" : ""));
        stopped.await();
        return 0;
    }
}
