package org.radstream.trainer;

import org.radstream.imaging.Window;
import org.radstream.models.MaskCut;

/**
 * A segmentation network as the evaluator sees it: what it reads (window, input size, slices
 * stacked as channels) and a batched prediction. Both a network in training and a published
 * champion are scored through this, on the same scans, so the gate compares like with like.
 */
interface SliceModel {
    Window window();

    int size();

    int channels();

    /**
     * Whether the network was trained inside its task's region (the dilated liver for vessels): its
     * input is zero outside the region and slices without region are not forwarded.
     */
    boolean regionInput();

    /** Probability from which a pixel is in the mask (0.5 while training). */
    float threshold();

    /** How the maps become masks: {@link #threshold()} for every pixel unless a dense threshold was chosen. */
    default MaskCut cut() {
        return MaskCut.single(threshold());
    }

    /** Smallest 3D component (ml) the mask keeps; 0 keeps every component. */
    default double minComponentMl() {
        return 0;
    }

    /** Probability maps, one per sample of channels × size × size. */
    float[][] predict(float[][] batch) throws Exception;
}
