package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.models.ModelStore;

/** Restoration pretraining on unlabelled scans before a segmentation run: a short real run on disks at 32². */
class SelfSupervisedPretrainingTest {
    @TempDir
    Path dir;

    private final List<ScanData> train = List.of(TaskTrainerTest.disks("a", 32, 6), TaskTrainerTest.disks("b", 32, 6));
    private final List<ScanData> validation = List.of(TaskTrainerTest.disks("c", 32, 6));

    private static TrainingRecipe recipe(int epochs) {
        return TrainingRecipe.defaults().withInputSize(32).withNetwork(3, 4).withEpochs(epochs).withBatchSize(4)
                .withLearningRate(0.01f).withAugment(false).withHardMining(false, 0.7);
    }

    /** Unlabelled scans: other disks, their labels never read. */
    private static SelfSupervisedPretraining.Plan plan(int epochs) {
        return new SelfSupervisedPretraining.Plan(epochs, 16, List.of(TaskTrainerTest.disks("u1", 32, 6).hu(),
                TaskTrainerTest.disks("u2", 32, 6).hu(), TaskTrainerTest.disks("u3", 32, 6).hu()), "three disks scans");
    }

    @Test
    void theRestorationLossFallsAndTheSegmentationRunStartsFromThePretrainedWeights() throws Exception {
        List<String> progress = new ArrayList<>();
        TaskTrainer pretrained = new TaskTrainer(new ModelStore(dir.resolve("pretrained")), new QualityGate(0.0), p -> { },
                progress::add).pretrainingOn(plan(8));
        TaskTrainer.Outcome withPretraining = pretrained.train(TrainingTask.LUNG, train, validation, recipe(2));

        assertThat(progress).contains("lung pretraining: restoring 48 crops an epoch of 3 unlabelled scans (three disks scans), "
                + "8 epochs");
        int lastPretraining = -1;
        int firstEpoch = -1;
        for (int i = 0; i < progress.size(); i++) {
            if (progress.get(i).matches("lung pretraining epoch \\d/8 restoration loss \\d\\.\\d{5} ETA .*")) {
                lastPretraining = i;
            }
            if (firstEpoch < 0 && progress.get(i).startsWith("lung epoch 1/2 ")) {
                firstEpoch = i;
            }
        }
        assertThat(lastPretraining).as("8 pretraining epochs, then the segmentation epochs").isBetween(0, firstEpoch);
        var m = withPretraining.metrics();
        assertThat(m).containsEntry("pretrain_epochs", 8.0).containsEntry("pretrain_scans", 3.0)
                .containsEntry("pretrain_crops_per_epoch", 48.0);
        assertThat(m.get("pretrain_final_loss")).isLessThan(m.get("pretrain_first_loss") * 0.7);
        assertThat(new ModelStore(dir.resolve("pretrained")).latest("lung")).hasValueSatisfying(a ->
                assertThat(a.metadata().metrics()).containsEntry("pretrain_epochs", 8.0));

        // the same run without pretraining starts from the seeded fresh weights: another first loss
        TaskTrainer.Outcome fresh = new TaskTrainer(new ModelStore(dir.resolve("fresh")), new QualityGate(0.0), p -> { },
                p -> { }).train(TrainingTask.LUNG, train, validation, recipe(2));
        assertThat(fresh.metrics()).doesNotContainKey("pretrain_epochs");
        assertThat(fresh.metrics().get("first_loss")).isNotEqualTo(m.get("first_loss"));

        // a run that starts from the published version is not pretrained
        List<String> transfer = new ArrayList<>();
        TaskTrainer.Outcome transferred = new TaskTrainer(new ModelStore(dir.resolve("pretrained")), new QualityGate(1.0),
                p -> { }, transfer::add).pretrainingOn(plan(8)).train(TrainingTask.LUNG, train, validation,
                recipe(1).withTransfer(true, 0));
        assertThat(transfer).contains("lung: not pretrained: the run starts from a published version's weights")
                .noneMatch(l -> l.contains("pretraining epoch"));
        assertThat(transferred.metrics()).containsEntry("transfer", 1.0).doesNotContainKey("pretrain_epochs");
    }

    @Test
    void networksThatReadOnlyTheirRegionAreNotPretrainedOnWholeSlices() {
        TaskTrainer trainer = new TaskTrainer(new ModelStore(dir.resolve("vessel")), new QualityGate(0.0), p -> { }, p -> { })
                .pretrainingOn(plan(1));
        assertThatThrownBy(() -> trainer.train(TrainingTask.VESSEL, train, validation, recipe(1),
                TaskTrainer.VesselMethod.SINGLE, List.of(), List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("vessel networks read only their region (the dilated liver); pretraining on whole unlabelled "
                        + "slices is not offered for them");
    }

    @Test
    void aPlanNeedsEpochsCropsAndScans() {
        assertThatThrownBy(() -> new SelfSupervisedPretraining.Plan(0, 16, plan(1).scans(), "x"))
                .hasMessage("pretraining needs at least one epoch, got 0");
        assertThatThrownBy(() -> new SelfSupervisedPretraining.Plan(1, 0, plan(1).scans(), "x"))
                .hasMessage("pretraining needs at least one crop per scan, got 0");
        assertThatThrownBy(() -> new SelfSupervisedPretraining.Plan(1, 16, List.of(), "an empty archive"))
                .hasMessage("no unlabelled scans to pretrain on (an empty archive)");
    }
}
