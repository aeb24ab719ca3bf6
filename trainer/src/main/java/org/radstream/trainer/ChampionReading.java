package org.radstream.trainer;

import ai.djl.Device;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Metrics;
import org.radstream.imaging.Window;
import org.radstream.models.MaskCut;
import org.radstream.models.ModelArtifact;
import org.radstream.models.SegmentationModel;
import org.radstream.models.TestTimeFlips;

/**
 * How a published version reads its maps (test-time flips, mask cut, minimum component), kept by a
 * run that fine-tunes that version's weights while the scans it has to choose a reading of its own
 * are fewer than those that chose this one.
 *
 * <p>A reading chosen on a few scans is a noisy pick among many: five infection models fine-tuned
 * from v9, each with a reading chosen on three scans, gained 0.012 held-out Dice on average when
 * read as v9 is read, chosen on 24 (ACCURACY.md, "What the readings chosen on three scans cost").
 * The trainer service chooses readings on a tenth of a task's labelled series, about two at its
 * default trigger, so a run there keeps its champion's reading until its own scans are as many as
 * chose it. The gate then compares weights read alike.
 *
 * @param version  the published version whose reading this is
 * @param chosenOn how many scans chose it (those that chose the reading of the version it kept, if it kept one)
 */
record ChampionReading(int version, TestTimeFlips flips, MaskCut cut, double minComponentMl, int chosenOn) {

    /** Metric of an artifact: how many scans chose its reading (its champion's count when it kept that one). */
    static final String CHOSEN_ON_METRIC = "reading_chosen_on_scans";
    /** Metric of an artifact that kept its champion's reading: that champion's version. */
    static final String KEPT_FROM_METRIC = "reading_kept_from_version";

    ChampionReading {
        if (chosenOn < 1) {
            throw new IllegalArgumentException("a reading kept must have been chosen on 1 or more scans, not " + chosenOn);
        }
    }

    /**
     * The reading of {@code champion}, a segmentation artifact, with the number of scans that chose
     * it; empty for a version that chose none (trained before the trainer chose a mask threshold,
     * it is read at 0.5 by default) or does not say on how many scans.
     */
    static Optional<ChampionReading> of(ModelArtifact champion, Device device) throws IOException {
        int chosenOn = chosenOn(champion.metadata().metrics());
        if (chosenOn < 1) {
            return Optional.empty();
        }
        try (SegmentationModel m = SegmentationModel.load(champion.location(), device)) {
            return Optional.of(new ChampionReading(champion.metadata().version(), m.testTimeFlips(), m.maskCut(),
                    m.minComponentMl(), chosenOn));
        }
    }

    /**
     * How many scans chose the reading a version's metrics describe: {@value #CHOSEN_ON_METRIC} where
     * recorded, else the selection scans, else the validation scans; 0 when it chose no reading (no
     * {@value SegmentationModel#MASK_THRESHOLD_METRIC}) or none of these says.
     */
    static int chosenOn(Map<String, Double> metrics) {
        if (!metrics.containsKey(SegmentationModel.MASK_THRESHOLD_METRIC)) {
            return 0;
        }
        for (String key : List.of(CHOSEN_ON_METRIC, "selection_scans", "validation_scans")) {
            Double n = metrics.get(key);
            if (n != null && n >= 1 && !n.isInfinite()) {
                return (int) Math.floor(n);
            }
        }
        return 0;
    }

    /** Whether this reading was chosen on more scans than {@code scans}, the number a run has to choose its own. */
    boolean outweighs(int scans) {
        return scans < chosenOn;
    }

    /** The reading in words: "4 passes a slice, threshold 0.40 (0.05 for the pixels from -250 HU), components from 1.00 ml". */
    String describe() {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%d pass%s a slice, threshold %.2f",
                flips.passes(), flips.passes() == 1 ? "" : "es", cut.threshold()));
        if (cut.splitsDensity()) {
            s.append(String.format(Locale.ROOT, " (%.2f for the pixels from %.0f HU)", cut.denseThreshold(),
                    cut.denseFromHu()));
        }
        if (minComponentMl > 0) {
            s.append(String.format(Locale.ROOT, ", components from %.2f ml", minComponentMl));
        }
        return s.toString();
    }

    /**
     * This reading judged on {@code scans} as a chosen one is ({@link SegmentationRun#chooseInference}),
     * from the maps of the weights averaged over {@link #flips} (model grid, one per scan): the Dice
     * at its threshold keeping every component beside that at 0.5; with {@code pruneComponents},
     * the Dice without the components below its minimum; where its cut splits density or the task
     * could ({@code splitsDensity}), the Dice and volume error of its cut beside its single threshold's.
     */
    TestTimeFlipChoice.Option judge(List<float[][]> probabilities, List<ScanData> scans, Window window, int size,
                                    boolean pruneComponents, boolean splitsDensity) {
        float threshold = cut.threshold();
        MaskThreshold.Choice t = new MaskThreshold.Choice(threshold, dice(probabilities, scans, threshold, 0),
                dice(probabilities, scans, 0.5f, 0));
        MinComponentVolume.Choice min = pruneComponents ? new MinComponentVolume.Choice(minComponentMl,
                dice(probabilities, scans, threshold, minComponentMl), t.dice()) : null;
        TestTimeFlipChoice.Option option = new TestTimeFlipChoice.Option(flips, t, min);
        if (splitsDensity || cut.splitsDensity()) {
            option = option.withDense(DenseThreshold.of(probabilities, scans, window, size, cut,
                    pruneComponents ? minComponentMl : 0));
        }
        return option;
    }

    /**
     * The mean Dice on {@code scans} of maps read with this reading's cut and minimum component
     * (the maps made with whatever flips the caller chose: an epoch's weights are judged from one pass).
     */
    double meanDice(List<float[][]> probabilities, List<ScanData> scans, Window window, int size,
                    boolean pruneComponents) {
        if (scans.isEmpty()) {
            return Double.NaN;
        }
        double sum = 0;
        for (int i = 0; i < scans.size(); i++) {
            ScanData s = scans.get(i);
            boolean[][] dense = cut.splitsDensity() ? Evaluator.dense(s, window, size, cut.denseFromHu()) : null;
            Mask3D mask = Evaluator.mask(probabilities.get(i), cut, dense, pruneComponents ? minComponentMl : 0, s);
            sum += Metrics.dice(mask, s.scoredLabel());
        }
        return sum / scans.size();
    }

    private static double dice(List<float[][]> probabilities, List<ScanData> scans, float threshold, double minMl) {
        if (scans.isEmpty()) {
            return Double.NaN;
        }
        double sum = 0;
        for (int i = 0; i < scans.size(); i++) {
            ScanData s = scans.get(i);
            sum += Metrics.dice(Evaluator.mask(probabilities.get(i), MaskCut.single(threshold), null, minMl, s),
                    s.scoredLabel());
        }
        return sum / scans.size();
    }
}
