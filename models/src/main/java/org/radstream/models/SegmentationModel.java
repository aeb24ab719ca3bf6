package org.radstream.models;

import ai.djl.Device;
import ai.djl.inference.Predictor;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.net.URI;
import java.util.Arrays;
import java.util.Locale;

/**
 * A loaded segmentation network ready for batched inference: N inputs of C×H×W windowed values
 * in, N probability maps of H×W out, in one forward pass.
 *
 * <p><b>Thread confinement:</b> an instance owns one DJL {@link Predictor}, which is not
 * thread-safe. Use an instance from one thread at a time (a worker thread per instance); to
 * predict in parallel, load one instance per thread. Closing releases the predictor and the
 * model's native memory.
 */
public final class SegmentationModel extends LoadedNetwork<float[][]> {
    /** Metric that carries the trainer's mask threshold. */
    public static final String MASK_THRESHOLD_METRIC = "mask_threshold";
    /** Metric holding the smallest 3D component (ml) the mask keeps. */
    public static final String MIN_COMPONENT_ML_METRIC = "min_component_ml";
    /** Metric holding the model's test-time flips ({@link TestTimeFlips#code()}). */
    public static final String TEST_TIME_FLIPS_METRIC = "test_time_flips";
    /** Metric holding the HU from which a pixel is cut at {@value #DENSE_MASK_THRESHOLD_METRIC} ({@link MaskCut}). */
    public static final String DENSE_FROM_HU_METRIC = "dense_from_hu";
    /** Metric holding the threshold of the dense pixels ({@link MaskCut}). */
    public static final String DENSE_MASK_THRESHOLD_METRIC = "dense_mask_threshold";

    private final TestTimeFlips flips;
    private final MaskCut cut;

    private SegmentationModel(StoredModel stored) {
        super(checked(stored), true, "a segmentation network",
                m -> new SegmentationTranslator(m.network().inChannels(), m.inputHeight(), m.inputWidth()));
        this.flips = flips(stored);
        this.cut = cut(stored);
    }

    /** {@code stored}, once its reading metrics are valid (before any predictor is made for it). */
    private static StoredModel checked(StoredModel stored) {
        if (!stored.metadata().network().isSegmentation()) {
            return stored; // refused as such by the superclass
        }
        Double minMl = stored.metadata().metrics().get(MIN_COMPONENT_ML_METRIC);
        if (minMl != null && (!(minMl >= 0) || minMl.isInfinite())) {
            throw new IllegalArgumentException(stored.location() + ": " + MIN_COMPONENT_ML_METRIC
                    + " must be finite and >= 0, not " + minMl);
        }
        flips(stored);
        cut(stored);
        return stored;
    }

    /** The test-time flips the metrics name; none for a version without them. */
    private static TestTimeFlips flips(StoredModel stored) {
        Double flipCode = stored.metadata().metrics().get(TEST_TIME_FLIPS_METRIC);
        try {
            return flipCode == null ? TestTimeFlips.NONE : TestTimeFlips.ofCode(flipCode);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(stored.location() + ": " + e.getMessage(), e);
        }
    }

    /** The cut the metrics describe; a version without a dense threshold cuts every pixel alike. */
    private static MaskCut cut(StoredModel stored) {
        ModelMetadata m = stored.metadata();
        Double t = m.metrics().get(MASK_THRESHOLD_METRIC);
        float threshold = t == null ? 0.5f : t.floatValue();
        Double from = m.metrics().get(DENSE_FROM_HU_METRIC);
        Double dense = m.metrics().get(DENSE_MASK_THRESHOLD_METRIC);
        try {
            if (from == null && dense == null) {
                return MaskCut.single(threshold);
            }
            if (from == null || dense == null) {
                throw new IllegalArgumentException(DENSE_FROM_HU_METRIC + " and " + DENSE_MASK_THRESHOLD_METRIC
                        + " come together; only one is set");
            }
            if (!MaskCut.windowHolds(m.windowLowHu(), m.windowHighHu(), from)) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "%s %.0f lies outside the input window %.0f..%.0f HU", DENSE_FROM_HU_METRIC, from,
                        m.windowLowHu(), m.windowHighHu()));
            }
            return new MaskCut(threshold, from, dense.floatValue());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(stored.location() + ": " + e.getMessage(), e);
        }
    }

    /** Wraps a loaded artifact; takes ownership of it (closing this closes it). */
    public static SegmentationModel of(StoredModel stored) {
        try {
            return new SegmentationModel(stored);
        } catch (RuntimeException e) {
            stored.close();
            throw e;
        }
    }

    /** Verifies, loads and wraps the artifact at {@code location}. */
    public static SegmentationModel load(URI location, Device device) throws IOException {
        return of(ModelStore.load(location, device));
    }

    /**
     * Probabilities for a batch, averaged over the model's {@linkplain #testTimeFlips() test-time
     * flips}.
     *
     * @param batch N samples, each C×H×W row-major (channel-major), windowed to [0, 1]
     * @return N maps of H×W probabilities
     * @throws IllegalArgumentException when a sample has the wrong length
     */
    public float[][] predict(float[][] batch) throws TranslateException {
        Batches.pack(batch, channels, height, width); // fail fast, before any native call
        return flips.predict(predictor::predict, batch, height, width);
    }

    /**
     * The views averaged per slice ({@value #TEST_TIME_FLIPS_METRIC} in the metrics; none for a
     * version that has no such metric): each costs one forward pass.
     */
    public TestTimeFlips testTimeFlips() {
        return flips;
    }

    /**
     * The probability from which a pixel belongs to the mask: the threshold the trainer chose on
     * its validation scans for the best Dice ({@value #MASK_THRESHOLD_METRIC} in the metrics), or
     * 0.5 for a version trained before it did.
     */
    public float maskThreshold() {
        return cut.threshold();
    }

    /**
     * How the maps become masks: {@link #maskThreshold()}, and for a version whose trainer chose one
     * ({@value #DENSE_FROM_HU_METRIC}, {@value #DENSE_MASK_THRESHOLD_METRIC}) a threshold of its own for
     * the dense pixels.
     */
    public MaskCut maskCut() {
        return cut;
    }

    /**
     * The volume below which a 3D component of the mask is dropped: chosen by the trainer on its
     * validation scans ({@value #MIN_COMPONENT_ML_METRIC} in the metrics), 0 (keep every
     * component) for a version that has none.
     */
    public double minComponentMl() {
        Double v = stored.metadata().metrics().get(MIN_COMPONENT_ML_METRIC);
        return v == null ? 0 : v;
    }

    /**
     * Binary masks for a batch as the model's {@link #maskCut()} says: dense pixels are those of each
     * sample's centre input slice at or above the cut's HU.
     */
    public boolean[][] predictMasks(float[][] batch) throws TranslateException {
        Cuts[] cuts = predictCuts(batch);
        boolean[][] masks = new boolean[cuts.length][];
        for (int i = 0; i < cuts.length; i++) {
            masks[i] = cuts[i].mask();
        }
        return masks;
    }

    /**
     * One slice's mask as {@link #maskCut()} says, with the masks of its {@linkplain MaskCut#lenient()
     * lenient} and {@linkplain MaskCut#strict() strict} cuts, from which a series' {@linkplain
     * MaskCut#stability stability} is measured.
     */
    public record Cuts(boolean[] mask, boolean[] lenient, boolean[] strict) {}

    /** {@link #predictMasks(float[][])} with each slice's lenient and strict masks, from the same forward passes. */
    public Cuts[] predictCuts(float[][] batch) throws TranslateException {
        float[][] p = predict(batch);
        Cuts[] out = new Cuts[p.length];
        int plane = height * width;
        int centre = channels / 2;
        double low = stored.metadata().windowLowHu();
        double high = stored.metadata().windowHighHu();
        MaskCut lenient = cut.lenient();
        MaskCut strict = cut.strict();
        for (int i = 0; i < p.length; i++) {
            boolean[] dense = cut.splitsDensity()
                    ? MaskCut.dense(Arrays.copyOfRange(batch[i], centre * plane, (centre + 1) * plane), low, high,
                            cut.denseFromHu())
                    : null;
            out[i] = new Cuts(cut.apply(p[i], dense), lenient.apply(p[i], dense), strict.apply(p[i], dense));
        }
        return out;
    }

    /** Binary masks for a batch at {@code threshold} (e.g. 0.5). */
    public boolean[][] predictMasks(float[][] batch, float threshold) throws TranslateException {
        Probabilities.checkThreshold(threshold);
        return Probabilities.threshold(predict(batch), threshold);
    }
}
