package org.radstream.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.XavierInitializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class NetworkShapesTest {

    static Shape forwardShape(Block block, Shape input) {
        try (NDManager manager = NDManager.newBaseManager()) {
            block.setInitializer(new XavierInitializer(), Parameter.Type.WEIGHT);
            block.initialize(manager, DataType.FLOAT32, input);
            NDArray x = manager.randomUniform(0f, 1f, input);
            NDArray y = block.forward(new ParameterStore(manager, false), new NDList(x), false)
                    .singletonOrThrow();
            assertThat(y.toFloatArray()).doesNotContain(Float.NaN);
            return y.getShape();
        }
    }

    @ParameterizedTest
    @EnumSource(UNetVariant.class)
    void twoPointFiveDUNetKeepsResolutionAndPredictsOneMap(UNetVariant variant) {
        UNet net = UNet.builder().variant(variant).inChannels(3).levels(3).baseWidth(8).build();

        assertThat(forwardShape(net, new Shape(1, 3, 64, 64))).isEqualTo(new Shape(1, 1, 64, 64));
        assertThat(net.getOutputShapes(new Shape[] {new Shape(2, 3, 32, 48)}))
                .containsExactly(new Shape(2, 1, 32, 48));
    }

    @Test
    void twoDUNetWithFourLevelsOnABatch() {
        UNet net = UNet.builder().levels(4).baseWidth(4).build();

        assertThat(forwardShape(net, new Shape(2, 1, 32, 32))).isEqualTo(new Shape(2, 1, 32, 32));
    }

    @Test
    void resNet18GivesTwoLogitsPerOneChannelPatch() {
        ResNet18 net = ResNet18.builder().baseWidth(16).build();

        assertThat(forwardShape(net, new Shape(3, 1, 64, 64))).isEqualTo(new Shape(3, 2));
    }

    @Test
    void pixelShuffleMovesChannelsIntoTwoByTwoBlocks() {
        try (NDManager manager = NDManager.newBaseManager()) {
            // 4 channels of one 1×1 pixel: values 0..3 → a 2×2 image [[0,1],[2,3]]
            NDArray x = manager.arange(0f, 8f).reshape(1, 8, 1, 1);
            NDArray y = Layers.pixelShuffle(x);
            assertThat(y.getShape()).isEqualTo(new Shape(1, 2, 2, 2));
            assertThat(y.toFloatArray()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
            NDArray wide = manager.arange(0f, 8f).reshape(1, 4, 1, 2);
            // channel k at column w lands at (k / 2, 2w + k % 2)
            assertThat(Layers.pixelShuffle(wide).toFloatArray())
                    .containsExactly(0, 2, 1, 3, 4, 6, 5, 7);
        }
    }

    @Test
    void squeezeExcitationAddsAChannelGatedAndAPixelGatedCopyOfItsInput() {
        Block gate = Layers.squeezeExcitation(4, 2);
        Shape shape = new Shape(2, 4, 3, 3);
        try (NDManager manager = NDManager.newBaseManager()) {
            gate.setInitializer(new XavierInitializer(), Parameter.Type.WEIGHT);
            gate.initialize(manager, DataType.FLOAT32, shape);
            NDArray x = manager.randomUniform(-2f, 2f, shape);
            gate.getParameters().values().forEach(p -> p.getArray().muli(0));
            // every gate is sigmoid(0) = 0.5, so the block starts as the identity
            assertThat(forward(gate, manager, x)).containsExactly(x.toFloatArray(), within(1e-6f));

            // the spatial 1×1 convolution (the only one with one output map) reads channel 0
            gate.getParameters().values().stream()
                    .filter(p -> p.getArray().getShape().equals(new Shape(1, 4, 1, 1)))
                    .findFirst().orElseThrow().getArray().set(new NDIndex("0, 0"), 1f);
            NDArray pixelWeight = Activation.sigmoid(x.get(new NDIndex(":, 0:1")));
            NDArray expected = x.mul(pixelWeight.add(0.5f));
            assertThat(forward(gate, manager, x)).containsExactly(expected.toFloatArray(), within(1e-5f));
        }
    }

    private static float[] forward(Block block, NDManager manager, NDArray x) {
        return block.forward(new ParameterStore(manager, false), new NDList(x), false)
                .singletonOrThrow().toFloatArray();
    }

    @Test
    void unetRefusesInputThatDoesNotFitItsLevels() {
        UNet net = UNet.builder().levels(4).baseWidth(4).build();

        assertThatThrownBy(() -> net.getOutputShapes(new Shape[] {new Shape(1, 1, 60, 64)}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("multiples of 8");
        assertThatThrownBy(() -> net.getOutputShapes(new Shape[] {new Shape(1, 3, 64, 64)}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1 input channel");
    }

    @Test
    void buildersRefuseBadSettingsWithTheReason() {
        assertThatThrownBy(() -> UNet.builder().levels(1).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("levels");
        assertThatThrownBy(() -> UNet.builder().levels(7).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("levels");
        assertThatThrownBy(() -> UNet.builder().baseWidth(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("baseWidth");
        assertThatThrownBy(() -> UNet.builder().inChannels(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("inChannels");
        assertThatThrownBy(() -> UNet.builder().variant(null).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("variant");
        assertThatThrownBy(() -> ResNet18.builder().classes(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("classes");
        assertThatThrownBy(() -> Architectures.build(new NetworkSpec("vgg", 1, 1, 4, 8)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown architecture 'vgg'").hasMessageContaining("unet");
        assertThatThrownBy(() -> Architectures.build(new NetworkSpec("resnet18", 1, 2, 3, 8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("levels");
    }

    @Test
    void registryBuildsEveryArchitectureFromItsSpec() {
        assertThat(Architectures.build(NetworkSpec.unet25d(3, 8))).isInstanceOf(UNet.class)
                .extracting(b -> ((UNet) b).inChannels()).isEqualTo(3);
        assertThat(Architectures.build(NetworkSpec.unet(UNetVariant.RESIDUAL, 1, 3, 8)))
                .hasToString("res-unet(in=1, out=1, levels=3, width=8)");
        assertThat(Architectures.build(NetworkSpec.resnet18(1, 8))).isInstanceOf(ResNet18.class);
        assertThat(Architectures.names()).containsExactly("res-unet", "resnet18", "se-unet", "unet", "unet-2w", "unet-gn");
        assertThat(Architectures.build(NetworkSpec.unet(UNetVariant.TWO_WINDOWS, 3, 3, 8)))
                .hasToString("unet-2w(in=3, out=1, levels=3, width=8)");
        assertThat(Architectures.specOf(Architectures.build(NetworkSpec.unet(UNetVariant.GROUP_NORM, 3, 4, 8))))
                .isEqualTo(new NetworkSpec("unet-gn", 3, 1, 4, 8));
    }
}
