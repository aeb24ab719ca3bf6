package org.radstream.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import org.junit.jupiter.api.Test;

class SegmentationTrainingTest {

    private static final int SIZE = 32;

    @Test
    void uNetLearnsDisksInNoise() {
        SyntheticDisks train = new SyntheticDisks(64, SIZE, 1);
        SyntheticDisks test = new SyntheticDisks(16, SIZE, 2);
        TrainingSettings settings = new TrainingSettings(8, 8, 3e-3f, 7);
        try (Model model = Architectures.newModel(NetworkSpec.unet2d(3, 8), Device.cpu());
                SegmentationTraining training =
                        SegmentationTraining.start(model, 1, SIZE, SIZE, settings)) {
            double diceBefore = SegmentationMetrics.meanDice(
                    Probabilities.threshold(training.predict(test.images), 0.5f), test.truth());

            TrainingResult result = training.fit(train.images, train.masks);

            double diceAfter = SegmentationMetrics.meanDice(
                    Probabilities.threshold(training.predict(test.images), 0.5f), test.truth());
            System.out.printf("disks: loss %s, %d steps, %.1f ms/step, Dice %.3f -> %.3f%n",
                    result.epochLosses(), result.steps(), result.millisPerStep(), diceBefore,
                    diceAfter);
            assertThat(result.steps()).isEqualTo(8 * 8);
            assertThat(result.samples()).isEqualTo(8 * 64);
            assertThat(result.epochLosses()).hasSize(8);
            assertThat(result.finalLoss()).isLessThan(0.5 * result.firstLoss());
            assertThat(diceAfter).isGreaterThan(0.85).isGreaterThan(diceBefore);
        }
    }

    @Test
    void softTargetsAreAccepted() {
        SyntheticDisks data = new SyntheticDisks(4, SIZE, 3);
        float[][] soft = new float[4][];
        for (int i = 0; i < 4; i++) {
            soft[i] = data.masks[i].clone();
            for (int p = 0; p < soft[i].length; p++) {
                soft[i][p] *= 0.8f;
            }
        }
        try (Model model = Architectures.newModel(NetworkSpec.unet2d(2, 4), Device.cpu());
                SegmentationTraining training = SegmentationTraining.start(
                        model, 1, SIZE, SIZE, TrainingSettings.defaults())) {
            float loss = training.step(data.images, soft);
            assertThat(loss).isPositive().isFinite();
        }
    }

    @Test
    void aBatchWithANonFiniteLossMakesNoUpdateAndTrainingGoesOn() {
        SyntheticDisks clean = new SyntheticDisks(4, SIZE, 5);
        SyntheticDisks poisoned = new SyntheticDisks(4, SIZE, 5);
        poisoned.images[2][17] = Float.NaN;
        try (Model model = Architectures.newModel(NetworkSpec.unet2d(2, 4), Device.cpu());
                SegmentationTraining training = SegmentationTraining.start(
                        model, 1, SIZE, SIZE, TrainingSettings.defaults())) {
            UNet net = (UNet) model.getBlock();
            float[] weightsBefore = firstWeight(net.encoderParameters(0).valueAt(0));
            float[] statisticsBefore = runningStatistics(model);
            assertThat(statisticsBefore).isNotEmpty();

            assertThat(training.step(poisoned.images, poisoned.masks)).isNaN();

            assertThat(training.skippedSteps()).isEqualTo(1);
            assertThat(firstWeight(net.encoderParameters(0).valueAt(0))).containsExactly(weightsBefore);
            // the forward pass had moved the batch-norm statistics to NaN; they are put back
            assertThat(runningStatistics(model)).containsExactly(statisticsBefore);

            // the NaN gradients the skipped batch left behind are not added into this step's
            float next = training.step(clean.images, clean.masks);
            assertThat(next).isFinite().isPositive();
            float[] weightsAfter = firstWeight(net.encoderParameters(0).valueAt(0));
            assertThat(weightsAfter).isNotEqualTo(weightsBefore);
            for (float w : weightsAfter) {
                assertThat(w).isFinite();
            }
            for (float[] map : training.predict(clean.images)) {
                for (float p : map) {
                    assertThat(p).isBetween(0f, 1f);
                }
            }
            assertThat(training.step(clean.images, clean.masks)).isFinite();
            assertThat(training.skippedSteps()).isEqualTo(1);
        }
    }

    @Test
    void threeNonFiniteBatchesInARowStopTrainingAndACleanOneInBetweenDoesNot() {
        SyntheticDisks clean = new SyntheticDisks(4, SIZE, 5);
        SyntheticDisks poisoned = new SyntheticDisks(4, SIZE, 5);
        poisoned.images[0][3] = Float.POSITIVE_INFINITY;
        try (Model model = Architectures.newModel(NetworkSpec.unet2d(2, 4), Device.cpu());
                SegmentationTraining training = SegmentationTraining.start(
                        model, 1, SIZE, SIZE, TrainingSettings.defaults())) {
            assertThat(training.step(poisoned.images, poisoned.masks)).isNaN();
            assertThat(training.step(poisoned.images, poisoned.masks)).isNaN();
            assertThat(training.step(clean.images, clean.masks)).isFinite();
            assertThat(training.step(poisoned.images, poisoned.masks)).isNaN();
            assertThat(training.step(poisoned.images, poisoned.masks)).isNaN();
            UNet net = (UNet) model.getBlock();
            float[] before = firstWeight(net.encoderParameters(0).valueAt(0));

            assertThatThrownBy(() -> training.step(poisoned.images, poisoned.masks))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("training loss is NaN in 3 batches in a row")
                    .hasMessageContaining("5 skipped in all")
                    .hasMessageContaining("DNNL_MAX_CPU_ISA=AVX");
            assertThat(firstWeight(net.encoderParameters(0).valueAt(0))).containsExactly(before);
            assertThat(training.skippedSteps()).isEqualTo(5);
        }
    }

    @Test
    void anEpochLossAveragesTheBatchesThatUpdatedAndCountsTheRest() {
        EpochLoss loss = new EpochLoss();
        assertThat(loss.mean()).isNaN();
        assertThat(loss.describeSkipped()).isEmpty();
        loss.add(1.0f, 3);
        loss.add(Float.NaN, 4);
        loss.add(0.5f, 1);
        assertThat(loss.mean()).isCloseTo(3.5 / 4, within(1e-9));
        assertThat(loss.skipped()).isEqualTo(1);
        assertThat(loss.describeSkipped()).isEqualTo(", 1 batch skipped (non-finite loss)");
        loss.add(Float.NEGATIVE_INFINITY, 4);
        assertThat(loss.describeSkipped()).isEqualTo(", 2 batches skipped (non-finite loss)");
    }

    private static float[] runningStatistics(Model model) {
        java.util.List<Float> all = new java.util.ArrayList<>();
        for (var p : model.getBlock().getParameters()) {
            Parameter.Type type = p.getValue().getType();
            if (type == Parameter.Type.RUNNING_MEAN || type == Parameter.Type.RUNNING_VAR) {
                for (float v : p.getValue().getArray().toFloatArray()) {
                    all.add(v);
                }
            }
        }
        float[] out = new float[all.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = all.get(i);
        }
        return out;
    }

    @Test
    void frozenEncoderStageKeepsItsWeightsWhileTheRestLearns() {
        SyntheticDisks data = new SyntheticDisks(8, SIZE, 4);
        try (Model model = Architectures.newModel(NetworkSpec.unet2d(3, 4), Device.cpu());
                SegmentationTraining training = SegmentationTraining.start(
                        model, 1, SIZE, SIZE, TrainingSettings.defaults())) {
            UNet net = (UNet) model.getBlock();
            net.freezeEncoder(1, true);
            float[] frozenBefore = firstWeight(net.encoderParameters(0).valueAt(0));
            float[] trainableBefore = firstWeight(net.encoderParameters(1).valueAt(0));

            training.step(data.images, data.masks);
            training.step(data.images, data.masks);

            assertThat(firstWeight(net.encoderParameters(0).valueAt(0))).containsExactly(frozenBefore);
            assertThat(firstWeight(net.encoderParameters(1).valueAt(0)))
                    .isNotEqualTo(trainableBefore);
        }
    }

    private static float[] firstWeight(Parameter parameter) {
        assertThat(parameter.getType()).isEqualTo(Parameter.Type.WEIGHT);
        return parameter.getArray().toFloatArray();
    }

    @Test
    void lossIsSmallForAPerfectPredictionAndLargeForTheInverse() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray target = manager.create(new float[] {1, 1, 0, 0}).reshape(1, 1, 2, 2);
            NDArray good = manager.create(new float[] {9, 9, -9, -9}).reshape(1, 1, 2, 2);
            NDArray bad = good.neg();
            DiceBceLoss loss = new DiceBceLoss();
            float perfect = loss.evaluate(new NDList(target), new NDList(good)).getFloat();
            float inverse = loss.evaluate(new NDList(target), new NDList(bad)).getFloat();
            assertThat(perfect).isLessThan(0.01f);
            // BCE ≈ 9 per pixel, Dice loss ≈ 1 - 1/5
            assertThat(inverse).isBetween(9.5f, 9.9f);
        }
    }

    private static float loss(DiceBceLoss loss, float[] target, float[] logits) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Shape shape = new Shape(1, 1, 1, target.length);
            return loss.evaluate(new NDList(manager.create(target, shape)), new NDList(manager.create(logits, shape)))
                    .getFloat();
        }
    }

    @Test
    void theFocalTermWeighsThePixelsTheNetworkGetsWrongOverThoseItGetsRight() {
        float[] one = {1f};
        // gamma 0 is the paper's cross-entropy, unchanged
        assertThat(loss(new DiceBceLoss(1f, 1f, 0f), one, new float[] {0f}))
                .isEqualTo(loss(new DiceBceLoss(), one, new float[] {0f}));
        // at p = 0.5 against 1: Dice loss 1 - 2/2.5 = 0.2; cross-entropy ln 2, focal (1 - 0.5)² ln 2
        assertThat(loss(new DiceBceLoss(), one, new float[] {0f})).isCloseTo(0.2f + 0.6931f, within(1e-4f));
        assertThat(loss(new DiceBceLoss(1f, 1f, 2f), one, new float[] {0f})).isCloseTo(0.2f + 0.1733f, within(1e-4f));
        // a pixel read wrong (logit -3 for 1) against one read right (+3): focal weighs the wrong one
        // far more, relative to the right one, than cross-entropy does
        DiceBceLoss ce = new DiceBceLoss(0f, 1f, 0f);
        DiceBceLoss focal = new DiceBceLoss(0f, 1f, 2f);
        float ceRatio = loss(ce, one, new float[] {-3f}) / loss(ce, one, new float[] {3f});
        float focalRatio = loss(focal, one, new float[] {-3f}) / loss(focal, one, new float[] {3f});
        assertThat(focalRatio).isGreaterThan(100 * ceRatio);
    }

    @Test
    void aFocusingParameterOutsideZeroToFiveIsRefused() {
        assertThatThrownBy(() -> new DiceBceLoss(1f, 1f, -1f)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("focal gamma");
        assertThatThrownBy(() -> new DiceBceLoss(1f, 1f, 6f)).isInstanceOf(IllegalArgumentException.class);
    }

    private static float weightedLoss(DiceBceLoss loss, float[] target, float[] weight, float[] logits) {
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] label = new float[2 * target.length];
            System.arraycopy(target, 0, label, 0, target.length);
            System.arraycopy(weight, 0, label, target.length, weight.length);
            return loss.evaluate(new NDList(manager.create(label, new Shape(1, 2, 1, target.length))),
                    new NDList(manager.create(logits, new Shape(1, 1, 1, logits.length)))).getFloat();
        }
    }

    @Test
    void aWeightChannelScalesEachPixelsCrossEntropyAndLeavesDiceAlone() {
        float[] target = {1f, 0f, 1f, 0f};
        float[] logits = {0f, 0f, -2f, 1f};
        float[] ones = {1f, 1f, 1f, 1f};
        for (float gamma : new float[] {0f, 2f}) {
            DiceBceLoss loss = new DiceBceLoss(1f, 1f, gamma);
            assertThat(weightedLoss(loss, target, ones, logits)).isCloseTo(loss(loss, target, logits), within(1e-6f));
        }
        // cross-entropy alone: pixel 0 is ln 2 for target 1 at logit 0; weighing it 3 adds 2 ln 2 / 4 pixels
        DiceBceLoss ce = new DiceBceLoss(0f, 1f, 0f);
        assertThat(weightedLoss(ce, target, new float[] {3f, 1f, 1f, 1f}, logits) - loss(ce, target, logits))
                .isCloseTo(2f * 0.6931f / 4f, within(1e-4f));
        // Dice reads the target only
        DiceBceLoss dice = new DiceBceLoss(1f, 0f, 0f);
        assertThat(weightedLoss(dice, target, new float[] {5f, 5f, 5f, 5f}, logits))
                .isCloseTo(loss(dice, target, logits), within(1e-6f));
    }

    @Test
    void aWeightedStepLearnsAndRefusesWeightMapsThatDoNotMatchItsTargets() {
        SyntheticDisks train = new SyntheticDisks(16, SIZE, 3);
        float[][] weights = new float[train.images.length][];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = new float[SIZE * SIZE];
            for (int k = 0; k < weights[i].length; k++) {
                weights[i][k] = train.masks[i][k] >= 0.5f ? 4f : 1f;
            }
        }
        TrainingSettings settings = new TrainingSettings(1, 16, 3e-3f, 7);
        try (Model model = Architectures.newModel(NetworkSpec.unet2d(3, 8), Device.cpu());
                SegmentationTraining training = SegmentationTraining.start(model, 1, SIZE, SIZE, settings)) {
            float first = training.step(train.images, train.masks, weights);
            float last = first;
            for (int i = 0; i < 30; i++) {
                last = training.step(train.images, train.masks, weights);
            }
            assertThat(first).isFinite();
            assertThat(last).isLessThan(0.7f * first);
            assertThatThrownBy(() -> training.step(train.images, train.masks, new float[1][SIZE * SIZE]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("weight maps");
            float[][] small = new float[weights.length][4];
            assertThatThrownBy(() -> training.step(train.images, train.masks, small))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must have " + SIZE * SIZE);
        }
    }

    private static float focusedLoss(DiceBceLoss loss, float[] target, float[] focus, float[] logits) {
        try (NDManager manager = NDManager.newBaseManager()) {
            int n = target.length;
            float[] label = new float[3 * n];
            System.arraycopy(target, 0, label, 0, n);
            java.util.Arrays.fill(label, n, 2 * n, 1f);
            System.arraycopy(focus, 0, label, 2 * n, n);
            return loss.evaluate(new NDList(manager.create(label, new Shape(1, 3, 1, n))),
                    new NDList(manager.create(logits, new Shape(1, 1, 1, n)))).getFloat();
        }
    }

    @Test
    void theFocusTermAddsTheMeanPixelLossOverTheFocusPixelsHoweverFewTheyAre() {
        float[] target = {1f, 0f, 1f, 0f};
        float[] logits = {0f, 0f, -2f, 1f};
        DiceBceLoss plain = new DiceBceLoss(1f, 1f, 0f);
        DiceBceLoss focused = new DiceBceLoss(1f, 1f, 0f, 2f);
        // weights of 1 and no focus pixel: exactly the plain loss
        assertThat(focusedLoss(focused, target, new float[4], logits)).isCloseTo(loss(plain, target, logits), within(1e-6f));
        // focus on pixels 0 (ln 2) and 2 (softplus 2 = 2.1269): 2 × their mean
        assertThat(focusedLoss(focused, target, new float[] {1f, 0f, 1f, 0f}, logits) - loss(plain, target, logits))
                .isCloseTo(2f * (0.6931f + 2.1269f) / 2f, within(1e-4f));
        // sixty more background pixels read right shrink the all-pixel cross-entropy, not the focus term
        float[] bigTarget = new float[64];
        float[] bigLogits = new float[64];
        float[] bigFocus = new float[64];
        java.util.Arrays.fill(bigLogits, -30f);
        System.arraycopy(target, 0, bigTarget, 0, 4);
        System.arraycopy(logits, 0, bigLogits, 0, 4);
        bigFocus[0] = 1f;
        bigFocus[2] = 1f;
        DiceBceLoss ceOnly = new DiceBceLoss(0f, 1f, 0f, 2f);
        DiceBceLoss ceOnlyPlain = new DiceBceLoss(0f, 1f, 0f);
        assertThat(focusedLoss(ceOnly, bigTarget, bigFocus, bigLogits) - loss(ceOnlyPlain, bigTarget, bigLogits))
                .isCloseTo(2f * (0.6931f + 2.1269f) / 2f, within(1e-4f));
        assertThat(loss(ceOnlyPlain, bigTarget, bigLogits)).isLessThan(loss(ceOnlyPlain, target, logits) / 10f);
    }

    @Test
    void aFocusTermRefusesLabelsWithoutAFocusChannelAndValuesOutsideItsRange() {
        DiceBceLoss focused = new DiceBceLoss(1f, 1f, 2f, 1f);
        assertThatThrownBy(() -> loss(focused, new float[] {1f, 0f}, new float[] {0f, 0f}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("focus channel");
        assertThatThrownBy(() -> weightedLoss(focused, new float[] {1f, 0f}, new float[] {1f, 1f}, new float[] {0f, 0f}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("focus channel");
        assertThatThrownBy(() -> new DiceBceLoss(1f, 1f, 2f, -0.5f)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("focus term must lie in [0, 10.0]");
        assertThatThrownBy(() -> new DiceBceLoss(1f, 1f, 2f, 11f)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aStepWithAFocusRegionLearnsAndRefusesFocusMapsThatDoNotMatchItsTargets() {
        SyntheticDisks train = new SyntheticDisks(16, SIZE, 3);
        float[][] ones = new float[train.images.length][SIZE * SIZE];
        float[][] focus = new float[train.images.length][];
        for (int i = 0; i < focus.length; i++) {
            java.util.Arrays.fill(ones[i], 1f);
            focus[i] = new float[SIZE * SIZE];
            for (int k = 0; k < focus[i].length; k++) {
                focus[i][k] = train.masks[i][k] >= 0.5f ? 1f : 0f;
            }
        }
        TrainingSettings settings = new TrainingSettings(1, 16, 3e-3f, 7);
        try (Model model = Architectures.newModel(NetworkSpec.unet2d(3, 8), Device.cpu());
                SegmentationTraining training = SegmentationTraining.start(model, 1, SIZE, SIZE, settings,
                        new DiceBceLoss(1f, 1f, 0f, 1f))) {
            float first = training.step(train.images, train.masks, ones, focus);
            float last = first;
            for (int i = 0; i < 30; i++) {
                last = training.step(train.images, train.masks, ones, focus);
            }
            assertThat(first).isFinite();
            assertThat(last).isLessThan(0.7f * first);
            assertThatThrownBy(() -> training.step(train.images, train.masks, ones, new float[1][SIZE * SIZE]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("focus maps");
            assertThatThrownBy(() -> training.step(train.images, train.masks, ones, new float[ones.length][4]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("focus maps must have");
        }
    }
}
