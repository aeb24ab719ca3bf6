package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.avro.ModelPublished;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Volume;
import org.radstream.models.ModelStore;

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
        // what the trainer measured in memory is what the published artifact scores on the gate scans
        assertThat(TaskTrainer.championDice(store.latest("lung").orElseThrow(), gateScans, ai.djl.Device.cpu()))
                .isCloseTo(gateDice, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(progress).anyMatch(l -> l.startsWith("lung: challenger Dice on the 2 gate scans"));

        TaskTrainer.Outcome second = trainer.train(TrainingTask.LUNG, train, validation,
                r.withEpochs(1).withLearningRate(1e-5f).withSeed(7), TaskTrainer.VesselMethod.SINGLE, gateScans);
        assertThat(second.championMetrics()).containsOnlyKeys("gate_dice");
        assertThat(second.championMetrics().get("gate_dice")).isCloseTo(gateDice, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(second.decision().publish()).isEqualTo(second.metrics().get("gate_dice") >= gateDice);
        assertThat(second.decision().publish()).isFalse();
        assertThat(store.versions("lung")).hasSize(1);
    }
}
