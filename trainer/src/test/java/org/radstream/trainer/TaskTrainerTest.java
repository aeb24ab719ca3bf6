package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.avro.ModelPublished;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Volume;
import org.radstream.models.ModelArtifact;
import org.radstream.models.ModelStore;
import org.radstream.models.SegmentationModel;
import org.radstream.models.UNetVariant;

/** A short real training run on disks (32², a few dozen steps): loss falls, the gate decides, the store sees it. */
class TaskTrainerTest {
    @TempDir
    Path dir;

    static ScanData disks(String id, int size, int depth) {
        Mask3D truth = Fixtures.truth(size, depth);
        float[] hu = new float[size * size * depth];
        java.util.Random noise = new java.util.Random(id.hashCode());
        for (int i = 0; i < hu.length; i++) {
            hu[i] = (truth.get(i) ? -100f : -900f) + (float) noise.nextGaussian() * 30f;
        }
        return new ScanData(id, new Volume(hu, size, size, depth, 1, 1, 2), truth, null, null);
    }

    /**
     * {@link #disks} with an unlabelled structure in the infection HU band beside them (a vessel's
     * partial volume, say): a candidate that is not infection.
     */
    static ScanData disksBesideAVessel(String id, int size, int depth) {
        ScanData d = disks(id, size, depth);
        float[] hu = d.hu().hu().clone();
        for (int z = 2; z < 4; z++) {
            for (int y = 2; y < 6; y++) {
                for (int x = size - 6; x < size - 2; x++) {
                    hu[(z * size + y) * size + x] = -500f;
                }
            }
        }
        return new ScanData(id, new Volume(hu, size, size, depth, 1, 1, 2), d.label(), null, null);
    }

    private final List<ScanData> train = List.of(disks("a", 32, 6), disks("b", 32, 6));
    private final List<ScanData> validation = List.of(disks("c", 32, 6));

    /** A 3-level, width-4 U-Net at 32², batch 4, lr 0.01, no augmentation or mining: a few dozen steps a run. */
    private static TrainingRecipe smallRecipe(int epochs) {
        return TrainingRecipe.defaults().withInputSize(32).withNetwork(3, 4).withEpochs(epochs).withBatchSize(4)
                .withLearningRate(0.01f).withAugment(false).withHardMining(false, 0.7);
    }

    @Test
    void shortRunLossFallsAndGatePublishesThenJudgesAgainstTheChampion() throws Exception {
        TrainingRecipe r = smallRecipe(6);
        ModelStore store = new ModelStore(dir.resolve("store"));
        List<ModelPublished> announced = new ArrayList<>();
        List<String> progress = new ArrayList<>();
        TaskTrainer trainer = new TaskTrainer(store, new QualityGate(0.0), announced::add, progress::add);

        TaskTrainer.Outcome first = trainer.train(TrainingTask.LUNG, train, validation, r);
        assertThat(first.epochLosses()).hasSize(6);
        assertThat(first.epochLosses().get(5)).isLessThan(first.epochLosses().get(0) * 0.8);
        assertThat(first.decision().publish()).isTrue();
        assertThat(first.decision().reason()).contains("no champion");
        assertThat(progress).anyMatch(l -> l.matches("lung epoch 6/6 loss \\d\\.\\d{4} validation Dice \\d\\.\\d{4} ETA 0s"));
        assertThat(announced).singleElement().satisfies(p -> {
            assertThat(p.getTask()).isEqualTo("lung");
            assertThat(p.getVersion()).isEqualTo("1");
            assertThat(p.getInputSize()).isEqualTo(32);
            assertThat(p.getWindowLowHu()).isEqualTo(-1200.0);
            assertThat(p.getMetrics()).containsKey("validation_dice");
            assertThat(p.getChampionMetrics()).isEmpty();
            assertThat(p.getPreviousVersion()).isNull();
        });
        assertThat(store.latest("lung")).hasValueSatisfying(a -> {
            assertThat(a.metadata().version()).isEqualTo(1);
            assertThat(a.metadata().sha256()).isEqualTo(announced.get(0).getSha256());
            try {
                assertThat(Files.readString(Path.of(a.location()).resolve(Publisher.GATE_FILE))).contains("no champion");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });

        // a one-step challenger with a tiny learning rate is judged against the champion on the same scans
        TaskTrainer.Outcome second = trainer.train(TrainingTask.LUNG, train, validation,
                r.withEpochs(1).withLearningRate(1e-5f).withSeed(7));
        double champion = second.championMetrics().get("validation_dice");
        assertThat(champion).isEqualTo(first.metrics().get("validation_dice"), org.assertj.core.data.Offset.offset(1e-9));
        assertThat(second.decision().publish()).isEqualTo(second.metrics().get("validation_dice") >= champion);
        assertThat(second.decision().publish()).isFalse();
        assertThat(store.versions("lung")).hasSize(1);
        assertThat(announced).hasSize(1);

        // the refused challenger is kept aside with its decision, under the version it contended for,
        // and scores on the validation scans what the trainer measured
        ModelArtifact kept = store.refused("lung").get(0);
        assertThat(store.refused("lung")).hasSize(1);
        assertThat(second.keptRefused()).contains(kept.location());
        assertThat(Path.of(kept.location())).isEqualTo(dir.resolve("store/lung/refused/r0001").toAbsolutePath());
        assertThat(kept.metadata().version()).isEqualTo(2);
        assertThat(store.latest("lung")).get().extracting(a -> a.metadata().version()).isEqualTo(1);
        com.fasterxml.jackson.databind.JsonNode gate = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(Path.of(kept.location()).resolve(Publisher.GATE_FILE).toFile());
        assertThat(gate.get("published").asBoolean()).isFalse();
        assertThat(gate.get("decision").asText()).isEqualTo(second.decision().reason()).startsWith("refused: ");
        assertThat(gate.get("championVersion").asInt()).isEqualTo(1);
        assertThat(gate.get("champion").get("validation_dice").asDouble()).isEqualTo(champion);
        assertThat(TaskTrainer.championDice(kept, validation, ai.djl.Device.cpu()))
                .isCloseTo(second.metrics().get("validation_dice"), org.assertj.core.data.Offset.offset(1e-9));
        assertThat(progress).anyMatch(l -> l.startsWith("lung refused challenger kept aside at " + kept.location()));
        // without gate scans the validation scans chose and judged, and the run says so
        assertThat(progress).contains("lung: the gate judged on the 1 scans that also chose the kept epoch and the "
                + "reading, which favours the challenger (a gate cohort keeps them apart: --gate-cohort)");

        // a gate that keeps none leaves nothing behind
        TaskTrainer keepsNone = new TaskTrainer(store, new QualityGate(0.0).keepingRefused(0), announced::add, l -> { });
        TaskTrainer.Outcome third = keepsNone.train(TrainingTask.LUNG, train, validation,
                r.withEpochs(1).withLearningRate(1e-5f).withSeed(8));
        assertThat(third.decision().publish()).isFalse();
        assertThat(third.keptRefused()).isEmpty();
        assertThat(store.refused("lung")).extracting(ModelArtifact::location).containsExactly(kept.location());

        // where the copy cannot be written, the refusal stands and the run does not fail
        Path refusedDir = dir.resolve("store/lung/refused");
        try (var files = Files.walk(refusedDir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        Files.writeString(refusedDir, "not a directory");
        progress.clear();
        TaskTrainer.Outcome fourth = trainer.train(TrainingTask.LUNG, train, validation,
                r.withEpochs(1).withLearningRate(1e-5f).withSeed(9));
        assertThat(fourth.decision().publish()).isFalse();
        assertThat(fourth.keptRefused()).isEmpty();
        assertThat(progress).anyMatch(l -> l.startsWith("lung refused challenger NOT kept aside: "));
        assertThat(store.versions("lung")).hasSize(1);
    }

    /** A trainer on {@code store} (gate margin 1: any challenger is published) that has published lung version 1. */
    private TaskTrainer withLungChampion(ModelStore store, List<String> progress, TrainingRecipe r) throws Exception {
        TaskTrainer trainer = new TaskTrainer(store, new QualityGate(1.0), p -> { }, progress::add);
        trainer.train(TrainingTask.LUNG, train, validation, r);
        return trainer;
    }

    @Test
    void aChallengerIsNotPublishedOverAVersionPublishedWhileItTrained() throws Exception {
        TrainingRecipe r = smallRecipe(2);
        ModelStore store = new ModelStore(dir.resolve("store"));
        List<ModelPublished> announced = new ArrayList<>();
        List<String> progress = new ArrayList<>();
        new TaskTrainer(store, new QualityGate(1.0), announced::add, progress::add).train(TrainingTask.LUNG, train, validation, r);
        ModelArtifact v1 = store.latest("lung").orElseThrow();
        // while the next run trains, an operator publishes v1 again as v2 (a rollback, from another process)
        java.util.function.Consumer<String> operatorDuringTheRun = line -> {
            progress.add(line);
            try {
                if (line.startsWith("lung quality gate: published") && store.versions("lung").size() == 1) {
                    store.copyAsVersion(v1.location());
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };

        TaskTrainer.Outcome second = new TaskTrainer(store, new QualityGate(1.0), announced::add, operatorDuringTheRun)
                .train(TrainingTask.LUNG, train, validation, r);

        assertThat(second.published()).isEmpty();
        assertThat(second.decision().publish()).isFalse();
        assertThat(second.decision().reason()).startsWith("not published: lung v2 was published while this run trained, "
                + "which was gated against v1; that version stands").contains("(the gate had said: published: ");
        assertThat(store.versions("lung")).hasSize(2);
        assertThat(store.refused("lung")).singleElement()
                .satisfies(a -> assertThat(a.metadata().version()).isEqualTo(3));
        assertThat(announced).hasSize(1);
        assertThat(progress).contains("lung quality gate: " + second.decision().reason());
    }

    @Test
    void aRunAskedToStopStopsWithinATrainingStepAndWritesNothing() throws Exception {
        TrainingRecipe r = smallRecipe(3);
        ModelStore store = new ModelStore(dir.resolve("store"));
        List<String> progress = new ArrayList<>();
        // asked to stop once its first epoch ended (as the trainer service interrupts the run's thread)
        java.util.function.Consumer<String> cancelAfterFirstEpoch = line -> {
            progress.add(line);
            if (line.startsWith("lung epoch 1/3")) {
                Thread.currentThread().interrupt();
            }
        };
        TaskTrainer trainer = new TaskTrainer(store, new QualityGate(1.0), p -> { }, cancelAfterFirstEpoch);
        try {
            assertThatThrownBy(() -> trainer.train(TrainingTask.LUNG, train, validation, r))
                    .isInstanceOf(RunCancelledException.class);
        } finally {
            Thread.interrupted();
        }
        assertThat(progress).noneMatch(l -> l.startsWith("lung epoch 2/3"));
        assertThat(store.versions("lung")).isEmpty();
        assertThat(store.refused("lung")).isEmpty();

        // the same past the gate: the hook that says so stops it there, with nothing written either
        TaskTrainer atTheGate = new TaskTrainer(store, new QualityGate(1.0), p -> { }, progress::add)
                .beforeDecisionKept(() -> {
                    throw new RunCancelledException("cancelled by ops: at the gate");
                });
        assertThatThrownBy(() -> atTheGate.train(TrainingTask.LUNG, train, validation, smallRecipe(1)))
                .isInstanceOf(RunCancelledException.class).hasMessage("cancelled by ops: at the gate");
        assertThat(store.versions("lung")).isEmpty();
        assertThat(store.refused("lung")).isEmpty();
    }

    @Test
    void transferStartsFromThePublishedVersionKeepsItsFrozenStageAndPublishesTheRest() throws Exception {
        TrainingRecipe r = smallRecipe(2);
        ModelStore store = new ModelStore(dir.resolve("store"));
        List<String> progress = new ArrayList<>();
        TaskTrainer trainer = withLungChampion(store, progress, r);

        TaskTrainer.Outcome second = trainer.train(TrainingTask.LUNG, train, validation, r.withTransfer(true, 1));
        assertThat(second.metrics()).containsEntry("transfer", 1.0);
        assertThat(second.published()).isPresent();
        assertThat(progress).contains("lung: transfer from version 1, 1 encoder stage(s) frozen");
        try (org.radstream.models.StoredModel v1 = ModelStore.load(store.versions("lung").get(0).location());
             org.radstream.models.StoredModel v2 = ModelStore.load(store.versions("lung").get(1).location())) {
            assertThat(v2.metadata().version()).isEqualTo(2);
            org.radstream.models.UNet a = (org.radstream.models.UNet) v1.model().getBlock();
            org.radstream.models.UNet b = (org.radstream.models.UNet) v2.model().getBlock();
            for (int stage = 0; stage < 3; stage++) {
                boolean same = true;
                for (var p : a.encoderParameters(stage)) {
                    if (p.getValue().getType() == ai.djl.nn.Parameter.Type.RUNNING_MEAN
                            || p.getValue().getType() == ai.djl.nn.Parameter.Type.RUNNING_VAR) {
                        continue; // batch statistics follow the data in training mode, frozen or not
                    }
                    float[] before = p.getValue().getArray().toFloatArray();
                    float[] after = b.encoderParameters(stage).get(p.getKey()).getArray().toFloatArray();
                    same &= java.util.Arrays.equals(before, after);
                }
                assertThat(same).as("encoder stage %d unchanged", stage).isEqualTo(stage == 0);
            }
        }
    }

    @Test
    void transferIntoANetworkReadingMoreSlicesStartsFromTheChampionsWeightsOnTheMiddleSlices() throws Exception {
        TrainingRecipe r = smallRecipe(2);
        ModelStore store = new ModelStore(dir.resolve("store"));
        List<String> progress = new ArrayList<>();
        TaskTrainer trainer = withLungChampion(store, progress, r);

        TaskTrainer.Outcome wide = trainer.train(TrainingTask.LUNG, train, validation,
                r.withSliceChannels(5).withTransfer(true, 0).withEpochs(1).withLearningRate(1e-5f));
        assertThat(progress).contains("lung: training on 2 scans, validating on 1 (2.5D, 5 slices in, 32², cpu)",
                "lung: transfer from version 1, widened from 3 to 5 slices in (the added slices' input weights "
                        + "start at zero), 0 encoder stage(s) frozen");
        assertThat(wide.metrics()).containsEntry("transfer", 1.0);
        assertThat(wide.published()).isPresent();
        try (org.radstream.models.StoredModel v1 = ModelStore.load(store.versions("lung").get(0).location());
             org.radstream.models.StoredModel v2 = ModelStore.load(store.versions("lung").get(1).location())) {
            assertThat(v2.metadata().network().inChannels()).isEqualTo(5);
            ai.djl.ndarray.NDArray before = v1.model().getBlock().getParameters().get(0).getValue().getArray();
            ai.djl.ndarray.NDArray after = v2.model().getBlock().getParameters().get(0).getValue().getArray();
            float[] middle = after.get(new ai.djl.ndarray.index.NDIndex(":, 1:4")).toFloatArray();
            float[] champion = before.toFloatArray();
            for (int i = 0; i < champion.length; i++) {
                assertThat(middle[i]).as("input weight %d", i).isCloseTo(champion[i], org.assertj.core.data.Offset.offset(1e-3f));
            }
            // the outer slices' weights started at zero; the few steps at 1e-5 moved them a little, not far
            float outer = after.get(new ai.djl.ndarray.index.NDIndex(":, 0")).abs().max().getFloat()
                    + after.get(new ai.djl.ndarray.index.NDIndex(":, 4")).abs().max().getFloat();
            assertThat(outer).isPositive().isLessThan(1e-3f);
        }

        // a frozen first stage would keep the added slices' weights at zero: refused, nothing published
        assertThatThrownBy(() -> trainer.train(TrainingTask.LUNG, train, validation,
                r.withSliceChannels(7).withTransfer(true, 1).withEpochs(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("lung: widening version 2 from 5 to 7 slices in needs the first encoder stage to learn (the "
                        + "added slices' input weights start at zero and would stay there): transfer with 0 frozen stages, not 1");
        assertThat(store.versions("lung")).hasSize(2);

        // a network reading fewer slices than the champion cannot start from it
        progress.clear();
        trainer.train(TrainingTask.LUNG, train, validation, r.withSliceChannels(1).withTransfer(true, 0).withEpochs(1));
        assertThat(progress).contains("lung: no compatible published version to transfer from; training from scratch");
    }

    @Test
    void freezingMoreEncoderStagesThanTheChampionHasIsRefusedBeforeAnythingTrains() throws Exception {
        TrainingRecipe r = smallRecipe(2);
        ModelStore store = new ModelStore(dir.resolve("store"));
        List<String> progress = new ArrayList<>();
        TaskTrainer trainer = withLungChampion(store, progress, r);
        progress.clear();
        assertThatThrownBy(() -> trainer.train(TrainingTask.LUNG, train, validation, r.withTransfer(true, 4).withEpochs(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("lung: 4 encoder stages to freeze, but version 1 has 3: freeze 3 or fewer");
        assertThat(progress).noneMatch(l -> l.startsWith("lung epoch "));
        assertThat(store.versions("lung")).hasSize(1);
    }

    @Test
    void transferIntoTheTwoWindowNetworkStartsFromThePlainChampionsWeights() throws Exception {
        TrainingRecipe r = smallRecipe(2);
        ModelStore store = new ModelStore(dir.resolve("store"));
        List<String> progress = new ArrayList<>();
        TaskTrainer trainer = withLungChampion(store, progress, r);
        // a frozen first stage would keep the soft-tissue weights at zero: refused, nothing published
        assertThatThrownBy(() -> trainer.train(TrainingTask.LUNG, train, validation,
                r.withVariant(UNetVariant.TWO_WINDOWS).withTransfer(true, 1).withEpochs(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("lung: adding the soft-tissue window to version 1 needs the first encoder stage to learn (its "
                        + "input weights start at zero and would stay there): transfer with 0 frozen stages, not 1");
        assertThat(store.versions("lung")).hasSize(1);

        TaskTrainer.Outcome two = trainer.train(TrainingTask.LUNG, train, validation,
                r.withVariant(UNetVariant.TWO_WINDOWS).withTransfer(true, 0).withEpochs(1).withLearningRate(1e-5f));
        assertThat(progress).contains("lung: transfer from version 1, the soft-tissue window added (its input weights "
                + "start at zero), 0 encoder stage(s) frozen");
        assertThat(two.metrics()).containsEntry("transfer", 1.0);
        assertThat(two.published()).isPresent();
        try (org.radstream.models.StoredModel v1 = ModelStore.load(store.versions("lung").get(0).location());
             org.radstream.models.StoredModel v2 = ModelStore.load(store.versions("lung").get(1).location())) {
            assertThat(v2.metadata().network().architecture()).isEqualTo("unet-2w");
            assertThat(v2.model().getBlock()).isInstanceOf(org.radstream.models.UNet.class);
            ai.djl.ndarray.NDArray before = v1.model().getBlock().getParameters().get(0).getValue().getArray();
            ai.djl.ndarray.NDArray after = v2.model().getBlock().getParameters().get(0).getValue().getArray();
            assertThat(after.getShape().get(1)).isEqualTo(6);
            float[] lungWindow = after.get(new ai.djl.ndarray.index.NDIndex(":, 0:3")).toFloatArray();
            float[] champion = before.toFloatArray();
            for (int i = 0; i < champion.length; i++) {
                assertThat(lungWindow[i]).as("input weight %d", i).isCloseTo(champion[i], org.assertj.core.data.Offset.offset(1e-3f));
            }
            // the soft-tissue channels' weights started at zero; the few steps at 1e-5 moved them a little
            float soft = after.get(new ai.djl.ndarray.index.NDIndex(":, 3:6")).abs().max().getFloat();
            assertThat(soft).isPositive().isLessThan(1e-3f);
        }

        // the liver window is not the lung window the network's second window is computed from
        assertThatThrownBy(() -> trainer.train(TrainingTask.LIVER, train, validation, r.withVariant(UNetVariant.TWO_WINDOWS)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("liver: the two-window U-Net (unet-2w) reads lung-window input and adds the soft-tissue window "
                        + "to it; liver's input is in the liver window");
    }

    @Test
    void sumStartsFromTwoTrainedNetworksWithoutAWarmUpAndRefusesANetworkOfTheWrongKind() throws Exception {
        TrainingRecipe r = smallRecipe(4).withMaxFlips(org.radstream.models.TestTimeFlips.NONE);
        // two single vessel networks trained on the labels, each published into its own store
        java.util.Map<UNetVariant, Double> singleDice = new java.util.EnumMap<>(UNetVariant.class);
        java.util.Map<UNetVariant, java.net.URI> published = new java.util.EnumMap<>(UNetVariant.class);
        for (UNetVariant v : List.of(UNetVariant.SQUEEZE_EXCITATION, UNetVariant.RESIDUAL)) {
            ModelStore single = new ModelStore(dir.resolve(v.name()));
            TaskTrainer.Outcome o = new TaskTrainer(single, new QualityGate(0.0), p -> { }, p -> { })
                    .train(TrainingTask.VESSEL, train, validation, r.withVariant(v), TaskTrainer.VesselMethod.SINGLE);
            singleDice.put(v, o.metrics().get("validation_dice"));
            published.put(v, single.latest("vessel").orElseThrow().location());
        }
        assertThat(singleDice.values()).allSatisfy(d -> assertThat(d).isGreaterThan(0.3));

        // one self-updating epoch at a rate too small to move them: SUM reads what the singles learnt
        List<String> progress = new ArrayList<>();
        TaskTrainer.Outcome sum = new TaskTrainer(new ModelStore(dir.resolve("sum")), new QualityGate(0.0), p -> { },
                progress::add)
                .startingSumFrom(new TaskTrainer.SumStart(published.get(UNetVariant.SQUEEZE_EXCITATION),
                        published.get(UNetVariant.RESIDUAL)))
                .train(TrainingTask.VESSEL, train, validation, r.withEpochs(1).withLearningRate(1e-7f),
                        TaskTrainer.VesselMethod.SUM);
        assertThat(sum.metrics()).containsEntry("warmup_epochs", 0.0).containsEntry("started_from_trained_networks", 1.0)
                .containsKey("final_soft_label_change");
        // the network the better Dice did not choose, published on request: its own Dice is the challenger's
        boolean betterWasSe = sum.metrics().get("sum_published_se_unet") == 1.0;
        assertThat(sum.metrics().get("validation_dice")).isEqualTo(Math.max(sum.metrics().get("validation_dice_se_unet"),
                sum.metrics().get("validation_dice_res_unet")));
        SumNetwork other = betterWasSe ? SumNetwork.RES_UNET : SumNetwork.SE_UNET;
        List<String> forcedProgress = new ArrayList<>();
        ModelStore forcedStore = new ModelStore(dir.resolve("sum-" + other));
        TaskTrainer.Outcome forced = new TaskTrainer(forcedStore, new QualityGate(1.0), p -> { }, forcedProgress::add)
                .startingSumFrom(new TaskTrainer.SumStart(published.get(UNetVariant.SQUEEZE_EXCITATION),
                        published.get(UNetVariant.RESIDUAL)))
                .train(TrainingTask.VESSEL, train, validation, r.withEpochs(1).withLearningRate(1e-7f).withSumPublish(other),
                        TaskTrainer.VesselMethod.SUM);
        assertThat(forced.metrics()).containsEntry("sum_published_se_unet", betterWasSe ? 0.0 : 1.0);
        assertThat(forced.metrics().get("validation_dice")).isEqualTo(forced.metrics().get(
                betterWasSe ? "validation_dice_res_unet" : "validation_dice_se_unet"));
        assertThat(ModelStore.readMetadata(forcedStore.latest("vessel").orElseThrow().location()).network().architecture())
                .isEqualTo(betterWasSe ? "res-unet" : "se-unet");
        assertThat(forcedProgress).anyMatch(l -> l.startsWith("vessel SUM: the " + (betterWasSe ? "res-unet" : "se-unet")
                + " is the challenger (--sum-publish " + other + ";"));

        // the same epoch from scratch: what the two networks would score without the singles' weights
        TaskTrainer.Outcome fresh = new TaskTrainer(new ModelStore(dir.resolve("fresh")), new QualityGate(0.0), p -> { },
                p -> { }).train(TrainingTask.VESSEL, train, validation, r.withEpochs(1).withLearningRate(1e-7f),
                TaskTrainer.VesselMethod.SUM);
        assertThat(fresh.metrics()).containsEntry("started_from_trained_networks", 0.0);
        for (String net : List.of("validation_dice_se_unet", "validation_dice_res_unet")) {
            assertThat(sum.metrics().get(net)).isGreaterThan(fresh.metrics().get(net) + 0.2);
        }
        assertThat(progress).anyMatch(l -> l.startsWith("vessel SUM: se-unet starts from version 1"))
                .anyMatch(l -> l.startsWith("vessel SUM: res-unet starts from version 1"))
                .anyMatch(l -> l.contains("epoch 1/1") && l.contains("soft-label change"));

        // the Res-UNet offered as the SE-UNet: refused before any training, with what was found and what is needed
        TaskTrainer swapped = new TaskTrainer(new ModelStore(dir.resolve("swapped")), new QualityGate(0.0), p -> { }, p -> { })
                .startingSumFrom(new TaskTrainer.SumStart(published.get(UNetVariant.RESIDUAL),
                        published.get(UNetVariant.SQUEEZE_EXCITATION)));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> swapped.train(TrainingTask.VESSEL, train, validation,
                        r.withEpochs(1), TaskTrainer.VesselMethod.SUM))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("SUM cannot start its se-unet from")
                .hasMessageContaining("res-unet");
        assertThat(new ModelStore(dir.resolve("swapped")).versions("vessel")).isEmpty();
    }

    @Test
    void theServiceGatesOnSeriesThatChoseNothing() throws Exception {
        // by UID: 5.9.5 is a gate series, 5.9.1 a selection series, 5.9.2 and 5.9.3 are trained on (HeldOutSplitTest)
        List<ScanData> labelled = List.of(disks("5.9.1", 32, 6), disks("5.9.2", 32, 6), disks("5.9.3", 32, 6),
                disks("5.9.5", 32, 6));
        ModelStore store = new ModelStore(dir.resolve("store"));
        List<String> progress = new ArrayList<>();
        // as the service's trainer: a champion is replaced only on gate scans that chose nothing
        TaskTrainer trainer = new TaskTrainer(store, new QualityGate(1.0), p -> { }, progress::add)
                .replacingChampionsOnlyOnGateScans();

        TaskTrainer.Outcome out = TrainerService.trainHeldOut(trainer, TrainingTask.LUNG,
                TrainerService.split(TrainingTask.LUNG, labelled), smallRecipe(3),
                TaskTrainer.VesselMethod.SINGLE, progress::add);
        assertThat(progress).contains("lung: 4 labelled series: 2 to train on, 1 to choose the kept epoch and the "
                + "reading, 1 for the quality gate alone");
        assertThat(out.metrics()).containsEntry("train_scans", 2.0).containsEntry("validation_scans", 1.0)
                .containsEntry("gate_scans", 1.0);
        double gateDice = out.metrics().get("gate_dice");
        assertThat(TaskTrainer.championDice(store.latest("lung").orElseThrow(), List.of(labelled.get(3)), ai.djl.Device.cpu()))
                .isCloseTo(gateDice, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(out.decision().reason()).isEqualTo(String.format(java.util.Locale.ROOT,
                "published: no champion; challenger Dice on the 1 gate scans %.4f", gateDice));

        // two labelled series: the held-out one chooses and judges; the champion is not replaced on it, though
        // the gate's margin (1) would pass anything
        TaskTrainer.Outcome few = TrainerService.trainHeldOut(trainer, TrainingTask.LUNG,
                TrainerService.split(TrainingTask.LUNG, labelled.subList(1, 3)),
                smallRecipe(1).withSeed(7), TaskTrainer.VesselMethod.SINGLE, progress::add);
        assertThat(progress).contains("lung: 2 labelled series: 1 to train on, 1 to choose the kept epoch and the "
                + "reading and for the quality gate (too few to keep the gate's apart)");
        assertThat(few.metrics()).containsEntry("train_scans", 1.0).containsEntry("validation_scans", 1.0)
                .doesNotContainKey("gate_scans");
        assertThat(few.decision().publish()).isFalse();
        assertThat(few.decision().reason()).startsWith("refused: lung v1 stays: the challenger was judged on the 1 "
                + "labelled series that also chose its epoch and reading (too few to hold any apart for the gate: 3 or "
                + "more are needed); the gate had said: published: challenger validation Dice ");
        assertThat(store.versions("lung")).hasSize(1);
        assertThat(progress).noneMatch(l -> l.contains("--gate-cohort"));

        // three: judged apart, and the same gate publishes it
        TaskTrainer.Outcome enough = TrainerService.trainHeldOut(trainer, TrainingTask.LUNG,
                TrainerService.split(TrainingTask.LUNG, labelled.subList(0, 3)),
                smallRecipe(1).withSeed(7), TaskTrainer.VesselMethod.SINGLE, progress::add);
        assertThat(enough.decision().publish()).isTrue();
        assertThat(enough.decision().reason()).startsWith("published: challenger Dice on the 1 gate scans ");
        assertThat(store.versions("lung")).hasSize(2);
    }

    @Test
    void aServiceRunFineTuningItsChampionKeepsAReadingChosenOnMoreScansThanItsOwn() throws Exception {
        // by UID: 5.9.5 is the gate series, 5.9.1 chooses, 5.9.2 and 5.9.3 are trained on (HeldOutSplitTest)
        List<ScanData> labelled = List.of(disks("5.9.1", 32, 6), disks("5.9.2", 32, 6), disks("5.9.3", 32, 6),
                disks("5.9.5", 32, 6));
        ModelStore store = new ModelStore(dir.resolve("store"));
        new TaskTrainer(store, new QualityGate(1.0), p -> { }, p -> { }).train(TrainingTask.LUNG, train, validation,
                smallRecipe(3));
        // as if v1's reading had been chosen on 24 scans: two passes and a threshold no run here would choose
        withMetrics(store.latest("lung").orElseThrow(), java.util.Map.of(SegmentationModel.MASK_THRESHOLD_METRIC, 0.9,
                SegmentationModel.TEST_TIME_FLIPS_METRIC, 1.0, ChampionReading.CHOSEN_ON_METRIC, 24.0));
        List<String> progress = new ArrayList<>();
        TaskTrainer service = new TaskTrainer(store, new QualityGate(1.0), p -> { }, progress::add)
                .replacingChampionsOnlyOnGateScans().keepingChampionReadings();
        TrainingRecipe fineTuning = smallRecipe(1).withTransfer(true, 0).withLearningRate(1e-3f).withSeed(7);

        TaskTrainer.Outcome kept = TrainerService.trainHeldOut(service, TrainingTask.LUNG,
                TrainerService.split(TrainingTask.LUNG, labelled), fineTuning, TaskTrainer.VesselMethod.SINGLE,
                progress::add);
        assertThat(kept.decision().publish()).isTrue();
        assertThat(kept.metrics()).containsEntry(ChampionReading.KEPT_FROM_METRIC, 1.0)
                .containsEntry(ChampionReading.CHOSEN_ON_METRIC, 24.0)
                .containsEntry(SegmentationModel.TEST_TIME_FLIPS_METRIC, 1.0);
        assertThat(kept.metrics().get(SegmentationModel.MASK_THRESHOLD_METRIC)).isCloseTo(0.9,
                org.assertj.core.data.Offset.offset(1e-6));
        double chosenOnDice = kept.metrics().get("validation_dice");
        assertThat(progress).contains(String.format(java.util.Locale.ROOT, "lung reads its weights as v1 does (2 passes "
                + "a slice, threshold 0.90), a reading chosen on 24 scans: its 1 validation scans are too few to choose "
                + "another; validation Dice %.4f there", chosenOnDice));
        assertThat(progress).noneMatch(l -> l.startsWith("lung mask threshold") || l.startsWith("lung test-time flips"));
        // the published version reads as v1 did, and scores what the run measured, where it measured it
        ModelArtifact v2 = store.latest("lung").orElseThrow();
        assertThat(v2.metadata().version()).isEqualTo(2);
        try (SegmentationModel m = SegmentationModel.load(v2.location(), ai.djl.Device.cpu())) {
            assertThat(m.maskThreshold()).isEqualTo(0.9f);
            assertThat(m.testTimeFlips()).isEqualTo(org.radstream.models.TestTimeFlips.LEFT_RIGHT);
        }
        assertThat(TaskTrainer.championDice(v2, List.of(labelled.get(0)), ai.djl.Device.cpu()))
                .isCloseTo(chosenOnDice, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(TaskTrainer.championDice(v2, List.of(labelled.get(3)), ai.djl.Device.cpu()))
                .isCloseTo(kept.metrics().get("gate_dice"), org.assertj.core.data.Offset.offset(1e-9));

        // with two labelled series the held-out one chose only the kept epoch, and still cannot replace the champion
        TaskTrainer.Outcome few = TrainerService.trainHeldOut(service, TrainingTask.LUNG,
                TrainerService.split(TrainingTask.LUNG, labelled.subList(1, 3)), fineTuning,
                TaskTrainer.VesselMethod.SINGLE, progress::add);
        assertThat(few.metrics()).containsEntry(ChampionReading.KEPT_FROM_METRIC, 2.0);
        assertThat(few.decision().reason()).startsWith("refused: lung v2 stays: the challenger was judged on the 1 "
                + "labelled series that also chose its epoch (too few to hold any apart for the gate: 3 or more are "
                + "needed); the gate had said: ");

        // a champion whose reading was chosen on as few scans as the run's own: the run chooses again
        withMetrics(v2, java.util.Map.of(ChampionReading.CHOSEN_ON_METRIC, 1.0));
        TaskTrainer.Outcome chosen = TrainerService.trainHeldOut(service, TrainingTask.LUNG,
                TrainerService.split(TrainingTask.LUNG, labelled), fineTuning, TaskTrainer.VesselMethod.SINGLE,
                progress::add);
        assertThat(progress).contains("lung: its reading is chosen again on its 1 validation scans, as many as or "
                + "more than chose v2's (1)");
        assertThat(chosen.metrics()).containsEntry(ChampionReading.CHOSEN_ON_METRIC, 1.0)
                .doesNotContainKey(ChampionReading.KEPT_FROM_METRIC);
        assertThat(progress).anyMatch(l -> l.startsWith("lung mask threshold"));
    }

    /** Rewrites metrics of a stored version's metadata (its checksum covers only the parameters). */
    static void withMetrics(ModelArtifact a, java.util.Map<String, Double> metrics) throws java.io.IOException {
        Path file = Path.of(a.location()).resolve("metadata.json");
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode root =
                (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(file.toFile());
        com.fasterxml.jackson.databind.node.ObjectNode m = (com.fasterxml.jackson.databind.node.ObjectNode) root.get("metrics");
        metrics.forEach(m::put);
        json.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), root);
    }

    @Test
    void withGateScansTheGateComparesChallengerAndChampionThere() throws Exception {
        TrainingRecipe r = smallRecipe(4);
        List<ScanData> gateScans = List.of(disks("g1", 32, 6), disks("g2", 32, 6));
        ModelStore store = new ModelStore(dir.resolve("store"));
        List<String> progress = new ArrayList<>();
        TaskTrainer trainer = new TaskTrainer(store, new QualityGate(0.0), p -> { }, progress::add);

        TaskTrainer.Outcome first = trainer.train(TrainingTask.LUNG, train, validation, r, TaskTrainer.VesselMethod.SINGLE,
                gateScans);
        assertThat(first.decision().publish()).isTrue();
        assertThat(first.metrics()).containsEntry("gate_scans", 2.0).containsKey("validation_dice");
        double gateDice = first.metrics().get("gate_dice");
        // what the trainer measured in memory (with the flips it chose) is what the published
        // artifact scores on the gate scans
        double flips = first.metrics().get(SegmentationModel.TEST_TIME_FLIPS_METRIC);
        try (SegmentationModel m = SegmentationModel.load(store.latest("lung").orElseThrow().location(), ai.djl.Device.cpu())) {
            assertThat((double) m.testTimeFlips().code()).isEqualTo(flips);
        }
        assertThat(progress).anyMatch(l -> l.startsWith("lung test-time flips ") && l.contains("none "));
        assertThat(TaskTrainer.championDice(store.latest("lung").orElseThrow(), gateScans, ai.djl.Device.cpu()))
                .isCloseTo(gateDice, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(progress).anyMatch(l -> l.startsWith("lung: challenger Dice on the 2 gate scans"));
        assertThat(first.decision().reason()).isEqualTo(String.format(java.util.Locale.ROOT,
                "published: no champion; challenger Dice on the 2 gate scans %.4f", gateDice));

        TaskTrainer.Outcome second = trainer.train(TrainingTask.LUNG, train, validation,
                r.withEpochs(1).withLearningRate(1e-5f).withSeed(7), TaskTrainer.VesselMethod.SINGLE, gateScans);
        assertThat(second.championMetrics()).containsOnlyKeys("gate_dice");
        assertThat(second.championMetrics().get("gate_dice")).isCloseTo(gateDice, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(second.decision().publish()).isEqualTo(second.metrics().get("gate_dice") >= gateDice);
        assertThat(second.decision().publish()).isFalse();
        assertThat(second.decision().reason()).startsWith("refused: challenger Dice on the 2 gate scans ");
        // and how the two compare scan by scan, which the mean can hide: a fresh network after one step at
        // lr 1e-5 (about half the champion's Dice) is worse on both
        assertThat(second.decision().reason()).endsWith("; scan by scan, the challenger is better on 0, worse on 2 and "
                + "within 0.001 on 0 of the 2 gate scans (2 are too few for an interval of the mean difference: 5 or more)");
        assertThat(second.metrics()).containsEntry("gate_scans_better", 0.0).containsEntry("gate_scans_worse", 2.0)
                .doesNotContainKeys("gate_difference_ci95_low", "gate_difference_ci95_high");
        assertThat(store.versions("lung")).hasSize(1);

        // a site that asks for non-inferiority: a margin that would pass anything, and two gate series
        // cannot show the same challenger no worse, so it is refused
        TaskTrainer strict = new TaskTrainer(store, new QualityGate(1.0).withRule(QualityGate.Rule.NON_INFERIORITY),
                p -> { }, progress::add);
        TaskTrainer.Outcome third = strict.train(TrainingTask.LUNG, train, validation,
                r.withEpochs(1).withLearningRate(1e-5f).withSeed(7), TaskTrainer.VesselMethod.SINGLE, gateScans);
        assertThat(third.decision().publish()).isFalse();
        assertThat(third.decision().reason()).startsWith("refused: the gate's rule is non-inferiority, which needs the "
                + "challenger and the champion scored on 5 gate series or more to bound their difference; 2 were scored "
                + "(the margin alone would publish it: challenger Dice on the 2 gate scans ");
        assertThat(store.versions("lung")).hasSize(1);
    }

    @Test
    void scanByScanCountsBetterWorseAndEqualWithinATenthOfADicePoint() {
        TaskTrainer.ScanByScan each = TaskTrainer.ScanByScan.of(new double[] {0.90, 0.80, 0.7005, 0.60},
                new double[] {0.85, 0.82, 0.70, 0.60});
        assertThat(List.of(each.better(), each.worse(), each.equal())).containsExactly(1, 1, 2);
        assertThat(each.toString()).isEqualTo("scan by scan, the challenger is better on 1, worse on 1 and within 0.001 "
                + "on 2 of the 4 gate scans (4 are too few for an interval of the mean difference: 5 or more)");
        Map<String, Double> metrics = new java.util.HashMap<>();
        each.record(metrics);
        assertThat(metrics).containsOnlyKeys("gate_scans_better", "gate_scans_worse");
        // the same four differences (+0.05, -0.02, +0.0005, 0; mean +0.0076) on 8 scans: resamples land on either side
        double[] a = new double[8];
        double[] b = new double[8];
        for (int i = 0; i < a.length; i++) {
            a[i] = new double[] {0.90, 0.80, 0.7005, 0.60}[i % 4];
            b[i] = new double[] {0.85, 0.82, 0.70, 0.60}[i % 4];
        }
        TaskTrainer.ScanByScan eight = TaskTrainer.ScanByScan.of(a, b);
        assertThat(eight.difference().estimate()).isCloseTo(0.007625, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(eight.difference().low()).isBetween(-0.02, 0.0);
        assertThat(eight.difference().high()).isBetween(0.007625, 0.05);
        assertThat(eight.toString()).startsWith("scan by scan, the challenger is better on 2, worse on 2 and within 0.001 "
                + "on 4 of the 8 gate scans; mean difference +0.0076, 95% interval [").endsWith("] over 2000 resamples of "
                + "them: other such scans could reverse the comparison");
        eight.record(metrics);
        assertThat(metrics).containsEntry("gate_difference_ci95_low", eight.difference().low())
                .containsEntry("gate_difference_ci95_high", eight.difference().high());
        // every scan 0.03 better than that: the challenger's lead is no longer in doubt
        for (int i = 0; i < a.length; i++) {
            a[i] += 0.03;
        }
        assertThat(TaskTrainer.ScanByScan.of(a, b).toString()).endsWith(": the challenger is better beyond what other "
                + "such scans would likely change");
    }
    @Test
    void zeroEpochsReReadThePublishedWeightsOnTheSelectionScansAndPublishThemUnchanged() throws Exception {
        TrainingRecipe r = smallRecipe(2);
        List<ScanData> selection = List.of(disks("s1", 32, 6), disks("s2", 32, 6), disks("s3", 32, 6));
        ModelStore store = new ModelStore(dir.resolve("store"));
        List<String> progress = new ArrayList<>();
        TaskTrainer trainer = new TaskTrainer(store, new QualityGate(1.0), p -> { }, progress::add);
        trainer.train(TrainingTask.LUNG, train, validation, r);
        progress.clear();

        TaskTrainer.Outcome reread = trainer.train(TrainingTask.LUNG, train, validation, r.withTransfer(true, 0).withEpochs(0),
                TaskTrainer.VesselMethod.SINGLE, List.of(), selection);
        assertThat(reread.epochLosses()).isEmpty();
        assertThat(progress).noneMatch(l -> l.startsWith("lung epoch "));
        assertThat(reread.metrics()).containsEntry("epochs", 0.0).containsEntry("transfer", 1.0)
                .containsEntry("selection_scans", 3.0).doesNotContainKeys("first_loss", "final_loss");
        assertThat(reread.published()).isPresent();
        ModelArtifact v2 = store.latest("lung").orElseThrow();
        assertThat(v2.metadata().version()).isEqualTo(2);
        assertThat(TaskTrainer.championDice(v2, selection, ai.djl.Device.cpu()))
                .isCloseTo(reread.metrics().get("selection_dice"), org.assertj.core.data.Offset.offset(1e-9));
        try (org.radstream.models.StoredModel a = ModelStore.load(store.versions("lung").get(0).location());
             org.radstream.models.StoredModel b = ModelStore.load(v2.location())) {
            var before = a.model().getBlock().getParameters();
            var after = b.model().getBlock().getParameters();
            assertThat(after.size()).isEqualTo(before.size()).isPositive();
            for (int k = 0; k < before.size(); k++) {
                assertThat(after.get(k).getValue().getArray().toFloatArray())
                        .as("parameter %s", before.get(k).getKey())
                        .containsExactly(before.get(k).getValue().getArray().toFloatArray());
            }
        }
    }

    @Test
    void zeroEpochsWithoutAPublishedNetworkOfTheRecipesKindHaveNothingToReRead() throws Exception {
        TrainingRecipe r = smallRecipe(1).withTransfer(true, 0).withEpochs(0);
        ModelStore store = new ModelStore(dir.resolve("store"));
        TaskTrainer trainer = new TaskTrainer(store, new QualityGate(1.0), p -> { }, l -> { });
        assertThatThrownBy(() -> trainer.train(TrainingTask.LUNG, train, validation, r))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no version of it")
                .hasMessageContaining("nothing to re-read");

        trainer.train(TrainingTask.LUNG, train, validation, smallRecipe(1));
        assertThatThrownBy(() -> trainer.train(TrainingTask.LUNG, train, validation, r.withNetwork(2, 4)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("version 1, another network")
                .hasMessageContaining("nothing to re-read");
        assertThat(store.versions("lung")).hasSize(1);
        assertThatThrownBy(() -> smallRecipe(1).withEpochs(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("need transfer");
    }

    @Test
    void withSelectionScansTheReadingIsChosenAndMeasuredThereAndTheGateStillJudgesOnItsOwnScans() throws Exception {
        TrainingRecipe r = smallRecipe(4);
        List<ScanData> selection = List.of(disks("s1", 32, 6), disks("s2", 32, 6), disks("s3", 32, 6));
        List<ScanData> gateScans = List.of(disks("g1", 32, 6), disks("g2", 32, 6));
        ModelStore store = new ModelStore(dir.resolve("store"));
        List<String> progress = new ArrayList<>();
        TaskTrainer trainer = new TaskTrainer(store, new QualityGate(0.0), p -> { }, progress::add);

        TaskTrainer.Outcome out = trainer.train(TrainingTask.LUNG, train, validation, r, TaskTrainer.VesselMethod.SINGLE,
                gateScans, selection);
        assertThat(out.decision().publish()).isTrue();
        assertThat(out.metrics()).containsEntry("selection_scans", 3.0).containsEntry("gate_scans", 2.0)
                .containsKeys("selection_dice", "selection_dice_at_0_5", "validation_dice", "gate_dice");
        assertThat(progress).anyMatch(l -> l.startsWith("lung: Dice on the 1 validation scans ")
                && l.contains("read as chosen on the 3 selection scans"));
        // the published artifact, read as the workers read it, scores each figure on its own scans
        ModelArtifact published = store.latest("lung").orElseThrow();
        org.assertj.core.data.Offset<Double> exact = org.assertj.core.data.Offset.offset(1e-9);
        assertThat(TaskTrainer.championDice(published, selection, ai.djl.Device.cpu()))
                .isCloseTo(out.metrics().get("selection_dice"), exact);
        assertThat(TaskTrainer.championDice(published, validation, ai.djl.Device.cpu()))
                .isCloseTo(out.metrics().get("validation_dice"), exact);
        assertThat(TaskTrainer.championDice(published, gateScans, ai.djl.Device.cpu()))
                .isCloseTo(out.metrics().get("gate_dice"), exact);
        assertThat(out.decision().reason()).contains("challenger Dice on the 2 gate scans");
    }

    @Test
    void withSelectionScansTheClassifiersEffectOnInfectionDiceIsMeasuredOnThem() throws Exception {
        TrainingRecipe r = smallRecipe(2);
        ModelStore store = new ModelStore(dir.resolve("store"));
        List<String> progress = new ArrayList<>();
        TaskTrainer trainer = new TaskTrainer(store, new QualityGate(0.0), p -> { }, progress::add);
        // a vessel beside the lesions: the classifier has negatives to learn from whatever the infection network reads
        List<ScanData> train = List.of(disksBesideAVessel("a", 32, 6), disksBesideAVessel("b", 32, 6));
        List<ScanData> validation = List.of(disksBesideAVessel("c", 32, 6));
        trainer.train(TrainingTask.INFECTION, train, validation, r);
        List<ScanData> selection = List.of(disksBesideAVessel("s1", 32, 6), disksBesideAVessel("s2", 32, 6));

        TaskTrainer.Outcome out = trainer.train(TrainingTask.INFECTION_CLASSIFIER, train, validation,
                r.withClassifier(32, 1), TaskTrainer.VesselMethod.SINGLE, List.of(), selection);
        assertThat(progress).anyMatch(l -> l.startsWith("infection-classifier: ")
                && l.contains(" components of the 2 selection scans judged for the effect on infection Dice"));
        assertThat(progress).anyMatch(l -> l.startsWith("infection-classifier epoch 1/1 ") && l.contains(", selection infection Dice "));
        assertThat(out.metrics()).containsKeys("selection_infection_dice", "selection_infection_dice_without_classifier")
                .doesNotContainKey("validation_infection_dice");
        assertThat(out.decision().reason()).contains("selection infection Dice");
    }

    @Test
    void theClassifierReadsAScanWithAPublishedModelOnceAndTheSameRunAgainLearnsTheSame() throws Exception {
        TrainingRecipe r = smallRecipe(1);
        ModelStore store = new ModelStore(dir.resolve("store"));
        List<String> progress = new ArrayList<>();
        Path checkpoints = dir.resolve("checkpoints");
        TaskTrainer trainer = new TaskTrainer(store, new QualityGate(0.0), p -> { }, progress::add).checkpointsIn(checkpoints);
        List<ScanData> train = List.of(disksBesideAVessel("a", 32, 6), disksBesideAVessel("b", 32, 6));
        List<ScanData> validation = List.of(disksBesideAVessel("c", 32, 6));
        List<ScanData> selection = List.of(disksBesideAVessel("s1", 32, 6), disksBesideAVessel("s2", 32, 6));
        trainer.train(TrainingTask.LUNG, train, validation, r);
        trainer.train(TrainingTask.INFECTION, train, validation, r);
        TrainingRecipe classifier = r.withClassifier(32, 1);

        // 5 scans read by the infection model, the 2 selection scans' lungs by the lung model
        progress.clear();
        TaskTrainer.Outcome first = trainer.train(TrainingTask.INFECTION_CLASSIFIER, train, validation, classifier,
                TaskTrainer.VesselMethod.SINGLE, List.of(), selection);
        assertThat(progress).contains("infection-classifier: 7 masks made by the models, 0 kept from an earlier run");
        progress.clear();
        TaskTrainer.Outcome again = trainer.train(TrainingTask.INFECTION_CLASSIFIER, train, validation, classifier,
                TaskTrainer.VesselMethod.SINGLE, List.of(), selection);
        assertThat(progress).contains("infection-classifier: 0 masks made by the models, 7 kept from an earlier run");
        assertThat(again.metrics()).isEqualTo(first.metrics());

        // a new infection version: its masks are made anew, the lung masks kept, the old version's deleted
        trainer.train(TrainingTask.INFECTION, train, validation, r);
        progress.clear();
        trainer.train(TrainingTask.INFECTION_CLASSIFIER, train, validation, classifier, TaskTrainer.VesselMethod.SINGLE,
                List.of(), selection);
        assertThat(progress).contains("infection-classifier: 5 masks made by the models, 2 kept from an earlier run",
                "infection-classifier: 5 kept masks this run did not use deleted");
        try (var folders = java.nio.file.Files.list(checkpoints.resolve("infection-classifier/masks"))) {
            assertThat(folders.map(f -> f.getFileName().toString()).sorted().toList())
                    .satisfiesExactly(f -> assertThat(f).startsWith("infection-v2-"), f -> assertThat(f).startsWith("lung-v1-"));
        }
    }

    @Test
    void infectionSpecksInAHealthyValidationScanSetAMinimumComponentVolumeThatTravelsWithTheModel() throws Exception {
        TrainingRecipe r = smallRecipe(6);
        // a healthy scan whose only finding-like thing is a 5×5×2 speck (50 voxels of 0.002 ml = 0.1 ml;
        // the lesions are 2.4 ml)
        int size = 32;
        int depth = 6;
        float[] hu = new float[size * size * depth];
        java.util.Random noise = new java.util.Random(11);
        for (int i = 0; i < hu.length; i++) {
            hu[i] = -900f + (float) noise.nextGaussian() * 30f;
        }
        for (int z = 2; z < 4; z++) {
            for (int y = 1; y < 6; y++) {
                for (int x = 1; x < 6; x++) {
                    hu[(z * size + y) * size + x] = -100f;
                }
            }
        }
        ScanData healthy = new ScanData("healthy", new Volume(hu, size, size, depth, 1, 1, 2),
                new Mask3D(size, size, depth), null, null);
        List<ScanData> withHealthy = List.of(validation.get(0), healthy);
        ModelStore store = new ModelStore(dir.resolve("store"));
        List<String> progress = new ArrayList<>();
        TaskTrainer trainer = new TaskTrainer(store, new QualityGate(0.0), p -> { }, progress::add);

        TaskTrainer.Outcome out = trainer.train(TrainingTask.INFECTION, train, withHealthy, r);
        assertThat(out.decision().publish()).isTrue();
        double minMl = out.metrics().get(SegmentationModel.MIN_COMPONENT_ML_METRIC);
        // a minimum that drops what the network marks of the speck and keeps the 2.4 ml lesions
        assertThat(minMl).isPositive();
        assertThat(out.metrics().get("validation_dice_keeping_all_components"))
                .isLessThan(out.metrics().get("validation_dice"));
        assertThat(progress).anyMatch(l -> l.startsWith(String.format(java.util.Locale.ROOT,
                "infection minimum component %.2f ml: validation Dice", minMl)));
        // the published model carries it: scored as the workers run it, the healthy scan is clean
        ModelArtifact published = store.latest("infection").orElseThrow();
        try (SegmentationModel m = SegmentationModel.load(published.location(), ai.djl.Device.cpu())) {
            assertThat(m.minComponentMl()).isEqualTo(minMl);
            assertThat(Evaluator.segment(TaskTrainer.sliceModel(m), healthy).isEmpty()).isTrue();
        }
        assertThat(TaskTrainer.championDice(published, withHealthy, ai.djl.Device.cpu()))
                .isCloseTo(out.metrics().get("validation_dice"), org.assertj.core.data.Offset.offset(1e-9));

        // lung keeps its largest components anyway: no minimum is chosen for it
        TaskTrainer.Outcome lung = trainer.train(TrainingTask.LUNG, train, withHealthy, r);
        assertThat(lung.metrics()).doesNotContainKey(SegmentationModel.MIN_COMPONENT_ML_METRIC);
        assertThat(out.metrics()).doesNotContainKey(TaskTrainer.SCORED_REACHING_LUNG_MODEL_METRIC);

        // with a lung model published, infection is scored as the workers keep it: inside its lungs
        TaskTrainer.Outcome inLungs = trainer.train(TrainingTask.INFECTION, train, withHealthy, r);
        assertThat(inLungs.metrics().get(TaskTrainer.SCORED_REACHING_LUNG_MODEL_METRIC)).isEqualTo(1.0);
        assertThat(progress).contains("infection: masks scored as the workers keep them, the components reaching "
                + "into the lungs of lung model v1");
    }
}
