package org.radstream.models;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Checks that the engine computes a network's convolutions right before the network trains or
 * infers. libtorch 2.7.1's oneDNN, capped at AVX or AVX2 ({@code DNNL_MAX_CPU_ISA}), computes 3×3
 * convolutions whose input channels are above 8 and not a multiple of 8 (9–15, 17–23, …) wrongly on
 * this machine kind, NaN included; uncapped it gets others wrong (17–40 but 32), and capped at SSE41
 * it computes every count right (ACCURACY.md, "A wrong convolution"). So every convolution shape of a
 * network (output and input channels, kernel) is run once per process and device on random input and
 * compared with a plain sum of products; a network with a shape the engine gets wrong is refused
 * with the shapes and what to do, instead of training to NaN or inferring nonsense.
 */
public final class ConvolutionCheck {

    /** Largest error accepted, relative to 1 + |reference|: float sums of up to a few thousand products. */
    static final double TOLERANCE = 1e-3;
    static final int SIDE = 12;
    static final int BATCH = 2;
    private static final Map<String, Boolean> CHECKED = new ConcurrentHashMap<>();

    private ConvolutionCheck() {}

    /**
     * Refuses {@code block} (initialised) when the engine on {@code device} computes one of its
     * convolution shapes wrongly.
     *
     * @throws IllegalStateException naming the wrong shapes
     */
    public static void verify(Block block, Device device, String what) {
        verify(block, device, what, ENGINE);
    }

    /** Whether the engine computes one convolution shape right (output channels, input channels, kernel side). */
    @FunctionalInterface
    interface ShapeCheck {
        boolean computesRight(int out, int in, int k, Device device);
    }

    /** The engine itself, each shape run once per process and device. */
    private static final ShapeCheck ENGINE = (out, in, k, device) ->
            CHECKED.computeIfAbsent(device + " " + out + "×" + in + "×" + k + "×" + k, key -> computesRight(out, in, k, device));

    /** {@link #verify(Block, Device, String)} with the shapes judged by {@code check}. */
    static void verify(Block block, Device device, String what, ShapeCheck check) {
        List<String> wrong = wrongShapes(block, device, check);
        if (!wrong.isEmpty()) {
            String isa = System.getenv("DNNL_MAX_CPU_ISA");
            throw new IllegalStateException(String.format(Locale.ROOT, "the engine computes %s's convolutions of %s wrongly "
                    + "on %s (DNNL_MAX_CPU_ISA=%s): refusing to run it; use channel counts of at most 8 or multiples of "
                    + "8 (e.g. --width 8 or 16), or run with DNNL_MAX_CPU_ISA=SSE41", what, String.join(", ", wrong), device,
                    isa == null ? "unset" : isa));
        }
    }

    /** The convolution shapes of {@code block} (as "O×C×kh×kw") the engine on {@code device} gets wrong; empty when none. */
    public static List<String> wrongShapes(Block block, Device device) {
        return wrongShapes(block, device, ENGINE);
    }

    private static List<String> wrongShapes(Block block, Device device, ShapeCheck check) {
        TreeSet<String> wrong = new TreeSet<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            Parameter parameter = p.getValue();
            if (parameter.getType() != Parameter.Type.WEIGHT || !parameter.isInitialized()) {
                continue;
            }
            Shape s = parameter.getArray().getShape();
            if (s.dimension() != 4 || s.get(2) != s.get(3) || s.get(2) % 2 == 0) {
                continue;
            }
            int out = Math.toIntExact(s.get(0));
            int in = Math.toIntExact(s.get(1));
            int k = Math.toIntExact(s.get(2));
            String name = out + "×" + in + "×" + k + "×" + k;
            if (!check.computesRight(out, in, k, device)) {
                wrong.add(name);
            }
        }
        return new ArrayList<>(wrong);
    }

    /** One convolution of {@code out × in × k × k} (stride 1, same padding) against a plain sum of products. */
    static boolean computesRight(int out, int in, int k, Device device) {
        Random random = new Random(31L * out + 7L * in + k);
        float[] x = new float[BATCH * in * SIDE * SIDE];
        float[] w = new float[out * in * k * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = random.nextFloat();
        }
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (random.nextGaussian() / Math.sqrt(in * k * k));
        }
        float[] y;
        try (NDManager manager = NDManager.newBaseManager(device)) {
            NDArray input = manager.create(x, new Shape(BATCH, in, SIDE, SIDE));
            NDArray weight = manager.create(w, new Shape(out, in, k, k));
            int pad = k / 2;
            y = Conv2d.conv2d(input, weight, null, new Shape(1, 1), new Shape(pad, pad), new Shape(1, 1), 1)
                    .singletonOrThrow().toFloatArray();
        }
        return matches(y, x, w, out, in, k);
    }

    /**
     * Whether {@code y}, the engine's output for input {@code x} (BATCH × in × SIDE²) and weights
     * {@code w} (out × in × k × k), equals a plain sum of products within {@link #TOLERANCE}.
     */
    static boolean matches(float[] y, float[] x, float[] w, int out, int in, int k) {
        int pad = k / 2;
        // every output channel at a spread of positions, borders included
        for (int n = 0; n < BATCH; n++) {
            for (int o = 0; o < out; o++) {
                for (int r = 0; r < SIDE; r += 3) {
                    for (int c = (o + r) % 2; c < SIDE; c += 2) {
                        double sum = 0;
                        for (int ch = 0; ch < in; ch++) {
                            for (int dy = 0; dy < k; dy++) {
                                int yy = r + dy - pad;
                                if (yy < 0 || yy >= SIDE) {
                                    continue;
                                }
                                for (int dx = 0; dx < k; dx++) {
                                    int xx = c + dx - pad;
                                    if (xx >= 0 && xx < SIDE) {
                                        sum += x[((n * in + ch) * SIDE + yy) * SIDE + xx] * w[((o * in + ch) * k + dy) * k + dx];
                                    }
                                }
                            }
                        }
                        float got = y[((n * out + o) * SIDE + r) * SIDE + c];
                        if (!(Math.abs(got - sum) <= TOLERANCE * (1 + Math.abs(sum)))) {
                            return false;
                        }
                    }
                }
            }
        }
        return true;
    }
}
