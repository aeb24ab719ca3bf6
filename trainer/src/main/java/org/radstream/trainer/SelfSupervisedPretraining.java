package org.radstream.trainer;

import ai.djl.Model;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.function.Consumer;
import org.radstream.imaging.Resample;
import org.radstream.imaging.Volume;
import org.radstream.imaging.Window;
import org.radstream.models.EpochLoss;
import org.radstream.models.RestorationLoss;
import org.radstream.models.SegmentationTraining;
import org.radstream.models.TrainingSettings;

/**
 * Self-supervised restoration pretraining on unlabelled scans (the Universal Model paper, after
 * Models Genesis): a fresh segmentation U-Net first learns to restore slices that {@link
 * RestorationTransforms} distorted, with a mean squared error ({@link RestorationLoss}), and the
 * segmentation run then starts from those weights, encoder and decoder alike. Unlabelled series are
 * what a site has most of; labels are what it has least of.
 *
 * <p>Each epoch draws {@code cropsPerScan} new crops of every scan: the paper's sub-volumes at three
 * scales in the ratio 1:1:2, here the network's own stack of neighbouring slices cropped to the
 * whole slice, a half and a quarter of its side and resized to the input size (the paper's scales
 * are 1/2, 1/4 and 1/8 of a volume cropped to a 64³-like input; a 2.5D network reads whole slices,
 * so the largest crop is one). Not taken from the paper: its modality-invariant adversarial module
 * (radstream reads CT only) and its scale classifier (an extra head the U-Net does not have).
 */
final class SelfSupervisedPretraining {

    /** Crops of every scan per epoch, in the paper's 1:1:2 ratio of scales 1, 1/2 and 1/4. */
    static final int DEFAULT_CROPS_PER_SCAN = 16;

    /**
     * What to pretrain on and how long.
     *
     * @param source where the scans came from, for the progress lines and the model's metrics
     */
    record Plan(int epochs, int cropsPerScan, List<Volume> scans, String source) {
        Plan {
            if (epochs < 1) {
                throw new IllegalArgumentException("pretraining needs at least one epoch, got " + epochs);
            }
            if (cropsPerScan < 1) {
                throw new IllegalArgumentException("pretraining needs at least one crop per scan, got " + cropsPerScan);
            }
            if (scans.isEmpty()) {
                throw new IllegalArgumentException("no unlabelled scans to pretrain on (" + source + ")");
            }
            scans = List.copyOf(scans);
        }
    }

    /** The restoration loss of each epoch, and how many crops an epoch held. */
    record Result(List<Double> epochLosses, int cropsPerEpoch, Duration took) {
        double firstLoss() { return epochLosses.get(0); }
        double finalLoss() { return epochLosses.get(epochLosses.size() - 1); }
    }

    private record Crop(int scan, int z, int x0, int y0, int side) {}

    private SelfSupervisedPretraining() {}

    /**
     * Pretrains {@code model} (fresh: initialised here with the recipe's seed) to restore crops of
     * {@code plan}'s scans in {@code window}, at the recipe's input size, slices in, batch size and
     * learning rate (cosine decay over the pretraining epochs). With a {@code checkpoint} directory
     * each finished epoch is kept there ({@link EpochCheckpoint#PRETRAINING_FILE}), and the same
     * pretraining started again (same recipe, starting weights and scans) goes on after its last
     * finished epoch, or, when it had finished, only restores its weights; the caller removes the
     * file once the run that follows has returned.
     */
    static Result run(Model model, Window window, Plan plan, TrainingRecipe r, String name,
                      Consumer<String> progress, Path checkpoint) throws Exception {
        long start = System.nanoTime();
        int size = r.inputSize();
        int channels = r.sliceChannels();
        Random random = new Random(r.seed() ^ 0x5EED_5E1FL);
        List<Double> losses = new ArrayList<>();
        int perEpoch = plan.scans().size() * plan.cropsPerScan();
        TrainingSettings settings = new TrainingSettings(1, r.batchSize(), r.learningRate(), r.seed());
        long fingerprint = 0;
        double before = 0;
        if (checkpoint != null) {
            if (!model.getBlock().isInitialized()) {
                // the seeded initial weights, which the fingerprint covers
                SegmentationTraining.start(model, channels, size, size, settings, new RestorationLoss()).close();
            }
            fingerprint = fingerprint(r, SegmentationRun.snapshot(model), plan);
            Optional<EpochCheckpoint.State> resumed = EpochCheckpoint.read(checkpoint, EpochCheckpoint.PRETRAINING_FILE,
                    fingerprint).filter(c -> c.epochsDone() <= plan.epochs());
            if (resumed.isPresent()) {
                EpochCheckpoint.State c = resumed.get();
                // before the training session starts: it reads the arrays the block holds when it starts
                SegmentationRun.restore(model, c.weights());
                losses.addAll(c.losses());
                random = c.random();
                before = c.elapsedSeconds();
                progress.accept(c.epochsDone() == plan.epochs()
                        ? String.format(Locale.ROOT, "%s pretraining had finished its %d epochs; their weights are read "
                                + "from its checkpoint", name, plan.epochs())
                        : String.format(Locale.ROOT, "%s pretraining resumes after epoch %d of %d from its checkpoint",
                                name, c.epochsDone(), plan.epochs()));
            }
        }
        if (losses.size() == plan.epochs()) {
            return new Result(losses, perEpoch, Duration.ofNanos(Math.round(before * 1e9)));
        }
        progress.accept(String.format(Locale.ROOT, "%s pretraining: restoring %d crops an epoch of %d unlabelled scans (%s), "
                + "%d epochs", name, perEpoch, plan.scans().size(), plan.source(), plan.epochs()));
        int firstEpoch = losses.size();
        try (SegmentationTraining training = SegmentationTraining.start(model, channels, size, size, settings,
                new RestorationLoss())) {
            for (int epoch = firstEpoch; epoch < plan.epochs(); epoch++) {
                training.setLearningRateScale(SegmentationRun.cosineScale(epoch, plan.epochs()));
                List<Crop> crops = new ArrayList<>(perEpoch);
                for (int s = 0; s < plan.scans().size(); s++) {
                    for (int k = 0; k < plan.cropsPerScan(); k++) {
                        crops.add(draw(plan.scans().get(s), s, k, random));
                    }
                }
                int[] order = SegmentationRun.shuffled(crops.size(), random);
                EpochLoss sum = new EpochLoss();
                for (int from = 0; from < order.length; from += r.batchSize()) {
                    RunCancelledException.throwIfRequested();
                    int n = Math.min(r.batchSize(), order.length - from);
                    float[][] x = new float[n][];
                    float[][] y = new float[n][];
                    for (int i = 0; i < n; i++) {
                        Crop c = crops.get(order[from + i]);
                        float[] original = stack(plan.scans().get(c.scan()), c, window, channels, size);
                        y[i] = middle(original, channels, size);
                        x[i] = original;
                        RestorationTransforms.apply(x[i], channels, size, random);
                    }
                    sum.add(training.step(x, y), n);
                }
                losses.add(sum.mean());
                double elapsed = (System.nanoTime() - start) / 1e9;
                if (checkpoint != null) {
                    EpochCheckpoint.write(checkpoint, EpochCheckpoint.PRETRAINING_FILE, new EpochCheckpoint.State(
                            fingerprint, epoch + 1, losses, List.of(), 0, new int[0], 0, 0, before + elapsed, random,
                            SegmentationRun.snapshot(model), null));
                }
                double eta = elapsed / (epoch + 1 - firstEpoch) * (plan.epochs() - epoch - 1);
                progress.accept(String.format(Locale.ROOT, "%s pretraining epoch %d/%d restoration loss %.5f%s ETA %s",
                        name, epoch + 1, plan.epochs(), losses.get(epoch), sum.describeSkipped(),
                        Duration.ofSeconds(Math.round(eta))));
            }
        }
        return new Result(losses, perEpoch, Duration.ofNanos(System.nanoTime() - start + Math.round(before * 1e9)));
    }

    /**
     * A fingerprint of a pretraining: the recipe, the starting weights and the plan, the scans' voxels
     * included. The same fingerprint pretrains the same network on the same crops the same way.
     */
    static long fingerprint(TrainingRecipe r, byte[] startingWeights, Plan plan) {
        long h = r.toString().hashCode();
        h = 31 * h + Arrays.hashCode(startingWeights);
        h = 31 * h + plan.epochs();
        h = 31 * h + plan.cropsPerScan();
        for (Volume v : plan.scans()) {
            h = 31 * h + v.width();
            h = 31 * h + v.height();
            h = 31 * h + Arrays.hashCode(v.hu());
        }
        return h;
    }

    /** The {@code k}-th crop of a scan: scale 1, 1/2, 1/4, 1/4 for k = 0, 1, 2, 3 (mod 4), anywhere in it. */
    private static Crop draw(Volume v, int scan, int k, Random random) {
        int full = Math.min(v.width(), v.height());
        int side = switch (k % 4) {
            case 0 -> full;
            case 1 -> full / 2;
            default -> full / 4;
        };
        side = Math.max(2, side);
        int x0 = random.nextInt(v.width() - side + 1);
        int y0 = random.nextInt(v.height() - side + 1);
        return new Crop(scan, random.nextInt(v.depth()), x0, y0, side);
    }

    /** The crop's slices (its slice and neighbours, edges repeated) windowed and resized to {@code size}², channel-major. */
    private static float[] stack(Volume v, Crop c, Window window, int channels, int size) {
        float[] out = new float[channels * size * size];
        int half = channels / 2;
        for (int ch = 0; ch < channels; ch++) {
            int z = Math.min(v.depth() - 1, Math.max(0, c.z() - half + ch));
            float[] slice = window.apply(v.slice(z));
            float[] crop = new float[c.side() * c.side()];
            for (int y = 0; y < c.side(); y++) {
                System.arraycopy(slice, (c.y0() + y) * v.width() + c.x0(), crop, y * c.side(), c.side());
            }
            float[] resized = c.side() == size ? crop : Resample.bilinear(crop, c.side(), c.side(), size, size);
            System.arraycopy(resized, 0, out, ch * size * size, size * size);
        }
        return out;
    }

    private static float[] middle(float[] stack, int channels, int size) {
        float[] out = new float[size * size];
        System.arraycopy(stack, channels / 2 * size * size, out, 0, out.length);
        return out;
    }
}
