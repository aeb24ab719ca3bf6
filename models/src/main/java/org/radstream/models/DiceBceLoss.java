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
 */
public final class DiceBceLoss extends Loss {

    private final float diceWeight;
    private final float bceWeight;

    public DiceBceLoss() {
        this(1f, 1f);
    }

    public DiceBceLoss(float diceWeight, float bceWeight) {
        super("DiceBceLoss");
        if (diceWeight < 0 || bceWeight < 0 || diceWeight + bceWeight == 0) {
            throw new IllegalArgumentException("weights must be non-negative and not both zero, got "
                    + diceWeight + ", " + bceWeight);
        }
        this.diceWeight = diceWeight;
        this.bceWeight = bceWeight;
    }

    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        NDArray logits = predictions.singletonOrThrow();
        NDArray target = labels.singletonOrThrow().reshape(logits.getShape());
        // log(1 + e^-|x|) + max(x, 0) - x·t: BCE with logits without overflow
        NDArray bce = logits.maximum(0f).sub(logits.mul(target))
                .add(logits.abs().neg().exp().add(1f).log()).mean();
        NDArray p = Activation.sigmoid(logits).reshape(logits.getShape().get(0), -1);
        NDArray t = target.reshape(logits.getShape().get(0), -1);
        NDArray intersection = p.mul(t).sum(new int[] {1});
        NDArray total = p.sum(new int[] {1}).add(t.sum(new int[] {1}));
        NDArray dice = intersection.mul(2f).add(1f).div(total.add(1f));
        NDArray diceLoss = dice.neg().add(1f).mean();
        return diceLoss.mul(diceWeight).add(bce.mul(bceWeight));
    }
}
