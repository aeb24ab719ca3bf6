package org.radstream.models;

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
    public static final String RESNET18 = "resnet18";

    private static final Map<String, Function<NetworkSpec, Block>> BUILDERS = Map.of(
            UNET, spec -> unet(spec, UNetVariant.PLAIN),
            SE_UNET, spec -> unet(spec, UNetVariant.SQUEEZE_EXCITATION),
            RES_UNET, spec -> unet(spec, UNetVariant.RESIDUAL),
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

    public static Set<String> names() {
        return new TreeSet<>(BUILDERS.keySet());
    }

    static boolean isSegmentation(String architecture) {
        return UNET.equals(architecture) || SE_UNET.equals(architecture)
                || RES_UNET.equals(architecture);
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
