package org.radstream.trainer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Morphology;
import org.radstream.imaging.Volume;
import org.radstream.imaging.cohort.Cohort;
import org.radstream.imaging.cohort.CohortManifest;
import org.radstream.models.ModelStore;

/**
 * Training straight from a generated cohort (how the shipped default models are built): the
 * cohort's truth masks play the radiologists' labels, except for vessels, which learn from the
 * cohort's noisy vessel labels ({@code vessel-noisy}) inside the dilated liver, as SU-UNet does;
 * the exact vessel truth is kept for reporting only. Every fifth scan of the task's kind is held
 * out as the validation set (kept epoch, mask threshold) and, unless a gate cohort is given, as the
 * fixed set on which the quality gate compares challenger and champion. A gate or selection cohort
 * is scored against its exact truth, for vessels too ({@link #gateScans}).
 */
public final class CohortTraining {
    /** Face-neighbour dilation of the liver that bounds the vessel search (the workers use the same). */
    public static final int LIVER_DILATION = 3;

    /**
     * Where `train` keeps its epoch checkpoints, inside the store it trains into ({@code .checkpoints/<task>};
     * the store lists only version and refused directories): `train` run again with the same arguments
     * after a crash goes on from the last finished epoch.
     */
    static final String CHECKPOINTS = ".checkpoints";

    private CohortTraining() {}

    /** Labelled scans of the cohort for {@code task}; {@code validation} picks the held-out fifth. */
    public static List<ScanData> scans(Cohort cohort, TrainingTask task, boolean validation) throws IOException {
        String kind = task.group().equals("chest") ? "chest" : "abdomen";
        List<CohortManifest.Scan> all = cohort.scans(kind);
        List<ScanData> out = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            boolean held = all.size() >= 2 && i % 5 == 4 || all.size() >= 2 && all.size() < 5 && i == all.size() - 1;
            if (held != validation) {
                continue;
            }
            out.add(scan(cohort, all.get(i), task));
        }
        return out;
    }

    /** One scan with its label for {@code task}. */
    public static ScanData scan(Cohort cohort, CohortManifest.Scan s, TrainingTask task) throws IOException {
        Volume v = cohort.series(s).volume();
        return switch (task) {
            case LUNG -> new ScanData(s.scanId(), v, cohort.truth(s, "lung"), null, null);
            case INFECTION, INFECTION_CLASSIFIER -> new ScanData(s.scanId(), v, cohort.truth(s, "infection"), null, null);
            case LIVER -> new ScanData(s.scanId(), v, cohort.truth(s, "liver"), null, null);
            case VESSEL -> {
                Mask3D region = Morphology.dilate3D(cohort.truth(s, "liver"), LIVER_DILATION);
                yield new ScanData(s.scanId(), v, cohort.truth(s, "vessel-noisy"), region, cohort.truth(s, "vessel"));
            }
        };
    }

    /** Trains {@code task} on the cohort and publishes through the gate into {@code store}. */
    public static TaskTrainer.Outcome train(Path cohortDir, TrainingTask task, TrainingRecipe recipe, ModelStore store,
                                            QualityGate gate, TaskTrainer.VesselMethod vesselMethod,
                                            Consumer<String> progress) throws Exception {
        return train(cohortDir, task, recipe, store, gate, vesselMethod, null, progress);
    }

    /**
     * The same, with the quality gate scoring challenger and champion on every scan of the task's
     * kind in {@code gateCohortDir} (a cohort generated with another seed) when it is not null.
     *
     * @throws IllegalArgumentException when the gate cohort is the training cohort (same seed) or
     *     holds no scan of the task's kind
     */
    public static TaskTrainer.Outcome train(Path cohortDir, TrainingTask task, TrainingRecipe recipe, ModelStore store,
                                            QualityGate gate, TaskTrainer.VesselMethod vesselMethod, Path gateCohortDir,
                                            Consumer<String> progress) throws Exception {
        return train(cohortDir, task, recipe, store, gate, vesselMethod, gateCohortDir, null, progress);
    }

    /**
     * The same, with how the kept weights are read (test-time flips, mask threshold, minimum
     * component; for the classifier, its acceptance threshold and whether it adds) chosen on every
     * scan of the task's kind in {@code selectCohortDir} when it is not null: a cohort of a third
     * seed, neither the training cohort's nor the gate cohort's, so that the gate does not judge a
     * reading on the scans that chose it.
     *
     * @throws IllegalArgumentException when the gate or selection cohort shares a seed with the
     *     training cohort or with each other, or holds no scan of the task's kind
     */
    public static TaskTrainer.Outcome train(Path cohortDir, TrainingTask task, TrainingRecipe recipe, ModelStore store,
                                            QualityGate gate, TaskTrainer.VesselMethod vesselMethod, Path gateCohortDir,
                                            Path selectCohortDir, Consumer<String> progress) throws Exception {
        return train(cohortDir, task, recipe, store, gate, vesselMethod, gateCohortDir, selectCohortDir, null, progress);
    }

    /**
     * The same, with a vessel SUM run starting from two networks already trained on the noisy labels
     * ({@link TaskTrainer.SumStart}) when {@code sumStart} is not null.
     */
    public static TaskTrainer.Outcome train(Path cohortDir, TrainingTask task, TrainingRecipe recipe, ModelStore store,
                                            QualityGate gate, TaskTrainer.VesselMethod vesselMethod, Path gateCohortDir,
                                            Path selectCohortDir, TaskTrainer.SumStart sumStart,
                                            Consumer<String> progress) throws Exception {
        return train(cohortDir, task, recipe, store, gate, vesselMethod, gateCohortDir, selectCohortDir, sumStart, null,
                progress);
    }

    /**
     * Self-supervised restoration pretraining before a segmentation run from fresh weights ({@link
     * SelfSupervisedPretraining}): {@code epochs} epochs on the images of every scan of the task's kind in
     * {@code cohortDir}, their labels unread, or on the training scans' own images when it is null.
     */
    public record Pretraining(int epochs, Path cohortDir) {
        public Pretraining {
            if (epochs < 1) {
                throw new IllegalArgumentException("pretraining needs at least one epoch, got " + epochs);
            }
        }
    }

    /**
     * The same, pretraining the network on unlabelled images first when {@code pretraining} is not
     * null.
     *
     * @throws IllegalArgumentException when the pretraining cohort shares a seed with the gate or
     *     selection cohort (the scans that judge the network would have been trained on)
     */
    public static TaskTrainer.Outcome train(Path cohortDir, TrainingTask task, TrainingRecipe recipe, ModelStore store,
                                            QualityGate gate, TaskTrainer.VesselMethod vesselMethod, Path gateCohortDir,
                                            Path selectCohortDir, TaskTrainer.SumStart sumStart, Pretraining pretraining,
                                            Consumer<String> progress) throws Exception {
        return train(cohortDir, task, recipe, store, gate, vesselMethod, gateCohortDir, selectCohortDir, sumStart,
                pretraining, false, progress);
    }

    /**
     * The same; with {@code keepChampionReading}, a run that fine-tunes the published network keeps
     * its reading while the scans choosing one are fewer than chose it, as the trainer service's
     * {@code --transfer} runs do ({@link TaskTrainer#keepingChampionReadings}).
     */
    public static TaskTrainer.Outcome train(Path cohortDir, TrainingTask task, TrainingRecipe recipe, ModelStore store,
                                            QualityGate gate, TaskTrainer.VesselMethod vesselMethod, Path gateCohortDir,
                                            Path selectCohortDir, TaskTrainer.SumStart sumStart, Pretraining pretraining,
                                            boolean keepChampionReading, Consumer<String> progress) throws Exception {
        Cohort cohort = Cohort.open(cohortDir);
        Cohort gateCohort = gateCohortDir == null ? null : otherCohort("gate", gateCohortDir, cohort, task);
        Cohort selectCohort = selectCohortDir == null ? null : otherCohort("selection", selectCohortDir, cohort, task);
        if (gateCohort != null && selectCohort != null && gateCohort.manifest().seed() == selectCohort.manifest().seed()) {
            throw new IllegalArgumentException("selection cohort " + selectCohortDir + " has the gate cohort's seed "
                    + gateCohort.manifest().seed() + "; the gate would judge a reading on the scans that chose it");
        }
        List<ScanData> gateScans = gateCohort == null ? List.of() : gateScans(gateCohort, task);
        if (gateCohort != null) {
            progress.accept(String.format(Locale.ROOT, "%s: quality gate on %d scans of cohort %s (seed %d)",
                    task.id(), gateScans.size(), gateCohortDir, gateCohort.manifest().seed()));
        }
        List<ScanData> selectionScans = selectCohort == null ? List.of() : gateScans(selectCohort, task);
        if (selectCohort != null) {
            progress.accept(String.format(Locale.ROOT, "%s: reading chosen on %d scans of cohort %s (seed %d)",
                    task.id(), selectionScans.size(), selectCohortDir, selectCohort.manifest().seed()));
        }
        List<ScanData> train = scans(cohort, task, false);
        List<ScanData> validation = scans(cohort, task, true);
        progress.accept(String.format(Locale.ROOT, "%s: cohort %s (seed %d), %d training and %d validation scans",
                task.id(), cohortDir, cohort.manifest().seed(), train.size(), validation.size()));
        TaskTrainer trainer = new TaskTrainer(store, gate, p -> { }, progress).startingSumFrom(sumStart)
                .checkpointsIn(store.root().resolve(CHECKPOINTS));
        if (keepChampionReading) {
            trainer.keepingChampionReadings();
        }
        if (pretraining != null) {
            trainer.pretrainingOn(pretrainingPlan(pretraining, cohort, cohortDir, train, task,
                    gateCohort, selectCohort));
        }
        return trainer.train(task, train, validation, recipe, vesselMethod, gateScans, selectionScans);
    }

    private static SelfSupervisedPretraining.Plan pretrainingPlan(Pretraining p, Cohort training, Path trainingDir,
                                                                  List<ScanData> train, TrainingTask task, Cohort gate,
                                                                  Cohort select) throws IOException {
        if (p.cohortDir() == null) {
            return new SelfSupervisedPretraining.Plan(p.epochs(), SelfSupervisedPretraining.DEFAULT_CROPS_PER_SCAN,
                    train.stream().map(ScanData::hu).toList(), "the training scans of " + trainingDir);
        }
        Cohort unlabelled = Cohort.open(p.cohortDir());
        for (Cohort judging : new Cohort[] {gate, select}) {
            if (judging != null && judging.manifest().seed() == unlabelled.manifest().seed()) {
                throw new IllegalArgumentException("pretraining cohort " + p.cohortDir() + " has the seed of the cohort "
                        + "that judges the network (" + judging.manifest().seed() + "); pretrain on another");
            }
        }
        String kind = task.group().equals("chest") ? "chest" : "abdomen";
        List<Volume> scans = new ArrayList<>();
        for (CohortManifest.Scan s : unlabelled.scans(kind)) {
            scans.add(unlabelled.series(s).volume());
        }
        return new SelfSupervisedPretraining.Plan(p.epochs(), SelfSupervisedPretraining.DEFAULT_CROPS_PER_SCAN, scans,
                "the " + kind + " scans of " + p.cohortDir() + " (seed " + unlabelled.manifest().seed() + "), unlabelled");
    }

    /** A gate or selection cohort: another seed than the training cohort's, with scans of the task's kind. */
    private static Cohort otherCohort(String role, Path dir, Cohort training, TrainingTask task) throws IOException {
        Cohort other = Cohort.open(dir);
        if (other.manifest().seed() == training.manifest().seed()) {
            throw new IllegalArgumentException(role + " cohort " + dir + " has the training cohort's seed "
                    + training.manifest().seed() + "; generate it with another seed");
        }
        if (other.scans(task.group().equals("chest") ? "chest" : "abdomen").isEmpty()) {
            throw new IllegalArgumentException(role + " cohort " + dir + " has no "
                    + (task.group().equals("chest") ? "chest" : "abdominal") + " scans for " + task.id());
        }
        return other;
    }

    /**
     * Every scan of the task's kind in a gate or selection cohort, labelled with the cohort's exact
     * truth. Such a cohort stands for the fixed reference set a site annotates with care, not for the
     * labels training learns from: for lung, infection and liver that is the same mask; for vessels it
     * is the exact vessel truth, not the noisy labels (a gate scoring against those would reward a
     * challenger for reproducing their missed branches and mis-drawn radii, and refuse one that
     * learnt past them).
     */
    static List<ScanData> gateScans(Cohort cohort, TrainingTask task) throws IOException {
        String kind = task.group().equals("chest") ? "chest" : "abdomen";
        List<ScanData> out = new ArrayList<>();
        for (CohortManifest.Scan s : cohort.scans(kind)) {
            ScanData d = scan(cohort, s, task);
            out.add(task == TrainingTask.VESSEL ? new ScanData(d.id(), d.hu(), d.truth(), d.region(), d.truth()) : d);
        }
        return out;
    }
}
