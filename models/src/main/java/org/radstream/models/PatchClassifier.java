package org.radstream.models;

import ai.djl.Device;
import ai.djl.inference.Predictor;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.net.URI;

/**
 * A loaded candidate-region classifier: N patches in (each C×S×S, the component's minimum
 * enclosing square resampled to the model's input size and windowed), N probabilities of "true
 * infection" out, in one forward pass.
 *
 * <p><b>Thread confinement:</b> owns one DJL {@link Predictor}, which is not thread-safe; use
 * from one thread at a time, or load one instance per thread.
 */
public final class PatchClassifier extends LoadedNetwork<float[]> {

    private PatchClassifier(StoredModel stored) {
        super(stored, false, "a classifier", m -> new ClassifierTranslator(m.network().inChannels(), m.inputHeight(),
                m.inputWidth(), m.network().outChannels()));
    }

    /** Wraps a loaded artifact; takes ownership of it. */
    public static PatchClassifier of(StoredModel stored) {
        try {
            return new PatchClassifier(stored);
        } catch (RuntimeException e) {
            stored.close();
            throw e;
        }
    }

    /** Verifies, loads and wraps the artifact at {@code location}. */
    public static PatchClassifier load(URI location, Device device) throws IOException {
        return of(ModelStore.load(location, device));
    }

    /** Probability of the positive class for each patch. */
    public float[] predict(float[][] patches) throws TranslateException {
        Batches.pack(patches, channels, height, width);
        return predictor.predict(patches);
    }

    /** Metadata metric holding the acceptance threshold the trainer chose on validation. */
    public static final String ACCEPT_THRESHOLD_METRIC = "accept_threshold";

    /**
     * The probability from which a component is kept: the threshold the trainer chose on
     * validation for the best infection Dice, or 0.5 for a version trained before it did.
     */
    public float acceptThreshold() {
        Double t = stored.metadata().metrics().get(ACCEPT_THRESHOLD_METRIC);
        return t == null ? 0.5f : t.floatValue();
    }

    /** Whether each patch is kept ({@code p >= threshold}). */
    public boolean[] accept(float[][] patches, float threshold) throws TranslateException {
        Probabilities.checkThreshold(threshold);
        return Probabilities.threshold(predict(patches), threshold);
    }
}
