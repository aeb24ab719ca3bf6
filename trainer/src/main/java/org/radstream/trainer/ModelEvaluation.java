package org.radstream.trainer;

import ai.djl.Device;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.radstream.imaging.BoundingSquare;
import org.radstream.imaging.ComponentLabels;
import org.radstream.imaging.Components;
import org.radstream.imaging.Connectivity;
import org.radstream.imaging.InfectedLung;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Morphology;
import org.radstream.imaging.Volume;
import org.radstream.imaging.Window;
import org.radstream.imaging.cohort.Cohort;
import org.radstream.imaging.cohort.CohortManifest;
import org.radstream.imaging.eval.AbdomenFigure;
import org.radstream.imaging.eval.AbdomenScore;
import org.radstream.imaging.eval.EvaluationMethod;
import org.radstream.imaging.eval.EvaluationReport;
import org.radstream.imaging.eval.RuleAlerts;
import org.radstream.imaging.eval.ScanScore;
import org.radstream.imaging.eval.StabilityRanking;
import org.radstream.models.ModelArtifact;
import org.radstream.models.ModelStore;
import org.radstream.models.PatchClassifier;
import org.radstream.models.SegmentationModel;
import org.radstream.models.TestTimeFlips;

/**
 * {@code radstream eval --method models}: the published models of a model store, run as the
 * workers run them (lung: two largest components; infection: the components reaching into the
 * lung, optionally filtered by the candidate classifier, the lung grown by them; liver: largest
 * component; vessels inside the dilated liver), scored against the cohort's exact truth. Abdominal
 * scans are scored one by one (liver Dice, vessel Dice and HD95 against the exact vessel truth),
 * and the report's abdomen note names the networks that read them. On a longitudinal cohort the parameters also say which progression alerts the
 * measured volumes would raise ({@link RuleAlerts}).
 */
public final class ModelEvaluation implements EvaluationMethod {
    /** The tasks whose networks an evaluation reads. */
    static final List<String> TASKS = List.of("lung", "infection", "infection-classifier", "liver", "vessel");

    private final String name;
    private final Path store;
    private final boolean classifier;
    private final Map<String, ModelArtifact> artifacts;
    private final Consumer<String> progress;

    public ModelEvaluation(String name, Path store, boolean classifier) {
        this(name, store, classifier, Map.of(), line -> { });
    }

    private ModelEvaluation(String name, Path store, boolean classifier, Map<String, ModelArtifact> artifacts,
                            Consumer<String> progress) {
        this.name = name;
        this.store = store;
        this.classifier = classifier;
        this.artifacts = artifacts;
        this.progress = progress;
    }

    /**
     * The same evaluation saying each scan's figures as it scores them, with the time left: a
     * cohort of 80 chest scans read four times a slice takes most of an hour on two cores.
     */
    public ModelEvaluation withProgress(Consumer<String> lines) {
        return new ModelEvaluation(name, store, classifier, artifacts, lines);
    }

    /**
     * The same evaluation reading the given artifact directories in place of the store's newest
     * version of their tasks: a refused challenger kept aside ({@code <task>/refused/rNNNN}), or an
     * older version.
     *
     * @param byTask artifact directory per task
     * @throws IllegalArgumentException for an unknown task, a classifier where this evaluation reads
     *     none, or an artifact of another task
     * @throws IOException when a directory holds no artifact
     */
    public ModelEvaluation reading(Map<String, Path> byTask) throws IOException {
        Map<String, ModelArtifact> out = new LinkedHashMap<>(artifacts);
        for (Map.Entry<String, Path> e : byTask.entrySet()) {
            String task = e.getKey();
            if (!TASKS.contains(task)) {
                throw new IllegalArgumentException("unknown task '" + task + "' (an evaluation reads " + TASKS + ")");
            }
            if (task.equals("infection-classifier") && !classifier) {
                throw new IllegalArgumentException("method " + name + " reads no infection-classifier");
            }
            URI location = e.getValue().toAbsolutePath().normalize().toUri();
            ModelArtifact a = new ModelArtifact(location, ModelStore.readMetadata(location));
            if (!a.metadata().task().equals(task)) {
                throw new IllegalArgumentException("the artifact at " + e.getValue() + " is a " + a.metadata().task()
                        + " model, not " + task);
            }
            out.put(task, a);
        }
        return new ModelEvaluation(name, store, classifier, Map.copyOf(out), progress);
    }

    /** The artifact evaluated for {@code task}: the one given to {@link #reading}, else the store's newest. */
    private Optional<ModelArtifact> artifact(ModelStore s, String task) throws IOException {
        ModelArtifact given = artifacts.get(task);
        return given != null ? Optional.of(given) : s.latest(task);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public EvaluationReport evaluate(Cohort evaluation, Cohort tuning) throws IOException {
        ModelStore s = new ModelStore(store);
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("store", store.toString());
        params.put("classifier", classifier);
        try {
            List<ScanScore> chest = new ArrayList<>();
            Optional<ModelArtifact> lungA = artifact(s, "lung");
            Optional<ModelArtifact> infA = artifact(s, "infection");
            if (lungA.isPresent() && infA.isPresent()) {
                params.put("lung", describe(lungA.get()));
                params.put("infection", describe(infA.get()));
                Optional<ModelArtifact> clfA = classifier ? artifact(s, "infection-classifier") : Optional.empty();
                clfA.ifPresent(a -> params.put("infection-classifier", describe(a)));
                try (SegmentationModel lungM = SegmentationModel.load(lungA.get().location(), Device.cpu());
                     SegmentationModel infM = SegmentationModel.load(infA.get().location(), Device.cpu());
                     PatchClassifier clf = clfA.isPresent() ? PatchClassifier.load(clfA.get().location(), Device.cpu()) : null) {
                    List<CohortManifest.Scan> scans = evaluation.scans("chest");
                    long started = System.nanoTime();
                    for (CohortManifest.Scan scan : scans) {
                        ScanScore score = scoreChest(evaluation, scan, lungM, infM, clf);
                        chest.add(score);
                        progress.accept(String.format(Locale.ROOT, "eval: chest %d of %d (%s): lung Dice %.3f, %s, PoIR "
                                        + "%.2f read as %.2f; %s", chest.size(), scans.size(), scan.scanId(), score.lungDice(),
                                Double.isNaN(score.infectionDice()) ? "no infection in truth"
                                        : String.format(Locale.ROOT, "infection Dice %.3f", score.infectionDice()),
                                score.truthPoir(), score.predPoir(), timeLeft(started, chest.size(), scans.size())));
                    }
                }
                if (RuleAlerts.applies(evaluation.manifest())) {
                    params.putAll(RuleAlerts.of(evaluation.manifest(), chest).asParameters());
                }
            }
            Abdomen abdomen = abdomen(evaluation, s);
            return new EvaluationReport(name, evaluation.dir().toString(), params, chest, abdomen.scores(), abdomen.note());
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("model evaluation failed: " + e.getMessage(), e);
        }
    }

    private String describe(ModelArtifact a) {
        Double flips = a.metadata().metrics().get(SegmentationModel.TEST_TIME_FLIPS_METRIC);
        return "v" + a.metadata().version() + " " + a.metadata().network().architecture() + " "
                + a.metadata().network().inChannels() + "ch " + a.metadata().inputWidth() + "²"
                + (flips == null || flips == 0 ? ""
                        : ", test-time flips " + TestTimeFlips.ofCode(flips).name().toLowerCase(Locale.ROOT))
                + (artifacts.containsValue(a) ? ", read from " + Path.of(a.location()) : "");
    }

    private static ScanScore scoreChest(Cohort c, CohortManifest.Scan scan, SegmentationModel lungM,
                                        SegmentationModel infM, PatchClassifier clf) throws Exception {
        Volume v = c.series(scan).volume();
        Mask3D lungTruth = c.truth(scan, "lung");
        Mask3D infTruth = c.truth(scan, "infection");
        ScanData data = new ScanData(scan.scanId(), v, lungTruth, null, null);
        Evaluator.Segmented lungRaw = Evaluator.segmentWithStability(TaskTrainer.sliceModel(lungM), data);
        Mask3D lung = Components.keepLargest(lungRaw.mask(), 2, Connectivity.FACE); // as TaskTrainer.lungs
        Evaluator.Segmented infRaw = Evaluator.segmentWithStability(TaskTrainer.sliceModel(infM), data);
        Mask3D inf = InfectedLung.reaching(lung, infRaw.mask());
        if (clf != null) {
            inf = filter(inf, v, clf);
        }
        InfectedLung out = InfectedLung.of(lung, inf);
        return ScanScore.of(scan.scanId(), v, out.lung(), out.infection(), lungTruth, infTruth)
                .withStability(lungRaw.stability(), infRaw.stability());
    }

    /** Drops the 2D components the classifier rejects (as the workers do). */
    static Mask3D filter(Mask3D candidates, Volume v, PatchClassifier clf) throws Exception {
        int w = candidates.width();
        int h = candidates.height();
        Mask3D out = candidates.copy();
        for (int z = 0; z < candidates.depth(); z++) {
            ComponentLabels comps = Components.label2D(candidates.slice(z), w, h, Connectivity.FULL);
            if (comps.count() == 0) {
                continue;
            }
            float[] image = Window.LUNG.apply(v.slice(z));
            float[][] patches = new float[comps.count()][];
            for (int c = 1; c <= comps.count(); c++) {
                patches[c - 1] = Candidates.crop(image, w, h, BoundingSquare.of(comps.labels(), w, h, c), clf.height());
            }
            boolean[] keep = clf.accept(patches, clf.acceptThreshold());
            int[] lab = comps.labels();
            for (int i = 0; i < lab.length; i++) {
                if (lab[i] > 0 && !keep[lab[i] - 1]) {
                    out.set(z * w * h + i, false);
                }
            }
        }
        return out;
    }

    /** "12 s a scan, about 3 min left" after {@code done} of {@code total} scans since {@code started}. */
    static String timeLeft(long started, int done, int total) {
        double each = (System.nanoTime() - started) / 1e9 / done;
        long left = Math.round(each * (total - done));
        return String.format(Locale.ROOT, "%.0f s a scan, %s", each, total == done ? "done"
                : left < 90 ? "about " + left + " s left" : "about " + Math.round(left / 60.0) + " min left");
    }

    /** The abdominal scans' scores and the note that names the networks that read them. */
    private record Abdomen(List<AbdomenScore> scores, String note) {
    }

    private Abdomen abdomen(Cohort c, ModelStore s) throws Exception {
        List<CohortManifest.Scan> scans = c.scans("abdomen");
        Optional<ModelArtifact> liverA = artifact(s, "liver");
        Optional<ModelArtifact> vesselA = artifact(s, "vessel");
        if (scans.isEmpty() || liverA.isEmpty()) {
            return new Abdomen(List.of(), "no abdominal scans or no liver model");
        }
        List<AbdomenScore> scores = new ArrayList<>();
        long started = System.nanoTime();
        try (SegmentationModel liverM = SegmentationModel.load(liverA.get().location(), Device.cpu());
             SegmentationModel vesselM = vesselA.isPresent()
                     ? SegmentationModel.load(vesselA.get().location(), Device.cpu()) : null) {
            for (CohortManifest.Scan scan : scans) {
                Volume v = c.series(scan).volume();
                Mask3D liverTruth = c.truth(scan, "liver");
                Evaluator.Segmented liverRaw = Evaluator.segmentWithStability(TaskTrainer.sliceModel(liverM),
                        new ScanData(scan.scanId(), v, liverTruth, null, null));
                Mask3D liver = Components.keepLargest(liverRaw.mask(), 1, Connectivity.FACE);
                Mask3D vesselTruth = c.truth(scan, "vessel");
                Evaluator.Segmented vessels = vesselM == null ? null
                        : Evaluator.segmentWithStability(TaskTrainer.sliceModel(vesselM), new ScanData(scan.scanId(), v,
                                vesselTruth, Morphology.dilate3D(liver, CohortTraining.LIVER_DILATION), null));
                AbdomenScore score = AbdomenScore.of(scan.scanId(), v.spacingX(), v.spacingY(), v.spacingZ(), liver,
                        liverTruth, liverRaw.stability(), vessels == null ? null : vessels.mask(), vesselTruth,
                        vessels == null ? Double.NaN : vessels.stability());
                scores.add(score);
                progress.accept(String.format(Locale.ROOT, "eval: abdomen %d of %d (%s): liver Dice %.3f%s; %s", scores.size(),
                        scans.size(), scan.scanId(), score.liverDice(), vessels == null ? ""
                                : String.format(Locale.ROOT, ", vessel Dice %.3f, HD95 %.2f mm", score.vesselDice(),
                                score.vesselHd95Mm()), timeLeft(started, scores.size(), scans.size())));
            }
        }
        String liverText = String.format(Locale.ROOT, "%d scans: liver Dice %.3f (%s; stability against Dice: %s)",
                scores.size(), AbdomenFigure.LIVER_DICE.of(scores), describe(liverA.get()), StabilityRanking.of(
                        column(scores, AbdomenScore::liverStability), column(scores, AbdomenScore::liverDice)));
        if (vesselA.isEmpty()) {
            return new Abdomen(scores, liverText + "; no vessel model");
        }
        return new Abdomen(scores, liverText + String.format(Locale.ROOT, "; vessel Dice %.3f, HD95 %.2f mm against the "
                        + "exact vessel truth (%s; stability against Dice: %s)", AbdomenFigure.VESSEL_DICE.of(scores),
                AbdomenFigure.VESSEL_HD95.of(scores), describe(vesselA.get()), StabilityRanking.of(
                        column(scores, AbdomenScore::vesselStability), column(scores, AbdomenScore::vesselDice))));
    }

    private static double[] column(List<AbdomenScore> scores, java.util.function.ToDoubleFunction<AbdomenScore> value) {
        return scores.stream().mapToDouble(value).toArray();
    }
}
