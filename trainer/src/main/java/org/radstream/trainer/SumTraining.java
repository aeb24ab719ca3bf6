package org.radstream.trainer;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import java.time.Duration;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.function.Consumer;
import org.radstream.imaging.Window;
import org.radstream.models.EpochLoss;
import org.radstream.models.NonFiniteLosses;
import org.radstream.models.SegmentationTraining;
import org.radstream.models.TrainingSettings;

/**
 * SU-UNet (self-updating U-Nets) for noisy labels: an SE-UNet and a Res-UNet learn side by side.
 * The warm-up (by default the first half of the epochs) trains both on the noisy labels
 * ({@link #warmupEpochs}); before every later epoch each training slice's target is recomputed by
 * {@link SoftLabels} from the noisy label and both networks' current masks (1 / 0.8 / 0.6 / 0.4 / 0),
 * and each network is trained with {@link SumLoss} (Dice + focal + 0.01 × the Dice score between the two networks'
 * outputs, which keeps them apart) on those labels, or on their majority ({@link SumTargets}). The
 * learning rate follows the same half cosine as single-network runs. Augmentation is SU-UNet's
 * (scale, rotation, flips), one transform per slice applied to its inputs, its soft target and the
 * peer's output alike. Each network ends with the weights of its best self-updating epoch on the
 * validation scans, as single-network runs keep their best epoch. With the recipe's hard-sample
 * mining the warm-up trains on one half of the slices and its end adds the other half's hard slices
 * with their flips ({@link #addHardSlices}), as single-network runs do half-way. Two networks that
 * arrive already trained on the noisy labels (the paper's "until the two UNet converge", here two
 * single-network runs) skip the warm-up: every epoch self-updates.
 */
final class SumTraining {

    /** Per-epoch losses and validation Dice of both networks, and how far the soft labels moved. */
    record Result(List<Double> lossA, List<Double> lossB, List<Double> diceA, List<Double> diceB,
                  List<Double> softLabelChange, int steps, Duration elapsed, TestTimeFlipChoice.Option inferenceA,
                  TestTimeFlipChoice.Option inferenceB, int keptEpochA, int keptEpochB, int hardSlices,
                  List<Double> noisyLabelTruthDice, List<Double> softLabelTruthDice,
                  List<Double> majorityLabelTruthDice) {
        MaskThreshold.Choice thresholdA() { return inferenceA.threshold(); }
        MaskThreshold.Choice thresholdB() { return inferenceB.threshold(); }
        /**
         * Dice of the SE-UNet's kept weights with its chosen flips and threshold, on the scans that
         * chose them (selection scans, else validation; the last epoch's at 0.5 without either).
         */
        double finalDiceA() { return atThreshold(thresholdA(), diceA, keptEpochA); }
        double finalDiceB() { return atThreshold(thresholdB(), diceB, keptEpochB); }

        private static double atThreshold(MaskThreshold.Choice c, List<Double> dice, int kept) {
            if (c != null && !Double.isNaN(c.dice())) {
                return c.dice();
            }
            return dice.isEmpty() ? Double.NaN : dice.get((kept > 0 ? kept : dice.size()) - 1);
        }
    }

    private SumTraining() {}

    /**
     * Epochs on the noisy labels before the labels start to self-update: half of the run. SU-UNet
     * updates the labels once the two networks have converged on the noisy ones; updating from
     * the first epoch, when neither network has found a vessel yet, turned the labels into "the
     * whole region" (both networks agreeing on it scores 0.8) and the networks followed.
     */
    static int warmupEpochs(int epochs) {
        return epochs / 2;
    }

    /** The recipe's warm-up: its {@code sumWarmupEpochs}, or half of its epochs when that is 0. */
    static int warmupEpochs(TrainingRecipe r) {
        if (r.sumWarmupEpochs() == 0) {
            return warmupEpochs(r.epochs());
        }
        if (r.sumWarmupEpochs() >= r.epochs()) {
            throw new IllegalArgumentException("a SUM warm-up of " + r.sumWarmupEpochs() + " epochs leaves none of the "
                    + r.epochs() + " epochs to update the labels");
        }
        return r.sumWarmupEpochs();
    }

    static Result run(Model a, Model b, Window window, SegmentationRun.Samples data, List<boolean[]> noisy,
                      List<ScanData> validation, TrainingRecipe r, Consumer<String> progress) throws Exception {
        return run(a, b, window, data, noisy, validation, List.of(), warmupEpochs(r), r, progress, null);
    }

    /**
     * A SUM run; with a non-empty {@code selection}, how each network's kept weights are read is
     * chosen on those scans instead of the validation scans (which still choose the kept epochs).
     *
     * @param warmup     epochs on the noisy labels before the labels self-update: {@link #warmupEpochs(TrainingRecipe)},
     *                   or 0 when both networks arrive already trained on the noisy labels (then every epoch
     *                   self-updates, and there is no warm-up to mine hard slices after)
     * @param checkpoint where the run keeps a {@link SumCheckpoint} after every epoch but the last, and
     *                   whence the same run started again goes on (null: none); removed when the run returns
     */
    static Result run(Model a, Model b, Window window, SegmentationRun.Samples data, List<boolean[]> noisy,
                      List<ScanData> validation, List<ScanData> selection, int warmup, TrainingRecipe r,
                      Consumer<String> progress, Path checkpoint) throws Exception {
        if (warmup < 0 || warmup >= r.epochs()) {
            throw new IllegalArgumentException("a SUM warm-up of " + warmup + " epochs must lie in 0.." + (r.epochs() - 1));
        }
        List<ScanData> chooseOn = selection.isEmpty() ? validation : selection;
        String scansName = SegmentationRun.scansName(selection);
        long start = System.nanoTime();
        TrainingSettings settings = new TrainingSettings(1, r.batchSize(), r.learningRate(), r.seed());
        SumLoss loss = SumLoss.withGamma(r.sumFocalGamma());
        List<Double> lossA = new ArrayList<>();
        List<Double> lossB = new ArrayList<>();
        List<Double> diceA = new ArrayList<>();
        List<Double> diceB = new ArrayList<>();
        List<Double> change = new ArrayList<>();
        List<Double> noisyToTruth = new ArrayList<>();
        List<Double> softToTruth = new ArrayList<>();
        List<Double> majorityToTruth = new ArrayList<>();
        int steps = 0;
        int hardAdded = 0;
        Augmentation aug = Augmentation.paper(r.inputSize());
        long fingerprint = 0;
        Optional<SumCheckpoint.State> resumed = Optional.empty();
        if (checkpoint != null) {
            for (Model m : List.of(a, b)) {
                if (!m.getBlock().isInitialized()) {
                    // the run's seeded initial weights, which the fingerprint covers
                    SegmentationTraining.start(m, r.sliceChannels(), r.inputSize(), r.inputSize(), settings, loss).close();
                }
            }
            fingerprint = SumCheckpoint.fingerprint(r, warmup, SegmentationRun.snapshot(a), SegmentationRun.snapshot(b),
                    data.inputs(), data.targets(), validation);
            resumed = SumCheckpoint.read(checkpoint, fingerprint).filter(c -> c.epochsDone() < r.epochs());
            if (resumed.isPresent()) {
                // before the training sessions start: they read the arrays the blocks hold when they start
                SegmentationRun.restore(a, resumed.get().weightsA());
                SegmentationRun.restore(b, resumed.get().weightsB());
            }
        }
        try (SegmentationTraining ta = SegmentationTraining.start(a, r.sliceChannels(), r.inputSize(), r.inputSize(), settings, loss);
             SegmentationTraining tb = SegmentationTraining.start(b, r.sliceChannels(), r.inputSize(), r.inputSize(), settings, loss)) {
            NonFiniteLosses guardA = new NonFiniteLosses(a.getBlock());
            NonFiniteLosses guardB = new NonFiniteLosses(b.getBlock());
            // the pool: the slices trained on, each with its noisy label and its current soft label
            List<float[]> poolIn = new ArrayList<>(data.inputs());
            List<boolean[]> poolNoisy = new ArrayList<>(noisy);
            List<float[]> poolSoft = new ArrayList<>(data.targets());
            // the exact truth of the pool's slices where the cohort knows it: reported, never trained on
            List<float[]> poolTruth = data.truths().isEmpty() ? null : new ArrayList<>(data.truths());
            HardSampleMining.Split split = null;
            if (warmup >= 1 && minesHardSlices(r, data.size())) {
                split = HardSampleMining.split(data.size(), r.seed());
                poolIn = SegmentationRun.pick(data.inputs(), split.train());
                poolNoisy = SegmentationRun.pick(noisy, split.train());
                poolSoft = SegmentationRun.pick(data.targets(), split.train());
                poolTruth = poolTruth == null ? null : SegmentationRun.pick(data.truths(), split.train());
            }
            Random random = new Random(r.seed());
            BestEpoch keptA = new BestEpoch();
            BestEpoch keptB = new BestEpoch();
            int[] hardRows = new int[0];
            int firstEpoch = 0;
            double elapsedBefore = 0;
            if (resumed.isPresent()) {
                SumCheckpoint.State c = resumed.get();
                firstEpoch = c.epochsDone();
                lossA.addAll(c.lossA());
                lossB.addAll(c.lossB());
                diceA.addAll(c.diceA());
                diceB.addAll(c.diceB());
                change.addAll(c.change());
                noisyToTruth.addAll(c.noisyToTruth());
                softToTruth.addAll(c.softToTruth());
                majorityToTruth.addAll(c.majorityToTruth());
                steps = c.steps();
                random = c.random();
                keptA = BestEpoch.of(c.keptA());
                keptB = BestEpoch.of(c.keptB());
                elapsedBefore = c.elapsedSeconds();
                if (split != null && firstEpoch > warmup) {
                    hardRows = c.hardRows();
                    hardAdded = hardRows.length;
                    appendHard(data, noisy, split, hardRows, aug, poolIn, poolNoisy, poolSoft, poolTruth);
                }
                if (c.poolSoft().size() != poolSoft.size()) {
                    throw new IllegalStateException("SUM checkpoint in " + checkpoint + " holds " + c.poolSoft().size()
                            + " soft labels for a pool of " + poolSoft.size() + " slices");
                }
                poolSoft = new ArrayList<>(c.poolSoft());
                progress.accept(String.format(Locale.ROOT, "vessel SUM resumes after epoch %d of %d from its checkpoint in "
                        + "%s (Adam's moment estimates start again)", firstEpoch, r.epochs(), checkpoint));
            }
            for (int epoch = firstEpoch; epoch < r.epochs(); epoch++) {
                float scale = SegmentationRun.cosineScale(epoch, r.epochs());
                ta.setLearningRateScale(scale);
                tb.setLearningRateScale(scale);
                boolean updating = epoch >= warmup;
                if (split != null && epoch == warmup) {
                    hardRows = addHardSlices(ta, tb, data, noisy, split, r, aug, poolIn, poolNoisy, poolSoft, poolTruth,
                            progress);
                    hardAdded = hardRows.length;
                }
                int n = poolIn.size();
                float[][] inputs = poolIn.toArray(new float[0][]);
                float[][] soft = poolSoft.toArray(new float[0][]);
                float[][] pa = null;
                float[][] pb = null;
                if (updating) {
                    pa = ta.predict(inputs);
                    pb = tb.predict(inputs);
                    double moved = 0;
                    List<float[]> votes = poolTruth == null ? null : new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        float[] vote = SoftLabels.update(poolNoisy.get(i), pa[i], pb[i]);
                        float[] updated = r.sumTargets().of(vote);
                        for (int k = 0; k < updated.length; k++) {
                            moved += Math.abs(updated[k] - soft[i][k]);
                        }
                        soft[i] = updated;
                        poolSoft.set(i, updated);
                        if (votes != null) {
                            votes.add(vote);
                        }
                    }
                    change.add(moved / ((double) n * soft[0].length));
                    if (poolTruth != null) {
                        noisyToTruth.add(maskDice(poolNoisy, poolTruth));
                        softToTruth.add(softLabelDice(votes, poolTruth));
                        majorityToTruth.add(majorityDice(votes, poolTruth));
                    }
                }
                int[] order = SegmentationRun.shuffled(n, random);
                EpochLoss sumA = new EpochLoss();
                EpochLoss sumB = new EpochLoss();
                for (int from = 0; from < n; from += r.batchSize()) {
                    RunCancelledException.throwIfRequested();
                    int m = Math.min(r.batchSize(), n - from);
                    float[][] x = new float[m][];
                    float[][] y = new float[m][];
                    float[][] peerOfA = new float[m][];
                    float[][] peerOfB = new float[m][];
                    for (int i = 0; i < m; i++) {
                        int k = order[from + i];
                        Augmentation.Transform t = r.augment() ? aug.draw(random) : null;
                        x[i] = t == null ? inputs[k] : aug.apply(inputs[k], t);
                        y[i] = t == null ? soft[k] : aug.apply(soft[k], t);
                        if (updating) {
                            peerOfA[i] = t == null ? pb[k] : aug.apply(pb[k], t);
                            peerOfB[i] = t == null ? pa[k] : aug.apply(pa[k], t);
                        }
                    }
                    sumA.add(step(ta.trainer(), guardA, x, y, updating ? peerOfA : null, r), m);
                    sumB.add(step(tb.trainer(), guardB, x, y, updating ? peerOfB : null, r), m);
                    steps++;
                }
                lossA.add(sumA.mean());
                lossB.add(sumB.mean());
                diceA.add(validation.isEmpty() ? Double.NaN : Evaluator.meanDice(SegmentationRun.liveModel(ta, window, r, true), validation));
                diceB.add(validation.isEmpty() ? Double.NaN : Evaluator.meanDice(SegmentationRun.liveModel(tb, window, r, true), validation));
                if (updating) {
                    keptA.offer(epoch + 1, diceA.get(epoch), a, epoch == r.epochs() - 1);
                    keptB.offer(epoch + 1, diceB.get(epoch), b, epoch == r.epochs() - 1);
                }
                double elapsed = elapsedBefore + (System.nanoTime() - start) / 1e9;
                if (checkpoint != null && epoch < r.epochs() - 1) {
                    SumCheckpoint.write(checkpoint, new SumCheckpoint.State(fingerprint, epoch + 1, lossA, lossB, diceA,
                            diceB, change, noisyToTruth, softToTruth, majorityToTruth, steps, hardRows, elapsed, random,
                            SegmentationRun.snapshot(a), SegmentationRun.snapshot(b), keptA.state(), keptB.state(),
                            poolSoft));
                }
                progress.accept(String.format(Locale.ROOT,
                        "vessel SUM epoch %d/%d loss se-unet %.4f%s res-unet %.4f%s validation Dice se-unet %.4f res-unet %.4f%s ETA %s",
                        epoch + 1, r.epochs(), lossA.get(epoch), sumA.describeSkipped(), lossB.get(epoch), sumB.describeSkipped(),
                        diceA.get(epoch), diceB.get(epoch),
                        updating ? String.format(Locale.ROOT, " soft-label change %.5f", change.get(change.size() - 1))
                                + (softToTruth.isEmpty() ? "" : String.format(Locale.ROOT,
                                        " (labels vs exact truth: noisy %.4f, vote at 0.5 %.4f, majority %.4f)",
                                        noisyToTruth.get(noisyToTruth.size() - 1), softToTruth.get(softToTruth.size() - 1),
                                        majorityToTruth.get(majorityToTruth.size() - 1)))
                                : " (warm-up on the noisy labels)",
                        SegmentationRun.eta(elapsed / (epoch + 1) * (r.epochs() - epoch - 1))));
            }
            keptA.restoreInto(a, "se-unet", progress);
            keptB.restoreInto(b, "res-unet", progress);
            // new sessions: a training session keeps reading the arrays it started with, not the restored ones
            TestTimeFlipChoice.Option inferenceA;
            TestTimeFlipChoice.Option inferenceB;
            try (SegmentationTraining ka = SegmentationTraining.start(a, r.sliceChannels(), r.inputSize(), r.inputSize(), settings, loss);
                 SegmentationTraining kb = SegmentationTraining.start(b, r.sliceChannels(), r.inputSize(), r.inputSize(), settings, loss)) {
                inferenceA = SegmentationRun.chooseInference(ka, window, r, true, false, chooseOn, scansName, "vessel SUM se-unet", progress);
                inferenceB = SegmentationRun.chooseInference(kb, window, r, true, false, chooseOn, scansName, "vessel SUM res-unet", progress);
            }
            if (checkpoint != null) {
                SumCheckpoint.delete(checkpoint);
            }
            return new Result(lossA, lossB, diceA, diceB, change, steps, Duration.ofNanos(System.nanoTime() - start),
                    inferenceA, inferenceB, keptA.epoch, keptB.epoch, hardAdded, noisyToTruth, softToTruth,
                    majorityToTruth);
        }
    }

    /** The noisy labels of training slices as masks (a target pixel of 0.5 or more is labelled). */
    static List<boolean[]> noisyLabels(SegmentationRun.Samples data) {
        List<boolean[]> noisy = new ArrayList<>(data.size());
        for (float[] t : data.targets()) {
            noisy.add(atHalf(t));
        }
        return noisy;
    }

    /** Whether a run mines hard slices: asked for, with a warm-up to score after and slices to split. */
    static boolean minesHardSlices(TrainingRecipe r, int slices) {
        return r.hardMining() && warmupEpochs(r) >= 1 && slices >= 4;
    }

    /**
     * Hard-sample mining at the end of the warm-up, as single-network runs do half-way: both networks
     * have learnt from one half of the slices; each slice of the other half is scored by the mean of
     * the two networks' Dice against its noisy label, and those below the recipe's threshold join the
     * pool with their flipped copies (label and input flipped alike). Their soft labels start as the
     * noisy ones and self-update with the rest from this epoch on.
     *
     * @return the scored slices added (each with its flip), as rows of the split's scored half
     */
    private static int[] addHardSlices(SegmentationTraining ta, SegmentationTraining tb, SegmentationRun.Samples data,
                                     List<boolean[]> noisy, HardSampleMining.Split split, TrainingRecipe r,
                                     Augmentation aug, List<float[]> poolIn, List<boolean[]> poolNoisy,
                                     List<float[]> poolSoft, List<float[]> poolTruth, Consumer<String> progress) {
        List<float[]> scoredIn = SegmentationRun.pick(data.inputs(), split.scored());
        List<float[]> scoredOut = SegmentationRun.pick(data.targets(), split.scored());
        List<boolean[]> scoredNoisy = SegmentationRun.pick(noisy, split.scored());
        float[][] x = scoredIn.toArray(new float[0][]);
        float[][] pa = ta.predict(x);
        float[][] pb = tb.predict(x);
        double[] dice = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            dice[i] = (HardSampleMining.dice(atHalf(pa[i]), scoredOut.get(i))
                    + HardSampleMining.dice(atHalf(pb[i]), scoredOut.get(i))) / 2;
        }
        int[] hard = HardSampleMining.hard(dice, r.hardDiceThreshold());
        appendHard(data, noisy, split, hard, aug, poolIn, poolNoisy, poolSoft, poolTruth);
        progress.accept(String.format(Locale.ROOT,
                "vessel SUM hard-sample mining: %d of %d scored slices below mean Dice %.2f added with flips",
                hard.length, x.length, r.hardDiceThreshold()));
        return hard;
    }

    /**
     * Adds the scored half's slices {@code rows} to the pool with their flips (label and input flipped
     * alike); their soft labels start as the noisy ones.
     */
    private static void appendHard(SegmentationRun.Samples data, List<boolean[]> noisy, HardSampleMining.Split split,
                                   int[] rows, Augmentation aug, List<float[]> poolIn, List<boolean[]> poolNoisy,
                                   List<float[]> poolSoft, List<float[]> poolTruth) {
        for (int i : rows) {
            int k = split.scored()[i];
            float[] label = data.targets().get(k);
            float[] flippedLabel = aug.flipX(label);
            poolIn.add(data.inputs().get(k));
            poolNoisy.add(noisy.get(k));
            poolSoft.add(label);
            poolIn.add(aug.flipX(data.inputs().get(k)));
            poolNoisy.add(atHalf(flippedLabel));
            poolSoft.add(flippedLabel);
            if (poolTruth != null) {
                float[] truth = data.truths().get(k);
                poolTruth.add(truth);
                poolTruth.add(aug.flipX(truth));
            }
        }
    }

    /**
     * Dice of labels against the exact truth over all of the pool's pixels together (a label pixel
     * counts at 0.5 or more: soft labels voted by the label or by both networks).
     */
    static double softLabelDice(List<float[]> labels, List<float[]> truths) {
        List<boolean[]> masks = new ArrayList<>(labels.size());
        for (float[] l : labels) {
            masks.add(atHalf(l));
        }
        return maskDice(masks, truths);
    }

    /**
     * Dice of the votes' majority (at least two of label and networks) against the exact truth over
     * all of the pool's pixels together.
     */
    static double majorityDice(List<float[]> votes, List<float[]> truths) {
        return softLabelDice(votes.stream().map(SumTargets.MAJORITY::of).toList(), truths);
    }

    /** Dice of masks against the exact truth over all of their pixels together. */
    static double maskDice(List<boolean[]> masks, List<float[]> truths) {
        long both = 0;
        long total = 0;
        for (int i = 0; i < masks.size(); i++) {
            boolean[] m = masks.get(i);
            float[] t = truths.get(i);
            for (int k = 0; k < m.length; k++) {
                boolean truth = t[k] >= 0.5f;
                both += m[k] && truth ? 1 : 0;
                total += (m[k] ? 1 : 0) + (truth ? 1 : 0);
            }
        }
        return total == 0 ? 1.0 : 2.0 * both / total;
    }

    private static boolean[] atHalf(float[] p) {
        boolean[] m = new boolean[p.length];
        for (int k = 0; k < m.length; k++) {
            m[k] = p[k] >= 0.5f;
        }
        return m;
    }

    /**
     * The best validation epoch of one network among the self-updating epochs (a warm-up epoch
     * would be a network trained on the noisy labels alone, not SU-UNet), as a parameter snapshot;
     * the last epoch needs none, its weights are the network's.
     */
    static final class BestEpoch {
        private int epoch;
        private double dice = Double.NEGATIVE_INFINITY;
        private byte[] snapshot;

        void offer(int epochNumber, double validationDice, Model model, boolean last) throws java.io.IOException {
            if (epoch == 0 || validationDice > dice) {
                epoch = epochNumber;
                dice = validationDice;
                snapshot = last ? null : SegmentationRun.snapshot(model);
            }
        }

        int epoch() {
            return epoch;
        }

        /** Where it stands, for a checkpoint. */
        SumCheckpoint.Kept state() {
            return new SumCheckpoint.Kept(epoch, dice, snapshot);
        }

        /** As it stood in a checkpoint. */
        static BestEpoch of(SumCheckpoint.Kept k) {
            BestEpoch b = new BestEpoch();
            b.epoch = k.epoch();
            b.dice = k.dice();
            b.snapshot = k.snapshot();
            return b;
        }

        void restoreInto(Model model, String name, Consumer<String> progress) throws Exception {
            if (snapshot != null) {
                SegmentationRun.restore(model, snapshot);
                progress.accept(String.format(Locale.ROOT, "vessel SUM %s keeps the weights of epoch %d (best self-updating validation Dice %.4f)",
                        name, epoch, dice));
            }
        }
    }

    /** One step of one network; NaN for a batch whose loss was not finite, from which no update was made. */
    private static float step(Trainer trainer, NonFiniteLosses guard, float[][] x, float[][] y, float[][] peer,
                              TrainingRecipe r) {
        int s = r.inputSize();
        try (NDManager m = trainer.getManager().newSubManager()) {
            NDArray in = m.create(flat(x), new Shape(x.length, r.sliceChannels(), s, s));
            NDList labels = new NDList(m.create(flat(y), new Shape(y.length, 1, s, s)));
            if (peer != null) {
                labels.add(m.create(flat(peer), new Shape(peer.length, 1, s, s)));
            }
            float[][] statistics = guard.statistics();
            float value;
            try (GradientCollector collector = trainer.newGradientCollector()) {
                NDList out = trainer.forward(new NDList(in));
                NDArray l = trainer.getLoss().evaluate(labels, out);
                collector.backward(l);
                value = l.getFloat();
            }
            if (!guard.accept(value, statistics)) {
                return Float.NaN;
            }
            trainer.step();
            return value;
        }
    }

    private static float[] flat(float[][] rows) {
        int per = rows[0].length;
        float[] out = new float[rows.length * per];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, out, i * per, per);
        }
        return out;
    }
}
