package org.radstream.trainer;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.XavierInitializer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.Consumer;
import org.radstream.avro.ModelPublished;
import org.radstream.imaging.Components;
import org.radstream.imaging.Connectivity;
import org.radstream.imaging.InfectedLung;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Window;
import org.radstream.imaging.eval.ScanBootstrap;
import org.radstream.models.Architectures;
import org.radstream.models.Devices;
import org.radstream.models.MaskCut;
import org.radstream.models.ModelArtifact;
import org.radstream.models.ModelDescriptor;
import org.radstream.models.ModelMetadata;
import org.radstream.models.ModelStore;
import org.radstream.models.NetworkSpec;
import org.radstream.models.PatchClassifier;
import org.radstream.models.SegmentationModel;
import org.radstream.models.SliceWidening;
import org.radstream.models.StoredModel;
import org.radstream.models.SupersededException;
import org.radstream.models.TestTimeFlips;
import org.radstream.models.UNet;
import org.radstream.models.UNetVariant;

/**
 * Trains one task on labelled scans, scores challenger and champion on the same held-out
 * validation scans, and publishes the challenger if the gate lets it through. Lung, infection and
 * liver: one U-Net (2.5D or 2D). Vessel: SU-UNet (SE-UNet + Res-UNet with self-updating labels;
 * the better of the two on validation is published) or, for comparison, a single U-Net.
 * Infection classifier: ResNet-18 on candidate patches.
 */
public final class TaskTrainer {

    /**
     * How vessels are learnt from noisy labels: SU-UNet (SUM), a single network (SINGLE), or as the
     * published vessel model was made (CHAMPION: SUM when it came from SUM or there is none, else
     * SINGLE). A retraining service wants CHAMPION: a SUM challenger against a single-network
     * champion costs hours and, on the synthetic cohort, is refused by the gate (ACCURACY.md).
     */
    public enum VesselMethod { SUM, SINGLE, CHAMPION }

    /** A metric only SUM runs record; it tells a SUM-made vessel artifact from a single network's. */
    static final String SUM_WARMUP_EPOCHS_METRIC = "warmup_epochs";
    /** The metric a model pretrained on unlabelled scans records its pretraining epochs under. */
    static final String PRETRAIN_EPOCHS_METRIC = "pretrain_epochs";

    /**
     * SUM's two networks already trained on the noisy labels: published vessel artifacts of an
     * SE-UNet and a Res-UNet (for example two {@code --vessel-method SINGLE} runs' versions). SU-UNet
     * trains both "until the two UNet converge" before its labels self-update; started from these,
     * a SUM run skips its warm-up and every epoch self-updates.
     */
    public record SumStart(URI seUnet, URI resUnet) {
        public SumStart {
            java.util.Objects.requireNonNull(seUnet, "seUnet");
            java.util.Objects.requireNonNull(resUnet, "resUnet");
        }
    }

    /**
     * What a training run ended in.
     *
     * @param metrics   challenger's figures (validation score, losses, sizes)
     * @param published the announcement, if the gate let the model through
     * @param keptRefused where the refused challenger was kept aside, if the gate refused it and keeps any
     */
    public record Outcome(String task, QualityGate.Decision decision, Map<String, Double> metrics,
                          Map<String, Double> championMetrics, Optional<ModelPublished> published,
                          List<Double> epochLosses, Optional<URI> keptRefused) {}

    /**
     * Metric of an infection model whose reading and gate were scored on the masks the workers keep:
     * the version of the lung model whose lungs the components had to reach.
     */
    public static final String SCORED_REACHING_LUNG_MODEL_METRIC = "scored_reaching_lung_model";

    private final Publisher publisher;
    private final QualityGate gate;
    private final Consumer<String> progress;

    public TaskTrainer(ModelStore store, QualityGate gate, Consumer<ModelPublished> announcer, Consumer<String> progress) {
        this.publisher = new Publisher(store, announcer);
        this.gate = gate;
        this.progress = progress;
    }

    private List<ScanData> gateScans = List.of();
    private boolean championsOnlyOnGateScans;
    private boolean keepingChampionReadings;
    /** The challenger's Dice on each gate scan, read as it would ship; empty without gate scans. */
    private double[] challengerGateDice = new double[0];
    private List<ScanData> selectionScans = List.of();
    private SumStart sumStart;
    private java.util.function.Supplier<SelfSupervisedPretraining.Plan> pretraining;
    private Path checkpoints;
    private Runnable beforeDecisionKept = () -> { };

    /**
     * Segmentation runs of this trainer keep an {@link EpochCheckpoint} (a SUM run a {@link
     * SumCheckpoint}) per task under {@code dir} ({@code dir/<task>}), so that the same run started
     * again after a crash, a stop or a cancel goes on from its last finished epoch (null: none). The
     * classifier starts again from its first epoch (its epochs take seconds; reading its scans takes
     * the time), but keeps the masks the published models made of its scans ({@link MaskCache},
     * {@code dir/infection-classifier/masks}), so that it reads again only the scans it has not read.
     */
    public TaskTrainer checkpointsIn(Path dir) {
        this.checkpoints = dir;
        return this;
    }

    /**
     * A challenger of this trainer replaces a published champion only when it was judged on gate
     * scans that chose nothing of it: one judged on the scans that chose its kept epoch and reading
     * (a run with too few labelled series to hold any apart) is refused, whatever its score there,
     * which carries the best of many readings (the trainer service; {@link HeldOutSplit}). The first
     * version of a task is published as before.
     */
    public TaskTrainer replacingChampionsOnlyOnGateScans() {
        this.championsOnlyOnGateScans = true;
        return this;
    }

    /**
     * A segmentation run of this trainer that fine-tunes its champion's network keeps the champion's
     * reading (test-time flips, mask cut, minimum component) while the scans it has to choose one of
     * its own are fewer than those that chose the champion's ({@link ChampionReading}); the trainer
     * service, whose runs choose on a tenth of the labelled series.
     */
    public TaskTrainer keepingChampionReadings() {
        this.keepingChampionReadings = true;
        return this;
    }

    /**
     * A segmentation run of this trainer that starts from fresh weights (not from the champion's)
     * first pretrains them on {@code plan}'s unlabelled scans ({@link SelfSupervisedPretraining});
     * null: none. Networks that read only a region (vessels, inside the dilated liver) are refused it.
     */
    public TaskTrainer pretrainingOn(SelfSupervisedPretraining.Plan plan) {
        this.pretraining = plan == null ? null : () -> plan;
        return this;
    }

    /**
     * {@link #pretrainingOn}, the plan made only when a run starts from fresh weights: its unlabelled
     * scans are read then, not for a run that transfers from the champion; a plan of null pretrains
     * nothing.
     */
    public TaskTrainer pretrainingFrom(java.util.function.Supplier<SelfSupervisedPretraining.Plan> plan) {
        this.pretraining = plan;
        return this;
    }

    /**
     * Runs {@code hook} once a run's gate has decided and before its challenger is published or kept
     * aside; a hook that throws (the run was cancelled meanwhile) stops the run there, with nothing
     * written. After it returns, the run is no longer cancellable: what it writes and announces must
     * not be cut in half.
     */
    public TaskTrainer beforeDecisionKept(Runnable hook) {
        this.beforeDecisionKept = hook;
        return this;
    }

    /** SUM runs of this trainer start from these two trained networks (null: from scratch, with a warm-up). */
    public TaskTrainer startingSumFrom(SumStart start) {
        this.sumStart = start;
        return this;
    }

    public Outcome train(TrainingTask task, List<ScanData> train, List<ScanData> validation, TrainingRecipe r)
            throws Exception {
        return train(task, train, validation, r, VesselMethod.SUM);
    }

    public Outcome train(TrainingTask task, List<ScanData> train, List<ScanData> validation, TrainingRecipe r,
                         VesselMethod vesselMethod) throws Exception {
        return train(task, train, validation, r, vesselMethod, List.of());
    }

    /**
     * Trains {@code task}; with a non-empty {@code gateScans}, the quality gate scores challenger and
     * champion on those scans instead of the validation scans (which still choose the kept epoch and
     * the mask threshold). A separate, larger gate set keeps a handful of validation scans from
     * deciding what ships: six of them can miss a whole kind of lesion.
     */
    public Outcome train(TrainingTask task, List<ScanData> train, List<ScanData> validation, TrainingRecipe r,
                         VesselMethod vesselMethod, List<ScanData> gateScans) throws Exception {
        return train(task, train, validation, r, vesselMethod, gateScans, List.of());
    }

    /**
     * The same; with a non-empty {@code selectionScans}, how the kept weights are read (test-time
     * flips, mask threshold, minimum component volume) is chosen on those scans instead of the
     * validation scans, which still choose the kept epoch. Six validation scans cannot tell a gain
     * of 0.01 Dice from noise; a selection cohort of another seed can, without making the gate's
     * or the held-out figures selection figures.
     */
    public Outcome train(TrainingTask task, List<ScanData> train, List<ScanData> validation, TrainingRecipe r,
                         VesselMethod vesselMethod, List<ScanData> gateScans, List<ScanData> selectionScans)
            throws Exception {
        this.gateScans = List.copyOf(gateScans);
        this.selectionScans = List.copyOf(selectionScans);
        this.challengerGateDice = new double[0];
        if (train.isEmpty()) {
            throw new IllegalArgumentException("no training scans for " + task.id());
        }
        if (pretraining != null && task.regionInput()) {
            throw new IllegalArgumentException(task.id() + " networks read only their region (the dilated liver); "
                    + "pretraining on whole unlabelled slices is not offered for them");
        }
        if (pretraining != null && task == TrainingTask.INFECTION_CLASSIFIER) {
            throw new IllegalArgumentException("the infection classifier is a ResNet-18 judging patches; restoration "
                    + "pretraining is for the U-Nets");
        }
        progress.accept(String.format(Locale.ROOT, "%s: training on %d scans, validating on %d (%s, %d², %s)",
                task.id(), train.size(), validation.size(), task == TrainingTask.INFECTION_CLASSIFIER ? "resnet18"
                        : (r.sliceChannels() == 1 ? "2D" : "2.5D, " + r.sliceChannels() + " slices in"), r.inputSize(), r.device()));
        if (task == TrainingTask.INFECTION_CLASSIFIER) {
            if (!this.gateScans.isEmpty()) {
                progress.accept("infection-classifier: the classifier's gate is its effect on "
                        + scansChoosing() + " infection Dice; "
                        + "the gate scans are not used");
            }
            return trainClassifier(train, validation, r);
        }
        if (task == TrainingTask.VESSEL && vesselMethod == VesselMethod.CHAMPION) {
            Optional<ModelArtifact> champion = publisher.store().latest(task.id());
            vesselMethod = methodOf(champion);
            progress.accept(champion.map(c -> String.format(Locale.ROOT, "vessel: trained with %s, as its champion v%d was",
                    methodOf(champion), c.metadata().version())).orElse("vessel: trained with SUM (no champion yet)"));
        }
        if (task == TrainingTask.VESSEL && vesselMethod == VesselMethod.SUM) {
            if (r.epochs() == 0) {
                throw new IllegalArgumentException("vessel SUM learns its labels over its epochs: 0 epochs re-read a "
                        + "single network (--vessel-method SINGLE)");
            }
            return trainSum(train, validation, r);
        }
        return trainUNet(task, r.unetVariant(), train, validation, r);
    }

    /** How a published vessel model was made: SUM when it records SUM's warm-up or there is none, else SINGLE. */
    static VesselMethod methodOf(Optional<ModelArtifact> vessel) {
        return vessel.map(a -> a.metadata().metrics().containsKey(SUM_WARMUP_EPOCHS_METRIC) ? VesselMethod.SUM
                : VesselMethod.SINGLE).orElse(VesselMethod.SUM);
    }

    private Outcome trainUNet(TrainingTask task, UNetVariant variant, List<ScanData> train, List<ScanData> validation,
                              TrainingRecipe r) throws Exception {
        if (variant == UNetVariant.TWO_WINDOWS && !task.window().equals(Window.LUNG)) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s: the two-window U-Net (%s) reads lung-window "
                    + "input and adds the soft-tissue window to it; %s's input is in the %s window", task.id(),
                    variant.architecture(), task.id(), task.window().name()));
        }
        NetworkSpec spec = NetworkSpec.unet(variant, r.sliceChannels(), r.levels(), r.baseWidth());
        Optional<ModelArtifact> champion = publisher.store().latest(task.id());
        Device device = Devices.requireAvailable(Devices.parse(r.device()));
        Optional<ModelArtifact> lungModel = task == TrainingTask.INFECTION
                ? publisher.store().latest(TrainingTask.LUNG.id()) : Optional.empty();
        if (lungModel.isPresent()) {
            // the workers keep only the infection components reaching into the lung model's lungs:
            // the epoch, the reading and the gate are judged on the masks they would keep
            try (SegmentationModel m = SegmentationModel.load(lungModel.get().location(), device)) {
                validation = reachingLungs(m, validation);
                selectionScans = reachingLungs(m, selectionScans);
                gateScans = reachingLungs(m, gateScans);
            }
            progress.accept(String.format(Locale.ROOT, "%s: masks scored as the workers keep them, the components "
                    + "reaching into the lungs of lung model v%d", task.id(), lungModel.get().metadata().version()));
        }
        try (Holder holder = start(task, spec, champion, r, device)) {
            Path checkpoint = checkpoints == null ? null : checkpoints.resolve(task.id());
            SelfSupervisedPretraining.Result pretrained = null;
            SelfSupervisedPretraining.Plan plan = null;
            if (pretraining != null && !holder.transferred() && r.epochs() > 0) {
                plan = pretraining.get();
                if (plan != null) {
                    pretrained = SelfSupervisedPretraining.run(holder.model(), task.window(), plan, r, task.id(), progress,
                            checkpoint);
                }
            } else if (pretraining != null) {
                progress.accept(task.id() + ": not pretrained: the run starts from a published version's weights");
            }
            List<ScanData> choosing = selectionScans.isEmpty() ? validation : selectionScans;
            ChampionReading kept = keptReading(task, holder, champion, r, choosing.size(), device);
            SegmentationRun.Result result = SegmentationRun.run(holder.model(), task.window(), task.regionInput(),
                    task.prunesComponents(), train, validation, selectionScans, r, task.id(), progress, checkpoint, kept);
            if (pretrained != null && checkpoint != null) {
                EpochCheckpoint.delete(checkpoint, EpochCheckpoint.PRETRAINING_FILE);
            }
            Map<String, Double> metrics = new LinkedHashMap<>();
            String chosenOn = scansChoosing();
            lungModel.ifPresent(a -> metrics.put(SCORED_REACHING_LUNG_MODEL_METRIC, (double) a.metadata().version()));
            metrics.put(chosenOn + "_dice", result.finalDice());
            if (!selectionScans.isEmpty()) {
                metrics.put("selection_scans", (double) selectionScans.size());
            }
            metrics.put(ChampionReading.CHOSEN_ON_METRIC, (double) (kept == null ? choosing.size() : kept.chosenOn()));
            if (kept != null) {
                metrics.put(ChampionReading.KEPT_FROM_METRIC, (double) kept.version());
            }
            MaskCut cut = result.cut();
            metrics.put(SegmentationModel.MASK_THRESHOLD_METRIC, (double) cut.threshold());
            metrics.put(chosenOn + "_dice_at_0_5", result.threshold().diceAtHalf());
            if (cut.splitsDensity()) {
                metrics.put(SegmentationModel.DENSE_FROM_HU_METRIC, cut.denseFromHu());
                metrics.put(SegmentationModel.DENSE_MASK_THRESHOLD_METRIC, (double) cut.denseThreshold());
            }
            if (!cut.equals(MaskCut.single(result.threshold().threshold()))) {
                metrics.put(chosenOn + "_one_threshold", (double) result.threshold().threshold());
                metrics.put(chosenOn + "_dice_one_threshold", result.dense().diceSingle());
                metrics.put(chosenOn + "_volume_error", result.dense().volumeError());
                metrics.put(chosenOn + "_volume_error_one_threshold", result.dense().volumeErrorSingle());
            }
            metrics.put(SegmentationModel.TEST_TIME_FLIPS_METRIC, (double) result.flips().code());
            if (result.minComponent() != null) {
                metrics.put(SegmentationModel.MIN_COMPONENT_ML_METRIC, result.minComponentMl());
                metrics.put(chosenOn + "_dice_keeping_all_components", result.minComponent().diceKeepingAll());
            }
            metrics.put("epochs", (double) r.epochs());
            if (r.epochs() > 0) {
                metrics.put("first_loss", result.firstLoss());
                metrics.put("final_loss", result.finalLoss());
                metrics.put(TrainingRecipe.FOCAL_GAMMA_METRIC, (double) r.focalGamma());
                metrics.put(TrainingRecipe.DENSE_WEIGHT_METRIC, (double) r.denseWeight());
                metrics.put(TrainingRecipe.DENSE_TERM_METRIC, (double) r.denseTerm());
                metrics.put(TrainingRecipe.DENSE_BAND_METRIC, (double) r.denseBand());
            }
            metrics.put("train_scans", (double) train.size());
            metrics.put("validation_scans", (double) validation.size());
            metrics.put("training_slices", (double) result.trainingSlices());
            metrics.put("hard_slices", (double) result.hardSlices());
            metrics.put("transfer", holder.transferred() ? 1.0 : 0.0);
            if (pretrained != null) {
                metrics.put(PRETRAIN_EPOCHS_METRIC, (double) pretrained.epochLosses().size());
                metrics.put("pretrain_scans", (double) plan.scans().size());
                metrics.put("pretrain_crops_per_epoch", (double) pretrained.cropsPerEpoch());
                metrics.put("pretrain_first_loss", pretrained.firstLoss());
                metrics.put("pretrain_final_loss", pretrained.finalLoss());
            }
            double score = gateScore(task, holder.model(), r, cut, result.minComponentMl(),
                    result.flips(), result.finalDice(), validation, metrics);
            return gateAndPublish(task, holder.model(), task.window(), r.inputSize(), score, metrics,
                    champion, gateSet(validation), result.epochLosses());
        }
    }

    private Outcome trainSum(List<ScanData> train, List<ScanData> validation, TrainingRecipe r) throws Exception {
        TrainingTask task = TrainingTask.VESSEL;
        Optional<ModelArtifact> champion = publisher.store().latest(task.id());
        Device device = Devices.requireAvailable(Devices.parse(r.device()));
        SegmentationRun.Samples data = SegmentationRun.samples(train, task.window(), r, task.regionInput(), true);
        List<boolean[]> noisy = SumTraining.noisyLabels(data);
        try (Holder ha = sumNetwork(UNetVariant.SQUEEZE_EXCITATION, sumStart == null ? null : sumStart.seUnet(), r, device);
             Holder hb = sumNetwork(UNetVariant.RESIDUAL, sumStart == null ? null : sumStart.resUnet(), r, device)) {
            Model a = ha.model();
            Model b = hb.model();
            int warmup = sumStart == null ? SumTraining.warmupEpochs(r) : 0;
            SumTraining.Result result = SumTraining.run(a, b, task.window(), data, noisy, validation, selectionScans,
                    warmup, r, progress, checkpoints == null ? null : checkpoints.resolve(task.id()));
            boolean pickA = r.sumPublish().picksSeUnet(result.finalDiceA(), result.finalDiceB());
            if (r.sumPublish() != SumNetwork.BETTER) {
                progress.accept(String.format(Locale.ROOT, "vessel SUM: the %s is the challenger (--sum-publish %s; "
                                + "se-unet %.4f, res-unet %.4f)", pickA ? "se-unet" : "res-unet", r.sumPublish(),
                        result.finalDiceA(), result.finalDiceB()));
            }
            Model best = pickA ? a : b;
            double dice = pickA ? result.finalDiceA() : result.finalDiceB();
            Map<String, Double> metrics = new LinkedHashMap<>();
            String chosenOn = scansChoosing();
            metrics.put(chosenOn + "_dice", dice);
            metrics.put(chosenOn + "_dice_se_unet", result.finalDiceA());
            metrics.put(chosenOn + "_dice_res_unet", result.finalDiceB());
            if (!selectionScans.isEmpty()) {
                metrics.put("selection_scans", (double) selectionScans.size());
            }
            metrics.put("kept_epoch", (double) (pickA ? result.keptEpochA() : result.keptEpochB()));
            metrics.put(SUM_WARMUP_EPOCHS_METRIC, (double) warmup);
            metrics.put("started_from_trained_networks", sumStart == null ? 0.0 : 1.0);
            metrics.put("sum_focal_gamma", (double) r.sumFocalGamma());
            metrics.put("sum_majority_targets", r.sumTargets() == SumTargets.MAJORITY ? 1.0 : 0.0);
            metrics.put("sum_published_se_unet", pickA ? 1.0 : 0.0);
            TestTimeFlipChoice.Option inference = pickA ? result.inferenceA() : result.inferenceB();
            MaskThreshold.Choice threshold = inference.threshold();
            metrics.put(SegmentationModel.MASK_THRESHOLD_METRIC, (double) threshold.threshold());
            metrics.put(SegmentationModel.TEST_TIME_FLIPS_METRIC, (double) inference.flips().code());
            metrics.put(chosenOn + "_dice_at_0_5", threshold.diceAtHalf());
            metrics.put("final_loss", (pickA ? result.lossA() : result.lossB()).get(result.lossA().size() - 1));
            metrics.put("train_scans", (double) train.size());
            metrics.put("validation_scans", (double) validation.size());
            metrics.put("training_slices", (double) data.size());
            metrics.put("hard_slices", (double) result.hardSlices());
            if (!result.softLabelChange().isEmpty()) {
                metrics.put("final_soft_label_change", result.softLabelChange().get(result.softLabelChange().size() - 1));
            }
            if (!result.softLabelTruthDice().isEmpty()) {
                // cohorts only: how far SUM's labels are from the exact truth it never sees
                List<Double> soft = result.softLabelTruthDice();
                metrics.put("noisy_label_truth_dice", result.noisyLabelTruthDice().get(0));
                metrics.put("first_soft_label_truth_dice", soft.get(0));
                metrics.put("final_soft_label_truth_dice", soft.get(soft.size() - 1));
                List<Double> majority = result.majorityLabelTruthDice();
                metrics.put("first_majority_label_truth_dice", majority.get(0));
                metrics.put("final_majority_label_truth_dice", majority.get(majority.size() - 1));
            }
            double score = gateScore(task, best, r, MaskCut.single(threshold.threshold()), 0, inference.flips(), dice,
                    validation, metrics);
            return gateAndPublish(task, best, task.window(), r.inputSize(), score, metrics, champion, gateSet(validation),
                    pickA ? result.lossA() : result.lossB());
        }
    }

    private Outcome trainClassifier(List<ScanData> train, List<ScanData> validation, TrainingRecipe r) throws Exception {
        TrainingTask task = TrainingTask.INFECTION_CLASSIFIER;
        Optional<ModelArtifact> champion = publisher.store().latest(task.id());
        Device device = Devices.requireAvailable(Devices.parse(r.device()));
        int patch = r.classifierPatch();
        Candidates.Patches trainPatches = Candidates.from(train, patch, 4, 200, r.seed());
        Candidates.Patches valPatches = Candidates.from(validation, patch, 4, 200, r.seed() + 1);
        Optional<ModelArtifact> segmenter = publisher.store().latest(TrainingTask.INFECTION.id());
        MaskCache masks = MaskCache.in(checkpoints == null ? null : checkpoints.resolve(task.id()).resolve("masks"));
        // the effect on infection Dice (which chooses the epoch and the acceptance threshold, and
        // decides whether the classifier adds) is measured on the selection scans when there are any
        List<ScanData> effectScans = selectionScans.isEmpty() ? validation : selectionScans;
        List<Mask3D> effectCandidates = new ArrayList<>();
        if (segmenter.isPresent()) {
            // the classifier judges the segmentation network's components in the workers, which look
            // unlike the HU band's: learn from both kinds
            try (SegmentationModel m = SegmentationModel.load(segmenter.get().location(), device)) {
                trainPatches = Candidates.concat(trainPatches,
                        Candidates.from(train, segmentAll(m, train, masks), patch, 4, 200, r.seed() + 2));
                List<Mask3D> valCandidates = segmentAll(m, validation, masks);
                valPatches = Candidates.concat(valPatches,
                        Candidates.from(validation, valCandidates, patch, 4, 200, r.seed() + 3));
                effectCandidates = selectionScans.isEmpty() ? valCandidates : segmentAll(m, effectScans, masks);
            }
        } else {
            for (ScanData s : effectScans) {
                effectCandidates.add(Candidates.huCandidates(s));
            }
        }
        List<Mask3D> judged = insideLung(effectScans, effectCandidates, device, masks);
        progress.accept("infection-classifier: " + masks.describe());
        ClassifierEffect effect = new ClassifierEffect(effectScans, judged, patch, scansChoosing());
        progress.accept(String.format(Locale.ROOT, "infection-classifier: %d training patches (%d positive), %d validation (%d positive); "
                        + "candidates from the HU band%s; %d components of the %d %s scans judged for the effect on infection Dice",
                trainPatches.size(), trainPatches.positives(), valPatches.size(), valPatches.positives(),
                segmenter.map(a -> " and infection model v" + a.metadata().version()).orElse(" only (no infection model yet)"),
                effect.components(), effectScans.size(), scansChoosing()));
        try (Model model = Architectures.newModel(NetworkSpec.resnet18(1, Math.max(8, r.baseWidth())), device)) {
            ClassifierRun.Result result = ClassifierRun.run(model, trainPatches, valPatches, r, progress, effect);
            Map<String, Double> metrics = new LinkedHashMap<>();
            metrics.put("validation_balanced_accuracy", result.finalAccuracy());
            metrics.put("final_loss", result.epochLosses().get(result.epochLosses().size() - 1));
            metrics.put("patches", (double) result.patches());
            metrics.put("positive_patches", (double) result.positives());
            ClassifierEffect.Effect e = result.finalEffect();
            Map<String, Double> championMetrics = new LinkedHashMap<>();
            QualityGate.Decision decision;
            if (e == null || Double.isNaN(e.dice())) {
                // no infected validation scan: only the patch accuracy can be compared
                OptionalDouble championScore = OptionalDouble.empty();
                if (champion.isPresent()) {
                    try (PatchClassifier c = PatchClassifier.load(champion.get().location(), device)) {
                        Candidates.Patches forChampion = c.height() == patch ? valPatches
                                : Candidates.from(validation, c.height(), 4, 200, r.seed() + 1);
                        double s = ClassifierRun.balancedAccuracy(c::predict, forChampion);
                        championScore = Double.isNaN(s) ? OptionalDouble.empty() : OptionalDouble.of(s);
                        championMetrics.put("validation_balanced_accuracy", s);
                    }
                }
                decision = gate.decide(result.finalAccuracy(), championScore);
            } else {
                String on = scansChoosing();
                metrics.put(on + "_infection_dice", e.dice());
                metrics.put(on + "_infection_dice_without_classifier", e.withoutClassifier());
                metrics.put(PatchClassifier.ACCEPT_THRESHOLD_METRIC, (double) e.threshold());
                OptionalDouble championScore = OptionalDouble.empty();
                if (champion.isPresent()) {
                    try (PatchClassifier c = PatchClassifier.load(champion.get().location(), device)) {
                        ClassifierEffect forChampion = c.height() == patch ? effect
                                : new ClassifierEffect(effectScans, judged, c.height(), effect.scansName());
                        double s = forChampion.at(c::predict, c.acceptThreshold());
                        championScore = Double.isNaN(s) ? OptionalDouble.empty() : OptionalDouble.of(s);
                        championMetrics.put(on + "_infection_dice", s);
                    }
                }
                decision = e.adds() ? gate.decide(e.dice(), championScore, on + " infection Dice")
                        : new QualityGate.Decision(false, e.dice(), championScore, 0, String.format(Locale.ROOT,
                                "refused: the classifier does not add to %s infection Dice (%.4f at its best"
                                        + " threshold %.2f, %.4f keeping every component)", on, e.dice(), e.threshold(),
                                e.withoutClassifier()));
            }
            Outcome outcome = finish(task, model, Window.LUNG, patch, decision, metrics, championMetrics, champion,
                    result.epochLosses());
            int swept = masks.sweep();
            if (swept > 0) {
                progress.accept("infection-classifier: " + swept + " kept masks this run did not use deleted");
            }
            return outcome;
        }
    }

    /**
     * The candidates as the workers filter them: the components reaching into the published lung
     * model's lungs, when there is one.
     */
    private List<Mask3D> insideLung(List<ScanData> scans, List<Mask3D> candidates, Device device, MaskCache masks)
            throws Exception {
        Optional<ModelArtifact> lungModel = publisher.store().latest(TrainingTask.LUNG.id());
        if (lungModel.isEmpty()) {
            return candidates;
        }
        List<Mask3D> out = new ArrayList<>();
        try (SegmentationModel m = SegmentationModel.load(lungModel.get().location(), device)) {
            for (int i = 0; i < scans.size(); i++) {
                ScanData scan = scans.get(i);
                out.add(InfectedLung.reaching(masks.mask(m.metadata(), scan, () -> lungs(m, scan)), candidates.get(i)));
            }
        }
        return out;
    }

    /** A scan's lungs as the workers make them: the lung model's mask, its two largest components. */
    static Mask3D lungs(SegmentationModel lungModel, ScanData scan) throws Exception {
        return Components.keepLargest(Evaluator.segment(sliceModel(lungModel), scan), 2, Connectivity.FACE);
    }

    /** The scans, each carrying its lungs from {@code lungModel}, so that their masks are scored as the workers keep them. */
    private static List<ScanData> reachingLungs(SegmentationModel lungModel, List<ScanData> scans) throws Exception {
        List<ScanData> out = new ArrayList<>(scans.size());
        for (ScanData s : scans) {
            out.add(s.reaching(lungs(lungModel, s)));
        }
        return out;
    }

    private static List<Mask3D> segmentAll(SegmentationModel m, List<ScanData> scans, MaskCache masks) throws Exception {
        List<Mask3D> out = new ArrayList<>();
        for (ScanData s : scans) {
            out.add(masks.mask(m.metadata(), s, () -> Evaluator.segment(sliceModel(m), s)));
        }
        return out;
    }

    /** What the scans that choose a model's reading are called in metrics and messages. */
    private String scansChoosing() {
        return SegmentationRun.scansName(selectionScans);
    }

    private List<ScanData> gateSet(List<ScanData> validation) {
        return gateScans.isEmpty() ? validation : gateScans;
    }

    /**
     * The challenger's gate score, read as it would ship (its flips, mask threshold and minimum
     * component volume): with gate scans, its mean Dice there (recorded as {@code gate_dice} and
     * {@code gate_scans}); otherwise on the validation scans, which is {@code chosenDice} unless
     * selection scans chose the reading (then the validation Dice is measured and recorded as
     * {@code validation_dice}).
     */
    private double gateScore(TrainingTask task, Model model, TrainingRecipe r, MaskCut cut,
                             double minComponentMl, TestTimeFlips flips, double chosenDice, List<ScanData> validation,
                             Map<String, Double> metrics)
            throws Exception {
        double validationDice = chosenDice;
        if (!selectionScans.isEmpty()) {
            validationDice = SegmentationRun.meanDice(model, task.window(), task.regionInput(), r, cut, minComponentMl,
                    flips, validation);
            metrics.put("validation_dice", validationDice);
            progress.accept(String.format(Locale.ROOT, "%s: Dice on the %d validation scans %.4f read as chosen on the "
                    + "%d selection scans (%.4f there)", task.id(), validation.size(), validationDice,
                    selectionScans.size(), chosenDice));
        }
        if (gateScans.isEmpty()) {
            return validationDice;
        }
        challengerGateDice = SegmentationRun.dicePerScan(model, task.window(), task.regionInput(), r, cut, minComponentMl,
                flips, gateScans);
        double dice = Evaluator.mean(challengerGateDice);
        metrics.put("gate_dice", dice);
        metrics.put("gate_scans", (double) gateScans.size());
        progress.accept(String.format(Locale.ROOT, "%s: challenger Dice on the %d gate scans %.4f (validation %.4f)",
                task.id(), gateScans.size(), dice, validationDice));
        return dice;
    }

    private Outcome gateAndPublish(TrainingTask task, Model model, Window window, int size, double score,
                                   Map<String, Double> metrics, Optional<ModelArtifact> champion,
                                   List<ScanData> validation, List<Double> losses) throws Exception {
        OptionalDouble championScore = OptionalDouble.empty();
        Map<String, Double> championMetrics = new LinkedHashMap<>();
        double[] championEach = new double[0];
        if (champion.isPresent()) {
            championEach = championDicePerScan(champion.get(), validation, Devices.parse("cpu"));
            double s = Evaluator.mean(championEach);
            championMetrics.put(gateScans.isEmpty() ? "validation_dice" : "gate_dice", s);
            championScore = Double.isNaN(s) ? OptionalDouble.empty() : OptionalDouble.of(s);
        }
        QualityGate.Decision decision = gate.decide(score, championScore, gateScans.isEmpty() ? "validation Dice"
                : String.format(Locale.ROOT, "Dice on the %d gate scans", gateScans.size()));
        // a run that kept its champion's reading chose only its epoch on them
        boolean readingKept = metrics.containsKey(ChampionReading.KEPT_FROM_METRIC);
        if (!championsOnlyOnGateScans && gateScans.isEmpty() && championScore.isPresent()) {
            progress.accept(String.format(Locale.ROOT, "%s: the gate judged on the %d scans that also chose the kept "
                    + "%s, which favours the challenger (a gate cohort keeps them apart: --gate-cohort)", task.id(),
                    validation.size(), readingKept ? "epoch" : "epoch and the reading"));
        }
        if (championsOnlyOnGateScans && gateScans.isEmpty() && championScore.isPresent() && decision.publish()) {
            decision = decision.refused(String.format(Locale.ROOT, "refused: %s v%d stays: the challenger was judged on the %d labelled "
                            + "series that also chose its %s (too few to hold any apart for the gate: "
                            + "3 or more are needed); the gate had said: %s", task.id(),
                            champion.get().metadata().version(), validation.size(), readingKept ? "epoch" : "epoch and reading",
                            decision.reason()));
        }
        ScanByScan each = null;
        if (championScore.isPresent() && !gateScans.isEmpty() && challengerGateDice.length == championEach.length) {
            each = ScanByScan.of(challengerGateDice, championEach);
            each.record(metrics);
            decision = decision.withReason(decision.reason() + "; " + each);
        }
        decision = gate.scanByScan(decision, each == null ? null : each.difference(),
                each == null ? 0 : each.better() + each.worse() + each.equal());
        return finish(task, model, window, size, decision, metrics, championMetrics, champion, losses);
    }

    /**
     * How challenger and champion compare scan by scan on the gate scans: a mean can hide a model
     * that is better on one scan and worse on all the others, which ops and radiologists reading the
     * decision want to know. Differences below {@link #EQUAL_WITHIN} count as equal. With them, the
     * mean difference's 95% interval over resamples of the gate scans ({@link ScanBootstrap}): whether
     * other scans of the same kind could have reversed the comparison. Under the margin rule the
     * interval says how much the verdict rests on these particular scans; under {@link
     * QualityGate.Rule#NON_INFERIORITY} it decides.
     */
    record ScanByScan(int better, int worse, int equal, ScanBootstrap.Interval difference) {
        static final double EQUAL_WITHIN = 0.001;

        static ScanByScan of(double[] challenger, double[] champion) {
            int better = 0;
            int worse = 0;
            for (int i = 0; i < challenger.length; i++) {
                double d = challenger[i] - champion[i];
                if (d >= EQUAL_WITHIN) {
                    better++;
                } else if (d <= -EQUAL_WITHIN) {
                    worse++;
                }
            }
            return new ScanByScan(better, worse, challenger.length - better - worse,
                    ScanBootstrap.meanDifference(challenger, champion, ScanBootstrap.RESAMPLES, ScanBootstrap.SEED));
        }

        /** The interval's ends as metrics, where it has them. */
        void record(Map<String, Double> metrics) {
            metrics.put("gate_scans_better", (double) better);
            metrics.put("gate_scans_worse", (double) worse);
            if (!Double.isNaN(difference.low())) {
                metrics.put("gate_difference_ci95_low", difference.low());
                metrics.put("gate_difference_ci95_high", difference.high());
            }
        }

        @Override
        public String toString() {
            int n = better + worse + equal;
            String each = String.format(Locale.ROOT, "scan by scan, the challenger is better on %d, worse on %d and within "
                    + "%.3f on %d of the %d gate scans", better, worse, EQUAL_WITHIN, equal, n);
            if (n < ScanBootstrap.MIN_SCANS) {
                return String.format(Locale.ROOT, "%s (%d are too few for an interval of the mean difference: %d or "
                        + "more)", each, n, ScanBootstrap.MIN_SCANS);
            }
            if (Double.isNaN(difference.low())) {
                return each;
            }
            String says = switch (difference.side()) {
                case 1 -> "the challenger is better beyond what other such scans would likely change";
                case -1 -> "the champion is better beyond what other such scans would likely change";
                default -> "other such scans could reverse the comparison";
            };
            return String.format(Locale.ROOT, "%s; mean difference %+.4f, 95%% interval [%+.4f, %+.4f] over %d resamples "
                    + "of them: %s", each, difference.estimate(), difference.low(), difference.high(),
                    difference.resamples(), says);
        }
    }

    /**
     * A challenger the gate passed is not published when another version of its task was published
     * while it trained (an operator's promotion or rollback, another trainer): it was judged against
     * a champion that is no longer the one in service, and publishing it would silently replace what
     * someone chose meanwhile. It is kept aside as refused instead; the next run is gated against the
     * new version. The store checks this in the same step as the write
     * ({@link ModelStore#save(Model, ModelDescriptor, int)}).
     */
    private static QualityGate.Decision superseded(TrainingTask task, QualityGate.Decision decision,
                                                   Optional<ModelArtifact> champion, int newest) {
        return decision.refused(String.format(Locale.ROOT, "not published: %s v%d was published while this run trained, which was "
                        + "gated against %s; that version stands, and the next run is gated against it (the gate had "
                        + "said: %s)", task.id(), newest, champion.map(c -> "v" + c.metadata().version())
                        .orElse("no champion"), decision.reason()));
    }

    private Outcome finish(TrainingTask task, Model model, Window window, int size, QualityGate.Decision decision,
                           Map<String, Double> metrics, Map<String, Double> championMetrics,
                           Optional<ModelArtifact> champion, List<Double> losses) throws IOException {
        progress.accept(task.id() + " quality gate: " + decision.reason());
        beforeDecisionKept.run();
        Map<String, Double> clean = new LinkedHashMap<>();
        metrics.forEach((k, v) -> {
            if (v != null && !v.isNaN()) {
                clean.put(k, v);
            }
        });
        ModelDescriptor descriptor = new ModelDescriptor(task.id(), size, size, window.lower(), window.upper(), clean,
                task.regionInput() ? ModelDescriptor.DILATED_LIVER : null);
        Optional<ModelPublished> published = Optional.empty();
        Optional<URI> kept = Optional.empty();
        if (decision.publish()) {
            try {
                published = Optional.of(publisher.publish(model, descriptor, decision, championMetrics, champion));
                progress.accept(task.id() + " published version " + published.get().getVersion() + " at "
                        + published.get().getLocation());
            } catch (SupersededException e) {
                decision = superseded(task, decision, champion, e.newest());
                progress.accept(task.id() + " quality gate: " + decision.reason());
            }
        }
        if (!decision.publish() && gate.refusedToKeep() > 0) {
            // an audit copy: the decision stands, and the run does not fail, when it cannot be written
            try {
                ModelArtifact a = publisher.keepRefused(model, descriptor, decision, championMetrics, champion,
                        gate.refusedToKeep());
                kept = Optional.of(a.location());
                progress.accept(String.format(Locale.ROOT, "%s refused challenger kept aside at %s (not loaded by "
                        + "workers; the newest %d refused are kept)", task.id(), a.location(), gate.refusedToKeep()));
            } catch (IOException e) {
                progress.accept(task.id() + " refused challenger NOT kept aside: " + e);
            }
        }
        return new Outcome(task.id(), decision, metrics, championMetrics, published, losses, kept);
    }

    /** The champion's mean Dice on the validation scans, through the same evaluator as the challenger. */
    static double championDice(ModelArtifact champion, List<ScanData> validation, Device device) throws Exception {
        return Evaluator.mean(championDicePerScan(champion, validation, device));
    }

    /** The same, the Dice of each scan in their order. */
    static double[] championDicePerScan(ModelArtifact champion, List<ScanData> validation, Device device)
            throws Exception {
        if (validation.isEmpty()) {
            return new double[0];
        }
        try (SegmentationModel m = SegmentationModel.load(champion.location(), device)) {
            return Evaluator.dicePerScan(sliceModel(m), validation);
        }
    }

    static SliceModel sliceModel(SegmentationModel m) {
        Window w = new Window(m.metadata().task(), m.metadata().windowLowHu(), m.metadata().windowHighHu());
        return new SliceModel() {
            @Override public Window window() { return w; }
            @Override public int size() { return m.width(); }
            @Override public int channels() { return m.channels(); }
            @Override public boolean regionInput() { return m.metadata().inputRegion() != null; }
            @Override public float threshold() { return m.maskThreshold(); }
            @Override public MaskCut cut() { return m.maskCut(); }
            @Override public double minComponentMl() { return m.minComponentMl(); }
            @Override public float[][] predict(float[][] batch) throws Exception { return m.predict(batch); }
        };
    }

    /**
     * The reading a run keeps from its champion ({@link #keepingChampionReadings}): null unless the
     * run fine-tunes the champion's own network and the champion's reading was chosen on more scans
     * than the run's {@code choosing} ones.
     */
    private ChampionReading keptReading(TrainingTask task, Holder holder, Optional<ModelArtifact> champion,
                                        TrainingRecipe r, int choosing, Device device) throws IOException {
        if (!keepingChampionReadings || holder.stored() == null || champion.isEmpty() || r.epochs() == 0) {
            return null;
        }
        Optional<ChampionReading> reading = ChampionReading.of(champion.get(), device);
        if (reading.isPresent() && reading.get().outweighs(choosing)) {
            return reading.get();
        }
        progress.accept(reading.map(c -> String.format(Locale.ROOT, "%s: its reading is chosen again on its %d %s "
                        + "scans, as many as or more than chose v%d's (%d)", task.id(), choosing, scansChoosing(),
                        c.version(), c.chosenOn()))
                .orElse(String.format(Locale.ROOT, "%s: its reading is chosen on its %d %s scans (v%d's metrics name "
                        + "no reading chosen on a number of scans)", task.id(), choosing, scansChoosing(),
                        champion.get().metadata().version())));
        return null;
    }

    /** A fresh model, or (transfer) the champion's weights with the first encoder stages frozen. */
    private Holder start(TrainingTask task, NetworkSpec spec, Optional<ModelArtifact> champion, TrainingRecipe r,
                         Device device) throws IOException {
        if (r.transfer() && champion.isPresent() && champion.get().metadata().network().equals(spec)
                && champion.get().metadata().inputWidth() == r.inputSize()) {
            int levels = champion.get().metadata().network().levels();
            if (r.freezeStages() > levels) {
                throw new IllegalArgumentException(String.format(Locale.ROOT, "%s: %d encoder stages to freeze, but "
                        + "version %d has %d: freeze %d or fewer", task.id(), r.freezeStages(),
                        champion.get().metadata().version(), levels, levels));
            }
            StoredModel stored = ModelStore.load(champion.get().location(), device);
            if (r.freezeStages() > 0) {
                ((UNet) stored.model().getBlock()).freezeEncoder(r.freezeStages(), true);
            }
            progress.accept(String.format(Locale.ROOT, "%s: transfer from version %d, %d encoder stage(s) frozen",
                    task.id(), champion.get().metadata().version(), r.freezeStages()));
            return new Holder(stored.model(), stored, true);
        }
        if (r.transfer() && r.epochs() > 0 && champion.isPresent() && readsFewerSlices(champion.get().metadata(), spec)
                && champion.get().metadata().inputWidth() == r.inputSize()) {
            return widened(task, spec, champion.get(), r, device);
        }
        if (r.transfer() && r.epochs() > 0 && champion.isPresent() && addsTheSoftTissueWindow(champion.get().metadata(), spec)
                && champion.get().metadata().inputWidth() == r.inputSize()) {
            return windowAdded(task, spec, champion.get(), r, device);
        }
        if (r.epochs() == 0) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "0 epochs re-read the published %s network, "
                    + "but the store holds %s: nothing to re-read", task.id(), champion.map(a -> String.format(Locale.ROOT,
                            "version %d, another network than the recipe's (%s at %d² input)", a.metadata().version(),
                            spec, r.inputSize())).orElse("no version of it")));
        }
        if (r.transfer()) {
            progress.accept(task.id() + ": no compatible published version to transfer from; training from scratch");
        }
        return new Holder(Architectures.newModel(spec, device), null, false);
    }

    /** Whether the champion is {@code spec}'s U-Net but for reading fewer slices (an odd number, as {@code spec}). */
    static boolean readsFewerSlices(ModelMetadata champion, NetworkSpec spec) {
        NetworkSpec c = champion.network();
        return c.isSegmentation() && c.inChannels() < spec.inChannels() && c.inChannels() % 2 == 1
                && spec.inChannels() % 2 == 1
                && new NetworkSpec(c.architecture(), spec.inChannels(), c.outChannels(), c.levels(), c.baseWidth()).equals(spec);
    }

    /** Whether {@code spec} is the champion's plain U-Net reading its slices through the soft-tissue window too. */
    static boolean addsTheSoftTissueWindow(ModelMetadata champion, NetworkSpec spec) {
        NetworkSpec c = champion.network();
        return Architectures.UNET.equals(c.architecture()) && Architectures.UNET_TWO_WINDOWS.equals(spec.architecture())
                && new NetworkSpec(spec.architecture(), c.inChannels(), c.outChannels(), c.levels(), c.baseWidth()).equals(spec);
    }

    /**
     * Transfer from a plain champion into the same U-Net reading its slices through two windows: the
     * champion's weights, the soft-tissue channels' input weights at zero ({@link
     * SliceWidening#addSoftTissueWindow}), so that training starts from what the champion computes.
     */
    private Holder windowAdded(TrainingTask task, NetworkSpec spec, ModelArtifact champion, TrainingRecipe r, Device device)
            throws IOException {
        if (r.freezeStages() > 0) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s: adding the soft-tissue window to version %d "
                    + "needs the first encoder stage to learn (its input weights start at zero and would stay there): "
                    + "transfer with 0 frozen stages, not %d", task.id(), champion.metadata().version(), r.freezeStages()));
        }
        Model model = startedFrom(spec, champion, r, device, SliceWidening::addSoftTissueWindow);
        progress.accept(String.format(Locale.ROOT, "%s: transfer from version %d, the soft-tissue window added (its input "
                + "weights start at zero), 0 encoder stage(s) frozen", task.id(), champion.metadata().version()));
        return new Holder(model, null, true);
    }

    /**
     * Transfer into a network that reads more slices than the champion: the champion's weights, its
     * input weights on the middle slices and zero on the added outer ones ({@link SliceWidening}), so
     * that training starts from what the champion computes.
     */
    private Holder widened(TrainingTask task, NetworkSpec spec, ModelArtifact champion, TrainingRecipe r, Device device)
            throws IOException {
        if (r.freezeStages() > 0) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s: widening version %d from %d to %d slices "
                    + "in needs the first encoder stage to learn (the added slices' input weights start at zero and "
                    + "would stay there): transfer with 0 frozen stages, not %d", task.id(), champion.metadata().version(),
                    champion.metadata().network().inChannels(), spec.inChannels(), r.freezeStages()));
        }
        Model model = startedFrom(spec, champion, r, device, SliceWidening::copy);
        progress.accept(String.format(Locale.ROOT, "%s: transfer from version %d, widened from %d to %d slices in "
                        + "(the added slices' input weights start at zero), 0 encoder stage(s) frozen", task.id(),
                champion.metadata().version(), champion.metadata().network().inChannels(), spec.inChannels()));
        return new Holder(model, null, true);
    }

    /** A fresh, initialised {@code spec} network into which {@code copy} puts the champion's weights. */
    private static Model startedFrom(NetworkSpec spec, ModelArtifact champion, TrainingRecipe r, Device device,
                                     java.util.function.BiConsumer<UNet, UNet> copy) throws IOException {
        Model model = Architectures.newModel(spec, device);
        try (StoredModel stored = ModelStore.load(champion.location(), device)) {
            UNet started = (UNet) model.getBlock();
            started.setInitializer(new XavierInitializer(), Parameter.Type.WEIGHT);
            started.initialize(model.getNDManager(), DataType.FLOAT32,
                    new Shape(1, spec.inChannels(), r.inputSize(), r.inputSize()));
            copy.accept((UNet) stored.model().getBlock(), started);
        } catch (RuntimeException | IOException e) {
            model.close();
            throw e;
        }
        return model;
    }

    /**
     * One of SUM's networks: fresh, or the published vessel artifact at {@code from}, which must be
     * the recipe's network of that variant at its input size (else the run would publish a network
     * the recipe does not describe, or train one the workers cannot feed).
     */
    private Holder sumNetwork(UNetVariant variant, URI from, TrainingRecipe r, Device device) throws IOException {
        NetworkSpec spec = NetworkSpec.unet(variant, r.sliceChannels(), r.levels(), r.baseWidth());
        if (from == null) {
            return new Holder(Architectures.newModel(spec, device), null, false);
        }
        ModelMetadata m = ModelStore.readMetadata(from);
        if (!TrainingTask.VESSEL.id().equals(m.task()) || !m.network().equals(spec) || m.inputWidth() != r.inputSize()) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "SUM cannot start its %s from %s: that is a %s model (%s, %d² input), the run needs a vessel %s (%d² input)",
                    spec.architecture(), from, m.task(), m.network(), m.inputWidth(), spec, r.inputSize()));
        }
        StoredModel stored = ModelStore.load(from, device);
        progress.accept(String.format(Locale.ROOT, "vessel SUM: %s starts from version %d at %s (trained on the noisy labels; no warm-up)",
                spec.architecture(), m.version(), from));
        return new Holder(stored.model(), stored, true);
    }

    /**
     * A run's network: {@code stored} is the champion's artifact when the run fine-tunes the
     * champion's own network (null for a fresh one, or one started from a champion of another shape).
     */
    private record Holder(Model model, StoredModel stored, boolean transferred) implements AutoCloseable {
        @Override
        public void close() {
            if (stored != null) {
                stored.close();
            } else {
                model.close();
            }
        }
    }
}
