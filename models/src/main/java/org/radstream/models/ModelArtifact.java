package org.radstream.models;

import java.net.URI;

/**
 * A stored model version: where it lives and what it is, without loading any weights. This is
 * what workers compare when the trainer announces a version, before paying for a load.
 *
 * @param location artifact directory, a {@code file:} URI
 * @param metadata its metadata
 */
public record ModelArtifact(URI location, ModelMetadata metadata) {}
