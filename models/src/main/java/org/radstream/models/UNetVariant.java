package org.radstream.models;

/**
 * How each convolution stage of a {@link UNet} is built.
 *
 * <p>The SU-UNet method needs two U-Nets that err differently, so their agreement means something:
 * the squeeze-and-excitation variant re-weights channels and pixels, the residual variant eases
 * gradient flow. Both keep the plain U-Net's encoder/decoder layout, so every variant accepts the
 * same inputs and produces the same output shape.
 */
public enum UNetVariant {
    /** Two 3×3 convolutions, each followed by batch norm and ReLU (Ronneberger et al.). */
    PLAIN("unet"),
    /**
     * A plain stage followed by concurrent channel and spatial squeeze-and-excitation gates
     * (SE-UNet; scSE of Roy et al.).
     */
    SQUEEZE_EXCITATION("se-unet"),
    /** Two 3×3 convolutions around an identity or 1×1 projection shortcut (Res-UNet). */
    RESIDUAL("res-unet"),
    /**
     * A plain stage with group norm in place of batch norm: what a slice's output is does not
     * depend on the other slices of its batch or on running statistics, so the network infers
     * exactly as it trained.
     */
    GROUP_NORM("unet-gn"),
    /**
     * A plain U-Net that reads its slices through two windows: its input is in the lung window
     * ({@value UNet#INPUT_LOW_HU}..{@value UNet#INPUT_HIGH_HU} HU), and its first layer adds each input
     * channel again through the soft-tissue window ({@value UNet#SOFT_TISSUE_LOW_HU}..{@value
     * UNet#SOFT_TISSUE_HIGH_HU} HU, W400 L40, the window radiologists read consolidation in). In the lung
     * window consolidation at -100 HU and the chest wall at +45 HU differ by a twelfth of the range; in
     * the soft-tissue window by a third. The first convolution reads twice the input channels.
     */
    TWO_WINDOWS("unet-2w");

    private final String architecture;

    UNetVariant(String architecture) {
        this.architecture = architecture;
    }

    /** The architecture name under which {@link Architectures} registers this variant. */
    public String architecture() {
        return architecture;
    }

    /** The variant registered under {@code architecture}, if it names one. */
    public static java.util.Optional<UNetVariant> of(String architecture) {
        for (UNetVariant v : values()) {
            if (v.architecture.equals(architecture)) {
                return java.util.Optional.of(v);
            }
        }
        return java.util.Optional.empty();
    }
}
