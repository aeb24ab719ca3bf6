package org.radstream.launcher.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.avro.InferenceResult;
import org.radstream.avro.Mask;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Rle;
import org.radstream.imaging.cohort.Cohort;
import org.radstream.imaging.cohort.CohortGenerator;
import org.radstream.imaging.cohort.CohortManifest;
import org.radstream.imaging.cohort.CohortSpec;
import org.radstream.imaging.eval.AbdomenScore;

/** {@code eval --method pipeline} scores an abdominal scan from the masks the workers published, decoded from their RLE. */
class PipelineEvaluationTest {
    @TempDir
    static Path dir;
    static Cohort cohort;
    static CohortManifest.Scan scan;

    @BeforeAll
    static void cohort() throws Exception {
        CohortGenerator.generate(new CohortSpec(21, 0, 1, 64, false), dir.resolve("cohort"));
        cohort = Cohort.open(dir.resolve("cohort"));
        scan = cohort.scans("abdomen").get(0);
    }

    @Test
    void aPublishedMaskIsScoredAgainstTheTruthOnTheScansGrid() throws IOException {
        Mask3D liverTruth = cohort.truth(scan, "liver");
        Mask3D vesselTruth = cohort.truth(scan, "vessel");
        // the liver result misses the truth's first slice that holds liver: Dice 2|A|/(|A|+|B|) since A lies inside B
        Mask3D liver = liverTruth.copy();
        int z = 0;
        while (liver.isSliceEmpty(z)) {
            z++;
        }
        liver.setSlice(z, new boolean[liver.width() * liver.height()]);
        AbdomenScore score = PipelineEvaluation.abdomenScore(cohort, scan,
                Map.of("liver", result("liver", liver, 0.9), "vessel", result("vessel", vesselTruth, 0.7)));

        assertThat(score.scanId()).isEqualTo(scan.scanId());
        assertThat(score.liverDice()).isCloseTo(2.0 * liver.count() / (liver.count() + liverTruth.count()), within(1e-12));
        assertThat(score.liverDice()).isLessThan(1.0);
        assertThat(score.predLiverMl()).isCloseTo(liver.volumeMl(scan.spacingX(), scan.spacingY(), scan.spacingZ()),
                within(1e-9));
        assertThat(score.vesselDice()).isEqualTo(1.0);
        assertThat(score.vesselHd95Mm()).isEqualTo(0.0);
        assertThat(score.liverStability()).isEqualTo(0.9);
        assertThat(score.vesselStability()).isEqualTo(0.7);
    }

    @Test
    void aScanWithoutAVesselResultIsScoredOnItsLiverAloneAndOneWithoutALiverResultIsRefused() throws IOException {
        Mask3D liverTruth = cohort.truth(scan, "liver");
        Map<String, InferenceResult> liverOnly = Map.of("liver", result("liver", liverTruth, 0.9));
        AbdomenScore score = PipelineEvaluation.abdomenScore(cohort, scan, liverOnly);

        assertThat(score.liverDice()).isEqualTo(1.0);
        assertThat(score.truthVesselMl()).isPositive();
        assertThat(score.vesselDice()).isNaN();
        assertThat(score.vesselHd95Mm()).isNaN();
        assertThat(score.predVesselMl()).isNaN();
        assertThat(PipelineEvaluation.methods(liverOnly)).isEqualTo("model/no vessel result");

        assertThatThrownBy(() -> PipelineEvaluation.abdomenScore(cohort, scan,
                Map.of("vessel", result("vessel", cohort.truth(scan, "vessel"), 0.7))))
                .isInstanceOf(IOException.class)
                .hasMessage("abdominal scan " + scan.scanId() + " (series " + scan.seriesUid() + ") has no liver result");
    }

    private static InferenceResult result(String task, Mask3D m, double stability) {
        return InferenceResult.newBuilder().setSeriesUid(scan.seriesUid()).setTask(task).setTaskGroup("liver")
                .setPatientId(scan.patientId()).setStudyUid(scan.studyUid()).setAcquisitionTime(Instant.parse("2026-12-01T08:00:00Z"))
                .setSliceCount(m.depth()).setVoxelVolumeMm3(scan.spacingX() * scan.spacingY() * scan.spacingZ())
                .setVolumeMl(m.volumeMl(scan.spacingX(), scan.spacingY(), scan.spacingZ()))
                .setMask(new Mask(m.width(), m.height(), m.depth(), ByteBuffer.wrap(Rle.encode(m))))
                .setMethod("model").setModelVersion("1").setMaskStability(stability)
                .setProducedAt(Instant.parse("2026-12-01T08:05:00Z")).build();
    }
}
