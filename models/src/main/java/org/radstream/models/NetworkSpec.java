package org.radstream.models;

/**
 * Everything needed to rebuild a network's Block from scratch: the architecture name known to
 * {@link Architectures} and its builder settings. Stored with every artifact so that a parameter
 * file can be loaded without the code that trained it knowing anything but this record.
 *
 * @param architecture registered name, e.g. {@code unet}, {@code se-unet}, {@code res-unet},
 *     {@code resnet18}
 * @param inChannels input channels (U-Net: 1 = 2D, 3 = 2.5D; classifier: 1)
 * @param outChannels output maps (U-Net) or classes (classifier)
 * @param levels U-Net resolutions including the bottleneck; 4 (its stages) for ResNet-18
 * @param baseWidth channels of the first stage
 */
public record NetworkSpec(String architecture, int inChannels, int outChannels, int levels,
        int baseWidth) {

    public NetworkSpec {
        if (architecture == null || architecture.isBlank()) {
            throw new IllegalArgumentException("architecture must be named");
        }
    }

    /** 2D U-Net: one slice in, one logit map out. */
    public static NetworkSpec unet2d(int levels, int baseWidth) {
        return new NetworkSpec(Architectures.UNET, 1, 1, levels, baseWidth);
    }

    /** 2.5D U-Net: previous, current and next slice in, the current slice's logit map out. */
    public static NetworkSpec unet25d(int levels, int baseWidth) {
        return new NetworkSpec(Architectures.UNET, 3, 1, levels, baseWidth);
    }

    public static NetworkSpec unet(UNetVariant variant, int inChannels, int levels, int baseWidth) {
        return new NetworkSpec(variant.architecture(), inChannels, 1, levels, baseWidth);
    }

    /** ResNet-18 patch classifier with two logits (reject, keep). */
    public static NetworkSpec resnet18(int inChannels, int baseWidth) {
        return new NetworkSpec(Architectures.RESNET18, inChannels, 2, 4, baseWidth);
    }

    /** Whether this network produces per-pixel maps (as opposed to per-patch classes). */
    public boolean isSegmentation() {
        return Architectures.isSegmentation(architecture);
    }
}
