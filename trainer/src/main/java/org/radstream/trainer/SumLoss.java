package org.radstream.trainer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Activation;
import ai.djl.training.loss.Loss;
import org.radstream.models.DiceBceLoss;

/**
 * SU-UNet's loss for one of its two networks: soft Dice + focal loss against the self-updated soft
 * labels, plus {@code peerWeight} (α = 0.01 in the paper) × the Dice score between this network's
 * output and the other network's (given, detached, as the second label). The paper's L_D is that
 * score, a regulariser that keeps the two networks' outputs "a certain difference" apart: trained
 * on the same labels they would otherwise drift into one prediction and the vote of the two would
 * say nothing the label does not. So agreeing with the peer costs, disagreeing does not.
 *
 * <p>Labels: {@code [soft target N×1×H×W, peer probabilities N×1×H×W]} (the peer is optional).
 */
final class SumLoss extends Loss {
    private final float gamma;
    private final float peerWeight;

    SumLoss(float gamma, float peerWeight) {
        super("SumLoss");
        this.gamma = gamma;
        this.peerWeight = peerWeight;
    }

    /** The paper's focal-loss focusing parameter. */
    static final float PAPER_GAMMA = 2f;

    /**
     * The paper's loss with another focusing parameter; 0 makes the focal term plain binary
     * cross-entropy, so that the loss equals the single networks' Dice + cross-entropy plus the
     * peer term.
     */
    static SumLoss withGamma(float gamma) {
        return new SumLoss(gamma, 0.01f);
    }

    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        NDArray logits = predictions.singletonOrThrow();
        NDArray target = labels.get(0).reshape(logits.getShape());
        NDArray p = Activation.sigmoid(logits);
        NDArray focal = DiceBceLoss.focal(logits, target, gamma);
        NDArray loss = diceLoss(p, target).add(focal);
        if (labels.size() > 1 && peerWeight > 0) {
            NDArray agreement = diceLoss(p, labels.get(1).reshape(logits.getShape())).neg().add(1f);
            loss = loss.add(agreement.mul(peerWeight));
        }
        return loss;
    }

    private static NDArray diceLoss(NDArray p, NDArray t) {
        long n = p.getShape().get(0);
        NDArray pf = p.reshape(n, -1);
        NDArray tf = t.reshape(n, -1);
        NDArray inter = pf.mul(tf).sum(new int[] {1});
        NDArray total = pf.sum(new int[] {1}).add(tf.sum(new int[] {1}));
        return inter.mul(2f).add(1f).div(total.add(1f)).neg().add(1f).mean();
    }
}
