package org.radstream.workers;

import org.radstream.imaging.Mask3D;

/**
 * One task's mask for a series and how it was made.
 *
 * @param task              lung, infection, liver or vessel
 * @param mask              on the series grid
 * @param stability         how firmly the network decided the mask ({@code MaskCut.stability}, 0..1);
 *                          NaN for the baseline
 * @param method            {@code model} or {@code hu-threshold}: what produced the mask
 * @param modelVersion      the segmentation model's version, null for the baseline
 * @param classifierVersion the region classifier's version when one filtered the mask, else null
 * @param componentsRemoved candidate regions the classifier dropped
 * @param inferenceMs       time spent producing the raw mask
 * @param postprocessMs     time spent in post-processing
 * @param forwardMs         of inferenceMs, the time inside the network's forward passes (0 for the baseline)
 * @param stabilityMs       of inferenceMs, the time spent measuring the stability (0 for the baseline)
 */
record TaskOutput(String task, Mask3D mask, double stability, String method, String modelVersion, String classifierVersion,
        int componentsRemoved, double inferenceMs, double postprocessMs, double forwardMs, double stabilityMs) {
    static final String METHOD_MODEL = "model";
    static final String METHOD_HU_THRESHOLD = "hu-threshold";
}
