package org.radstream.launcher.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.radstream.avro.InferenceResult;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Rle;
import org.radstream.imaging.cohort.Cohort;
import org.radstream.imaging.cohort.CohortManifest;
import org.radstream.imaging.eval.AbdomenFigure;
import org.radstream.imaging.eval.AbdomenScore;
import org.radstream.imaging.eval.EvaluationMethod;
import org.radstream.imaging.eval.EvaluationReport;
import org.radstream.imaging.eval.ScanScore;
import org.radstream.platform.Platform;
import org.radstream.schemas.RestSchemaRegistryClient;
import org.radstream.schemas.Topics;

/**
 * {@code radstream eval --method pipeline}: the held-out cohort goes through the real pipeline
 * (DICOM C-STORE into ingest, Kafka, stream processors, workers) on an embedded Kafka, and what
 * comes out (the masks of {@code radstream.inference.results}, the alerts) is scored against the
 * truth exactly as {@code --method models} scores the models run directly. Any difference between
 * the two on the same models and cohort is the pipeline's doing. Alerts are scored against the
 * manifest's alert pairs (sensitivity, precision).
 */
public final class PipelineEvaluation implements EvaluationMethod {
    private final String name;
    private final Path modelStore;
    private final Duration timeout;
    private final int windowBits;

    /** @param windowBits bits per windowed value on the task topics: 8 as deployed, 16 to see what 8 costs */
    public PipelineEvaluation(String name, Path modelStore, Duration timeout, int windowBits) {
        this.name = name;
        this.modelStore = modelStore;
        this.timeout = timeout;
        this.windowBits = windowBits;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public EvaluationReport evaluate(Cohort cohort, Cohort tuning) throws IOException {
        Path dir = Files.createTempDirectory("radstream-eval-pipeline-");
        try (Platform platform = Platform.start(dir.resolve("kafka"), 0)) {
            Topics topics = new Topics(new RestSchemaRegistryClient(platform.registryUrl()));
            try (LocalPipeline pipeline = LocalPipeline.start(new LocalPipeline.Options(platform.bootstrap(),
                    platform.registryUrl(), dir.resolve("services"), modelStore, Duration.ofSeconds(2), false, null, windowBits));
                 PipelineWatch watch = new PipelineWatch(platform.bootstrap(), topics, e -> { }).start()) {
                CohortPush.send(cohort, "localhost", pipeline.ingest().dicomPort(), pipeline.ingest().settings().aeTitle(),
                        s -> System.err.println("eval pipeline: sent " + s.scanId()));
                if (!CohortPush.awaitAll(watch, cohort, timeout)) {
                    long done = cohort.scans().stream().filter(s -> CohortPush.finished(watch, s)).count();
                    throw new IOException("pipeline finished " + done + " of " + cohort.scans().size()
                            + " scans within " + timeout + "; dead letters: " + watch.deadLetters());
                }
                watch.await(() -> false, Duration.ofSeconds(3));
                return report(cohort, watch);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            LocalPipeline.deleteTree(dir);
        }
    }

    private EvaluationReport report(Cohort cohort, PipelineWatch watch) throws IOException {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("store", modelStore.toString());
        params.put("window_bits", windowBits);
        List<ScanScore> chest = new ArrayList<>();
        for (CohortManifest.Scan s : cohort.scans("chest")) {
            PipelineWatch.SeriesTrack t = watch.series(s.seriesUid());
            InferenceResult lung = t.results.get("lung");
            InferenceResult inf = t.results.get("infection");
            params.putIfAbsent("lung", lung.getMethod() + " " + (lung.getModelVersion() == null ? "" : "v" + lung.getModelVersion()));
            params.putIfAbsent("infection", inf.getMethod() + " " + (inf.getModelVersion() == null ? "" : "v" + inf.getModelVersion())
                    + (inf.getClassifierVersion() == null ? "" : ", classifier v" + inf.getClassifierVersion()));
            // scored as eval --method models scores the models run directly
            chest.add(ScanScore.of(s.scanId(), cohort.series(s).volume(), mask(lung), mask(inf),
                    cohort.truth(s, "lung"), cohort.truth(s, "infection"))
                    .withStability(stability(lung), stability(inf)));
        }
        AlertScore alerts = AlertScore.of(cohort.manifest(), watch.alerts());
        params.put("alert_sensitivity", alerts.sensitivity());
        params.put("alert_precision", alerts.precision());
        params.put("alerts_correct", alerts.correct().size());
        params.put("alerts_false", alerts.falseAlerts().size());
        params.put("alerts_missed", alerts.missed().size());
        params.put("alerts_repeated", alerts.duplicates());
        List<AbdomenScore> abdomen = abdomen(cohort, watch);
        return new EvaluationReport(name(), cohort.dir().toString(), params, chest, abdomen,
                abdomenNote(cohort, watch, abdomen));
    }

    /** Each abdominal scan's scores from the masks the workers published for it. */
    private static List<AbdomenScore> abdomen(Cohort cohort, PipelineWatch watch) throws IOException {
        List<AbdomenScore> scores = new ArrayList<>();
        for (CohortManifest.Scan s : cohort.scans("abdomen")) {
            scores.add(abdomenScore(cohort, s, watch.series(s.seriesUid()).results));
        }
        return scores;
    }

    /**
     * One abdominal scan scored from its published results (task → result), as {@code --method models} scores the
     * models run directly. A scan without a vessel result is scored on its liver alone: its vessel figures are NaN,
     * not 0, so they count in no mean. One without a liver result cannot be scored.
     */
    static AbdomenScore abdomenScore(Cohort cohort, CohortManifest.Scan s, Map<String, InferenceResult> results)
            throws IOException {
        InferenceResult liver = results.get("liver");
        if (liver == null) {
            throw new IOException("abdominal scan " + s.scanId() + " (series " + s.seriesUid() + ") has no liver result");
        }
        InferenceResult vessel = results.get("vessel");
        return AbdomenScore.of(s.scanId(), s.spacingX(), s.spacingY(), s.spacingZ(), mask(liver),
                cohort.truth(s, "liver"), stability(liver), vessel == null ? null : mask(vessel),
                cohort.truth(s, "vessel"), vessel == null ? Double.NaN : stability(vessel));
    }

    /** The abdomen in words: its figures and the methods the workers named. */
    private static String abdomenNote(Cohort cohort, PipelineWatch watch, List<AbdomenScore> scores) {
        if (scores.isEmpty()) {
            return "no abdominal scans";
        }
        return String.format(Locale.ROOT, "%d scans: liver Dice %.3f; vessel Dice %.3f, HD95 %.2f mm against the exact "
                        + "vessel truth (%s)", scores.size(), AbdomenFigure.LIVER_DICE.of(scores),
                AbdomenFigure.VESSEL_DICE.of(scores), AbdomenFigure.VESSEL_HD95.of(scores),
                methods(watch.series(cohort.scans("abdomen").get(0).seriesUid()).results));
    }

    /** The methods that made a scan's liver and vessel results, "liver/vessel"; "no vessel result" where it has none. */
    static String methods(Map<String, InferenceResult> results) {
        InferenceResult vessel = results.get("vessel");
        return results.get("liver").getMethod() + "/" + (vessel == null ? "no vessel result" : vessel.getMethod());
    }

    /** The result's maskStability as the worker measured it; NaN where it has none (the HU baseline). */
    private static double stability(InferenceResult r) {
        return r.getMaskStability() == null ? Double.NaN : r.getMaskStability();
    }

    private static Mask3D mask(InferenceResult r) {
        java.nio.ByteBuffer b = r.getMask().getRle().duplicate();
        byte[] rle = new byte[b.remaining()];
        b.get(rle);
        return Rle.decode(rle, r.getMask().getWidth(), r.getMask().getHeight(), r.getMask().getDepth());
    }
}
