package org.radstream.trainer;

import java.util.function.Consumer;
import org.radstream.models.DiceBceLoss;
import org.radstream.models.ModelMetadata;
import org.radstream.models.NetworkSpec;
import org.radstream.models.TestTimeFlips;
import org.radstream.models.UNetVariant;

/**
 * How one training run is done: network size, input size, schedule and strategies.
 *
 * @param inputSize         slices are resampled to inputSize² (a multiple of 2^(levels-1))
 * @param sliceChannels     slices in: 3 = 2.5D U-Net (previous, current, next slice), 5 or 7 = 2.5D with two or
 *                          three slices either side, 1 = 2D
 * @param levels            U-Net resolutions including the bottleneck
 * @param baseWidth         channels of the first U-Net stage
 * @param epochs            passes over the (augmented) training slices; 0 with {@code transfer}: the published
 *                          weights as they are, read anew (flips, threshold, minimum) and gated
 * @param batchSize         slices per optimiser step
 * @param learningRate      Adam's learning rate
 * @param seed              seed of splits, augmentation, shuffling and initial weights
 * @param augment           SU-UNet augmentation: random scale (±25 px margins at 256²), rotation ±10°, flips
 * @param hardMining        data-balancing hard-sample mining (train on half, add the hard slices with flips)
 * @param hardDiceThreshold slices scoring below this Dice are hard
 * @param transfer          start from the task's current published version instead of random weights
 * @param freezeStages      with transfer, encoder stages kept frozen (0 = none)
 * @param sliceStride       use every n-th slice of a series for training (1 = all)
 * @param classifierPatch   side of the classifier's patches
 * @param classifierEpochs  epochs of the ResNet-18 candidate classifier
 * @param device            cpu, gpu or gpu:N
 * @param variant           how the single U-Nets (lung, infection, liver, single vessel network) are built: plain
 *                          ({@code unet}), group norm ({@code unet-gn}), SE or residual stages; the SUM pair is
 *                          always one SE-UNet and one Res-UNet
 * @param maxFlips          the most test-time flips the run may choose on its validation scans ({@link TestTimeFlipChoice})
 * @param sumFocalGamma     the focusing parameter of SUM's focal loss: 2 in the paper; 0 turns it into plain
 *                          cross-entropy, the single networks' loss
 * @param sumWarmupEpochs   SUM's epochs on the noisy labels before the first soft-label update; 0 = half of
 *                          {@code epochs} (the paper trains both networks until they converge first)
 * @param sumTargets        what SUM's networks learn once the labels self-update: the paper's soft vote, or
 *                          the vote's majority as a hard mask
 * @param focalGamma        the single U-Nets' cross-entropy term as a focal loss with this focusing parameter; 0
 *                          (the COVID-19 paper's loss): plain cross-entropy
 * @param denseWeight       lung-window U-Nets (lung, infection): the cross-entropy weight of target pixels denser
 *                          than {@link DenseWeights#DENSE_HU} in the slice the network reads, every other pixel
 *                          weighing 1; 1 (the paper's loss) weighs all pixels alike. Consolidation is what the
 *                          networks miss most (ACCURACY.md), and it is the pixels a lung-window network sees as
 *                          chest wall
 * @param denseTerm         lung-window U-Nets: λ of a loss term added to Dice + cross-entropy (or focal), λ × the mean
 *                          pixel loss over the dense target pixels alone (the same pixels {@code denseWeight} weighs),
 *                          normalised by their own count, so that a few hundred of them weigh as much as a whole
 *                          slice; 0 (the paper's loss): no such term. In [0, {@value DiceBceLoss#MAX_FOCUS_TERM}]
 * @param denseBand         with {@code denseTerm}: 0, the term reads the dense target pixels alone (which pushes the
 *                          network to call every dense pixel infection); n > 0, it reads every dense pixel within n
 *                          input pixels of the target, target or not, so that the chest wall and vessels beside a
 *                          lesion count as much as the consolidation in it. In [0, {@value #MAX_DENSE_BAND}]
 * @param sumPublish        which of SUM's two networks the run publishes: the better on the scans that choose (the
 *                          default), or the SE-UNet (the paper's) or the Res-UNet whatever their scores
 */
public record TrainingRecipe(int inputSize, int sliceChannels, int levels, int baseWidth, int epochs, int batchSize,
                             float learningRate, long seed, boolean augment, boolean hardMining,
                             double hardDiceThreshold, boolean transfer, int freezeStages, int sliceStride,
                             int classifierPatch, int classifierEpochs, String device, UNetVariant variant,
                             TestTimeFlips maxFlips, float sumFocalGamma, int sumWarmupEpochs,
                             SumTargets sumTargets, float focalGamma, float denseWeight,
                             float denseTerm, int denseBand, SumNetwork sumPublish) {

    /** Whether {@code v} is a focusing parameter a recipe accepts: [0, 5]. */
    public static boolean isFocalGamma(double v) {
        return v >= 0 && v <= 5;
    }

    /** Whether {@code v} is a dense weight a recipe accepts: [1, 20]. */
    public static boolean isDenseWeight(double v) {
        return v >= 1 && v <= 20;
    }

    /** Whether {@code v} is a dense term a recipe accepts: [0, {@value DiceBceLoss#MAX_FOCUS_TERM}]. */
    public static boolean isDenseTerm(double v) {
        return DiceBceLoss.isFocusTerm(v);
    }

    /** The widest {@link #denseBand}, in input pixels. */
    public static final int MAX_DENSE_BAND = 32;
    /** Most slices a 2.5D network reads (three either side of the one it segments). */
    public static final int MAX_SLICES = 7;

    /** Whether {@code v} is a dense band a recipe accepts: [0, {@value #MAX_DENSE_BAND}] pixels. */
    public static boolean isDenseBand(double v) {
        return v >= 0 && v <= MAX_DENSE_BAND && v == Math.rint(v);
    }

    /** The metric a trained model records its {@link #focalGamma} under. */
    public static final String FOCAL_GAMMA_METRIC = "focal_gamma";
    /** The metric a trained model records its {@link #denseWeight} under. */
    public static final String DENSE_WEIGHT_METRIC = "dense_weight";
    /** The metric a trained model records its {@link #denseTerm} under. */
    public static final String DENSE_TERM_METRIC = "dense_term";
    /** The metric a trained model records its {@link #denseBand} under. */
    public static final String DENSE_BAND_METRIC = "dense_band";

    /** The deepest U-Net a recipe trains (levels), and so the most encoder stages it can freeze. */
    public static final int MAX_LEVELS = 6;

    public TrainingRecipe {
        if (levels < 2 || levels > MAX_LEVELS) {
            throw new IllegalArgumentException("levels must be 2.." + MAX_LEVELS + ", got " + levels);
        }
        if (inputSize < 8 || inputSize % (1 << (levels - 1)) != 0) {
            throw new IllegalArgumentException("inputSize " + inputSize + " must be a multiple of " + (1 << (levels - 1)));
        }
        if (sliceChannels < 1 || sliceChannels > MAX_SLICES || sliceChannels % 2 == 0) {
            throw new IllegalArgumentException("sliceChannels must be 1 (2D) or 3, 5 or 7 (2.5D), got " + sliceChannels);
        }
        if (baseWidth < 1 || epochs < 0 || batchSize < 1 || sliceStride < 1 || classifierPatch < 8
                || classifierEpochs < 1) {
            throw new IllegalArgumentException("baseWidth, batchSize, sliceStride, classifierEpochs must be "
                    + "positive, epochs 0 or more and classifierPatch >= 8");
        }
        if (epochs == 0 && !transfer) {
            throw new IllegalArgumentException("0 epochs re-read the published weights: they need transfer");
        }
        if (!(learningRate > 0 && learningRate < 1)) {
            throw new IllegalArgumentException("learningRate must lie in (0, 1), got " + learningRate);
        }
        // checked against the deepest U-Net, not this recipe's levels: a service's configured recipe is
        // reshaped like each task's champion, whose levels differ (TaskTrainer checks the champion's own)
        if (freezeStages < 0 || freezeStages > MAX_LEVELS) {
            throw new IllegalArgumentException("freezeStages must be 0.." + MAX_LEVELS + ", got " + freezeStages);
        }
        if (!(hardDiceThreshold > 0 && hardDiceThreshold <= 1)) {
            throw new IllegalArgumentException("hardDiceThreshold must lie in (0, 1], got " + hardDiceThreshold);
        }
        java.util.Objects.requireNonNull(variant, "variant");
        java.util.Objects.requireNonNull(maxFlips, "maxFlips");
        java.util.Objects.requireNonNull(sumTargets, "sumTargets");
        java.util.Objects.requireNonNull(sumPublish, "sumPublish");
        if (!(sumFocalGamma >= 0 && sumFocalGamma <= 5)) {
            throw new IllegalArgumentException("sumFocalGamma must lie in [0, 5], got " + sumFocalGamma);
        }
        if (!isFocalGamma(focalGamma)) {
            throw new IllegalArgumentException("focalGamma must lie in [0, 5], got " + focalGamma);
        }
        if (!isDenseWeight(denseWeight)) {
            throw new IllegalArgumentException("denseWeight must lie in [1, 20], got " + denseWeight);
        }
        if (!isDenseTerm(denseTerm)) {
            throw new IllegalArgumentException("denseTerm must lie in [0, " + DiceBceLoss.MAX_FOCUS_TERM + "], got "
                    + denseTerm);
        }
        if (!isDenseBand(denseBand)) {
            throw new IllegalArgumentException("denseBand must lie in [0, " + MAX_DENSE_BAND + "] pixels, got " + denseBand);
        }
        if (sumWarmupEpochs < 0) {
            throw new IllegalArgumentException("sumWarmupEpochs must be 0 (half of the epochs) or more, got "
                    + sumWarmupEpochs);
        }
    }

    /**
     * 2.5D U-Net, 4 levels, width 8, 128² inputs, 6 epochs, batch 8, lr 2e-3, augmentation on, hard
     * mining on, any test-time flips the validation scans pay for.
     */
    /** Epochs of the default recipe. */
    public static final int DEFAULT_EPOCHS = 6;
    /** Learning rate of the default recipe (fresh weights). */
    public static final float DEFAULT_LEARNING_RATE = 2e-3f;
    /**
     * Learning rate for fine-tuning a published version: a tenth of the default, as the shipped
     * fine-tuned infection models (5e-4) and the labelling-order runs (2e-4) were made (ACCURACY.md).
     */
    public static final float FINE_TUNING_LEARNING_RATE = 2e-4f;

    public static TrainingRecipe defaults() {
        return new TrainingRecipe(128, 3, 4, 8, DEFAULT_EPOCHS, 8, DEFAULT_LEARNING_RATE, 42L, true, true, 0.7, false, 0, 1, 32, 6, "cpu", UNetVariant.PLAIN,
                TestTimeFlips.BOTH, SumLoss.PAPER_GAMMA, 0, SumTargets.SOFT, 0f, 1f, 0f, 0, SumNetwork.BETTER);
    }

    public TrainingRecipe withInputSize(int v) {
        return edit(e -> e.inputSize = v);
    }

    public TrainingRecipe withSliceChannels(int v) {
        return edit(e -> e.sliceChannels = v);
    }

    public TrainingRecipe withNetwork(int newLevels, int newBaseWidth) {
        return edit(e -> {
            e.levels = newLevels;
            e.baseWidth = newBaseWidth;
        });
    }

    public TrainingRecipe withEpochs(int v) {
        return edit(e -> e.epochs = v);
    }

    public TrainingRecipe withBatchSize(int v) {
        return edit(e -> e.batchSize = v);
    }

    public TrainingRecipe withLearningRate(float v) {
        return edit(e -> e.learningRate = v);
    }

    public TrainingRecipe withSeed(long v) {
        return edit(e -> e.seed = v);
    }

    public TrainingRecipe withAugment(boolean v) {
        return edit(e -> e.augment = v);
    }

    public TrainingRecipe withHardMining(boolean v, double threshold) {
        return edit(e -> {
            e.hardMining = v;
            e.hardDiceThreshold = threshold;
        });
    }

    public TrainingRecipe withTransfer(boolean v, int frozenStages) {
        return edit(e -> {
            e.transfer = v;
            e.freezeStages = frozenStages;
        });
    }

    public TrainingRecipe withSliceStride(int v) {
        return edit(e -> e.sliceStride = v);
    }

    public TrainingRecipe withClassifier(int patch, int classifierEpochsValue) {
        return edit(e -> {
            e.classifierPatch = patch;
            e.classifierEpochs = classifierEpochsValue;
        });
    }

    public TrainingRecipe withDevice(String v) {
        return edit(e -> e.device = v);
    }

    public TrainingRecipe withVariant(UNetVariant v) {
        return edit(e -> e.variant = v);
    }

    /** The most test-time flips a run may choose ({@link TestTimeFlips#NONE}: one pass per slice, always). */
    public TrainingRecipe withMaxFlips(TestTimeFlips v) {
        return edit(e -> e.maxFlips = v);
    }

    /** SUM's focal-loss focusing parameter (0: cross-entropy). */
    public TrainingRecipe withSumFocalGamma(float v) {
        return edit(e -> e.sumFocalGamma = v);
    }

    /** SUM's warm-up on the noisy labels, in epochs (0: half of the epochs). */
    public TrainingRecipe withSumWarmupEpochs(int v) {
        return edit(e -> e.sumWarmupEpochs = v);
    }

    /** What SUM's networks learn once the labels self-update (the paper: {@link SumTargets#SOFT}). */
    public TrainingRecipe withSumTargets(SumTargets v) {
        return edit(e -> e.sumTargets = v);
    }

    /** Which of SUM's two networks the run publishes ({@link SumNetwork#BETTER} by default). */
    public TrainingRecipe withSumPublish(SumNetwork v) {
        return edit(e -> e.sumPublish = v);
    }

    /** The single U-Nets' focal-loss focusing parameter (0: cross-entropy, the paper's). */
    public TrainingRecipe withFocalGamma(float v) {
        return edit(e -> e.focalGamma = v);
    }

    /** The weight of dense target pixels in the cross-entropy (1: every pixel alike, the paper's). */
    public TrainingRecipe withDenseWeight(float v) {
        return edit(e -> e.denseWeight = v);
    }

    /** The λ of the mean loss over the dense target pixels alone (0: no such term, the paper's loss). */
    public TrainingRecipe withDenseTerm(float v) {
        return edit(e -> e.denseTerm = v);
    }

    /** The band around the target whose dense pixels the dense term reads (0: the dense target pixels alone). */
    public TrainingRecipe withDenseBand(int v) {
        return edit(e -> e.denseBand = v);
    }

    /** A copy of this recipe changed by {@code change}, checked as any new recipe is. */
    private TrainingRecipe edit(Consumer<Edit> change) {
        Edit e = new Edit(this);
        change.accept(e);
        return e.recipe();
    }

    /** A recipe's components, open to change: what the withers edit. */
    private static final class Edit {
        int inputSize;
        int sliceChannels;
        int levels;
        int baseWidth;
        int epochs;
        int batchSize;
        float learningRate;
        long seed;
        boolean augment;
        boolean hardMining;
        double hardDiceThreshold;
        boolean transfer;
        int freezeStages;
        int sliceStride;
        int classifierPatch;
        int classifierEpochs;
        String device;
        UNetVariant variant;
        TestTimeFlips maxFlips;
        float sumFocalGamma;
        int sumWarmupEpochs;
        SumTargets sumTargets;
        float focalGamma;
        float denseWeight;
        float denseTerm;
        int denseBand;
        SumNetwork sumPublish;

        Edit(TrainingRecipe r) {
            inputSize = r.inputSize;
            sliceChannels = r.sliceChannels;
            levels = r.levels;
            baseWidth = r.baseWidth;
            epochs = r.epochs;
            batchSize = r.batchSize;
            learningRate = r.learningRate;
            seed = r.seed;
            augment = r.augment;
            hardMining = r.hardMining;
            hardDiceThreshold = r.hardDiceThreshold;
            transfer = r.transfer;
            freezeStages = r.freezeStages;
            sliceStride = r.sliceStride;
            classifierPatch = r.classifierPatch;
            classifierEpochs = r.classifierEpochs;
            device = r.device;
            variant = r.variant;
            maxFlips = r.maxFlips;
            sumFocalGamma = r.sumFocalGamma;
            sumWarmupEpochs = r.sumWarmupEpochs;
            sumTargets = r.sumTargets;
            focalGamma = r.focalGamma;
            denseWeight = r.denseWeight;
            denseTerm = r.denseTerm;
            denseBand = r.denseBand;
            sumPublish = r.sumPublish;
        }

        TrainingRecipe recipe() {
            return new TrainingRecipe(inputSize, sliceChannels, levels, baseWidth, epochs, batchSize, learningRate,
                    seed, augment, hardMining, hardDiceThreshold, transfer, freezeStages, sliceStride,
                    classifierPatch, classifierEpochs, device, variant, maxFlips, sumFocalGamma, sumWarmupEpochs,
                    sumTargets, focalGamma, denseWeight, denseTerm, denseBand, sumPublish);
        }
    }

    /**
     * This recipe with the network shape of a published segmentation model: its input size, slices
     * in, levels, base width and normalisation, and the loss it was trained with where its metrics
     * record one ({@code focal_gamma}, {@code dense_weight}, {@code dense_term}, {@code dense_band}; schedule, seed and the rest stay). A
     * retraining challenger is then the champion's kind of network, comparable at the gate, able to
     * start from the champion's weights (transfer), and learning as the champion learnt: the shipped
     * infection network learnt with a focal loss, and three epochs of plain cross-entropy from its
     * predecessor scored below that predecessor at the gate (ACCURACY.md). A classifier's metadata
     * changes nothing.
     */
    public TrainingRecipe following(ModelMetadata champion) {
        NetworkSpec n = champion.network();
        if (!n.isSegmentation()) {
            return this;
        }
        TrainingRecipe shaped = withInputSize(champion.inputWidth()).withSliceChannels(n.inChannels())
                .withNetwork(n.levels(), n.baseWidth())
                .withVariant(UNetVariant.of(n.architecture()).orElse(variant));
        Double gamma = champion.metrics().get(FOCAL_GAMMA_METRIC);
        if (gamma != null && isFocalGamma(gamma)) {
            shaped = shaped.withFocalGamma(gamma.floatValue());
        }
        Double dense = champion.metrics().get(DENSE_WEIGHT_METRIC);
        if (dense != null && isDenseWeight(dense)) {
            shaped = shaped.withDenseWeight(dense.floatValue());
        }
        Double term = champion.metrics().get(DENSE_TERM_METRIC);
        if (term != null && isDenseTerm(term)) {
            shaped = shaped.withDenseTerm(term.floatValue());
        }
        Double band = champion.metrics().get(DENSE_BAND_METRIC);
        if (band != null && isDenseBand(band)) {
            shaped = shaped.withDenseBand(band.intValue());
        }
        return shaped;
    }

    /** The variant of the single U-Nets (lung, infection, liver, single vessel network) this recipe trains. */
    public UNetVariant unetVariant() {
        return variant;
    }
}
