package org.radstream.models;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;

/**
 * The supervised step shared by segmentation and classification: Adam, one loss, one sub-manager
 * per step so that no tensor outlives its step. Labels are produced per batch by the caller's
 * function, which is all that differs between the two tasks.
 */
final class TrainingLoop implements AutoCloseable {

    private final Trainer trainer;
    private final int channels;
    private final int height;
    private final int width;
    private final TrainingSettings settings;
    /** Steps of the current {@code fit} (0 outside fit) and how many of them are done. */
    private int plannedSteps;
    private int doneSteps;
    /** Multiplies the base rate outside {@code fit}: schedules of callers that drive {@link #step}. */
    private float rateScale = 1f;
    private final NonFiniteLosses nonFinite;

    TrainingLoop(Model model, Loss loss, int channels, int height, int width,
            TrainingSettings settings) {
        if (model.getBlock() == null) {
            throw new IllegalArgumentException("model " + model.getName() + " has no block");
        }
        UNet.require(channels >= 1 && height >= 1 && width >= 1,
                "sample shape must be positive, got " + channels + "×" + height + "×" + width);
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.settings = settings;
        Device device = model.getNDManager().getDevice();
        DefaultTrainingConfig config = new DefaultTrainingConfig(loss)
                .optInitializer(new XavierInitializer(), Parameter.Type.WEIGHT)
                .optOptimizer(Optimizer.adam()
                        .optLearningRateTracker((parameterId, numUpdate) -> learningRate())
                        .build())
                .optDevices(new Device[] {device});
        boolean initialized = model.getBlock().isInitialized();
        // the PyTorch engine unfreezes every parameter of a loaded model when it makes a trainer: a
        // stage frozen before (transfer from a published version) is frozen again below
        List<Parameter> frozen = new ArrayList<>();
        for (Parameter p : model.getBlock().getParameters().values()) {
            if (!p.requiresGradient()) {
                frozen.add(p);
            }
        }
        this.trainer = model.newTrainer(config);
        if (!initialized) {
            // repeatable initial weights; the engine's generator is process-wide, which is
            // acceptable for a training process and irrelevant to inference
            Engine.getInstance().setRandomSeed((int) settings.seed());
        }
        // also for loaded weights (transfer, SUM from trained networks), which it keeps: it marks them as
        // needing gradients and names the block's input, without which the trained model cannot be saved
        trainer.initialize(new Shape(1, channels, height, width));
        frozen.forEach(p -> p.freeze(true));
        try {
            ConvolutionCheck.verify(model.getBlock(), device, model.getName());
        } catch (RuntimeException e) {
            trainer.close();
            throw e;
        }
        // after initialize: the arrays the trainer updates
        this.nonFinite = new NonFiniteLosses(model.getBlock());
    }

    /** Base rate outside {@code fit}; within, cosine-decayed to 1% if the settings ask for it. */
    float learningRate() {
        float base = settings.learningRate() * rateScale;
        if (!settings.cosineDecay() || plannedSteps <= 1) {
            return base;
        }
        double progress = Math.min(1.0, (double) doneSteps / (plannedSteps - 1));
        double floor = 0.01;
        return (float) (base * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * progress))));
    }

    Trainer trainer() {
        return trainer;
    }

    void setRateScale(float scale) {
        UNet.require(scale > 0 && scale <= 1, "learning-rate scale must be in (0, 1], got " + scale);
        rateScale = scale;
    }

    TrainingSettings settings() {
        return settings;
    }

    /**
     * One optimiser step on {@code inputs}; returns the batch loss before the update, or NaN for a
     * batch whose loss was not finite: no update is made from it ({@link NonFiniteLosses}).
     */
    float step(float[][] inputs, BiFunction<NDManager, int[], NDArray> labels, int[] rows) {
        try (NDManager step = trainer.getManager().newSubManager()) {
            NDArray x = Batches.toArray(step, inputs, channels, height, width);
            NDArray y = labels.apply(step, rows);
            float[][] statistics = nonFinite.statistics();
            float value;
            try (GradientCollector collector = trainer.newGradientCollector()) {
                NDList predictions = trainer.forward(new NDList(x));
                NDArray loss = trainer.getLoss().evaluate(new NDList(y), predictions);
                collector.backward(loss);
                value = loss.getFloat();
            }
            if (!nonFinite.accept(value, statistics)) {
                return Float.NaN;
            }
            trainer.step();
            return value;
        }
    }

    /** Batches whose loss was not finite and that made no update, since this loop started. */
    int skippedSteps() {
        return nonFinite.skipped();
    }

    /**
     * {@code settings.epochs()} shuffled passes over {@code n} samples; {@code select(rows)}
     * gathers a batch's inputs.
     */
    TrainingResult fit(int n, java.util.function.Function<int[], float[][]> select,
            BiFunction<NDManager, int[], NDArray> labels) {
        UNet.require(n > 0, "no training samples");
        Random random = new Random(settings.seed());
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        List<Double> epochLosses = new ArrayList<>();
        int steps = 0;
        long samples = 0;
        long start = System.nanoTime();
        int batchesPerEpoch = (n + settings.batchSize() - 1) / settings.batchSize();
        plannedSteps = batchesPerEpoch * settings.epochs();
        doneSteps = 0;
        try {
            for (int epoch = 0; epoch < settings.epochs(); epoch++) {
                shuffle(order, random);
                EpochLoss loss = new EpochLoss();
                for (int from = 0; from < n; from += settings.batchSize()) {
                    int[] rows = java.util.Arrays.copyOfRange(order, from,
                            Math.min(n, from + settings.batchSize()));
                    loss.add(step(select.apply(rows), labels, rows), rows.length);
                    steps++;
                    doneSteps++;
                    samples += rows.length;
                }
                epochLosses.add(loss.mean());
            }
        } finally {
            plannedSteps = 0;
        }
        return new TrainingResult(epochLosses, steps, samples,
                Duration.ofNanos(System.nanoTime() - start));
    }

    /** Network outputs in inference mode (batch norm uses running statistics), flattened. */
    float[] evaluate(float[][] inputs) {
        try (NDManager step = trainer.getManager().newSubManager()) {
            NDArray x = Batches.toArray(step, inputs, channels, height, width);
            return trainer.evaluate(new NDList(x)).singletonOrThrow().toFloatArray();
        }
    }

    private static void shuffle(int[] a, Random random) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    @Override
    public void close() {
        trainer.close();
    }
}
