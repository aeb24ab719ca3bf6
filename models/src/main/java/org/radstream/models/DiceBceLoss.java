package org.radstream.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Activation;
import ai.djl.training.loss.Loss;

/**
 * Segmentation loss of the COVID-19 paper's U-Nets: soft Dice plus binary cross-entropy, both on
 * the network's logits. Cross-entropy gives every pixel a gradient from the first step; Dice keeps
 * small foregrounds (infection, vessels) from drowning in background. Targets may be soft (any
 * value in [0, 1]), which the SU-UNet self-updating labels need.
 *
 * <p>Dice is computed per sample and averaged, with smoothing 1 so that an empty target and an
 * empty prediction score a perfect 1.
 *
 * <p>With a focusing parameter γ > 0 the cross-entropy becomes the focal loss (Lin et al.), each
 * pixel's term scaled by (1 - p_t)^γ, p_t the probability given to its target: the many pixels the
 * network already gets right stop drowning the few it gets wrong (for infection, the dense
 * consolidation read as chest wall). γ = 0 is plain cross-entropy, the COVID-19 paper's loss.
 *
 * <p>Labels may carry a second channel: per-pixel weights of the cross-entropy (or focal) term, N×2×H×W
 * with the target in channel 0 and the weight in channel 1 (see {@link SegmentationTraining#step(float[][],
 * float[][], float[][])}). The term is then the mean of weight × pixel loss; Dice reads the target only.
 * Weights of 1 give exactly the unweighted loss.
 */
public final class DiceBceLoss extends Loss {

    private final float diceWeight;
    private final float bceWeight;
    private final float focalGamma;

    public DiceBceLoss() {
        this(1f, 1f);
    }

    public DiceBceLoss(float diceWeight, float bceWeight) {
        this(diceWeight, bceWeight, 0f);
    }

    /** Dice + focal loss with focusing parameter {@code focalGamma} (0: cross-entropy). */
    public DiceBceLoss(float diceWeight, float bceWeight, float focalGamma) {
        super("DiceBceLoss");
        if (diceWeight < 0 || bceWeight < 0 || diceWeight + bceWeight == 0) {
            throw new IllegalArgumentException("weights must be non-negative and not both zero, got "
                    + diceWeight + ", " + bceWeight);
        }
        if (!(focalGamma >= 0 && focalGamma <= 5)) {
            throw new IllegalArgumentException("focal gamma must lie in [0, 5], got " + focalGamma);
        }
        this.diceWeight = diceWeight;
        this.bceWeight = bceWeight;
        this.focalGamma = focalGamma;
    }

    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        NDArray logits = predictions.singletonOrThrow();
        NDArray label = labels.singletonOrThrow();
        NDArray target;
        NDArray weight = null;
        if (label.getShape().dimension() == 4 && label.getShape().get(1) == 2 * logits.getShape().get(1)) {
            long c = logits.getShape().get(1);
            target = label.get(":, 0:" + c);
            weight = label.get(":, " + c + ":");
        } else {
            target = label.reshape(logits.getShape());
        }
        NDArray pixels = focalGamma == 0 ? crossEntropyMap(logits, target) : focalMap(logits, target, focalGamma);
        NDArray bce = (weight == null ? pixels : pixels.mul(weight)).mean();
        NDArray p = Activation.sigmoid(logits).reshape(logits.getShape().get(0), -1);
        NDArray t = target.reshape(logits.getShape().get(0), -1);
        NDArray intersection = p.mul(t).sum(new int[] {1});
        NDArray total = p.sum(new int[] {1}).add(t.sum(new int[] {1}));
        NDArray dice = intersection.mul(2f).add(1f).div(total.add(1f));
        NDArray diceLoss = dice.neg().add(1f).mean();
        return diceLoss.mul(diceWeight).add(bce.mul(bceWeight));
    }

    private static NDArray crossEntropyMap(NDArray logits, NDArray target) {
        // log(1 + e^-|x|) + max(x, 0) - x·t: BCE with logits without overflow
        return logits.maximum(0f).sub(logits.mul(target)).add(logits.abs().neg().exp().add(1f).log());
    }

    /**
     * Mean focal loss of {@code logits} against {@code target} (soft targets allowed) with focusing
     * parameter {@code gamma}; at 0 it equals binary cross-entropy.
     */
    public static NDArray focal(NDArray logits, NDArray target, float gamma) {
        return focalMap(logits, target, gamma).mean();
    }

    private static NDArray focalMap(NDArray logits, NDArray target, float gamma) {
        // log p = -softplus(-x), log(1 - p) = -softplus(x), softplus(x) = max(x, 0) + log(1 + e^-|x|)
        NDArray p = Activation.sigmoid(logits);
        NDArray tail = logits.abs().neg().exp().add(1f).log();
        NDArray logP = logits.neg().maximum(0f).add(tail).neg();
        NDArray logNotP = logits.maximum(0f).add(tail).neg();
        return target.mul(p.neg().add(1f).pow(gamma)).mul(logP)
                .add(target.neg().add(1f).mul(p.pow(gamma)).mul(logNotP)).neg();
    }
}
