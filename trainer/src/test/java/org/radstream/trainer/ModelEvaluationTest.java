package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Metrics;
import org.radstream.imaging.Volume;
import org.radstream.imaging.Window;
import org.radstream.imaging.cohort.Cohort;
import org.radstream.imaging.cohort.CohortGenerator;
import org.radstream.imaging.cohort.CohortSpec;
import org.radstream.imaging.eval.AbdomenScore;
import org.radstream.imaging.eval.EvaluationReport;
import org.radstream.imaging.eval.ScanScore;
import org.radstream.models.Architectures;
import org.radstream.models.ModelArtifact;
import org.radstream.models.ModelDescriptor;
import org.radstream.models.ModelStore;
import org.radstream.models.NetworkSpec;
import org.radstream.models.SegmentationTraining;
import org.radstream.models.TrainingSettings;
import org.radstream.models.UNetVariant;

/**
 * {@code eval --model TASK=DIR}: an evaluation reads a given artifact (a refused challenger kept
 * aside) in place of the store's newest version of its task, and refuses one of another task.
 */
class ModelEvaluationTest {
    private static final int SIZE = 64;

    @TempDir
    static Path dir;

    private static ModelStore store;
    private static ModelArtifact refusedInfection;

    @BeforeAll
    static void storeWithARefusedChallenger() throws Exception {
        CohortGenerator.generate(new CohortSpec(13, 1, 0, SIZE, false), dir.resolve("cohort"));
        store = new ModelStore(dir.resolve("store"));
        // networks whose output bias decides everything: the lung marks every voxel, the published
        // infection network none, the refused challenger every voxel
        save("lung", 20f, false);
        save("infection", -20f, false);
        refusedInfection = save("infection", 20f, true);
    }

    private static ModelArtifact save(String task, float outputBias, boolean refused) throws Exception {
        return save(store, task, outputBias, refused);
    }

    private static ModelArtifact save(ModelStore into, String task, float outputBias, boolean refused) throws Exception {
        try (Model model = Architectures.newModel(NetworkSpec.unet(UNetVariant.PLAIN, 3, 2, 4), Device.cpu());
                SegmentationTraining ignored = SegmentationTraining.start(model, 3, SIZE, SIZE,
                        TrainingSettings.defaults())) {
            List<Pair<String, Parameter>> params = model.getBlock().getParameters().stream().toList();
            Parameter bias = params.stream().filter(p -> p.getValue().getType() == Parameter.Type.BIAS)
                    .reduce((first, second) -> second).orElseThrow().getValue();
            NDArray b = bias.getArray();
            b.set(b.onesLike().mul(outputBias).toFloatArray());
            ModelDescriptor d = new ModelDescriptor(task, SIZE, SIZE, Window.LUNG.lower(), Window.LUNG.upper(), Map.of());
            return refused ? into.keepRefused(model, d) : into.save(model, d);
        }
    }

    @Test
    void aGivenArtifactIsReadInPlaceOfTheStoresNewestVersionOfItsTask() throws Exception {
        Cohort cohort = Cohort.open(dir.resolve("cohort"));
        List<String> progress = new java.util.ArrayList<>();
        ModelEvaluation published = new ModelEvaluation("models-no-classifier", store.root(), false)
                .withProgress(progress::add);
        EvaluationReport asPublished = published.evaluate(cohort, null);
        // one line a scan as it is scored, with its figures and the time left
        ScanScore only = asPublished.chest().get(0);
        assertThat(progress).singleElement().asString().startsWith(String.format(java.util.Locale.ROOT,
                "eval: chest 1 of 1 (%s): lung Dice %.3f, ", only.scanId(), only.lungDice())).endsWith(" s a scan, done");
        EvaluationReport withRefused = published.reading(Map.of("infection", Path.of(refusedInfection.location())))
                .evaluate(cohort, null);
        assertThat(progress).hasSize(2);

        assertThat(asPublished.chest()).extracting(ScanScore::predInfectionMl).containsOnly(0.0);
        assertThat(withRefused.chest()).extracting(ScanScore::predInfectionMl).allMatch(ml -> ml > 0);
        assertThat(asPublished.parameters().get("infection").toString()).startsWith("v1 ").doesNotContain("read from");
        assertThat(withRefused.parameters().get("infection").toString()).startsWith("v2 ")
                .endsWith("read from " + Path.of(refusedInfection.location()));
        assertThat(withRefused.parameters().get("lung")).isEqualTo(asPublished.parameters().get("lung"));
        // networks whose every probability sits at 0 or 1 decided every mask firmly: everything, or nothing
        assertThat(asPublished.chest()).extracting(ScanScore::lungStability).containsOnly(1.0);
        assertThat(asPublished.chest()).extracting(ScanScore::infectionStability).containsOnly(1.0);
        assertThat(withRefused.chest()).extracting(ScanScore::infectionStability).containsOnly(1.0);
    }

    @Test
    void eachAbdominalScanIsScoredOnItsOwnRow() throws Exception {
        CohortGenerator.generate(new CohortSpec(14, 0, 2, SIZE, false), dir.resolve("abdomen"));
        Cohort cohort = Cohort.open(dir.resolve("abdomen"));
        ModelStore abdomenStore = new ModelStore(dir.resolve("abdomen-store"));
        // a liver network that marks every voxel, and a vessel network that marks every voxel it is shown
        save(abdomenStore, "liver", 20f, false);
        save(abdomenStore, "vessel", 20f, false);
        List<String> progress = new java.util.ArrayList<>();
        EvaluationReport r = new ModelEvaluation("models-no-classifier", abdomenStore.root(), false)
                .withProgress(progress::add).evaluate(cohort, null);

        assertThat(r.chest()).isEmpty();
        assertThat(r.abdomen()).extracting(AbdomenScore::scanId)
                .containsExactlyElementsOf(cohort.scans("abdomen").stream().map(s -> s.scanId()).toList());
        for (int i = 0; i < 2; i++) {
            var scan = cohort.scans("abdomen").get(i);
            Volume v = cohort.series(scan).volume();
            boolean[] all = new boolean[v.width() * v.height() * v.depth()];
            java.util.Arrays.fill(all, true);
            Mask3D everything = new Mask3D(all, v.width(), v.height(), v.depth());
            AbdomenScore row = r.abdomen().get(i);
            assertThat(row.liverDice()).isEqualTo(Metrics.dice(everything, cohort.truth(scan, "liver")));
            assertThat(row.predLiverMl()).isEqualTo(everything.volumeMl(v.spacingX(), v.spacingY(), v.spacingZ()));
            // the vessels are read inside the dilated liver, which is here the whole scan
            assertThat(row.vesselDice()).isEqualTo(Metrics.dice(everything, cohort.truth(scan, "vessel")));
            assertThat(row.truthVesselMl()).isEqualTo(cohort.truth(scan, "vessel")
                    .volumeMl(v.spacingX(), v.spacingY(), v.spacingZ())).isPositive();
            assertThat(row.vesselHd95Mm()).isPositive();
            assertThat(row.liverStability()).isEqualTo(1.0);
            assertThat(row.vesselStability()).isEqualTo(1.0);
        }
        assertThat(r.vesselDice()).isEqualTo((r.abdomen().get(0).vesselDice() + r.abdomen().get(1).vesselDice()) / 2,
                within(1e-12));
        assertThat(r.abdomenNote()).startsWith(String.format(java.util.Locale.ROOT, "2 scans: liver Dice %.3f (v1 ",
                r.liverDice())).contains(String.format(java.util.Locale.ROOT, "vessel Dice %.3f", r.vesselDice()));
        assertThat(progress).hasSize(2);
        assertThat(progress.get(1)).startsWith("eval: abdomen 2 of 2 (" + r.abdomen().get(1).scanId() + "): liver Dice ")
                .contains(", vessel Dice ").endsWith(" s a scan, done");
    }

    @Test
    void anArtifactOfAnotherTaskAnUnknownTaskOrAnEmptyDirectoryIsRefused() {
        ModelEvaluation e = new ModelEvaluation("models-no-classifier", store.root(), false);
        Path lungV1 = store.root().resolve("lung/v0001");
        assertThatThrownBy(() -> e.reading(Map.of("infection", lungV1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the artifact at " + lungV1 + " is a lung model, not infection");
        assertThatThrownBy(() -> e.reading(Map.of("kidney", lungV1)))
                .hasMessageContaining("unknown task 'kidney'");
        assertThatThrownBy(() -> e.reading(Map.of("infection-classifier", lungV1)))
                .hasMessage("method models-no-classifier reads no infection-classifier");
        assertThatThrownBy(() -> e.reading(Map.of("lung", dir.resolve("nothing"))))
                .hasMessageContaining("no model artifact");
    }
}
