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
 *
 * <p>A third label channel marks a focus region (N×3×H×W: target, weight, focus in {0, 1}). With a
 * focus term λ > 0 the loss adds λ × the mean pixel loss over the focus pixels of the batch alone,
 * normalised by their own count: for infection, the dense consolidation pixels, a few hundred among the
 * 65 536 of a slice, whose share of an all-pixel mean (even weighted) stays too small to move the
 * network (ACCURACY.md, "Weighing the consolidation"). A batch without focus pixels adds nothing.
 */
public final class DiceBceLoss extends Loss {

    private final float diceWeight;
    private final float bceWeight;
    private final float focalGamma;
    private final float focusTerm;

    public DiceBceLoss() {
        this(1f, 1f);
    }

    public DiceBceLoss(float diceWeight, float bceWeight) {
        this(diceWeight, bceWeight, 0f);
    }

    /** Dice + focal loss with focusing parameter {@code focalGamma} (0: cross-entropy). */
    public DiceBceLoss(float diceWeight, float bceWeight, float focalGamma) {
        this(diceWeight, bceWeight, focalGamma, 0f);
    }

    /**
     * Dice + focal loss + {@code focusTerm} × the mean focal loss over the focus pixels (the labels' third
     * channel); {@code focusTerm} in [0, {@value #MAX_FOCUS_TERM}], 0: no focus term.
     */
    public DiceBceLoss(float diceWeight, float bceWeight, float focalGamma, float focusTerm) {
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
        if (!isFocusTerm(focusTerm)) {
            throw new IllegalArgumentException("focus term must lie in [0, " + MAX_FOCUS_TERM + "], got " + focusTerm);
        }
        this.focalGamma = focalGamma;
        this.focusTerm = focusTerm;
    }

    /** The largest focus term: beyond it the few focus pixels would outweigh the whole slice many times over. */
    public static final float MAX_FOCUS_TERM = 10f;

    /** Whether {@code v} is a focus term this loss accepts: [0, {@value #MAX_FOCUS_TERM}]. */
    public static boolean isFocusTerm(double v) {
        return v >= 0 && v <= MAX_FOCUS_TERM;
    }

    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        NDArray logits = predictions.singletonOrThrow();
        NDArray label = labels.singletonOrThrow();
        long c = logits.getShape().get(1);
        long labelChannels = label.getShape().dimension() == 4 ? label.getShape().get(1) : c;
        NDArray target;
        NDArray weight = null;
        NDArray focus = null;
        if (labelChannels == 2 * c || labelChannels == 3 * c) {
            target = label.get(":, 0:" + c);
            weight = label.get(":, " + c + ":" + 2 * c);
            focus = labelChannels == 3 * c ? label.get(":, " + 2 * c + ":") : null;
        } else {
            target = label.reshape(logits.getShape());
        }
        if (focusTerm > 0 && focus == null) {
            throw new IllegalArgumentException("a focus term needs labels of target, weight and focus channels, got "
                    + label.getShape());
        }
        NDArray pixels = focalGamma == 0 ? crossEntropyMap(logits, target) : focalMap(logits, target, focalGamma);
        NDArray bce = (weight == null ? pixels : pixels.mul(weight)).mean();
        NDArray p = Activation.sigmoid(logits).reshape(logits.getShape().get(0), -1);
        NDArray t = target.reshape(logits.getShape().get(0), -1);
        NDArray intersection = p.mul(t).sum(new int[] {1});
        NDArray sums = p.sum(new int[] {1}).add(t.sum(new int[] {1}));
        NDArray dice = intersection.mul(2f).add(1f).div(sums.add(1f));
        NDArray diceLoss = dice.neg().add(1f).mean();
        NDArray total = diceLoss.mul(diceWeight).add(bce.mul(bceWeight));
        if (focusTerm == 0) {
            return total;
        }
        NDArray focused = pixels.mul(focus).sum().div(focus.sum().maximum(1f));
        return total.add(focused.mul(focusTerm));
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
