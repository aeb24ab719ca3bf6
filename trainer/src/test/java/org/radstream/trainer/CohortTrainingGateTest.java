package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.imaging.cohort.CohortGenerator;
import org.radstream.imaging.cohort.CohortSpec;
import org.radstream.models.ModelStore;

/**
 * {@code train --gate-cohort} and {@code --select-cohort}: a cohort that could not judge the
 * challenger, or whose scans would both choose and judge its reading, is refused before training.
 */
class CohortTrainingGateTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void cohorts() throws Exception {
        CohortGenerator.generate(new CohortSpec(11, 2, 0, 64, false), dir.resolve("train-s11"));
        CohortGenerator.generate(new CohortSpec(11, 2, 0, 64, false), dir.resolve("gate-s11"));
        CohortGenerator.generate(new CohortSpec(12, 0, 1, 64, false), dir.resolve("abdomen-s12"));
        CohortGenerator.generate(new CohortSpec(13, 1, 0, 64, false), dir.resolve("chest-s13"));
    }

    @Test
    void gateScansCarryTheExactVesselTruthWhereTrainingLearnsTheNoisyLabels() throws Exception {
        org.radstream.imaging.cohort.Cohort cohort = org.radstream.imaging.cohort.Cohort.open(dir.resolve("abdomen-s12"));
        org.radstream.imaging.cohort.CohortManifest.Scan s = cohort.scans("abdomen").get(0);
        boolean[] exact = cohort.truth(s, "vessel").data();
        boolean[] noisy = cohort.truth(s, "vessel-noisy").data();
        assertThat(noisy).isNotEqualTo(exact);
        ScanData training = CohortTraining.scan(cohort, s, TrainingTask.VESSEL);
        assertThat(training.label().data()).isEqualTo(noisy);
        List<ScanData> gate = CohortTraining.gateScans(cohort, TrainingTask.VESSEL);
        assertThat(gate).hasSize(1);
        assertThat(gate.get(0).label().data()).isEqualTo(exact);
        assertThat(gate.get(0).region().data()).isEqualTo(training.region().data());
        // the other tasks' labels are their truth already
        assertThat(CohortTraining.gateScans(cohort, TrainingTask.LIVER).get(0).label().data())
                .isEqualTo(cohort.truth(s, "liver").data());
    }

    @Test
    void aGateCohortWithTheTrainingSeedIsRefused() {
        List<String> progress = new ArrayList<>();
        assertThatThrownBy(() -> CohortTraining.train(dir.resolve("train-s11"), TrainingTask.INFECTION,
                TrainingRecipe.defaults().withEpochs(1), new ModelStore(dir.resolve("store")), new QualityGate(0),
                TaskTrainer.VesselMethod.SUM, dir.resolve("gate-s11"), progress::add))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has the training cohort's seed 11; generate it with another seed");
        assertThat(progress).noneMatch(l -> l.contains("epoch"));
        assertThat(dir.resolve("store").resolve("infection")).doesNotExist();
    }

    @Test
    void aGateCohortWithoutScansOfTheTasksKindIsRefused() {
        assertThatThrownBy(() -> CohortTraining.train(dir.resolve("train-s11"), TrainingTask.INFECTION,
                TrainingRecipe.defaults().withEpochs(1), new ModelStore(dir.resolve("store")), new QualityGate(0),
                TaskTrainer.VesselMethod.SUM, dir.resolve("abdomen-s12"), p -> { }))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has no chest scans for infection");
    }

    @Test
    void aPretrainingCohortWithTheGateCohortsSeedIsRefused() {
        List<String> progress = new ArrayList<>();
        assertThatThrownBy(() -> CohortTraining.train(dir.resolve("train-s11"), TrainingTask.LUNG,
                TrainingRecipe.defaults().withEpochs(1), new ModelStore(dir.resolve("store")), new QualityGate(0),
                TaskTrainer.VesselMethod.SUM, dir.resolve("chest-s13"), null, null,
                new CohortTraining.Pretraining(1, dir.resolve("chest-s13")), progress::add))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("pretraining cohort " + dir.resolve("chest-s13") + " has the seed of the cohort that judges "
                        + "the network (13); pretrain on another");
        assertThat(progress).noneMatch(l -> l.contains("epoch"));
        assertThat(dir.resolve("store").resolve("lung")).doesNotExist();
    }

    @Test
    void aSelectionCohortWithTheGateCohortsSeedIsRefused() {
        List<String> progress = new ArrayList<>();
        assertThatThrownBy(() -> CohortTraining.train(dir.resolve("train-s11"), TrainingTask.INFECTION,
                TrainingRecipe.defaults().withEpochs(1), new ModelStore(dir.resolve("store")), new QualityGate(0),
                TaskTrainer.VesselMethod.SUM, dir.resolve("chest-s13"), dir.resolve("chest-s13"), progress::add))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has the gate cohort's seed 13; the gate would judge a reading on the scans that chose it");
        assertThat(progress).noneMatch(l -> l.contains("epoch"));
    }

    @Test
    void aSelectionCohortWithTheTrainingSeedOrWithoutScansOfTheTasksKindIsRefused() {
        assertThatThrownBy(() -> CohortTraining.train(dir.resolve("train-s11"), TrainingTask.INFECTION,
                TrainingRecipe.defaults().withEpochs(1), new ModelStore(dir.resolve("store")), new QualityGate(0),
                TaskTrainer.VesselMethod.SUM, null, dir.resolve("gate-s11"), p -> { }))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("selection cohort").hasMessageContaining("has the training cohort's seed 11");
        assertThatThrownBy(() -> CohortTraining.train(dir.resolve("train-s11"), TrainingTask.INFECTION,
                TrainingRecipe.defaults().withEpochs(1), new ModelStore(dir.resolve("store")), new QualityGate(0),
                TaskTrainer.VesselMethod.SUM, null, dir.resolve("abdomen-s12"), p -> { }))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("selection cohort").hasMessageContaining("has no chest scans for infection");
    }
}
