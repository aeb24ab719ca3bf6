package org.radstream.models.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.XavierInitializer;
import java.util.Arrays;
import java.util.Locale;
import org.radstream.models.Architectures;
import org.radstream.models.Devices;
import org.radstream.models.NetworkSpec;

/**
 * Raw forward-pass throughput of one network, batch size and input size: the physical limit a
 * worker's end-to-end throughput is compared against. Weights are random (speed does not depend
 * on their values); no translator, no copies to Java arrays beyond one output read per batch so
 * the lazy engine cannot skip work.
 *
 * <pre>
 * java -cp … org.radstream.models.bench.ForwardBench --arch unet --in 3 --levels 4 --width 16 \
 *     --size 256 --batch 8 --warmup 3 --iterations 20 --device cpu
 * </pre>
 */
public final class ForwardBench {

    private ForwardBench() {}

    /**
     * @param msPerBatch median wall time of one forward pass over a batch
     * @param slicesPerSecond batch size / median time
     */
    public record Result(NetworkSpec network, int batch, int height, int width, Device device,
            double msPerBatch, double slicesPerSecond) {

        public double msPerSlice() {
            return msPerBatch / batch;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT,
                    "%s in=%d levels=%d width=%d input=%dx%d batch=%d device=%s: %.2f ms/batch, "
                            + "%.2f ms/slice, %.1f slices/s",
                    network.architecture(), network.inChannels(), network.levels(),
                    network.baseWidth(), height, width, batch, device, msPerBatch, msPerSlice(),
                    slicesPerSecond);
        }
    }

    /** Measures {@code iterations} timed forward passes after {@code warmup} untimed ones. */
    public static Result measure(NetworkSpec spec, int batch, int height, int width, int warmup,
            int iterations, Device device) {
        if (batch < 1 || height < 1 || width < 1 || warmup < 0 || iterations < 1) {
            throw new IllegalArgumentException("batch, size and iterations must be positive");
        }
        Block block = Architectures.build(spec);
        Shape shape = new Shape(batch, spec.inChannels(), height, width);
        try (Model model = Model.newInstance("bench", device)) {
            model.setBlock(block);
            block.setInitializer(new XavierInitializer(), Parameter.Type.WEIGHT);
            block.initialize(model.getNDManager(), DataType.FLOAT32, shape);
            // no autograd graph: inference never needs one, and recording it costs time
            block.freezeParameters(true);
            ParameterStore store = new ParameterStore(model.getNDManager(), false);
            try (NDManager data = model.getNDManager().newSubManager()) {
                NDArray input = data.randomUniform(0f, 1f, shape);
                long[] nanos = new long[iterations];
                for (int i = 0; i < warmup + iterations; i++) {
                    try (NDManager step = data.newSubManager()) {
                        long start = System.nanoTime();
                        NDArray out = block.forward(store, new NDList(input), false)
                                .singletonOrThrow();
                        step.tempAttachAll(out);
                        out.toFloatArray();
                        long elapsed = System.nanoTime() - start;
                        if (i >= warmup) {
                            nanos[i - warmup] = elapsed;
                        }
                    }
                }
                Arrays.sort(nanos);
                double ms = nanos[iterations / 2] / 1e6;
                return new Result(spec, batch, height, width, device, ms, batch * 1000.0 / ms);
            }
        }
    }

    public static void main(String[] args) {
        String arch = Architectures.UNET;
        int in = 3;
        int out = -1;
        int levels = 4;
        int width = 16;
        int size = 256;
        int batch = 8;
        int warmup = 3;
        int iterations = 20;
        String device = "cpu";
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--arch" -> arch = value;
                case "--in" -> in = Integer.parseInt(value);
                case "--out" -> out = Integer.parseInt(value);
                case "--levels" -> levels = Integer.parseInt(value);
                case "--width" -> width = Integer.parseInt(value);
                case "--size" -> size = Integer.parseInt(value);
                case "--batch" -> batch = Integer.parseInt(value);
                case "--warmup" -> warmup = Integer.parseInt(value);
                case "--iterations" -> iterations = Integer.parseInt(value);
                case "--device" -> device = value;
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; options: --arch --in --out --levels --width --size --batch --warmup"
                        + " --iterations --device");
            }
            i++;
        }
        boolean classifier = Architectures.RESNET18.equals(arch);
        NetworkSpec spec = new NetworkSpec(arch, in, out > 0 ? out : classifier ? 2 : 1,
                classifier ? 4 : levels, width);
        Device d = Devices.requireAvailable(Devices.parse(device));
        System.out.println(measure(spec, batch, size, size, warmup, iterations, d));
    }
}
