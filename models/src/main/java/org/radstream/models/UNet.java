package org.radstream.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.ParameterList;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;

/**
 * U-Net (Ronneberger et al.) for slice segmentation, in the 2D and 2.5D forms of the COVID-19
 * paper and the SE/Res variants of SU-UNet.
 *
 * <p>2.5D is not a different network: three neighbouring slices are stacked as input channels
 * ({@code inChannels = 3}) and the output is the middle slice's mask; see {@link SliceStack}.
 *
 * <p>{@code levels} counts resolutions including the bottleneck, so input height and width must
 * be multiples of 2<sup>levels−1</sup>. Channel widths double per level from {@code baseWidth}.
 * The output has {@code outChannels} logit maps at the input resolution; the sigmoid belongs to
 * post-processing (the loss works on logits for numerical stability).
 *
 * <p>Upsampling is a 1×1 convolution followed by a pixel shuffle because the engine has no
 * transposed convolution.
 */
public final class UNet extends AbstractBlock {

    private static final byte VERSION = 1;
    /** The window the {@link UNetVariant#TWO_WINDOWS} variant's input is in (the lung window). */
    public static final double INPUT_LOW_HU = -1200;
    public static final double INPUT_HIGH_HU = 600;
    /** The window that variant adds (soft tissue, W400 L40). */
    public static final double SOFT_TISSUE_LOW_HU = -160;
    public static final double SOFT_TISSUE_HIGH_HU = 240;
    static final int MAX_LEVELS = 6;
    static final int MAX_WIDTH = 512;

    private final int inChannels;
    private final int outChannels;
    private final int levels;
    private final int baseWidth;
    private final UNetVariant variant;
    private final List<Block> encoders = new ArrayList<>();
    private final List<Block> upsamplers = new ArrayList<>();
    private final List<Block> decoders = new ArrayList<>();
    private final Block head;

    private UNet(Builder b) {
        super(VERSION);
        this.inChannels = b.inChannels;
        this.outChannels = b.outChannels;
        this.levels = b.levels;
        this.baseWidth = b.baseWidth;
        this.variant = b.variant;
        int previous = variant == UNetVariant.TWO_WINDOWS ? 2 * inChannels : inChannels;
        for (int level = 0; level < levels; level++) {
            encoders.add(addChildBlock("encoder" + level, stage(previous, width(level), b.seReduction)));
            previous = width(level);
        }
        for (int level = levels - 2; level >= 0; level--) {
            upsamplers.add(addChildBlock("up" + level, Layers.upsample(width(level))));
            decoders.add(addChildBlock("decoder" + level,
                    stage(2 * width(level), width(level), b.seReduction)));
        }
        head = addChildBlock("head", Layers.conv(outChannels, 1, 1, true));
    }

    /** A builder with the defaults: 2D (1 input channel), 1 output, 4 levels, width 16, plain. */
    public static Builder builder() {
        return new Builder();
    }

    private Block stage(int in, int out, int seReduction) {
        switch (variant) {
            case SQUEEZE_EXCITATION:
                return Layers.doubleConv(out).add(Layers.squeezeExcitation(out, seReduction));
            case RESIDUAL:
                return Layers.residual(in, out, 1);
            case GROUP_NORM:
                return Layers.doubleConvGroupNorm(out);
            case TWO_WINDOWS:
            case PLAIN:
            default:
                return Layers.doubleConv(out);
        }
    }

    private int width(int level) {
        return baseWidth << level;
    }

    public int inChannels() {
        return inChannels;
    }

    public int outChannels() {
        return outChannels;
    }

    public int levels() {
        return levels;
    }

    public int baseWidth() {
        return baseWidth;
    }

    public UNetVariant variant() {
        return variant;
    }

    /** Smallest input side this network accepts; every side must be a multiple of it. */
    public int sizeMultiple() {
        return 1 << (levels - 1);
    }

    /**
     * Freezes (or unfreezes) the parameters of the first {@code stages} encoder stages, so that
     * transfer learning can keep low-level features from a published model while the rest adapts.
     * Batch-norm running statistics of frozen stages still follow the new data in training mode.
     */
    public void freezeEncoder(int stages, boolean freeze) {
        if (stages < 0 || stages > levels) {
            throw new IllegalArgumentException(
                    "stages must be in [0, " + levels + "], got " + stages);
        }
        for (int i = 0; i < stages; i++) {
            encoders.get(i).freezeParameters(freeze);
        }
    }

    /** The parameters of encoder stage {@code stage} (0 = full resolution), e.g. to inspect them. */
    public ParameterList encoderParameters(int stage) {
        return encoders.get(stage).getParameters();
    }

    void checkInput(Shape shape) {
        if (shape.dimension() != 4) {
            throw new IllegalArgumentException(
                    "U-Net input must be N×C×H×W, got " + shape);
        }
        if (shape.get(1) != inChannels) {
            throw new IllegalArgumentException("U-Net built for " + inChannels
                    + " input channel(s) got " + shape.get(1) + " (input " + shape + ")");
        }
        long multiple = sizeMultiple();
        if (shape.get(2) < multiple || shape.get(3) < multiple
                || shape.get(2) % multiple != 0 || shape.get(3) % multiple != 0) {
            throw new IllegalArgumentException("U-Net with " + levels
                    + " levels needs height and width that are positive multiples of " + multiple
                    + ", got " + shape.get(2) + "×" + shape.get(3));
        }
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        checkInput(x.getShape());
        if (variant == UNetVariant.TWO_WINDOWS) {
            x = x.concat(softTissue(x), 1);
        }
        List<NDArray> skips = new ArrayList<>();
        for (int level = 0; level < levels; level++) {
            x = encoders.get(level).forward(store, new NDList(x), training, params).singletonOrThrow();
            if (level < levels - 1) {
                skips.add(x);
                x = Pool.maxPool2d(x, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false);
            }
        }
        for (int i = 0; i < decoders.size(); i++) {
            NDArray skip = skips.get(levels - 2 - i);
            x = upsamplers.get(i).forward(store, new NDList(x), training, params).singletonOrThrow();
            x = x.concat(skip, 1);
            x = decoders.get(i).forward(store, new NDList(x), training, params).singletonOrThrow();
        }
        return head.forward(store, new NDList(x), training, params);
    }

    /**
     * Lung-window input (values in [0, 1]) re-windowed to soft tissue: the HU each value stands for,
     * clamped to the soft-tissue window and scaled to [0, 1]. Exact for every HU inside the soft-tissue
     * window, which the lung window contains unclamped.
     */
    static NDArray softTissue(NDArray lungWindowed) {
        double scale = (INPUT_HIGH_HU - INPUT_LOW_HU) / (SOFT_TISSUE_HIGH_HU - SOFT_TISSUE_LOW_HU);
        double offset = (INPUT_LOW_HU - SOFT_TISSUE_LOW_HU) / (SOFT_TISSUE_HIGH_HU - SOFT_TISSUE_LOW_HU);
        return lungWindowed.mul(scale).add(offset).clip(0, 1);
    }

    /** Channels the first encoder stage reads: the input's, twice for {@link UNetVariant#TWO_WINDOWS}. */
    int firstStageChannels() {
        return variant == UNetVariant.TWO_WINDOWS ? 2 * inChannels : inChannels;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape current = inputShapes[0];
        checkInput(current);
        long n = current.get(0);
        current = new Shape(n, firstStageChannels(), current.get(2), current.get(3));
        List<Shape> skipShapes = new ArrayList<>();
        for (int level = 0; level < levels; level++) {
            Block encoder = encoders.get(level);
            encoder.initialize(manager, dataType, current);
            current = encoder.getOutputShapes(new Shape[] {current})[0];
            if (level < levels - 1) {
                skipShapes.add(current);
                current = new Shape(n, current.get(1), current.get(2) / 2, current.get(3) / 2);
            }
        }
        for (int i = 0; i < decoders.size(); i++) {
            Shape skip = skipShapes.get(levels - 2 - i);
            Block up = upsamplers.get(i);
            up.initialize(manager, dataType, current);
            current = up.getOutputShapes(new Shape[] {current})[0];
            current = new Shape(n, current.get(1) + skip.get(1), skip.get(2), skip.get(3));
            Block decoder = decoders.get(i);
            decoder.initialize(manager, dataType, current);
            current = decoder.getOutputShapes(new Shape[] {current})[0];
        }
        head.initialize(manager, dataType, current);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        checkInput(in);
        return new Shape[] {new Shape(in.get(0), outChannels, in.get(2), in.get(3))};
    }

    @Override
    public String toString() {
        return variant.architecture() + "(in=" + inChannels + ", out=" + outChannels
                + ", levels=" + levels + ", width=" + baseWidth + ")";
    }

    /** Validating builder: every bad value is refused here, not deep inside the engine. */
    public static final class Builder {
        private int inChannels = 1;
        private int outChannels = 1;
        private int levels = 4;
        private int baseWidth = 16;
        private int seReduction = 8;
        private UNetVariant variant = UNetVariant.PLAIN;

        private Builder() {}

        /** 1 for 2D, 3 for 2.5D (previous, current, next slice). */
        public Builder inChannels(int inChannels) {
            this.inChannels = inChannels;
            return this;
        }

        public Builder outChannels(int outChannels) {
            this.outChannels = outChannels;
            return this;
        }

        /** Number of resolutions including the bottleneck (2..6). */
        public Builder levels(int levels) {
            this.levels = levels;
            return this;
        }

        /** Channels of the first stage; doubled at each lower level. */
        public Builder baseWidth(int baseWidth) {
            this.baseWidth = baseWidth;
            return this;
        }

        public Builder variant(UNetVariant variant) {
            this.variant = variant;
            return this;
        }

        /** Channel reduction of the squeeze-and-excitation bottleneck (SE variant only). */
        public Builder seReduction(int seReduction) {
            this.seReduction = seReduction;
            return this;
        }

        public UNet build() {
            require(inChannels >= 1 && inChannels <= 64,
                    "inChannels must be in [1, 64], got " + inChannels);
            require(outChannels >= 1 && outChannels <= 16,
                    "outChannels must be in [1, 16], got " + outChannels);
            require(levels >= 2 && levels <= MAX_LEVELS,
                    "levels must be in [2, " + MAX_LEVELS + "], got " + levels);
            require(baseWidth >= 1 && baseWidth <= MAX_WIDTH,
                    "baseWidth must be in [1, " + MAX_WIDTH + "], got " + baseWidth);
            require(variant != null, "variant must not be null");
            require(seReduction >= 1, "seReduction must be >= 1, got " + seReduction);
            return new UNet(this);
        }
    }

    static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
