package org.radstream.workers;

import java.net.URI;
import org.radstream.models.PatchClassifier;
import org.radstream.models.SegmentationModel;

/**
 * A verified, loaded version of one task's model: a segmentation network or the region
 * classifier. Used by the poll thread only (DJL predictors are not thread-safe); closed by
 * {@link LiveModels} once no series uses it any more.
 *
 * @param task         model-store task (lung, infection, infection-classifier, liver, vessel)
 * @param version      the version string announced on {@code radstream.models}
 * @param location     artifact location
 * @param segmentation the network, for segmentation tasks
 * @param classifier   the classifier, for {@code infection-classifier}
 */
record LoadedModel(String task, String version, URI location, SegmentationModel segmentation,
        PatchClassifier classifier) implements AutoCloseable {

    static LoadedModel of(String task, String version, URI location, SegmentationModel model) {
        return new LoadedModel(task, version, location, model, null);
    }

    static LoadedModel of(String task, String version, URI location, PatchClassifier classifier) {
        return new LoadedModel(task, version, location, null, classifier);
    }

    /** The classifier as post-processing sees it (accepts from the threshold its trainer chose). */
    RegionClassifier regionClassifier() {
        PatchClassifier c = classifier;
        return new RegionClassifier() {
            @Override
            public int patchSize() {
                return c.height();
            }

            @Override
            public double windowLowHu() {
                return c.metadata().windowLowHu();
            }

            @Override
            public double windowHighHu() {
                return c.metadata().windowHighHu();
            }

            @Override
            public boolean[] accept(float[][] patches) throws Exception {
                return c.accept(patches, c.acceptThreshold());
            }
        };
    }

    @Override
    public void close() {
        if (segmentation != null) {
            segmentation.close();
        }
        if (classifier != null) {
            classifier.close();
        }
    }
}
