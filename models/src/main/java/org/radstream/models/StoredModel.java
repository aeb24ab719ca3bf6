package org.radstream.models;

import ai.djl.Model;
import java.net.URI;

/**
 * A verified, loaded artifact: the DJL {@link Model} (with its rebuilt block and weights) plus
 * its metadata. Owns the model; close it, or hand it to {@link SegmentationModel#of} /
 * {@link PatchClassifier#of}, which take over ownership.
 */
public final class StoredModel implements AutoCloseable {

    private final Model model;
    private final ModelArtifact artifact;

    StoredModel(Model model, ModelArtifact artifact) {
        this.model = model;
        this.artifact = artifact;
    }

    public Model model() {
        return model;
    }

    public ModelMetadata metadata() {
        return artifact.metadata();
    }

    public URI location() {
        return artifact.location();
    }

    public ModelArtifact artifact() {
        return artifact;
    }

    @Override
    public void close() {
        model.close();
    }
}
