package org.radstream.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import java.util.List;

/**
 * Building blocks shared by the U-Nets and the ResNet classifier.
 *
 * <p>Everything here uses only convolutions, batch norm, element-wise ops, means, reshape and transpose,
 * because those are what the PyTorch engine of DJL 0.35 implements on every device
 * ({@code Conv2dTranspose} and {@code prelu} are not).
 */
final class Layers {

    private Layers() {}

    static Conv2d conv(int filters, int kernel, int stride, boolean bias) {
        int pad = kernel / 2;
        return Conv2d.builder()
                .setKernelShape(new Shape(kernel, kernel))
                .optStride(new Shape(stride, stride))
                .optPadding(new Shape(pad, pad))
                .setFilters(filters)
                .optBias(bias)
                .build();
    }

    static BatchNorm batchNorm() {
        return BatchNorm.builder().optEpsilon(1e-5f).optMomentum(0.9f).build();
    }

    /** conv 3×3 → BN → ReLU → conv 3×3 → BN → ReLU: the classic U-Net stage. */
    static SequentialBlock doubleConv(int filters) {
        return new SequentialBlock()
                .add(conv(filters, 3, 1, false))
                .add(batchNorm())
                .add(Activation.reluBlock())
                .add(conv(filters, 3, 1, false))
                .add(batchNorm())
                .add(Activation.reluBlock());
    }

    /** The classic U-Net stage with {@link GroupNorm} in place of batch norm. */
    static SequentialBlock doubleConvGroupNorm(int filters) {
        return new SequentialBlock()
                .add(conv(filters, 3, 1, false))
                .add(new GroupNorm(1e-5f))
                .add(Activation.reluBlock())
                .add(conv(filters, 3, 1, false))
                .add(new GroupNorm(1e-5f))
                .add(Activation.reluBlock());
    }

    /**
     * Concurrent spatial and channel squeeze-and-excitation (scSE, Roy et al., MICCAI 2018): the
     * SU-UNet paper's SE-UNet "combines channel attention and spatial attention".
     *
     * <ul>
     *   <li>Channel gate (Hu et al.): global average → bottleneck 1×1 conv → ReLU → 1×1 conv →
     *       sigmoid, one weight per channel. 1×1 convolutions on the pooled N×C×1×1 tensor stand
     *       in for the fully connected layers so no flatten/reshape is needed.
     *   <li>Spatial gate: a 1×1 convolution to one map → sigmoid, one weight per pixel.
     * </ul>
     *
     * <p>The output is {@code x·channel + x·spatial}. Each gate starts near 0.5, so the block
     * starts near the identity. A channel gate alone halves every stage's output at the start; in
     * our vessel runs such a network learnt nothing for six epochs (ACCURACY.md).
     */
    static Block squeezeExcitation(int channels, int reduction) {
        int hidden = Math.max(1, channels / reduction);
        SequentialBlock channelGate = new SequentialBlock()
                .addSingleton(Layers::globalMean, "squeeze")
                .add(conv(hidden, 1, 1, true))
                .add(Activation.reluBlock())
                .add(conv(channels, 1, 1, true))
                .add(Activation.sigmoidBlock());
        SequentialBlock spatialGate = new SequentialBlock()
                .add(conv(1, 1, 1, true))
                .add(Activation.sigmoidBlock());
        return new ParallelBlock(
                branches -> {
                    NDArray x = branches.get(0).singletonOrThrow();
                    NDArray byChannel = x.mul(branches.get(1).singletonOrThrow());
                    return new NDList(byChannel.add(x.mul(branches.get(2).singletonOrThrow())));
                },
                List.of(Blocks.identityBlock(), channelGate, spatialGate));
    }

    /** N×C×H×W → N×C×1×1 mean; one axis at a time because the engine reduces one axis per call. */
    static NDArray globalMean(NDArray x) {
        return x.mean(new int[] {3}, true).mean(new int[] {2}, true);
    }

    /**
     * Basic residual unit (He et al.): two 3×3 convolutions plus a shortcut, then ReLU. The
     * shortcut is a 1×1 projection whenever channels or resolution change, the identity otherwise.
     */
    static Block residual(int inChannels, int filters, int stride) {
        SequentialBlock main = new SequentialBlock()
                .add(conv(filters, 3, stride, false))
                .add(batchNorm())
                .add(Activation.reluBlock())
                .add(conv(filters, 3, 1, false))
                .add(batchNorm());
        Block shortcut = inChannels == filters && stride == 1
                ? Blocks.identityBlock()
                : new SequentialBlock().add(conv(filters, 1, stride, false)).add(batchNorm());
        return new ParallelBlock(
                branches -> new NDList(Activation.relu(branches.get(0).singletonOrThrow()
                        .add(branches.get(1).singletonOrThrow()))),
                List.of(main, shortcut));
    }

    /**
     * 2× upsampling: a 1×1 convolution to 4·{@code filters} channels followed by a pixel shuffle.
     * This is exactly as expressive as a 2×2 stride-2 transposed convolution (each of the four
     * output positions gets its own linear map of the input pixel), which this engine lacks.
     */
    static SequentialBlock upsample(int filters) {
        return new SequentialBlock()
                .add(conv(filters * 4, 1, 1, true))
                .addSingleton(Layers::pixelShuffle, "pixelShuffle");
    }

    /**
     * Depth-to-space by 2: N×4C×H×W → N×C×2H×2W, with output (c, 2h+i, 2w+j) taken from input
     * channel 4c + 2i + j at (h, w).
     */
    static NDArray pixelShuffle(NDArray x) {
        Shape s = x.getShape();
        if (s.dimension() != 4 || s.get(1) % 4 != 0) {
            throw new IllegalArgumentException(
                    "pixel shuffle needs N×4C×H×W input, got " + s);
        }
        long n = s.get(0);
        long c = s.get(1) / 4;
        long h = s.get(2);
        long w = s.get(3);
        return x.reshape(n, c, 2, 2, h, w)
                .transpose(0, 1, 4, 2, 5, 3)
                .reshape(n, c, 2 * h, 2 * w);
    }
}
