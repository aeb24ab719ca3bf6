package org.radstream.launcher;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.radstream.models.ModelStore;
import org.radstream.models.TestTimeFlips;
import org.radstream.models.UNetVariant;
import org.radstream.trainer.CohortTraining;
import org.radstream.trainer.QualityGate;
import org.radstream.trainer.RunFollower;
import org.radstream.trainer.SumNetwork;
import org.radstream.trainer.SumTargets;
import org.radstream.trainer.TaskTrainer;
import org.radstream.trainer.TrainingRecipe;
import org.radstream.trainer.TrainingTask;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code radstream train}: on demand, asks a running trainer to train a task now (POST /train) and
 * follows the run to the quality gate's decision (exit 0 published, 3 refused, 1 failed, as for a
 * cohort run; {@code --detach} returns once it is queued);
 * with {@code --cohort}, trains the task straight from a generated cohort into a model store
 * (how the shipped default models are built). Only wires: the work is in org.radstream.trainer.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a task now: on a running trainer, or from a cohort (--cohort) into a model store.",
        footer = {"", "On a running trainer the run is followed to the quality gate's decision. Exit codes: 0 published "
                + "(or queued, with --detach), 3 refused by the quality gate, 4 cancelled, 1 failed or no trainer.",
                "", "--cancel stops the task's run in progress on the trainer (within a training step; its epoch "
                + "checkpoint stays, and its labels stay untrained; the task's triggers wait 8 hours) and its waiting "
                + "runs, and follows the run to its end (exit 4 once it is recorded as cancelled; 1 when there is "
                + "nothing to cancel)."})
final class TrainCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--task", required = true, description = "lung, infection, infection-classifier, liver or vessel.")
    String task;

    @Option(names = "--cohort", description = "Train from this generated cohort instead of the trainer's labels.")
    Path cohort;

    @Option(names = "--store", defaultValue = "models-default", description = "Model store to publish into (with --cohort). Default ${DEFAULT-VALUE}.")
    Path store;

    @Option(names = "--trainer-url", defaultValue = "${env:RADSTREAM_TRAINER_URL:-http://localhost:8086}",
            description = "Running trainer's HTTP address (without --cohort). Default ${DEFAULT-VALUE}.")
    String trainerUrl;

    @Option(names = "--trainer-token", defaultValue = "${env:RADSTREAM_TRAINER_TOKEN}",
            description = "The running trainer's HTTP token, when it requires one (its RADSTREAM_TRAINER_TOKEN).")
    String trainerToken;

    @Option(names = "--detach", description = "With a running trainer: return once the run is queued (with --cancel: "
            + "once the cancel is asked), instead of following it (its progress lines) until the quality gate has "
            + "decided (until it is recorded as cancelled).")
    boolean detach;

    @Option(names = "--cancel", description = "With a running trainer: cancel the task's run in progress and its waiting "
            + "runs instead of asking for one.")
    boolean cancel;

    @Option(names = "--operator", description = "With --cancel: who cancels (recorded with the run). Default: the user name.")
    String operator;

    @Option(names = "--reason", description = "With --cancel: why (recorded with the run).")
    String reason;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of splits, augmentation and initial weights. Default ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--epochs", defaultValue = "10", description = "Epochs. 0 with --transfer: no training; the "
            + "published weights are read anew (test-time flips, mask threshold, minimum component chosen on the "
            + "validation or --select-cohort scans), gated against the published version and published as a new one. "
            + "Default ${DEFAULT-VALUE}.")
    int epochs;

    @Option(names = "--input-size", defaultValue = "128", description = "Network input side. Default ${DEFAULT-VALUE}.")
    int inputSize;

    @Option(names = "--slices", defaultValue = "3", description = "Slices in: 3 = 2.5D U-Net, 5 or 7 = 2.5D with more slices either side "
            + "(with --transfer from a network reading fewer, its weights widened), 1 = 2D. Default ${DEFAULT-VALUE}.")
    int slices;

    @Option(names = "--width", defaultValue = "8", description = "U-Net base width. Default ${DEFAULT-VALUE}.")
    int width;

    @Option(names = "--levels", defaultValue = "4", description = "U-Net levels. Default ${DEFAULT-VALUE}.")
    int levels;

    @Option(names = "--architecture", defaultValue = "unet",
            description = "The single U-Nets (lung, infection, liver, --vessel-method SINGLE): unet (batch norm), unet-gn "
                    + "(group norm), se-unet, res-unet, or unet-2w (lung and infection: the slices read through the soft-tissue "
                    + "window too; --transfer from a plain champion starts from its weights). SUM always pairs an se-unet with a res-unet. Default ${DEFAULT-VALUE}.")
    String architecture;

    @Option(names = "--batch", defaultValue = "8", description = "Batch size. Default ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--lr", defaultValue = "0.002", description = "Adam learning rate. Default ${DEFAULT-VALUE}.")
    float learningRate;

    @Option(names = "--slice-stride", defaultValue = "1", description = "Train on every n-th slice. Default ${DEFAULT-VALUE}.")
    int sliceStride;

    @Option(names = "--no-augment", description = "Switch off the SU-UNet augmentation.")
    boolean noAugment;

    @Option(names = "--no-hard-mining", description = "Switch off hard-sample mining.")
    boolean noHardMining;

    @Option(names = "--transfer", description = "Start from the store's current version of the task.")
    boolean transfer;

    @Option(names = "--freeze", defaultValue = "0", description = "With --transfer: encoder stages to freeze. Default ${DEFAULT-VALUE}.")
    int freeze;

    @Option(names = "--vessel-method", defaultValue = "SUM",
            description = "vessel only: SUM, SINGLE, or CHAMPION (as the store's published vessel model was made; SUM when there is none). Default ${DEFAULT-VALUE}.")
    TaskTrainer.VesselMethod vesselMethod;

    @Option(names = "--sum-focal-gamma", defaultValue = "2",
            description = "vessel SUM: focusing parameter of its focal loss (the paper's 2; 0 = cross-entropy, as the single "
                    + "networks learn). Default ${DEFAULT-VALUE}.")
    float sumFocalGamma;

    @Option(names = "--focal-gamma", defaultValue = "0",
            description = "lung, infection, liver, --vessel-method SINGLE: the cross-entropy term of Dice + cross-entropy "
                    + "as a focal loss with this focusing parameter (e.g. 2), weighting the pixels the network gets wrong "
                    + "over the many it already gets right. Default ${DEFAULT-VALUE}: plain cross-entropy, the COVID-19 "
                    + "paper's loss.")
    float focalGamma;

    @Option(names = "--dense-weight", defaultValue = "1",
            description = "lung, infection: the cross-entropy weight of target pixels denser than -250 HU in the slice "
                    + "the network reads (consolidation, which a lung window shows like the chest wall), every other "
                    + "pixel weighing 1; in [1, 20]. Default ${DEFAULT-VALUE}: all pixels alike, the COVID-19 paper's loss.")
    float denseWeight;

    @Option(names = "--dense-term", defaultValue = "0",
            description = "lung, infection: adds this many times the mean cross-entropy (or focal) loss over the dense "
                    + "target pixels alone (denser than -250 HU in the slice the network reads), normalised by their own "
                    + "count, so that a few hundred of them weigh as much as a whole slice; in [0, 10]. Default "
                    + "${DEFAULT-VALUE}: no such term, the COVID-19 paper's loss.")
    float denseTerm;

    @Option(names = "--dense-band", defaultValue = "0",
            description = "with --dense-term: the term also reads every dense pixel within this many input pixels of the "
                    + "target, target or not (the chest wall and vessels beside a lesion), so that it does not teach the "
                    + "network to call every dense pixel infection; in [0, 32]. Default ${DEFAULT-VALUE}: the dense target "
                    + "pixels alone.")
    int denseBand;

    @Option(names = "--sum-warmup-epochs", defaultValue = "0",
            description = "vessel SUM: epochs both networks learn from the noisy labels before the first soft-label update "
                    + "(the paper: until both have converged); fewer than --epochs. Default ${DEFAULT-VALUE}: half of the epochs.")
    int sumWarmupEpochs;

    @Option(names = "--sum-targets", defaultValue = "SOFT",
            description = "vessel SUM: what both networks learn once the labels self-update: SOFT (the paper: the vote of "
                    + "label and networks as 1 / 0.8 / 0.6 / 0.4 / 0) or MAJORITY (a hard mask where at least two of the "
                    + "three say vessel). Default ${DEFAULT-VALUE}.")
    SumTargets sumTargets;

    @Option(names = "--sum-publish", defaultValue = "BETTER",
            description = "vessel SUM: which of the two networks the run offers the gate: BETTER (the one with the higher "
                    + "Dice on the scans that choose how it is read), SE_UNET (the paper's final network) or RES_UNET, "
                    + "whatever the scores. Default ${DEFAULT-VALUE}.")
    SumNetwork sumPublish;

    @Option(names = "--sum-start-se-unet", paramLabel = "ARTIFACT",
            description = "vessel SUM, with --sum-start-res-unet: a published vessel se-unet (a model version's directory, "
                    + "e.g. from --vessel-method SINGLE --architecture se-unet) already trained on the noisy labels; SUM then "
                    + "skips its warm-up and every epoch self-updates the labels.")
    Path sumStartSeUnet;

    @Option(names = "--sum-start-res-unet", paramLabel = "ARTIFACT",
            description = "vessel SUM, with --sum-start-se-unet: the published vessel res-unet to start from.")
    Path sumStartResUnet;

    @Option(names = "--classifier-epochs", defaultValue = "8", description = "Epochs of the infection classifier. Default ${DEFAULT-VALUE}.")
    int classifierEpochs;

    @Option(names = "--gate-cohort", description = "With --cohort: a cohort of another seed whose scans of the task's kind "
            + "the quality gate scores challenger and champion on (default: the training cohort's validation fifth).")
    Path gateCohort;

    @Option(names = "--select-cohort", description = "With --cohort: a cohort of a third seed (neither the training nor the "
            + "gate cohort's) whose scans of the task's kind choose how the kept weights are read (test-time flips, mask "
            + "threshold, minimum component; for the classifier its acceptance threshold and whether it adds) instead of "
            + "the few validation scans, which still choose the kept epoch.")
    Path selectCohort;

    @Option(names = "--keep-reading", description = "With --cohort and --transfer, a segmentation U-Net: keep the published "
            + "version's reading (test-time flips, mask thresholds, minimum component) while the scans that would choose "
            + "another (the selection cohort's, else the validation scans) are fewer than those that chose it, as the "
            + "trainer service's --transfer runs do.")
    boolean keepReading;

    @Option(names = "--pretrain-epochs", defaultValue = "0",
            description = "With --cohort, lung, infection or liver from fresh weights: first pretrain the U-Net for this many "
                    + "epochs to restore distorted slices of unlabelled scans (self-supervised, the Universal Model paper's "
                    + "restoration task), then train it on the labels. 0: none. Default ${DEFAULT-VALUE}.")
    int pretrainEpochs;

    @Option(names = "--pretrain-cohort", description = "With --pretrain-epochs: the cohort whose scans of the task's kind "
            + "are pretrained on, their labels unread (default: the training scans' own images). Not the gate's or "
            + "selection cohort.")
    Path pretrainCohort;

    @Option(names = "--gate-margin", defaultValue = "0.005", description = "Quality-gate margin. Default ${DEFAULT-VALUE}.")
    double gateMargin;

    @Option(names = "--gate-rule", defaultValue = "MARGIN", description = TrainerCommand.GATE_RULE_HELP)
    QualityGate.Rule gateRule;

    @Option(names = "--keep-refused", defaultValue = "" + QualityGate.KEEP_REFUSED,
            description = "How many challengers the gate refused to keep aside per task, newest first, in "
                    + "<store>/<task>/refused/ with their gate.json (never loaded by workers; `eval --model` reads one). "
                    + "0 keeps none. Default ${DEFAULT-VALUE}.")
    int keepRefused;

    @Option(names = "--test-time-flips", defaultValue = "BOTH",
            description = "The most test-time flip averaging the run may choose on its validation scans: NONE (one pass "
                    + "per slice), LEFT_RIGHT (two) or BOTH (four). Default ${DEFAULT-VALUE}.")
    TestTimeFlips maxFlips;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu or gpu[:N]. Default ${DEFAULT-VALUE}.")
    String device;

    /** The options of a request to a running trainer; every other one shapes a run from --cohort. */
    private static final Set<String> ON_TRAINER = Set.of("--task", "--trainer-url", "--trainer-token", "--detach",
            "--cancel", "--operator", "--reason", "--help", "--version");
    /** Those of them that mean nothing to a run from --cohort. */
    private static final Set<String> ON_TRAINER_ONLY = Set.of("--trainer-url", "--trainer-token", "--detach");

    @Override
    public Integer call() throws Exception {
        TrainingTask t;
        try {
            t = TrainingTask.of(task);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--task: " + e.getMessage());
        }
        if (cancel && cohort != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--cancel applies to a running trainer's runs, "
                    + "not to --cohort (stop that command instead)");
        }
        if (!cancel && (operator != null || reason != null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--operator and --reason go with --cancel");
        }
        List<String> misplaced = spec.commandLine().getParseResult().matchedOptions().stream()
                .map(CommandLine.Model.OptionSpec::longestName)
                .filter(name -> cohort == null ? !ON_TRAINER.contains(name) : ON_TRAINER_ONLY.contains(name))
                .distinct().toList();
        if (!misplaced.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), String.join(", ", misplaced)
                    + (misplaced.size() == 1 ? " goes" : " go") + (cohort == null ? " with --cohort: a running trainer "
                    + "trains as it was started (`trainer --transfer`, `--freeze`, `--epochs`, `--lr`, `--gate-margin`, "
                    + "`--device`)" : " with a running trainer, not with --cohort"));
        }
        if (cohort == null) {
            return cancel ? cancelOnTrainer(t) : onTrainer(t);
        }
        UNetVariant variant = UNetVariant.of(architecture).orElseThrow(() -> new CommandLine.ParameterException(
                spec.commandLine(), "--architecture must be unet, unet-gn, se-unet, res-unet or unet-2w, got '" + architecture + "'"));
        if (epochs < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--epochs must be 0 or more, got " + epochs);
        }
        if (slices < 1 || slices > TrainingRecipe.MAX_SLICES || slices % 2 == 0) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--slices must be 1 (2D) or 3, 5 or 7 (2.5D: the segmented slice in the middle), got " + slices);
        }
        if (epochs == 0 && (!transfer || t == TrainingTask.INFECTION_CLASSIFIER || vesselSum(t))) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--epochs 0 re-reads the published weights of a "
                    + "segmentation network: it needs --transfer, and neither the classifier (--classifier-epochs) nor "
                    + "vessel SUM (which learns its labels over its epochs) has weights to re-read that way");
        }
        if (freeze < 0 || freeze > levels) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--freeze must be 0.." + levels + " (the encoder "
                    + "stages of the " + levels + "-level network --levels trains), got " + freeze);
        }
        if (keepReading && (!transfer || epochs == 0 || t == TrainingTask.INFECTION_CLASSIFIER || vesselSum(t))) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--keep-reading keeps the reading of the network "
                    + "a run fine-tunes: it needs --transfer and epochs to train, and applies to neither the classifier "
                    + "nor vessel SUM");
        }
        if (epochs > 0 && (sumWarmupEpochs < 0 || sumWarmupEpochs >= epochs)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--sum-warmup-epochs must be 0 (half of the epochs) "
                    + "or fewer than --epochs (" + epochs + "), so that SUM has an epoch that updates its labels; got "
                    + sumWarmupEpochs);
        }
        if (sumTargets != SumTargets.SOFT && !vesselSum(t)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--sum-targets only applies to --task vessel "
                    + "--vessel-method SUM");
        }
        if (sumPublish != SumNetwork.BETTER && !vesselSum(t)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--sum-publish only applies to --task vessel "
                    + "--vessel-method SUM");
        }
        if (!TrainingRecipe.isFocalGamma(focalGamma)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--focal-gamma must lie in [0, 5], got "
                    + focalGamma);
        }
        if (focalGamma != 0 && (t == TrainingTask.INFECTION_CLASSIFIER || vesselSum(t))) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--focal-gamma applies to the single U-Nets "
                    + "(lung, infection, liver, --vessel-method SINGLE); SUM has --sum-focal-gamma, the classifier neither");
        }
        checkDenseOption("--dense-weight", TrainingRecipe.isDenseWeight(denseWeight), "[1, 20]", denseWeight,
                denseWeight != 1, t);
        checkDenseOption("--dense-term", TrainingRecipe.isDenseTerm(denseTerm), "[0, 10]", denseTerm, denseTerm != 0, t);
        checkDenseOption("--dense-band", TrainingRecipe.isDenseBand(denseBand), "[0, 32]", denseBand, denseBand != 0, t);
        if (denseBand != 0 && denseTerm == 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--dense-band shapes the --dense-term, which is 0");
        }
        if (keepRefused < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--keep-refused must be >= 0, got " + keepRefused);
        }
        if (pretrainEpochs < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--pretrain-epochs must be 0 or more, got "
                    + pretrainEpochs);
        }
        if (pretrainCohort != null && pretrainEpochs == 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--pretrain-cohort goes with --pretrain-epochs");
        }
        if (pretrainEpochs > 0 && t != TrainingTask.LUNG && t != TrainingTask.INFECTION && t != TrainingTask.LIVER) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--pretrain-epochs applies to the U-Nets that read "
                    + "whole slices (lung, infection, liver), not to " + t.id());
        }
        CohortTraining.Pretraining pretraining = pretrainEpochs == 0 ? null
                : new CohortTraining.Pretraining(pretrainEpochs, pretrainCohort);
        TaskTrainer.SumStart sumStart = sumStart(t);
        TrainingRecipe recipe = new TrainingRecipe(inputSize, slices, levels, width, epochs, batch, learningRate, seed,
                !noAugment, !noHardMining, 0.7, transfer, freeze, sliceStride, 32, classifierEpochs, device,
                variant, maxFlips, sumFocalGamma, sumWarmupEpochs, sumTargets, focalGamma, denseWeight, denseTerm, denseBand, sumPublish);
        TaskTrainer.Outcome outcome = CohortTraining.train(cohort, t, recipe, new ModelStore(store),
                new QualityGate(gateMargin).keepingRefused(keepRefused).withRule(gateRule), vesselMethod, gateCohort, selectCohort, sumStart, pretraining, keepReading, System.out::println);
        System.out.println(outcome.task() + ": " + outcome.decision().reason() + "; metrics " + outcome.metrics());
        return outcome.decision().publish() ? EXIT_PUBLISHED : EXIT_REFUSED;
    }

    /**
     * Refuses a dense-pixel loss option outside its range, or set for a network whose window cannot tell
     * dense pixels apart (liver, vessel, the classifier).
     */
    private void checkDenseOption(String option, boolean inRange, String range, Number value, boolean set,
                                  TrainingTask t) {
        if (!inRange) {
            throw new CommandLine.ParameterException(spec.commandLine(), option + " must lie in " + range + ", got "
                    + value);
        }
        if (set && t != TrainingTask.LUNG && t != TrainingTask.INFECTION) {
            throw new CommandLine.ParameterException(spec.commandLine(), option + " applies to the lung-window "
                    + "networks (lung, infection), whose window tells dense pixels apart; not to " + t.id());
        }
    }

    /** Whether the run trains vessel networks with SUM, the only run the --sum-* options apply to. */
    private boolean vesselSum(TrainingTask t) {
        return t == TrainingTask.VESSEL && vesselMethod == TaskTrainer.VesselMethod.SUM;
    }

    /** The two trained networks a vessel SUM run starts from, or null; refused where they mean nothing. */
    private TaskTrainer.SumStart sumStart(TrainingTask t) {
        if (sumStartSeUnet == null && sumStartResUnet == null) {
            return null;
        }
        if (sumStartSeUnet == null || sumStartResUnet == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "SUM starts from two networks: give both "
                    + "--sum-start-se-unet and --sum-start-res-unet");
        }
        if (!vesselSum(t)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--sum-start-se-unet and --sum-start-res-unet "
                    + "only apply to --task vessel --vessel-method SUM");
        }
        if (sumWarmupEpochs != 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--sum-warmup-epochs and --sum-start-* exclude "
                    + "each other: started from trained networks, SUM has no warm-up");
        }
        return new TaskTrainer.SumStart(sumStartSeUnet.toUri(), sumStartResUnet.toUri());
    }

    /** Exit codes of a run, on a running trainer or from a cohort. */
    static final int EXIT_PUBLISHED = 0;
    static final int EXIT_FAILED = 1;
    static final int EXIT_REFUSED = 3;
    static final int EXIT_CANCELLED = 4;
    private static final Duration FOLLOW_POLL = Duration.ofSeconds(2);
    /** A trainer restarting (its Kafka consumers, its label store re-read) is back well within this. */
    private static final Duration FOLLOW_UNREACHABLE = Duration.ofMinutes(5);

    private RunFollower follower() {
        return new RunFollower(HttpClient.newHttpClient(), URI.create(trainerUrl), FOLLOW_POLL, FOLLOW_UNREACHABLE,
                System.out::println, trainerToken);
    }

    private int onTrainer(TrainingTask t) throws Exception {
        RunFollower follower = follower();
        Instant queuedAt;
        try {
            queuedAt = follower.request(t.id());
        } catch (IllegalArgumentException e) {
            System.err.println("the trainer refused: " + e.getMessage());
            return EXIT_FAILED;
        } catch (IOException e) {
            return unanswered(e);
        }
        if (detach) {
            return EXIT_PUBLISHED;
        }
        return followed(follower, t, queuedAt);
    }

    private int cancelOnTrainer(TrainingTask t) throws Exception {
        RunFollower follower = follower();
        RunFollower.Cancel done;
        try {
            done = follower.cancel(t.id(), operator == null ? System.getProperty("user.name") : operator, reason);
        } catch (IllegalArgumentException e) {
            System.err.println("nothing cancelled: " + e.getMessage());
            return EXIT_FAILED;
        } catch (IOException e) {
            return unanswered(e);
        }
        if (detach || done.runStartedAt().isEmpty()) {
            return EXIT_CANCELLED;
        }
        return followed(follower, t, done.runStartedAt().get());
    }

    private int followed(RunFollower follower, TrainingTask t, Instant since) throws InterruptedException {
        try {
            return switch (follower.follow(t.id(), since).end()) {
                case PUBLISHED -> EXIT_PUBLISHED;
                case REFUSED -> EXIT_REFUSED;
                case FAILED -> EXIT_FAILED;
                case CANCELLED -> EXIT_CANCELLED;
            };
        } catch (IOException e) {
            System.err.println(e.getMessage());
            return EXIT_FAILED;
        }
    }

    /** "no trainer answers" only for a refused connection; the trainer's own error otherwise. */
    private int unanswered(IOException e) {
        if (e instanceof java.net.ConnectException) {
            System.err.println("no trainer answers at " + trainerUrl + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
        } else {
            System.err.println(e.getMessage());
        }
        return EXIT_FAILED;
    }
}
