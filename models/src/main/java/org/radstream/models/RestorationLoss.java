package org.radstream.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Activation;
import ai.djl.training.loss.Loss;

/**
 * The loss of self-supervised restoration pretraining (the Universal Model paper, after Models
 * Genesis): the mean squared error between the image the network restores and the original. A
 * segmentation U-Net's single output channel is read through its sigmoid as an image in [0, 1], the
 * range of a windowed slice, so the same network, head included, pretrains and then segments.
 */
public final class RestorationLoss extends Loss {

    public RestorationLoss() {
        super("RestorationLoss");
    }

    /** @param labels the original images, N×1×H×W (or N×H×W) in [0, 1]; predictions the logits, N×1×H×W */
    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        NDArray logits = predictions.singletonOrThrow();
        NDArray original = labels.singletonOrThrow().reshape(logits.getShape());
        NDArray restored = Activation.sigmoid(logits);
        return restored.sub(original).square().mean();
    }
}
