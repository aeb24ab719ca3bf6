package org.radstream.trainer;

import ai.djl.Model;
import ai.djl.training.loss.Loss;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.function.Consumer;
import org.radstream.imaging.Window;
import org.radstream.models.DiceBceLoss;
import org.radstream.models.EpochLoss;
import org.radstream.models.MaskCut;
import org.radstream.models.SegmentationTraining;
import org.radstream.models.SliceStack;
import org.radstream.models.TestTimeFlips;
import org.radstream.models.TrainingSettings;

/**
 * One supervised segmentation training run on labelled scans: slices windowed and resized to the
 * recipe's input, 2D or 2.5D stacks, Dice + cross-entropy, SU-UNet augmentation redrawn every
 * epoch, optional hard-sample mining, validation Dice after every epoch and a progress line with
 * an ETA. The model may arrive initialised (transfer) and keeps its weights then.
 */
final class SegmentationRun {

    /**
     * An epoch's validation Dice: with components pruned, the weights read as they would ship
     * (the best mask threshold and minimum component together, one pass a slice), with the Dice at
     * 0.5 keeping every component beside it; else at 0.5.
     */
    record EpochDice(double dice, double threshold, double minMl, double atHalfKeepingAll) {
        String describe() {
            return Double.isNaN(atHalfKeepingAll) ? "" : String.format(Locale.ROOT,
                    " (threshold %.1f, components >= %.2f ml; at 0.5 keeping every component %.4f)",
                    threshold, minMl, atHalfKeepingAll);
        }
    }

    /**
     * The validation Dice that chooses the kept epoch. For tasks that prune components it reads the
     * epoch's weights as they would ship: at 0.5 keeping every component, a few specks in the
     * healthy validation scans swing it (an epoch whose loss fell scored 0.82 and then 0.60 that
     * way), and the epoch kept is not the one the workers would have done best with.
     */
    static EpochDice epochDice(SliceModel live, List<ScanData> validation, boolean pruneComponents) throws Exception {
        return epochDice(live, validation, pruneComponents, null);
    }

    /**
     * The same; with a {@code kept} reading (null: none), the epoch's weights read with its cut and
     * minimum component (one pass a slice), as the run's weights will ship.
     */
    static EpochDice epochDice(SliceModel live, List<ScanData> validation, boolean pruneComponents,
                               ChampionReading kept) throws Exception {
        if (kept != null) {
            List<float[][]> probabilities = new ArrayList<>(validation.size());
            for (ScanData s : validation) {
                probabilities.add(Evaluator.probabilities(live, s));
            }
            return new EpochDice(kept.meanDice(probabilities, validation, live.window(), live.size(), pruneComponents),
                    kept.cut().threshold(), pruneComponents ? kept.minComponentMl() : 0, Double.NaN);
        }
        if (!pruneComponents) {
            return new EpochDice(Evaluator.meanDice(live, validation), 0.5, 0, Double.NaN);
        }
        List<float[][]> probabilities = new ArrayList<>(validation.size());
        for (ScanData s : validation) {
            probabilities.add(Evaluator.probabilities(live, s));
        }
        MinComponentVolume.Joint joint = MinComponentVolume.chooseWithThreshold(probabilities, validation);
        return new EpochDice(joint.minComponent().dice(), joint.threshold().threshold(), joint.minComponent().minMl(),
                joint.threshold().diceAtHalf());
    }

    /** What a run did, per epoch. */
    record Result(List<Double> epochLosses, List<Double> validationDice, int steps, int trainingSlices,
                  int hardSlices, Duration elapsed, int keptEpoch, MaskThreshold.Choice threshold,
                  MinComponentVolume.Choice minComponent, TestTimeFlips flips, DenseThreshold.Choice dense) {
        /** The first epoch's loss; NaN for a run of 0 epochs (weights re-read, not trained). */
        double firstLoss() { return epochLosses.isEmpty() ? Double.NaN : epochLosses.get(0); }
        double finalLoss() { return epochLosses.isEmpty() ? Double.NaN : epochLosses.get(epochLosses.size() - 1); }
        /** The smallest component the masks keep (ml); 0 when the run did not choose one. */
        double minComponentMl() { return minComponent == null ? 0 : minComponent.minMl(); }
        /** How the masks are cut: the chosen threshold, with the dense pixels' own where one was chosen. */
        MaskCut cut() {
            return dense != null ? dense.cut() : MaskCut.single(threshold == null ? 0.5f : threshold.threshold());
        }
        /**
         * Dice of the weights the run ends with (those of {@link #keptEpoch}) with the chosen
         * test-time flips, mask threshold and minimum component volume, on the scans that chose
         * them (the selection scans, else the validation scans).
         */
        double finalDice() {
            if (dense != null && !Double.isNaN(dense.dice())) {
                return dense.dice();
            }
            if (minComponent != null && !Double.isNaN(minComponent.dice())) {
                return minComponent.dice();
            }
            if (threshold != null && !Double.isNaN(threshold.dice())) {
                return threshold.dice();
            }
            return validationDice.isEmpty() ? Double.NaN : validationDice.get(keptEpoch - 1);
        }
    }

    /**
     * Training slices: inputs, targets and, where every scan's exact truth is known (cohorts), that
     * truth as targets for reporting only (else {@code truths} is empty).
     */
    record Samples(List<float[]> inputs, List<float[]> targets, List<float[]> truths) {
        Samples(List<float[]> inputs, List<float[]> targets) {
            this(inputs, targets, List.of());
        }

        int size() { return inputs.size(); }
    }

    private SegmentationRun() {}

    /**
     * Training slices: every {@code sliceStride}-th slice; with {@code inRegion} (networks trained
     * inside their task's region), inputs are zero outside the region and only slices with region count.
     */
    static Samples samples(List<ScanData> scans, Window window, TrainingRecipe r, boolean inRegion) {
        return samples(scans, window, r, inRegion, false);
    }

    /**
     * The same; with {@code withTruths}, also the slices' exact truth where every scan knows it (SUM
     * reports its labels against it; other runs do not hold a second copy of every target).
     */
    static Samples samples(List<ScanData> scans, Window window, TrainingRecipe r, boolean inRegion, boolean withTruths) {
        List<float[]> in = new ArrayList<>();
        List<float[]> out = new ArrayList<>();
        List<float[]> truths = new ArrayList<>();
        boolean truthKnown = withTruths && scans.stream().allMatch(s -> s.truth() != null);
        for (ScanData s : scans) {
            List<float[]> slices = new ArrayList<>(s.depth());
            List<Integer> eligible = new ArrayList<>();
            for (int z = 0; z < s.depth(); z++) {
                slices.add(s.input(z, window, r.inputSize(), inRegion));
                if (!inRegion || s.inRegion(z)) {
                    eligible.add(z);
                }
            }
            for (int i = 0; i < eligible.size(); i += r.sliceStride()) {
                int z = eligible.get(i);
                in.add(SliceStack.stack(slices, z, r.sliceChannels()));
                out.add(s.target(z, r.inputSize()));
                if (truthKnown) {
                    truths.add(s.truthTarget(z, r.inputSize()));
                }
            }
        }
        return new Samples(in, out, truths);
    }

    static Result run(Model model, Window window, boolean inRegion, List<ScanData> train, List<ScanData> validation,
                      TrainingRecipe r, String name, Consumer<String> progress) throws Exception {
        return run(model, window, inRegion, false, train, validation, r, name, progress);
    }

    /**
     * A run on {@code train}; with {@code pruneComponents}, a minimum component volume is chosen on
     * the validation scans after the mask threshold.
     */
    static Result run(Model model, Window window, boolean inRegion, boolean pruneComponents, List<ScanData> train,
                      List<ScanData> validation, TrainingRecipe r, String name, Consumer<String> progress)
            throws Exception {
        return run(model, window, inRegion, pruneComponents, train, validation, List.of(), r, name, progress);
    }

    /**
     * The same; with a non-empty {@code selection}, how the kept weights are read (test-time flips,
     * mask threshold, minimum component) is chosen on those scans instead of the validation scans,
     * which still choose the kept epoch.
     */
    static Result run(Model model, Window window, boolean inRegion, boolean pruneComponents, List<ScanData> train,
                      List<ScanData> validation, List<ScanData> selection, TrainingRecipe r, String name,
                      Consumer<String> progress) throws Exception {
        return run(model, window, inRegion, pruneComponents, train, validation, selection, r, name, progress, null);
    }

    /**
     * The same, keeping an {@link EpochCheckpoint} in {@code checkpoint} (null: none) after every
     * epoch: a run of the same recipe, starting weights and data started again after a crash goes on
     * from the last epoch finished. The checkpoint is removed when the run returns.
     */
    static Result run(Model model, Window window, boolean inRegion, boolean pruneComponents, List<ScanData> train,
                      List<ScanData> validation, List<ScanData> selection, TrainingRecipe r, String name,
                      Consumer<String> progress, Path checkpoint) throws Exception {
        return run(model, window, inRegion, pruneComponents, train, validation, selection, r, name, progress, checkpoint,
                null);
    }

    /**
     * The same; with a {@code kept} reading (null: none), the weights are read as it says, in the
     * choice of the kept epoch and at the end, instead of a reading chosen on the selection (else
     * validation) scans, which then only measure it ({@link ChampionReading}).
     */
    static Result run(Model model, Window window, boolean inRegion, boolean pruneComponents, List<ScanData> train,
                      List<ScanData> validation, List<ScanData> selection, TrainingRecipe r, String name,
                      Consumer<String> progress, Path checkpoint, ChampionReading kept) throws Exception {
        // 0 epochs re-read the weights as they are: no training slice is needed
        Samples data = r.epochs() == 0 ? new Samples(List.of(), List.of()) : samples(train, window, r, inRegion);
        DiceBceLoss loss = new DiceBceLoss(1f, 1f, r.focalGamma(), r.denseTerm());
        return run(model, window, inRegion, pruneComponents, data, validation, selection, r, loss, name, progress,
                r.epochs() == 0 ? null : checkpoint, kept);
    }

    /** One optimiser step, with the dense pixels' weights and focus region where the recipe asks for them. */
    private static float step(SegmentationTraining training, DenseWeights dense, TrainingRecipe r, float[][] x,
                              float[][] y) {
        if (dense == null) {
            return training.step(x, y);
        }
        float[][] weights = new float[y.length][];
        for (int i = 0; i < y.length; i++) {
            weights[i] = dense.of(x[i], y[i]);
        }
        if (r.denseTerm() == 0) {
            return training.step(x, y, weights);
        }
        float[][] focus = new float[y.length][];
        for (int i = 0; i < y.length; i++) {
            focus[i] = dense.focus(x[i], y[i]);
        }
        return training.step(x, y, weights, focus);
    }

    static Result run(Model model, Window window, boolean inRegion, boolean pruneComponents, Samples data,
                      List<ScanData> validation, List<ScanData> selection, TrainingRecipe r, Loss loss, String name,
                      Consumer<String> progress, Path checkpoint, ChampionReading kept) throws Exception {
        if (data.size() == 0 && r.epochs() > 0) {
            throw new IllegalArgumentException("no training slices for " + name);
        }
        long start = System.nanoTime();
        TrainingSettings settings = new TrainingSettings(1, r.batchSize(), r.learningRate(), r.seed());
        Augmentation aug = Augmentation.paper(r.inputSize());
        List<Double> losses = new ArrayList<>();
        List<Double> dices = new ArrayList<>();
        int steps = 0;
        long fingerprint = 0;
        Optional<EpochCheckpoint.State> resumed = Optional.empty();
        if (checkpoint != null) {
            if (!model.getBlock().isInitialized()) {
                // the run's seeded initial weights, which the fingerprint covers
                SegmentationTraining.start(model, r.sliceChannels(), r.inputSize(), r.inputSize(), settings, loss).close();
            }
            fingerprint = EpochCheckpoint.fingerprint(r, snapshot(model), data.inputs(), data.targets(), validation);
            resumed = EpochCheckpoint.read(checkpoint, fingerprint).filter(c -> c.epochsDone() <= r.epochs());
            if (resumed.isPresent()) {
                // before the training session starts: it reads the arrays the block holds when it starts
                restore(model, resumed.get().weights());
            }
        }
        try (SegmentationTraining training = SegmentationTraining.start(model, r.sliceChannels(), r.inputSize(),
                r.inputSize(), settings, loss)) {
            SliceModel live = liveModel(training, window, r, inRegion);
            List<float[]> poolIn = new ArrayList<>(data.inputs());
            List<float[]> poolOut = new ArrayList<>(data.targets());
            HardSampleMining.Split split = null;
            int mineAfter = -1;
            if (r.hardMining() && r.epochs() >= 2 && data.size() >= 4) {
                split = HardSampleMining.split(data.size(), r.seed());
                poolIn = pick(data.inputs(), split.train());
                poolOut = pick(data.targets(), split.train());
                mineAfter = r.epochs() / 2;
            }
            Random random = new Random(r.seed());
            DenseWeights dense = r.denseWeight() > 1 || r.denseTerm() > 0
                    ? new DenseWeights(window, r.sliceChannels(), r.denseWeight(), r.denseBand()) : null;
            byte[] best = null;
            int bestEpoch = 0;
            double bestDice = Double.NEGATIVE_INFINITY;
            List<Integer> hardRows = new ArrayList<>();
            int firstEpoch = 0;
            double elapsedBefore = 0;
            if (resumed.isPresent()) {
                EpochCheckpoint.State c = resumed.get();
                firstEpoch = c.epochsDone();
                losses.addAll(c.losses());
                dices.addAll(c.dices());
                steps = c.steps();
                random = c.random();
                best = c.bestWeights();
                bestEpoch = c.bestEpoch();
                bestDice = c.bestDice();
                elapsedBefore = c.elapsedSeconds();
                if (split != null && firstEpoch > mineAfter) {
                    addHard(poolIn, poolOut, pick(data.inputs(), split.scored()), pick(data.targets(), split.scored()),
                            c.hardAdded(), aug);
                    for (int i : c.hardAdded()) {
                        hardRows.add(i);
                    }
                }
                progress.accept(String.format(Locale.ROOT, "%s resumes after epoch %d of %d from its checkpoint in %s "
                        + "(Adam's moment estimates start again)", name, firstEpoch, r.epochs(), checkpoint));
            }
            for (int epoch = firstEpoch; epoch < r.epochs(); epoch++) {
                training.setLearningRateScale(cosineScale(epoch, r.epochs()));
                if (epoch == mineAfter) {
                    RunCancelledException.throwIfRequested();
                    List<float[]> scoredIn = pick(data.inputs(), split.scored());
                    List<float[]> scoredOut = pick(data.targets(), split.scored());
                    float[][] p = training.predict(scoredIn.toArray(new float[0][]));
                    double[] dice = new double[p.length];
                    for (int i = 0; i < p.length; i++) {
                        boolean[] m = new boolean[p[i].length];
                        for (int k = 0; k < m.length; k++) {
                            m[k] = p[i][k] >= 0.5f;
                        }
                        dice[i] = HardSampleMining.dice(m, scoredOut.get(i));
                    }
                    int[] hard = HardSampleMining.hard(dice, r.hardDiceThreshold());
                    addHard(poolIn, poolOut, scoredIn, scoredOut, hard, aug);
                    for (int i : hard) {
                        hardRows.add(i);
                    }
                    progress.accept(String.format(Locale.ROOT, "%s hard-sample mining: %d of %d scored slices below Dice %.2f added with flips",
                            name, hardRows.size(), dice.length, r.hardDiceThreshold()));
                }
                int[] order = shuffled(poolIn.size(), random);
                EpochLoss sum = new EpochLoss();
                for (int from = 0; from < order.length; from += r.batchSize()) {
                    RunCancelledException.throwIfRequested();
                    int n = Math.min(r.batchSize(), order.length - from);
                    float[][] x = new float[n][];
                    float[][] y = new float[n][];
                    for (int i = 0; i < n; i++) {
                        int k = order[from + i];
                        if (r.augment()) {
                            Augmentation.Transform t = aug.draw(random);
                            x[i] = aug.apply(poolIn.get(k), t);
                            y[i] = aug.apply(poolOut.get(k), t);
                        } else {
                            x[i] = poolIn.get(k);
                            y[i] = poolOut.get(k);
                        }
                    }
                    sum.add(step(training, dense, r, x, y), n);
                    steps++;
                }
                losses.add(sum.mean());
                EpochDice epochDice = validation.isEmpty() ? null : epochDice(live, validation, pruneComponents, kept);
                double dice = epochDice == null ? Double.NaN : epochDice.dice();
                dices.add(dice);
                if (validation.isEmpty() || dice > bestDice) {
                    bestDice = dice;
                    bestEpoch = epoch + 1;
                    best = epoch == r.epochs() - 1 ? null : snapshot(model);
                }
                double elapsed = elapsedBefore + (System.nanoTime() - start) / 1e9;
                if (checkpoint != null) {
                    EpochCheckpoint.write(checkpoint, new EpochCheckpoint.State(fingerprint, epoch + 1, losses, dices, steps,
                            hardRows.stream().mapToInt(Integer::intValue).toArray(), bestEpoch, bestDice, elapsed, random,
                            snapshot(model), best));
                }
                double eta = elapsed / (epoch + 1 - firstEpoch) * (r.epochs() - epoch - 1);
                progress.accept(String.format(Locale.ROOT, "%s epoch %d/%d loss %.4f%s validation Dice %.4f%s ETA %s",
                        name, epoch + 1, r.epochs(), losses.get(epoch), sum.describeSkipped(), dice,
                        epochDice == null ? "" : epochDice.describe(), eta(eta)));
            }
            if (bestEpoch != r.epochs() && best != null) {
                restore(model, best);
                progress.accept(String.format(Locale.ROOT, "%s keeps the weights of epoch %d (best validation Dice %.4f)",
                        name, bestEpoch, bestDice));
            }
            // a new session: the training one keeps reading the arrays it started with, not the restored ones
            TestTimeFlipChoice.Option inference;
            try (SegmentationTraining keptWeights = SegmentationTraining.start(model, r.sliceChannels(), r.inputSize(),
                    r.inputSize(), settings, loss)) {
                List<ScanData> choosing = selection.isEmpty() ? validation : selection;
                inference = kept == null ? chooseInference(keptWeights, window, r, inRegion, pruneComponents, choosing,
                        scansName(selection), name, progress)
                        : readAs(kept, keptWeights, window, r, inRegion, pruneComponents, choosing, scansName(selection),
                                name, progress);
            }
            if (checkpoint != null) {
                EpochCheckpoint.delete(checkpoint);
            }
            return new Result(losses, dices, steps, poolIn.size(), hardRows.size(), Duration.ofNanos(System.nanoTime() - start),
                    bestEpoch, inference.threshold(), inference.minComponent(), inference.flips(), inference.dense());
        }
    }

    /** What the scans that choose a run's reading are called: "selection" when there are any, else "validation". */
    static String scansName(List<ScanData> selection) {
        return selection.isEmpty() ? "validation" : "selection";
    }

    /**
     * How the kept weights are to be read, chosen on {@code scans} (the validation or the selection
     * scans, as {@code scansName} says): for each test-time flip option up to the recipe's (only
     * none without scans), the mask threshold on its averaged maps, with {@code pruneComponents}
     * together with the minimum component volume ({@link MinComponentVolume#chooseWithThreshold});
     * then the option by {@link TestTimeFlipChoice}; then, for a lesion task ({@code pruneComponents})
     * read in a window that holds {@link MaskCut#DENSE_FROM_HU}, the pair of thresholds for the
     * dense and the other pixels ({@link DenseThreshold}). An organ task (lung) keeps one threshold:
     * where every dense pixel of a scan is the organ's, a pair would read its HU and not its network.
     */
    static TestTimeFlipChoice.Option chooseInference(SegmentationTraining kept, Window window, TrainingRecipe r,
                                                     boolean inRegion, boolean pruneComponents,
                                                     List<ScanData> scans, String scansName, String name,
                                                     Consumer<String> progress) throws Exception {
        // a lesion task (one that prunes its components) read in a window that tells consolidation apart
        boolean splitsDensity = pruneComponents && DenseThreshold.applies(window);
        List<TestTimeFlipChoice.Option> options = new ArrayList<>();
        List<List<float[][]>> maps = new ArrayList<>();
        for (TestTimeFlips flips : TestTimeFlipChoice.candidates(scans.isEmpty() ? TestTimeFlips.NONE : r.maxFlips())) {
            SliceModel keptModel = liveModel(kept, window, r, inRegion, MaskCut.single(0.5f), 0, flips);
            List<float[][]> probabilities = new ArrayList<>(scans.size());
            for (ScanData s : scans) {
                probabilities.add(Evaluator.probabilities(keptModel, s));
            }
            if (splitsDensity) {
                maps.add(probabilities); // kept for the dense threshold, chosen once the option is
            }
            if (pruneComponents) {
                MinComponentVolume.Joint joint = MinComponentVolume.chooseWithThreshold(probabilities, scans);
                options.add(new TestTimeFlipChoice.Option(flips, joint.threshold(), joint.minComponent()));
            } else {
                options.add(new TestTimeFlipChoice.Option(flips, MaskThreshold.choose(probabilities, scans), null));
            }
        }
        TestTimeFlipChoice.Option chosen = TestTimeFlipChoice.choose(options);
        if (!scans.isEmpty() && splitsDensity) {
            chosen = chosen.withDense(DenseThreshold.choose(maps.get(options.indexOf(chosen)), scans, window,
                    r.inputSize(), chosen.threshold().threshold(),
                    chosen.minComponent() == null ? 0 : chosen.minComponent().minMl()));
        }
        maps.clear();
        if (!scans.isEmpty()) {
            if (options.size() > 1) {
                StringBuilder all = new StringBuilder();
                for (TestTimeFlipChoice.Option o : options) {
                    all.append(String.format(Locale.ROOT, "%s%s %.4f", all.length() == 0 ? "" : ", ",
                            o.flips().name().toLowerCase(Locale.ROOT), o.dice()));
                }
                progress.accept(String.format(Locale.ROOT, "%s test-time flips %s (%d passes a slice): %s Dice %s",
                        name, chosen.flips().name().toLowerCase(Locale.ROOT), chosen.flips().passes(), scansName, all));
            }
            MaskThreshold.Choice threshold = chosen.threshold();
            MinComponentVolume.Choice minComponent = chosen.minComponent();
            // chosen together with a minimum component, the threshold's Dice is the one keeping every
            // component (the minimum's line gives the Dice of both together)
            progress.accept(String.format(Locale.ROOT, "%s mask threshold %.1f: %s Dice %.4f (at 0.5: %.4f)%s",
                    name, threshold.threshold(), scansName, threshold.dice(), threshold.diceAtHalf(),
                    minComponent == null ? "" : ", both keeping every component"));
            if (minComponent != null) {
                progress.accept(String.format(Locale.ROOT,
                        "%s minimum component %.2f ml: %s Dice %.4f (keeping every component: %.4f)",
                        name, minComponent.minMl(), scansName, minComponent.dice(), minComponent.diceKeepingAll()));
            }
            DenseThreshold.Choice dense = chosen.dense();
            if (dense != null) {
                progress.accept(describe(name, scansName, dense, threshold.threshold()));
            }
        }
        return chosen;
    }

    /**
     * The kept weights judged on {@code scans} read as {@code reading} says, which the run keeps
     * instead of choosing one there.
     */
    static TestTimeFlipChoice.Option readAs(ChampionReading reading, SegmentationTraining keptWeights, Window window,
                                            TrainingRecipe r, boolean inRegion, boolean pruneComponents,
                                            List<ScanData> scans, String scansName, String name,
                                            Consumer<String> progress) throws Exception {
        SliceModel averaged = liveModel(keptWeights, window, r, inRegion, MaskCut.single(0.5f), 0, reading.flips());
        List<float[][]> probabilities = new ArrayList<>(scans.size());
        for (ScanData s : scans) {
            probabilities.add(Evaluator.probabilities(averaged, s));
        }
        TestTimeFlipChoice.Option judged = reading.judge(probabilities, scans, window, r.inputSize(), pruneComponents,
                pruneComponents && DenseThreshold.applies(window));
        progress.accept(String.format(Locale.ROOT, "%s reads its weights as v%d does (%s), a reading chosen on %d "
                        + "scans: its %d %s scans are too few to choose another; %s Dice %.4f there",
                name, reading.version(), reading.describe(), reading.chosenOn(), scans.size(), scansName, scansName,
                judged.dice()));
        return judged;
    }

    /** The progress line of a dense threshold choice, against the single {@code threshold} it started from. */
    static String describe(String name, String scansName, DenseThreshold.Choice dense, float threshold) {
        MaskCut cut = dense.cut();
        String against = String.format(Locale.ROOT, "one threshold %.1f for every pixel: %.4f, %.1f%%", threshold,
                dense.diceSingle(), 100 * dense.volumeErrorSingle());
        if (cut.splitsDensity()) {
            return String.format(Locale.ROOT, "%s pixels from %.0f HU cut at %.2f, the others at %.1f: %s Dice %.4f, "
                            + "volume error %.1f%% (%s)", name, cut.denseFromHu(), cut.denseThreshold(), cut.threshold(),
                    scansName, dense.dice(), 100 * dense.volumeError(), against);
        }
        if (cut.threshold() != threshold) {
            return String.format(Locale.ROOT, "%s one threshold %.1f for every pixel: %s Dice %.4f, volume error %.1f%% (%s)",
                    name, cut.threshold(), scansName, dense.dice(), 100 * dense.volumeError(), against);
        }
        return String.format(Locale.ROOT, "%s one threshold for every pixel (%s Dice %.4f, volume error %.1f%%): no "
                        + "threshold for the pixels from %.0f HU, with the others', lowers the volume error by %.0f "
                        + "points within %.3f Dice", name, scansName, dense.diceSingle(), 100 * dense.volumeErrorSingle(),
                MaskCut.DENSE_FROM_HU, 100 * DenseThreshold.VOLUME_ERROR_GAIN, DenseThreshold.DICE_TIE);
    }

    /**
     * Mean Dice of {@code model}'s current weights on {@code scans}, cut at {@code threshold} and
     * without the components below {@code minComponentMl}, read in a new session (a training
     * session keeps reading the arrays it started with).
     */
    static double meanDice(Model model, Window window, boolean inRegion, TrainingRecipe r, MaskCut cut,
                           double minComponentMl, TestTimeFlips flips, List<ScanData> scans) throws Exception {
        return Evaluator.mean(dicePerScan(model, window, inRegion, r, cut, minComponentMl, flips, scans));
    }

    /** The same, the Dice of each scan in their order. */
    static double[] dicePerScan(Model model, Window window, boolean inRegion, TrainingRecipe r, MaskCut cut,
                                double minComponentMl, TestTimeFlips flips, List<ScanData> scans) throws Exception {
        TrainingSettings settings = new TrainingSettings(1, r.batchSize(), r.learningRate(), r.seed());
        try (SegmentationTraining session = SegmentationTraining.start(model, r.sliceChannels(), r.inputSize(),
                r.inputSize(), settings)) {
            return Evaluator.dicePerScan(liveModel(session, window, r, inRegion, cut, minComponentMl, flips), scans);
        }
    }

    /** A network in training as the evaluator sees it, cut at 0.5 keeping every component. */
    static SliceModel liveModel(SegmentationTraining training, Window window, TrainingRecipe r, boolean inRegion) {
        return liveModel(training, window, r, inRegion, MaskCut.single(0.5f), 0, TestTimeFlips.NONE);
    }

    /** A network in training read as it would ship: averaged over {@code flips}, cut, small components dropped. */
    static SliceModel liveModel(SegmentationTraining training, Window window, TrainingRecipe r, boolean inRegion,
                                MaskCut cut, double minComponentMl, TestTimeFlips flips) {
        return new SliceModel() {
            @Override public Window window() { return window; }
            @Override public int size() { return r.inputSize(); }
            @Override public int channels() { return r.sliceChannels(); }
            @Override public boolean regionInput() { return inRegion; }
            @Override public float threshold() { return cut.threshold(); }
            @Override public MaskCut cut() { return cut; }
            @Override public double minComponentMl() { return minComponentMl; }
            @Override public float[][] predict(float[][] batch) {
                return flips.predict(training::predict, batch, r.inputSize(), r.inputSize());
            }
        };
    }

    /**
     * Learning-rate scale of an epoch: a half cosine from 1 to 5%. With a constant rate Adam keeps
     * jumping between minima late in a run and the validation Dice swings from epoch to epoch.
     */
    static float cosineScale(int epoch, int epochs) {
        if (epochs <= 1) {
            return 1f;
        }
        double progress = (double) epoch / (epochs - 1);
        return (float) (0.05 + 0.95 * 0.5 * (1 + Math.cos(Math.PI * progress)));
    }

    /** Adds the scored slices at {@code rows} to the training pool, each also flipped left-right. */
    private static void addHard(List<float[]> poolIn, List<float[]> poolOut, List<float[]> scoredIn,
                                List<float[]> scoredOut, int[] rows, Augmentation aug) {
        for (int i : rows) {
            poolIn.add(scoredIn.get(i));
            poolOut.add(scoredOut.get(i));
            poolIn.add(aug.flipX(scoredIn.get(i)));
            poolOut.add(aug.flipX(scoredOut.get(i)));
        }
    }

    /** The block's parameters (weights and batch-norm statistics), to return to the best epoch. */
    static byte[] snapshot(Model model) throws java.io.IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
            model.getBlock().saveParameters(out);
        }
        return bytes.toByteArray();
    }

    static void restore(Model model, byte[] snapshot) throws java.io.IOException, ai.djl.MalformedModelException {
        try (java.io.DataInputStream in = new java.io.DataInputStream(new java.io.ByteArrayInputStream(snapshot))) {
            model.getBlock().loadParameters(model.getNDManager(), in);
        }
    }

    static String eta(double seconds) {
        long s = Math.round(seconds);
        return s >= 60 ? (s / 60) + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s" : s + "s";
    }

    static <T> List<T> pick(List<T> all, int[] rows) {
        List<T> out = new ArrayList<>(rows.length);
        for (int i : rows) {
            out.add(all.get(i));
        }
        return out;
    }

    static int[] shuffled(int n, Random random) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }
}
