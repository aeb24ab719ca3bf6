package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.radstream.models.DiceBceLoss;

/**
 * SUM's loss: focal with the paper's gamma, plain cross-entropy (the single networks' loss) at gamma 0,
 * and the paper's peer regulariser.
 */
class SumLossTest {

    private static final float[] LOGITS = {4f, -3f, 0.5f, -0.2f, 2f, -5f, 1f, -1f};
    private static final float[] TARGET = {1f, 0f, 1f, 0f, 0.8f, 0f, 0.6f, 0.4f};

    private static float loss(ai.djl.training.loss.Loss loss, float[] logits, float[] target, float[] peer) {
        try (NDManager m = NDManager.newBaseManager()) {
            Shape shape = new Shape(2, 1, 2, 2);
            NDArray x = m.create(logits, shape);
            NDList labels = peer == null ? new NDList(m.create(target, shape))
                    : new NDList(m.create(target, shape), m.create(peer, shape));
            return loss.evaluate(labels, new NDList(x)).getFloat();
        }
    }

    @Test
    void atGammaZeroWithoutAPeerItIsTheSingleNetworksDicePlusCrossEntropy() {
        assertThat(loss(SumLoss.withGamma(0f), LOGITS, TARGET, null))
                .isCloseTo(loss(new DiceBceLoss(), LOGITS, TARGET, null), within(1e-5f));
    }

    @Test
    void thePaperFocalTermWeighsConfidentPixelsLessThanCrossEntropyDoes() {
        float focal = loss(SumLoss.withGamma(SumLoss.PAPER_GAMMA), LOGITS, TARGET, null);
        float crossEntropy = loss(SumLoss.withGamma(0f), LOGITS, TARGET, null);
        assertThat(focal).isLessThan(crossEntropy);
    }

    @Test
    void thePeerTermChargesAgreementWithTheOtherNetworkAsThePaperSRegulariser() {
        float alone = loss(SumLoss.withGamma(0f), LOGITS, TARGET, null);
        float[] agreeing = new float[LOGITS.length];
        float[] disagreeing = new float[LOGITS.length];
        for (int i = 0; i < LOGITS.length; i++) {
            agreeing[i] = LOGITS[i] > 0 ? 1f : 0f;
            disagreeing[i] = 1f - agreeing[i];
        }
        float withAgreeing = loss(SumLoss.withGamma(0f), LOGITS, TARGET, agreeing);
        float withDisagreeing = loss(SumLoss.withGamma(0f), LOGITS, TARGET, disagreeing);
        assertThat(withAgreeing).isGreaterThan(withDisagreeing);
        // 0.01 × a Dice score: never more than 0.01 on top of the loss without a peer
        assertThat(withAgreeing - alone).isBetween(0f, 0.0101f);
        assertThat(withDisagreeing - alone).isBetween(0f, 0.0101f);
    }
}
