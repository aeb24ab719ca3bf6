package org.radstream.models;

import java.time.Instant;
import java.util.Map;

/**
 * The JSON sidecar of a stored model: enough to rebuild the network, feed it correctly
 * windowed and resampled slices, and prove that the weights are the ones that were published.
 *
 * @param task task the model serves
 * @param version per-task version, 1, 2, 3, … in publication order
 * @param network architecture and builder settings
 * @param inputHeight expected input height
 * @param inputWidth expected input width
 * @param windowLowHu HU mapped to 0
 * @param windowHighHu HU mapped to 1
 * @param metrics figures recorded at training time
 * @param created when the artifact was written
 * @param parametersFile name of the DJL parameter file inside the artifact directory
 * @param sha256 lower-case hex SHA-256 of that file
 * @param inputRegion null when the network reads whole slices; otherwise the region it was
 *     trained inside (see {@link ModelDescriptor#DILATED_LIVER}): its input is zero outside that
 *     region and slices without region are not forwarded (their mask is empty)
 */
public record ModelMetadata(String task, int version, NetworkSpec network, int inputHeight,
        int inputWidth, double windowLowHu, double windowHighHu, Map<String, Double> metrics,
        Instant created, String parametersFile, String sha256, String inputRegion) {

    public ModelMetadata {
        metrics = Map.copyOf(metrics);
        ModelDescriptor.requireRegion(inputRegion);
    }

    /** Channels × height × width of one input sample. */
    public int sampleLength() {
        return network.inChannels() * inputHeight * inputWidth;
    }
}
