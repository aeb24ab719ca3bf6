package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.Model;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.radstream.imaging.Window;
import org.radstream.models.Architectures;
import org.radstream.models.NetworkSpec;
import org.radstream.models.UNetVariant;

/**
 * SU-UNet's self-loop starts once both networks have learnt from the noisy labels, and each network
 * ends with the weights of its best self-updating epoch; with hard-sample mining the warm-up learns
 * from half of the slices and the hard ones of the other half join, with their flips, when it ends.
 */
class SumTrainingTest {

    @Test
    void theWarmUpIsHalfTheEpochsUnlessTheRecipeNamesItAndAlwaysLeavesAnUpdatingEpoch() {
        TrainingRecipe r = TrainingRecipe.defaults().withEpochs(12);

        assertThat(SumTraining.warmupEpochs(r)).isEqualTo(6);
        assertThat(SumTraining.warmupEpochs(r.withSumWarmupEpochs(9))).isEqualTo(9);
        assertThatThrownBy(() -> SumTraining.warmupEpochs(r.withSumWarmupEpochs(12)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("warm-up of 12 epochs leaves none of the 12 epochs");
        assertThatThrownBy(() -> r.withSumWarmupEpochs(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sumWarmupEpochs");
    }

    @Test
    void labelsSelfUpdateOnlyAfterTheWarmUpHalf() throws Exception {
        // without flips: the kept weights' Dice at 0.5 is then what the epoch scored
        TrainingRecipe r = small(4).withHardMining(false, 0.7).withMaxFlips(org.radstream.models.TestTimeFlips.NONE);
        SegmentationRun.Samples data = oneScan(r);
        List<boolean[]> noisy = SumTraining.noisyLabels(data);
        List<String> progress = new ArrayList<>();
        try (Model a = network(UNetVariant.SQUEEZE_EXCITATION); Model b = network(UNetVariant.RESIDUAL)) {
            SumTraining.Result result = SumTraining.run(a, b, Window.VESSEL, data, noisy,
                    List.of(TaskTrainerTest.disks("v", 32, 6)), r, progress::add);
            assertThat(SumTraining.warmupEpochs(4)).isEqualTo(2);
            assertThat(result.lossA()).hasSize(4);
            assertThat(result.softLabelChange()).hasSize(2); // epochs 3 and 4 only
            assertThat(progress.get(0)).contains("epoch 1/4").contains("warm-up on the noisy labels");
            assertThat(progress.get(1)).contains("epoch 2/4").contains("warm-up");
            assertThat(progress.get(2)).contains("epoch 3/4").contains("soft-label change");

            // kept: the best of the self-updating epochs 3 and 4, and what a fresh session predicts
            // with the kept weights is what that epoch scored
            assertThat(result.keptEpochA()).isEqualTo(bestOf(result.diceA(), 3));
            assertThat(result.keptEpochB()).isEqualTo(bestOf(result.diceB(), 3));
            assertThat(result.thresholdA().diceAtHalf()).isCloseTo(result.diceA().get(result.keptEpochA() - 1),
                    org.assertj.core.data.Offset.offset(1e-6));
            assertThat(result.thresholdB().diceAtHalf()).isCloseTo(result.diceB().get(result.keptEpochB() - 1),
                    org.assertj.core.data.Offset.offset(1e-6));
        }
    }

    @Test
    void hardSlicesOfTheScoredHalfJoinWithTheirFlipsWhenTheWarmUpEnds() throws Exception {
        // threshold 1: every scored slice the two young networks do not get exactly right is hard
        TrainingRecipe r = small(4).withHardMining(true, 1.0);
        SegmentationRun.Samples data = oneScan(r);
        assertThat(data.size()).isEqualTo(6);
        List<boolean[]> noisy = SumTraining.noisyLabels(data);
        assertThat(SumTraining.minesHardSlices(r, data.size())).isTrue();
        assertThat(SumTraining.minesHardSlices(r, 3)).isFalse();
        assertThat(SumTraining.minesHardSlices(r.withEpochs(1), data.size())).isFalse(); // no warm-up to score after
        List<String> progress = new ArrayList<>();
        try (Model a = network(UNetVariant.SQUEEZE_EXCITATION); Model b = network(UNetVariant.RESIDUAL)) {
            SumTraining.Result result = SumTraining.run(a, b, Window.VESSEL, data, noisy,
                    List.of(TaskTrainerTest.disks("v", 32, 6)), r, progress::add);
            assertThat(result.hardSlices()).isEqualTo(3);
            // warm-up: 3 slices, one batch an epoch; then 3 + 3 hard + 3 flips = 9 slices, three batches
            assertThat(result.steps()).isEqualTo(2 * 1 + 2 * 3);
            assertThat(progress.get(2)).contains("hard-sample mining: 3 of 3 scored slices");
            assertThat(progress.get(3)).contains("epoch 3/4").contains("soft-label change");
        }
    }

    @Test
    void aRunCutShortAfterItsHardSlicesJoinedGoesOnFromItsLastEpochWithThemAndItsSoftLabels(@org.junit.jupiter.api.io.TempDir
                                                                                            java.nio.file.Path dir) throws Exception {
        TrainingRecipe r = small(4).withHardMining(true, 1.0);
        SegmentationRun.Samples data = oneScan(r);
        List<boolean[]> noisy = SumTraining.noisyLabels(data);
        List<ScanData> validation = List.of(TaskTrainerTest.disks("v", 32, 6));
        java.nio.file.Path checkpoint = dir.resolve("vessel");
        List<String> first = new ArrayList<>();
        // the process dies once epoch 3 (the first self-updating one, after mining) has ended
        try (Model a = network(UNetVariant.SQUEEZE_EXCITATION); Model b = network(UNetVariant.RESIDUAL)) {
            assertThatThrownBy(() -> SumTraining.run(a, b, Window.VESSEL, data, noisy, validation, List.of(),
                    SumTraining.warmupEpochs(r), r, line -> {
                        first.add(line);
                        if (line.startsWith("vessel SUM epoch 3/4")) {
                            throw new IllegalStateException("the process dies");
                        }
                    }, checkpoint)).hasMessage("the process dies");
        }
        assertThat(checkpoint.resolve(SumCheckpoint.FILE)).exists();
        assertThat(first).anyMatch(l -> l.startsWith("vessel SUM hard-sample mining: 3 of 3"));

        List<String> again = new ArrayList<>();
        SumTraining.Result resumed;
        try (Model a = network(UNetVariant.SQUEEZE_EXCITATION); Model b = network(UNetVariant.RESIDUAL)) {
            resumed = SumTraining.run(a, b, Window.VESSEL, data, noisy, validation, List.of(), SumTraining.warmupEpochs(r),
                    r, again::add, checkpoint);
        }
        assertThat(again.get(0)).startsWith("vessel SUM resumes after epoch 3 of 4 from its checkpoint in " + checkpoint);
        assertThat(again).noneMatch(l -> l.startsWith("vessel SUM epoch 3/4") || l.contains("hard-sample mining"))
                .anyMatch(l -> l.startsWith("vessel SUM epoch 4/4"));
        // the epochs that ran before it died are its own, and the hard slices are in its pool again:
        // 2 warm-up epochs of one batch, then 3 + 3 hard + 3 flips = 9 slices, three batches, as uninterrupted
        assertThat(resumed.hardSlices()).isEqualTo(3);
        assertThat(resumed.steps()).isEqualTo(2 * 1 + 2 * 3);
        assertThat(resumed.lossA()).hasSize(4);
        assertThat(resumed.softLabelChange()).hasSize(2);
        String epoch3 = first.stream().filter(l -> l.startsWith("vessel SUM epoch 3/4")).findFirst().orElseThrow();
        assertThat(epoch3).contains(String.format(java.util.Locale.ROOT, "loss se-unet %.4f", resumed.lossA().get(2)))
                .contains(String.format(java.util.Locale.ROOT, "soft-label change %.5f", resumed.softLabelChange().get(0)));
        assertThat(resumed.keptEpochA()).isEqualTo(bestOf(resumed.diceA(), 3));
        assertThat(checkpoint).as("removed once the run returned").doesNotExist();
    }

    @Test
    void networksThatArriveTrainedSelfUpdateFromTheFirstEpochAndMineNothing() throws Exception {
        // mining on: with no warm-up there is nothing to score hard slices after
        TrainingRecipe r = small(2).withHardMining(true, 1.0).withMaxFlips(org.radstream.models.TestTimeFlips.NONE);
        // a cohort scan whose exact truth is known (here: its label), so the labels are scored against it
        ScanData d = TaskTrainerTest.disks("a", 32, 6);
        SegmentationRun.Samples data = SegmentationRun.samples(
                List.of(new ScanData(d.id(), d.hu(), d.label(), d.region(), d.label())), Window.VESSEL, r, true, true);
        assertThat(data.truths()).hasSize(data.size());
        List<boolean[]> noisy = SumTraining.noisyLabels(data);
        List<String> progress = new ArrayList<>();
        try (Model a = network(UNetVariant.SQUEEZE_EXCITATION); Model b = network(UNetVariant.RESIDUAL)) {
            List<ScanData> validation = List.of(TaskTrainerTest.disks("v", 32, 6));
            SumTraining.Result result = SumTraining.run(a, b, Window.VESSEL, data, noisy, validation, List.of(), 0, r,
                    progress::add, null);
            assertThat(result.softLabelChange()).hasSize(2);
            assertThat(result.hardSlices()).isZero();
            assertThat(result.steps()).isEqualTo(2 * 2); // all 6 slices, two batches an epoch
            assertThat(progress.get(0)).contains("epoch 1/2").contains("soft-label change");
            assertThat(result.keptEpochA()).isEqualTo(bestOf(result.diceA(), 1));
            assertThat(result.noisyLabelTruthDice()).containsExactly(1.0, 1.0);
            assertThat(result.softLabelTruthDice()).hasSize(2).allSatisfy(v -> assertThat(v).isBetween(0.0, 1.0));
            assertThat(progress.get(0)).contains("labels vs exact truth: noisy 1.0000, vote at 0.5 ").contains(", majority ");
            assertThat(result.majorityLabelTruthDice()).hasSize(2).allSatisfy(v -> assertThat(v).isBetween(0.0, 1.0));

            assertThatThrownBy(() -> SumTraining.run(a, b, Window.VESSEL, data, noisy, validation, List.of(), 2, r,
                    progress::add, null)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must lie in 0..1");
        }
    }

    @Test
    void labelsAreScoredAgainstTheExactTruthOverAllPixelsTogether() {
        // soft labels count at 0.5: 1, 0.6 (label only) and 0.8 are labelled, 0.4 (one network) and 0 are not
        List<float[]> soft = List.of(new float[] {1f, 0.6f, 0.4f}, new float[] {0.8f, 0f, 0f});
        List<float[]> truth = List.of(new float[] {1f, 0f, 1f}, new float[] {1f, 0f, 0f});
        assertThat(SumTraining.softLabelDice(soft, truth)).isCloseTo(2.0 * 2 / (3 + 3), org.assertj.core.data.Offset.offset(1e-12));
        List<boolean[]> noisy = List.of(new boolean[] {true, false, true}, new boolean[] {false, false, false});
        assertThat(SumTraining.maskDice(noisy, truth)).isCloseTo(2.0 * 2 / (2 + 3), org.assertj.core.data.Offset.offset(1e-12));
        assertThat(SumTraining.maskDice(List.of(new boolean[2]), List.of(new float[2]))).isEqualTo(1.0);
        // the majority (two of three: 1 and 0.8) drops the label-only 0.6
        assertThat(SumTraining.majorityDice(soft, truth)).isCloseTo(2.0 * 2 / (2 + 3), org.assertj.core.data.Offset.offset(1e-12));
    }

    /** SUM's small networks (3 levels, width 4) at 32², batch 4. */
    private static TrainingRecipe small(int epochs) {
        return TrainingRecipe.defaults().withInputSize(32).withNetwork(3, 4).withEpochs(epochs).withBatchSize(4);
    }

    private static SegmentationRun.Samples oneScan(TrainingRecipe r) {
        return SegmentationRun.samples(List.of(TaskTrainerTest.disks("a", 32, 6)), Window.VESSEL, r, true);
    }

    private static Model network(UNetVariant variant) {
        return Architectures.newModel(NetworkSpec.unet(variant, 3, 3, 4), Device.cpu());
    }

    private static int bestOf(List<Double> dice, int fromEpoch) {
        int best = fromEpoch;
        for (int e = fromEpoch + 1; e <= dice.size(); e++) {
            if (dice.get(e - 1) > dice.get(best - 1)) {
                best = e;
            }
        }
        return best;
    }
}
