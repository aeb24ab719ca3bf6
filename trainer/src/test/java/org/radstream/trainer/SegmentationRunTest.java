package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.Model;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.imaging.Window;
import org.radstream.models.Architectures;
import org.radstream.models.MaskCut;
import org.radstream.models.NetworkSpec;
import org.radstream.models.SegmentationTraining;
import org.radstream.models.TrainingSettings;
import org.radstream.models.UNetVariant;

/** The run ends on the weights of its best validation epoch, and reports that epoch's Dice. */
class SegmentationRunTest {

    private final List<ScanData> train = List.of(TaskTrainerTest.disks("a", 32, 6), TaskTrainerTest.disks("b", 32, 6));
    private final List<ScanData> validation = List.of(TaskTrainerTest.disks("c", 32, 6));

    /** A 3-level, width-4 U-Net at 32², batch 4, lr 0.01, no augmentation or mining. */
    private static TrainingRecipe smallRecipe(int epochs) {
        return TrainingRecipe.defaults().withInputSize(32).withNetwork(3, 4).withEpochs(epochs).withBatchSize(4)
                .withLearningRate(0.01f).withAugment(false).withHardMining(false, 0.7);
    }

    @Test
    void aLesionTaskInTheLungWindowChoosesItsThresholdsForTheDenseAndTheOtherPixelsLast() throws Exception {
        TrainingRecipe r = smallRecipe(2);
        List<String> progress = new ArrayList<>();
        try (Model model = Architectures.newModel(NetworkSpec.unet(UNetVariant.PLAIN, 3, 3, 4), Device.cpu())) {
            SegmentationRun.Result result = SegmentationRun.run(model, Window.LUNG, false, true, train, validation, r,
                    "lesions", progress::add);
            assertThat(result.dense()).isNotNull();
            assertThat(result.dense().diceSingle()).isEqualTo(result.minComponent().dice());
            assertThat(result.finalDice()).isEqualTo(result.dense().dice())
                    .isGreaterThanOrEqualTo(result.minComponent().dice() - DenseThreshold.DICE_TIE);
            if (result.cut().equals(MaskCut.single(result.threshold().threshold()))) {
                assertThat(progress).anyMatch(l -> l.startsWith("lesions one threshold for every pixel (validation Dice "));
            } else {
                assertThat(result.dense().volumeError())
                        .isLessThan(result.dense().volumeErrorSingle() - DenseThreshold.VOLUME_ERROR_GAIN);
                assertThat(progress).anyMatch(l -> l.startsWith(result.cut().splitsDensity()
                        ? "lesions pixels from -250 HU cut at " : "lesions one threshold "));
            }
        }
    }

    /** A checkpointed run of {@code r} on {@code scans} with a fresh network. */
    private SegmentationRun.Result checkpointed(TrainingRecipe r, List<ScanData> scans, String name,
                                                java.util.function.Consumer<String> progress, Path checkpoint) throws Exception {
        try (Model model = Architectures.newModel(NetworkSpec.unet(UNetVariant.PLAIN, 3, 3, 4), Device.cpu())) {
            return SegmentationRun.run(model, Window.LUNG, false, false, scans, validation, List.of(), r, name, progress,
                    checkpoint);
        }
    }

    /** The same run, dying (as the process would) at the first progress line that starts with {@code at}. */
    private void dying(TrainingRecipe r, String at, List<String> lines, Path checkpoint) {
        assertThatThrownBy(() -> checkpointed(r, train, "cut", line -> {
            lines.add(line);
            if (line.startsWith(at)) {
                throw new IllegalStateException("the process dies at " + at);
            }
        }, checkpoint)).hasMessage("the process dies at " + at);
    }

    @Test
    void aRunCutShortGoesOnFromItsLastFinishedEpochAndNotFromAnotherRunsCheckpoint(@TempDir Path dir) throws Exception {
        TrainingRecipe r = smallRecipe(4).withHardMining(true, 0.55);
        // uninterrupted: mining scores half of the slices with the weights after epoch 2 (none below 0.55;
        // with the initial weights every one)
        List<String> whole = new ArrayList<>();
        checkpointed(r, train, "cut", whole::add, dir.resolve("whole"));
        String minedWhole = whole.stream().filter(l -> l.startsWith("cut hard-sample mining: ")).findFirst().orElseThrow();

        Path checkpoint = dir.resolve("lung");
        List<String> first = new ArrayList<>();
        dying(r, "cut epoch 2/4", first, checkpoint);
        assertThat(checkpoint.resolve(EpochCheckpoint.FILE)).exists();
        assertThat(first).noneMatch(l -> l.startsWith("cut hard-sample mining"));

        List<String> again = new ArrayList<>();
        SegmentationRun.Result resumed = checkpointed(r, train, "cut", again::add, checkpoint);
        assertThat(again).anyMatch(l -> l.startsWith("cut resumes after epoch 2 of 4 from its checkpoint"));
        assertThat(again).noneMatch(l -> l.startsWith("cut epoch 1/4") || l.startsWith("cut epoch 2/4"));
        assertThat(again).anyMatch(l -> l.startsWith("cut epoch 4/4"));
        // the same epochs as the run that died, then training goes on from its weights: mining at the
        // start of epoch 3 scores the slices exactly as the uninterrupted run did
        assertThat(resumed.epochLosses()).hasSize(4);
        assertThat(resumed.validationDice()).hasSize(4);
        for (int e = 1; e <= 2; e++) {
            int epoch = e;
            String line = first.stream().filter(l -> l.startsWith("cut epoch " + epoch + "/4")).findFirst().orElseThrow();
            assertThat(line).contains(String.format(java.util.Locale.ROOT, "loss %.4f", resumed.epochLosses().get(e - 1)));
        }
        assertThat(again).contains(minedWhole);
        assertThat(checkpoint).as("removed once the run returned").doesNotExist();

        // a run that dies after its last epoch, while its reading is chosen, does not train again
        List<String> late = new ArrayList<>();
        dying(r, "cut mask threshold", late, checkpoint);
        List<String> reading = new ArrayList<>();
        SegmentationRun.Result read = checkpointed(r, train, "cut", reading::add, checkpoint);
        assertThat(reading).anyMatch(l -> l.startsWith("cut resumes after epoch 4 of 4"))
                .noneMatch(l -> l.startsWith("cut epoch ")).anyMatch(l -> l.startsWith("cut mask threshold"));
        String threshold = late.stream().filter(l -> l.startsWith("cut mask threshold")).findFirst().orElseThrow();
        assertThat(reading).contains(threshold);
        assertThat(read.epochLosses()).hasSize(4);

        // a checkpoint of another run (other training slices) is not used
        dying(r, "cut epoch 2/4", new ArrayList<>(), checkpoint);
        List<String> other = new ArrayList<>();
        checkpointed(r, List.of(train.get(0)), "other", other::add, checkpoint);
        assertThat(other).noneMatch(l -> l.contains("resumes")).anyMatch(l -> l.startsWith("other epoch 1/4"));
    }

    @Test
    void aTruncatedCheckpointIsIgnoredAndTheRunStartsFromItsFirstEpoch(@TempDir Path dir) throws Exception {
        TrainingRecipe r = smallRecipe(3);
        Path checkpoint = dir.resolve("lung");
        dying(r, "cut epoch 2/3", new ArrayList<>(), checkpoint);
        Path file = checkpoint.resolve(EpochCheckpoint.FILE);
        byte[] whole = java.nio.file.Files.readAllBytes(file);
        java.nio.file.Files.write(file, java.util.Arrays.copyOf(whole, whole.length / 2)); // a torn write
        List<String> lines = new ArrayList<>();
        SegmentationRun.Result result = checkpointed(r, train, "cut", lines::add, checkpoint);
        assertThat(lines).noneMatch(l -> l.contains("resumes")).anyMatch(l -> l.startsWith("cut epoch 1/3"));
        assertThat(result.epochLosses()).hasSize(3);
        assertThat(checkpoint).doesNotExist();
    }

    @Test
    void endsOnTheBestEpochsWeightsAndItsDice() throws Exception {
        TrainingRecipe r = smallRecipe(6);
        List<String> progress = new ArrayList<>();
        try (Model model = Architectures.newModel(NetworkSpec.unet(UNetVariant.PLAIN, 3, 3, 4), Device.cpu())) {
            SegmentationRun.Result result = SegmentationRun.run(model, Window.LUNG, false, train, validation, r, "disks", progress::add);

            double best = result.validationDice().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
            assertThat(result.keptEpoch()).isBetween(1, 6);
            assertThat(result.validationDice().get(result.keptEpoch() - 1)).isEqualTo(best);
            // at 0.5 the kept weights score the best epoch's Dice; the chosen mask threshold can only add
            assertThat(result.threshold().diceAtHalf()).isCloseTo(best, within(1e-9));
            assertThat(result.threshold().dice()).isGreaterThanOrEqualTo(best);
            assertThat(progress).anyMatch(l -> l.startsWith("disks mask threshold "));
            // an organ task (no components pruned) keeps one threshold, even in the lung window
            assertThat(result.dense()).isNull();
            assertThat(result.cut()).isEqualTo(MaskCut.single(result.threshold().threshold()));
            assertThat(result.finalDice()).isEqualTo(result.threshold().dice());
            // the model now scores what the run says it kept, not what the last epoch scored
            try (SegmentationTraining t = SegmentationTraining.start(model, 3, 32, 32, new TrainingSettings(1, 4, 0.01f, 1))) {
                double now = Evaluator.meanDice(SegmentationRun.liveModel(t, Window.LUNG, r, false), validation);
                assertThat(now).isCloseTo(best, within(1e-6));
            }
            if (result.keptEpoch() < 6) {
                assertThat(progress).anyMatch(l -> l.startsWith("disks keeps the weights of epoch " + result.keptEpoch()));
            }
        }
    }

    @Test
    void aDenseWeightMakesTheDenseTargetPixelsCostMoreAndTheRunStillLearns() throws Exception {
        // the disks are at -100 HU, denser than consolidation's -250: every target pixel is dense
        TrainingRecipe r = smallRecipe(4);
        SegmentationRun.Result plain;
        SegmentationRun.Result weighted;
        try (Model model = Architectures.newModel(NetworkSpec.unet(UNetVariant.PLAIN, 3, 3, 4), Device.cpu())) {
            plain = SegmentationRun.run(model, Window.LUNG, false, train, validation, r, "plain", l -> { });
        }
        try (Model model = Architectures.newModel(NetworkSpec.unet(UNetVariant.PLAIN, 3, 3, 4), Device.cpu())) {
            weighted = SegmentationRun.run(model, Window.LUNG, false, train, validation, r.withDenseWeight(8f), "dense",
                    l -> { });
        }
        // from the same start, 8 times the cross-entropy of every disk pixel costs more in the first epoch
        assertThat(weighted.firstLoss()).isGreaterThan(plain.firstLoss() + 0.05);
        assertThat(weighted.finalLoss()).isLessThan(0.7 * weighted.firstLoss());
        assertThat(weighted.finalDice()).isGreaterThan(0.8);
    }

    @Test
    void aDenseTermAddsTheMeanLossOfTheDenseTargetPixelsAndTheRunStillLearns() throws Exception {
        // every disk pixel is dense (-100 HU); the term adds twice their mean cross-entropy, about
        // ln 2 each at the start, where the all-pixel mean shares it with the background
        TrainingRecipe r = smallRecipe(4);
        SegmentationRun.Result plain;
        SegmentationRun.Result focused;
        try (Model model = Architectures.newModel(NetworkSpec.unet(UNetVariant.PLAIN, 3, 3, 4), Device.cpu())) {
            plain = SegmentationRun.run(model, Window.LUNG, false, train, validation, r, "plain", l -> { });
        }
        try (Model model = Architectures.newModel(NetworkSpec.unet(UNetVariant.PLAIN, 3, 3, 4), Device.cpu())) {
            focused = SegmentationRun.run(model, Window.LUNG, false, train, validation, r.withDenseTerm(2f), "term",
                    l -> { });
        }
        assertThat(focused.firstLoss()).isGreaterThan(plain.firstLoss() + 0.3);
        assertThat(focused.finalLoss()).isLessThan(0.7 * focused.firstLoss());
        assertThat(focused.finalDice()).isGreaterThan(0.8);
    }

    @Test
    void restoredWeightsAreWhatANewSessionPredictsNotTheTrainingSession() throws Exception {
        TrainingRecipe r = TrainingRecipe.defaults().withInputSize(32).withNetwork(3, 4);
        ScanData scan = TaskTrainerTest.disks("a", 32, 6);
        float[][] x = SegmentationRun.samples(List.of(scan), Window.LUNG, r, false).inputs().toArray(new float[0][]);
        float[][] y = SegmentationRun.samples(List.of(scan), Window.LUNG, r, false).targets().toArray(new float[0][]);
        TrainingSettings settings = new TrainingSettings(1, 4, 0.01f, 1);
        try (Model model = Architectures.newModel(NetworkSpec.unet(UNetVariant.PLAIN, 3, 3, 4), Device.cpu());
             SegmentationTraining training = SegmentationTraining.start(model, 3, 32, 32, settings)) {
            training.step(x, y);
            byte[] snapshot = SegmentationRun.snapshot(model);
            float[] kept = training.predict(x)[0];
            for (int i = 0; i < 5; i++) {
                training.step(x, y);
            }
            float[] moved = training.predict(x)[0];
            SegmentationRun.restore(model, snapshot);
            // DJL's trainer keeps the parameter arrays it started with: it still predicts the moved weights
            assertThat(training.predict(x)[0]).containsExactly(moved, org.assertj.core.data.Offset.offset(1e-6f));
            try (SegmentationTraining fresh = SegmentationTraining.start(model, 3, 32, 32, settings)) {
                assertThat(fresh.predict(x)[0]).containsExactly(kept, org.assertj.core.data.Offset.offset(1e-5f));
            }
        }
    }

    @Test
    void learningRateFallsAlongAHalfCosineToFivePercent() {
        assertThat(SegmentationRun.cosineScale(0, 10)).isEqualTo(1f);
        assertThat(SegmentationRun.cosineScale(9, 10)).isCloseTo(0.05f, within(1e-6f));
        assertThat(SegmentationRun.cosineScale(0, 1)).isEqualTo(1f);
        for (int e = 1; e < 10; e++) {
            assertThat(SegmentationRun.cosineScale(e, 10)).isLessThan(SegmentationRun.cosineScale(e - 1, 10));
        }
    }
}
