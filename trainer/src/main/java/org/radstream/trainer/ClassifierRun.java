package org.radstream.trainer;

import ai.djl.Model;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Consumer;
import org.radstream.models.ClassifierTraining;
import org.radstream.models.EpochLoss;
import org.radstream.models.TrainingSettings;

/**
 * Trains the ResNet-18 candidate classifier on {@link Candidates} patches (random flips as
 * augmentation) and scores it by balanced accuracy on validation patches after every epoch.
 */
final class ClassifierRun {

    /**
     * @param effects   per epoch, the classifier's effect on validation infection Dice (empty when not measured)
     * @param keptEpoch the epoch whose weights the model ends with (1-based): the best effect, or the last
     */
    record Result(List<Double> epochLosses, List<Double> validationBalancedAccuracy, int steps, int patches,
                  int positives, Duration elapsed, List<ClassifierEffect.Effect> effects, int keptEpoch) {
        double finalAccuracy() {
            return validationBalancedAccuracy.isEmpty() ? Double.NaN : validationBalancedAccuracy.get(keptEpoch - 1);
        }

        /** The kept epoch's effect; null when not measured. */
        ClassifierEffect.Effect finalEffect() {
            return effects.isEmpty() ? null : effects.get(keptEpoch - 1);
        }
    }

    private ClassifierRun() {}

    static Result run(Model model, Candidates.Patches train, Candidates.Patches validation, TrainingRecipe r,
                      Consumer<String> progress) throws Exception {
        return run(model, train, validation, r, progress, null);
    }

    /**
     * Trains, and with {@code effect} measures each epoch's effect on validation infection Dice
     * and ends on the weights of the epoch with the best one (balanced accuracy swung between
     * 0.57 and 0.96 from one epoch to the next in earlier runs).
     */
    static Result run(Model model, Candidates.Patches train, Candidates.Patches validation, TrainingRecipe r,
                      Consumer<String> progress, ClassifierEffect effect) throws Exception {
        if (train.size() == 0 || train.positives() == 0 || train.positives() == train.size()) {
            throw new IllegalArgumentException("classifier needs positive and negative patches, got "
                    + train.positives() + " positives of " + train.size());
        }
        long start = System.nanoTime();
        int p = r.classifierPatch();
        Augmentation aug = new Augmentation(p, 0, 0);
        TrainingSettings settings = new TrainingSettings(1, Math.max(16, r.batchSize()), r.learningRate(), r.seed());
        List<Double> losses = new ArrayList<>();
        List<Double> accuracy = new ArrayList<>();
        List<ClassifierEffect.Effect> effects = new ArrayList<>();
        byte[] best = null;
        int bestEpoch = r.classifierEpochs();
        double bestDice = Double.NEGATIVE_INFINITY;
        int steps = 0;
        // balance classes by repeating the minority
        List<Integer> rows = new ArrayList<>();
        int pos = train.positives();
        int neg = train.size() - pos;
        for (int i = 0; i < train.size(); i++) {
            int copies = train.labels().get(i) == 1 ? Math.max(1, Math.round((float) neg / pos)) : 1;
            for (int c = 0; c < copies; c++) {
                rows.add(i);
            }
        }
        try (ClassifierTraining training = ClassifierTraining.start(model, 1, p, p, settings)) {
            Random random = new Random(r.seed());
            int batch = settings.batchSize();
            for (int epoch = 0; epoch < r.classifierEpochs(); epoch++) {
                int[] order = SegmentationRun.shuffled(rows.size(), random);
                EpochLoss sum = new EpochLoss();
                for (int from = 0; from < order.length; from += batch) {
                    RunCancelledException.throwIfRequested();
                    int n = Math.min(batch, order.length - from);
                    float[][] x = new float[n][];
                    int[] y = new int[n];
                    for (int i = 0; i < n; i++) {
                        int k = rows.get(order[from + i]);
                        float[] patch = train.patches().get(k);
                        x[i] = random.nextBoolean() ? aug.flipX(patch) : patch;
                        y[i] = train.labels().get(k);
                    }
                    sum.add(training.step(x, y), n);
                    steps++;
                }
                losses.add(sum.mean());
                accuracy.add(balancedAccuracy(training, validation));
                String effectText = "";
                if (effect != null) {
                    ClassifierEffect.Effect e = effect.of(training::predict);
                    effects.add(e);
                    effectText = String.format(Locale.ROOT, ", %s infection Dice %.4f at threshold %.2f (%.4f without)",
                            effect.scansName(), e.dice(), e.threshold(), e.withoutClassifier());
                    if (e.dice() > bestDice) {
                        bestDice = e.dice();
                        bestEpoch = epoch + 1;
                        best = epoch == r.classifierEpochs() - 1 ? null : SegmentationRun.snapshot(model);
                    }
                }
                double elapsed = (System.nanoTime() - start) / 1e9;
                progress.accept(String.format(Locale.ROOT,
                        "infection-classifier epoch %d/%d loss %.4f%s validation balanced accuracy %.4f%s ETA %s",
                        epoch + 1, r.classifierEpochs(), losses.get(epoch), sum.describeSkipped(), accuracy.get(epoch), effectText,
                        SegmentationRun.eta(elapsed / (epoch + 1) * (r.classifierEpochs() - epoch - 1))));
            }
        }
        if (best != null && bestEpoch != r.classifierEpochs()) {
            SegmentationRun.restore(model, best);
            progress.accept(String.format(Locale.ROOT, "infection-classifier keeps the weights of epoch %d"
                    + " (best %s infection Dice %.4f)", bestEpoch, effect == null ? "validation" : effect.scansName(),
                    bestDice));
        }
        return new Result(losses, accuracy, steps, train.size(), train.positives(),
                Duration.ofNanos(System.nanoTime() - start), effects, bestEpoch);
    }

    interface PatchScorer {
        float[] predict(float[][] patches) throws Exception;
    }

    static double balancedAccuracy(ClassifierTraining training, Candidates.Patches validation) {
        try {
            return balancedAccuracy(training::predict, validation);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Mean of the true-positive and true-negative rates at 0.5; NaN without both classes. */
    static double balancedAccuracy(PatchScorer scorer, Candidates.Patches validation) throws Exception {
        if (validation.size() == 0) {
            return Double.NaN;
        }
        int tp = 0;
        int tn = 0;
        int pos = validation.positives();
        int neg = validation.size() - pos;
        if (pos == 0 || neg == 0) {
            return Double.NaN;
        }
        for (int from = 0; from < validation.size(); from += 64) {
            int to = Math.min(validation.size(), from + 64);
            float[] prob = scorer.predict(validation.patches().subList(from, to).toArray(new float[0][]));
            for (int i = from; i < to; i++) {
                boolean keep = prob[i - from] >= 0.5f;
                int label = validation.labels().get(i);
                if (keep && label == 1) {
                    tp++;
                } else if (!keep && label == 0) {
                    tn++;
                }
            }
        }
        return 0.5 * ((double) tp / pos + (double) tn / neg);
    }
}
