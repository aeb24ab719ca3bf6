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
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.training.initializer.XavierInitializer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class SliceWideningTest {

    private static UNet initialised(UNetVariant variant, int slices, NDManager manager) {
        UNet net = UNet.builder().variant(variant).inChannels(slices).levels(3).baseWidth(4).build();
        net.setInitializer(new XavierInitializer(), Parameter.Type.WEIGHT);
        // non-trivial biases and batch-norm parameters, so that copying them is tested too
        net.setInitializer(new NormalInitializer(0.3f), Parameter.Type.BIAS);
        net.setInitializer(new NormalInitializer(0.3f), Parameter.Type.BETA);
        net.initialize(manager, DataType.FLOAT32, new Shape(1, slices, 16, 16));
        return net;
    }

    private static float[] predict(UNet net, NDManager manager, NDArray x) {
        return net.forward(new ParameterStore(manager, false), new NDList(x), false).singletonOrThrow().toFloatArray();
    }

    @ParameterizedTest
    @EnumSource(UNetVariant.class)
    void aFiveSliceNetworkStartedFromAThreeSliceOneGivesItsOutputWhateverTheOuterSlicesHold(UNetVariant variant) {
        try (NDManager manager = NDManager.newBaseManager()) {
            UNet three = initialised(variant, 3, manager);
            UNet five = initialised(variant, 5, manager);
            NDArray x = manager.randomUniform(0f, 1f, new Shape(2, 5, 16, 16));
            NDArray middle = x.get(new NDIndex(":, 1:4"));
            float[] expected = predict(three, manager, middle);
            assertThat(predict(five, manager, x)).as("freshly initialised: a different network")
                    .isNotEqualTo(expected);

            SliceWidening.copy(three, five);

            if (ConvolutionCheck.wrongShapes(five, ai.djl.Device.cpu()).isEmpty()) {
                assertThat(predict(five, manager, x)).containsExactly(expected, within(1e-4f));
                NDArray otherOuter = x.duplicate();
                otherOuter.set(new NDIndex(":, 0"), 0.9f);
                otherOuter.set(new NDIndex(":, 4"), 0.1f);
                assertThat(predict(five, manager, otherOuter)).containsExactly(expected, within(1e-4f));
            } else {
                // the engine capped at AVX gets a two-window network's 10-channel input convolution wrong
                // (ConvolutionCheckTest): the weights below are what is checked
                assertThat(variant).isEqualTo(UNetVariant.TWO_WINDOWS);
                assertThat(ConvolutionCheck.wrongShapes(five, ai.djl.Device.cpu())).containsExactly("4×10×3×3");
            }
            // the outer slices' input weights are zero (in each window a two-window network reads), and training can move them
            Parameter first = five.getParameters().get(0).getValue();
            int windows = variant == UNetVariant.TWO_WINDOWS ? 2 : 1;
            assertThat(first.getArray().getShape().get(1)).isEqualTo(5 * windows);
            for (int w = 0; w < windows; w++) {
                assertThat(first.getArray().get(new NDIndex(":, " + 5 * w)).abs().sum().getFloat()).isZero();
                assertThat(first.getArray().get(new NDIndex(":, " + (5 * w + 4))).abs().sum().getFloat()).isZero();
                assertThat(first.getArray().get(new NDIndex(":, " + (5 * w + 2))).abs().sum().getFloat()).isPositive();
            }
            assertThat(first.requiresGradient()).isTrue();
        }
    }

    @Test
    void theSameSliceCountCopiesEveryWeight() {
        try (NDManager manager = NDManager.newBaseManager()) {
            UNet a = initialised(UNetVariant.PLAIN, 3, manager);
            UNet b = initialised(UNetVariant.PLAIN, 3, manager);
            NDArray x = manager.randomUniform(0f, 1f, new Shape(1, 3, 16, 16));

            SliceWidening.copy(a, b);

            assertThat(predict(b, manager, x)).containsExactly(predict(a, manager, x), within(1e-6f));
        }
    }

    @Test
    void refusesAnotherNetworkFewerSlicesAnEvenCountAndUninitialisedNetworks() {
        try (NDManager manager = NDManager.newBaseManager()) {
            UNet three = initialised(UNetVariant.PLAIN, 3, manager);
            UNet five = initialised(UNetVariant.PLAIN, 5, manager);
            UNet residual = initialised(UNetVariant.RESIDUAL, 5, manager);
            UNet even = initialised(UNetVariant.PLAIN, 4, manager);
            UNet deeper = UNet.builder().inChannels(5).levels(4).baseWidth(4).build();

            assertThatThrownBy(() -> SliceWidening.copy(five, three)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("at least as many");
            assertThatThrownBy(() -> SliceWidening.copy(three, residual)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("cannot widen unet(in=3");
            assertThatThrownBy(() -> SliceWidening.copy(three, even)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("odd number");
            assertThatThrownBy(() -> SliceWidening.copy(three, deeper)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("cannot widen");
            UNet fresh = UNet.builder().inChannels(5).levels(3).baseWidth(4).build();
            assertThatThrownBy(() -> SliceWidening.copy(three, fresh)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("initialised");
        }
    }

    @Test
    void anInputWeightIsCentredAndAnyOtherDifferenceRefused() {
        float[] narrow = {1, 2, 3, 4, 5, 6}; // 2 outputs × 3 slices × 1
        assertThat(SliceWidening.centred("w", narrow, new Shape(2, 3, 1, 1), new Shape(2, 5, 1, 1), 3, 5, 1))
                .containsExactly(0, 1, 2, 3, 0, 0, 4, 5, 6, 0);
        // two windows: 1 output × (3 lung + 3 soft-tissue slices), each block centred
        assertThat(SliceWidening.centred("w", narrow, new Shape(1, 6, 1, 1), new Shape(1, 10, 1, 1), 3, 5, 2))
                .containsExactly(0, 1, 2, 3, 0, 0, 4, 5, 6, 0);
        assertThatThrownBy(() -> SliceWidening.centred("w", narrow, new Shape(2, 3, 1, 1), new Shape(3, 5, 1, 1), 3, 5, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("only the slices read may differ");
        assertThat(SliceWidening.leading("w", narrow, new Shape(2, 3, 1, 1), new Shape(2, 6, 1, 1), 3))
                .containsExactly(1, 2, 3, 0, 0, 0, 4, 5, 6, 0, 0, 0);
        assertThatThrownBy(() -> SliceWidening.leading("w", narrow, new Shape(2, 3, 1, 1), new Shape(2, 5, 1, 1), 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("only the channels read may differ");
    }

    @Test
    void theSoftTissueWindowIsTheLungWindowedValueReWindowedToMinus160To240Hu() {
        double[] hu = {-1200, -860, -160, -100, 40, 240, 600};
        float[] expected = {0, 0, 0, 0.15f, 0.5f, 1, 1};
        float[] lung = new float[hu.length];
        for (int i = 0; i < hu.length; i++) {
            lung[i] = (float) ((hu[i] - UNet.INPUT_LOW_HU) / (UNet.INPUT_HIGH_HU - UNet.INPUT_LOW_HU));
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThat(UNet.softTissue(manager.create(lung)).toFloatArray()).containsExactly(expected, within(1e-5f));
        }
    }

    @Test
    void aTwoWindowNetworkStartedFromAPlainOneGivesItsOutputUntilItsSoftTissueWeightsMove() {
        try (NDManager manager = NDManager.newBaseManager()) {
            UNet plain = initialised(UNetVariant.PLAIN, 3, manager);
            UNet two = initialised(UNetVariant.TWO_WINDOWS, 3, manager);
            // lung-window values around soft tissue, where the added window is not clamped
            NDArray x = manager.randomUniform(0.55f, 0.75f, new Shape(2, 3, 16, 16));
            float[] expected = predict(plain, manager, x);
            assertThat(predict(two, manager, x)).isNotEqualTo(expected);

            SliceWidening.addSoftTissueWindow(plain, two);

            assertThat(predict(two, manager, x)).containsExactly(expected, within(1e-4f));
            NDArray first = two.getParameters().get(0).getValue().getArray();
            assertThat(first.getShape()).isEqualTo(new Shape(4, 6, 3, 3));
            assertThat(first.get(new NDIndex(":, 3:6")).abs().sum().getFloat()).isZero();
            first.set(new NDIndex(":, 3:6"), 0.05f);
            assertThat(predict(two, manager, x)).as("the soft-tissue channels are read").isNotEqualTo(expected);

            UNet se = initialised(UNetVariant.SQUEEZE_EXCITATION, 3, manager);
            UNet fiveSlices = initialised(UNetVariant.TWO_WINDOWS, 5, manager);
            assertThatThrownBy(() -> SliceWidening.addSoftTissueWindow(se, two)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("cannot add the soft-tissue window to se-unet(in=3");
            assertThatThrownBy(() -> SliceWidening.addSoftTissueWindow(plain, fiveSlices)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("the same slices, levels, width and outputs");
            assertThatThrownBy(() -> SliceWidening.addSoftTissueWindow(plain, plain)).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
