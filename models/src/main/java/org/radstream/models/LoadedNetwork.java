package org.radstream.models;

import ai.djl.inference.Predictor;
import ai.djl.translate.Translator;
import java.net.URI;
import java.util.function.Function;

/**
 * A verified artifact loaded for batched inference ({@link SegmentationModel}, {@link
 * PatchClassifier}): its metadata, the shape of one input sample, and the one DJL {@link Predictor}
 * it owns. A predictor is not thread-safe: use an instance from one thread at a time, or load one per
 * thread. Closing releases the predictor and the model's native memory.
 *
 * @param <O> what the predictor returns for a batch
 */
abstract class LoadedNetwork<O> implements AutoCloseable {
    final StoredModel stored;
    final Predictor<float[][], O> predictor;
    final int channels;
    final int height;
    final int width;

    /**
     * @param segmentation whether the artifact must hold a segmentation network (else a classifier)
     * @param kind         what it must hold, in the refusal ("a segmentation network")
     * @param translator   the predictor's translator for the artifact's metadata
     * @throws IllegalArgumentException the artifact holds the other kind of network
     */
    LoadedNetwork(StoredModel stored, boolean segmentation, String kind,
                  Function<ModelMetadata, Translator<float[][], O>> translator) {
        ModelMetadata m = stored.metadata();
        if (m.network().isSegmentation() != segmentation) {
            throw new IllegalArgumentException(stored.location() + " holds a " + m.network().architecture() + ", not "
                    + kind);
        }
        this.stored = stored;
        this.channels = m.network().inChannels();
        this.height = m.inputHeight();
        this.width = m.inputWidth();
        this.predictor = stored.model().newPredictor(translator.apply(m));
    }

    public ModelMetadata metadata() {
        return stored.metadata();
    }

    public URI location() {
        return stored.location();
    }

    /** Channels of one input sample: 1 for 2D, 3 (or more) for 2.5D, 3 for a classifier's patch. */
    public int channels() {
        return channels;
    }

    /** Input height the network expects (a classifier's patches are square). */
    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    @Override
    public void close() {
        try {
            predictor.close();
        } finally {
            stored.close();
        }
    }
}
