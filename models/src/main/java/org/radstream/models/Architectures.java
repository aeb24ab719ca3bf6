package org.radstream.models;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.nn.Block;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Registry from architecture name to builder, so that the model store can rebuild any stored
 * network from its {@link NetworkSpec} alone. Names are part of the artifact format: never rename
 * one, add a new one.
 */
public final class Architectures {

    public static final String UNET = "unet";
    public static final String SE_UNET = "se-unet";
    public static final String RES_UNET = "res-unet";
    public static final String UNET_GROUP_NORM = "unet-gn";
    public static final String UNET_TWO_WINDOWS = "unet-2w";
    public static final String RESNET18 = "resnet18";

    private static final Map<String, Function<NetworkSpec, Block>> BUILDERS = Map.of(
            UNET, spec -> unet(spec, UNetVariant.PLAIN),
            SE_UNET, spec -> unet(spec, UNetVariant.SQUEEZE_EXCITATION),
            RES_UNET, spec -> unet(spec, UNetVariant.RESIDUAL),
            UNET_GROUP_NORM, spec -> unet(spec, UNetVariant.GROUP_NORM),
            UNET_TWO_WINDOWS, spec -> unet(spec, UNetVariant.TWO_WINDOWS),
            RESNET18, Architectures::resnet18);

    private Architectures() {}

    /**
     * Builds a fresh, uninitialised Block for {@code spec}.
     *
     * @throws IllegalArgumentException for an unknown architecture or invalid settings
     */
    public static Block build(NetworkSpec spec) {
        Function<NetworkSpec, Block> builder = BUILDERS.get(spec.architecture());
        if (builder == null) {
            throw new IllegalArgumentException("unknown architecture '" + spec.architecture()
                    + "'; known: " + names());
        }
        return builder.apply(spec);
    }

    /**
     * A new DJL model on {@code device} holding a fresh (uninitialised) network for {@code spec};
     * the caller owns and closes it. Training initialises it on the first batch.
     */
    public static Model newModel(NetworkSpec spec, Device device) {
        Block block = build(spec);
        Model model = Model.newInstance(spec.architecture(), device);
        model.setBlock(block);
        return model;
    }

    /**
     * The spec that {@link #build} would turn back into a block of the same layout, so that a
     * stored artifact always describes the network actually saved.
     *
     * @throws IllegalArgumentException for a block that no registered architecture builds
     */
    public static NetworkSpec specOf(Block block) {
        if (block instanceof UNet u) {
            return new NetworkSpec(u.variant().architecture(), u.inChannels(), u.outChannels(),
                    u.levels(), u.baseWidth());
        }
        if (block instanceof ResNet18 r) {
            return new NetworkSpec(RESNET18, r.inChannels(), r.classes(), 4, r.baseWidth());
        }
        throw new IllegalArgumentException("block " + (block == null ? "null"
                : block.getClass().getName()) + " is not a registered architecture " + names());
    }

    public static Set<String> names() {
        return new TreeSet<>(BUILDERS.keySet());
    }

    static boolean isSegmentation(String architecture) {
        return UNetVariant.of(architecture).isPresent();
    }

    private static Block unet(NetworkSpec spec, UNetVariant variant) {
        return UNet.builder()
                .variant(variant)
                .inChannels(spec.inChannels())
                .outChannels(spec.outChannels())
                .levels(spec.levels())
                .baseWidth(spec.baseWidth())
                .build();
    }

    private static Block resnet18(NetworkSpec spec) {
        if (spec.levels() != 4) {
            throw new IllegalArgumentException("resnet18 has 4 stages; levels must be 4, got "
                    + spec.levels());
        }
        return ResNet18.builder()
                .inChannels(spec.inChannels())
                .classes(spec.outChannels())
                .baseWidth(spec.baseWidth())
                .build();
    }
}
