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

        // a run that starts from the published version is not pretrained, and does not read the unlabelled scans
        List<String> transfer = new ArrayList<>();
        java.util.concurrent.atomic.AtomicInteger plansMade = new java.util.concurrent.atomic.AtomicInteger();
        TaskTrainer.Outcome transferred = new TaskTrainer(new ModelStore(dir.resolve("pretrained")), new QualityGate(1.0),
                p -> { }, transfer::add).pretrainingFrom(() -> {
                    plansMade.incrementAndGet();
                    return plan(8);
                }).train(TrainingTask.LUNG, train, validation, recipe(1).withTransfer(true, 0));
        assertThat(transfer).contains("lung: not pretrained: the run starts from a published version's weights")
                .noneMatch(l -> l.contains("pretraining epoch"));
        assertThat(transferred.metrics()).containsEntry("transfer", 1.0).doesNotContainKey("pretrain_epochs");
        assertThat(plansMade).as("the unlabelled scans are read only for a run from fresh weights").hasValue(0);
    }

    /** A pretrained lung run of 3 epochs with checkpoints under {@code checkpoints}, dying at the first progress line starting with {@code at}. */
    private TaskTrainer.Outcome checkpointed(Path checkpoints, List<String> lines, String at) throws Exception {
        return new TaskTrainer(new ModelStore(dir.resolve("cut")), new QualityGate(1.0), p -> { }, line -> {
            lines.add(line);
            if (at != null && line.startsWith(at)) {
                throw new IllegalStateException("the process dies at " + at);
            }
        }).checkpointsIn(checkpoints).pretrainingOn(plan(6)).train(TrainingTask.LUNG, train, validation, recipe(3));
    }

    @Test
    void aPretrainedRunCutShortNeitherPretrainsAgainNorRepeatsItsFinishedEpochs() throws Exception {
        Path checkpoints = dir.resolve("checkpoints");
        Path lung = checkpoints.resolve("lung");
        List<String> first = new ArrayList<>();
        assertThatThrownBy(() -> checkpointed(checkpoints, first, "lung pretraining epoch 4/6"))
                .hasMessage("the process dies at lung pretraining epoch 4/6");
        assertThat(lung.resolve(EpochCheckpoint.PRETRAINING_FILE)).exists();

        // cut during its pretraining: the pretraining goes on after its fourth epoch
        List<String> second = new ArrayList<>();
        assertThatThrownBy(() -> checkpointed(checkpoints, second, "lung epoch 2/3"))
                .hasMessage("the process dies at lung epoch 2/3");
        assertThat(second).contains("lung pretraining resumes after epoch 4 of 6 from its checkpoint")
                .noneMatch(l -> l.matches("lung pretraining epoch [1-4]/6 .*"))
                .anyMatch(l -> l.startsWith("lung pretraining epoch 6/6 "));
        for (int e = 1; e <= 4; e++) {
            int epoch = e;
            assertThat(first).anyMatch(l -> l.startsWith("lung pretraining epoch " + epoch + "/6 "));
        }
        assertThat(lung.resolve(EpochCheckpoint.FILE)).exists();

        // cut during its segmentation epochs: the finished pretraining is read back, and the segmentation
        // run (whose checkpoint the pretrained weights fingerprint) goes on after its second epoch
        List<String> third = new ArrayList<>();
        TaskTrainer.Outcome done = checkpointed(checkpoints, third, null);
        assertThat(third).contains("lung pretraining had finished its 6 epochs; their weights are read from its checkpoint")
                .anyMatch(l -> l.startsWith("lung resumes after epoch 2 of 3 from its checkpoint"))
                .noneMatch(l -> l.startsWith("lung pretraining epoch ") || l.startsWith("lung pretraining: restoring"))
                .noneMatch(l -> l.startsWith("lung epoch 1/3") || l.startsWith("lung epoch 2/3"))
                .anyMatch(l -> l.startsWith("lung epoch 3/3 "));
        var m = done.metrics();
        assertThat(m).containsEntry("pretrain_epochs", 6.0);
        String firstPretraining = first.stream().filter(l -> l.startsWith("lung pretraining epoch 1/6 ")).findFirst().orElseThrow();
        assertThat(firstPretraining).contains(String.format(java.util.Locale.ROOT, "restoration loss %.5f",
                m.get("pretrain_first_loss")));
        String lastPretraining = second.stream().filter(l -> l.startsWith("lung pretraining epoch 6/6 ")).findFirst().orElseThrow();
        assertThat(lastPretraining).contains(String.format(java.util.Locale.ROOT, "restoration loss %.5f",
                m.get("pretrain_final_loss")));
        assertThat(lung).as("both checkpoints removed once the run returned").doesNotExist();

        // another plan (other scans) does not read a checkpoint it did not write
        List<String> fourth = new ArrayList<>();
        assertThatThrownBy(() -> checkpointed(checkpoints, fourth, "lung pretraining epoch 2/6"))
                .hasMessage("the process dies at lung pretraining epoch 2/6");
        List<String> other = new ArrayList<>();
        new TaskTrainer(new ModelStore(dir.resolve("cut")), new QualityGate(1.0), p -> { }, other::add)
                .checkpointsIn(checkpoints).pretrainingOn(new SelfSupervisedPretraining.Plan(6, 16,
                        plan(1).scans().subList(0, 2), "two disks scans")).train(TrainingTask.LUNG, train, validation, recipe(1));
        assertThat(other).noneMatch(l -> l.contains("resumes") || l.contains("had finished"))
                .anyMatch(l -> l.startsWith("lung pretraining epoch 1/6 "));
    }

    @Test
    void aTruncatedPretrainingCheckpointIsIgnoredAndThePretrainingStartsFromItsFirstEpoch() throws Exception {
        Path checkpoints = dir.resolve("checkpoints");
        Path lung = checkpoints.resolve("lung");
        java.nio.file.Files.createDirectories(lung);
        java.nio.file.Files.write(lung.resolve(EpochCheckpoint.PRETRAINING_FILE), new byte[] {0, 0, 0, 1, 0x7f});
        List<String> lines = new ArrayList<>();
        TaskTrainer.Outcome done = new TaskTrainer(new ModelStore(dir.resolve("truncated")), new QualityGate(1.0), p -> { },
                lines::add).checkpointsIn(checkpoints).pretrainingOn(plan(2)).train(TrainingTask.LUNG, train, validation,
                recipe(1));
        assertThat(lines).noneMatch(l -> l.contains("resumes") || l.contains("had finished"))
                .anyMatch(l -> l.startsWith("lung pretraining epoch 1/2 ")).anyMatch(l -> l.startsWith("lung epoch 1/1 "));
        assertThat(done.metrics()).containsEntry("pretrain_epochs", 2.0);
        assertThat(lung).as("removed once the run returned").doesNotExist();
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
