package org.radstream.models;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * ResNet-18 (He et al.) for the candidate-region classifier: does this connected component,
 * cropped to its minimum enclosing square, look like infection or like an airway, vessel, blurry
 * lung border or stomach gas?
 *
 * <p>Written here rather than taken from {@code ai.djl.basicmodelzoo.cv.classification.ResNetV1}
 * because that builder maps 18 layers onto bottleneck units (not the basic blocks of ResNet-18)
 * and refuses 18 layers for inputs of 28 pixels or less. Layout: 7×7/2 stem, 3×3/2 max pool, four
 * stages of two basic residual units (widths w, 2w, 4w, 8w; stages 2–4 start with stride 2),
 * global average pool, linear layer to {@code classes} logits. Input channels are free (1 for CT
 * patches); the softmax belongs to post-processing.
 */
public final class ResNet18 extends AbstractBlock {

    private static final byte VERSION = 1;
    /** Side below which the five stride-2 reductions leave nothing to pool. */
    static final int MIN_SIZE = 32;

    private final int inChannels;
    private final int classes;
    private final int baseWidth;
    private final Block net;

    private ResNet18(Builder b) {
        super(VERSION);
        this.inChannels = b.inChannels;
        this.classes = b.classes;
        this.baseWidth = b.baseWidth;
        SequentialBlock seq = new SequentialBlock()
                .add(Layers.conv(baseWidth, 7, 2, false))
                .add(Layers.batchNorm())
                .add(Activation.reluBlock())
                .add(Pool.maxPool2dBlock(new Shape(3, 3), new Shape(2, 2), new Shape(1, 1)));
        int in = baseWidth;
        for (int stage = 0; stage < 4; stage++) {
            int width = baseWidth << stage;
            seq.add(Layers.residual(in, width, stage == 0 ? 1 : 2));
            seq.add(Layers.residual(width, width, 1));
            in = width;
        }
        seq.add(Pool.globalAvgPool2dBlock())
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(classes).build());
        this.net = addChildBlock("resnet18", seq);
    }

    /** Defaults: 1 input channel, 2 classes, width 64 (the published ResNet-18). */
    public static Builder builder() {
        return new Builder();
    }

    public int inChannels() {
        return inChannels;
    }

    public int classes() {
        return classes;
    }

    public int baseWidth() {
        return baseWidth;
    }

    void checkInput(Shape shape) {
        if (shape.dimension() != 4 || shape.get(1) != inChannels) {
            throw new IllegalArgumentException("ResNet-18 built for N×" + inChannels
                    + "×H×W input, got " + shape);
        }
        if (shape.get(2) < MIN_SIZE || shape.get(3) < MIN_SIZE) {
            throw new IllegalArgumentException("ResNet-18 needs patches of at least " + MIN_SIZE
                    + "×" + MIN_SIZE + ", got " + shape.get(2) + "×" + shape.get(3));
        }
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        checkInput(inputs.singletonOrThrow().getShape());
        return net.forward(store, inputs, training, params);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        checkInput(inputShapes[0]);
        net.initialize(manager, dataType, inputShapes);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        checkInput(inputShapes[0]);
        return new Shape[] {new Shape(inputShapes[0].get(0), classes)};
    }

    @Override
    public String toString() {
        return "resnet18(in=" + inChannels + ", classes=" + classes + ", width=" + baseWidth + ")";
    }

    /** Validating builder. */
    public static final class Builder {
        private int inChannels = 1;
        private int classes = 2;
        private int baseWidth = 64;

        private Builder() {}

        public Builder inChannels(int inChannels) {
            this.inChannels = inChannels;
            return this;
        }

        /** 2 for softmax over {reject, keep}; 1 for a single sigmoid logit. */
        public Builder classes(int classes) {
            this.classes = classes;
            return this;
        }

        /** Width of the first stage (64 in the paper); smaller trains faster on CPU. */
        public Builder baseWidth(int baseWidth) {
            this.baseWidth = baseWidth;
            return this;
        }

        public ResNet18 build() {
            UNet.require(inChannels >= 1 && inChannels <= 64,
                    "inChannels must be in [1, 64], got " + inChannels);
            UNet.require(classes >= 1 && classes <= 1000,
                    "classes must be in [1, 1000], got " + classes);
            UNet.require(baseWidth >= 1 && baseWidth <= 256,
                    "baseWidth must be in [1, 256], got " + baseWidth);
            return new ResNet18(this);
        }
    }
}
