package org.radstream.models;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * What the trainer knows about a model when it saves it; the store adds version, architecture
 * (read from the block itself), creation time and checksum.
 *
 * @param task task the model serves, e.g. {@code lung}, {@code infection}, {@code liver},
 *     {@code vessel}, {@code infection-classifier}; lower case, digits and dashes (it names a
 *     directory)
 * @param inputHeight slice (or patch) height the model expects after resampling
 * @param inputWidth slice (or patch) width
 * @param windowLowHu lower bound of the HU window that maps to 0
 * @param windowHighHu upper bound of the HU window that maps to 1
 * @param metrics training and validation figures worth keeping with the weights (e.g. Dice)
 * @param inputRegion null for a network that reads whole slices, or the region its input is
 *     restricted to ({@link #DILATED_LIVER})
 */
public record ModelDescriptor(String task, int inputHeight, int inputWidth, double windowLowHu,
        double windowHighHu, Map<String, Double> metrics, String inputRegion) {

    /**
     * Input region of the hepatic vessel networks (SU-UNet): the liver mask dilated by the
     * workers' vessel-region steps; the input is zero outside it.
     */
    public static final String DILATED_LIVER = "dilated-liver";

    static final Pattern TASK = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");

    /** A network that reads whole slices. */
    public ModelDescriptor(String task, int inputHeight, int inputWidth, double windowLowHu,
            double windowHighHu, Map<String, Double> metrics) {
        this(task, inputHeight, inputWidth, windowLowHu, windowHighHu, metrics, null);
    }

    public ModelDescriptor {
        requireRegion(inputRegion);
        requireTask(task);
        if (inputHeight < 1 || inputWidth < 1) {
            throw new IllegalArgumentException("input size must be positive, got "
                    + inputHeight + "×" + inputWidth);
        }
        if (!(windowLowHu < windowHighHu)) {
            throw new IllegalArgumentException("window low must be below high, got ["
                    + windowLowHu + ", " + windowHighHu + "]");
        }
        metrics = Map.copyOf(metrics == null ? Map.of() : metrics);
    }

    static String requireRegion(String region) {
        if (region != null && !region.equals(DILATED_LIVER)) {
            throw new IllegalArgumentException("unknown input region '" + region + "' (known: "
                    + DILATED_LIVER + ")");
        }
        return region;
    }

    static String requireTask(String task) {
        if (task == null || !TASK.matcher(task).matches()) {
            throw new IllegalArgumentException("task must match " + TASK.pattern() + ", got '"
                    + task + "'");
        }
        return task;
    }
}
