package org.radstream.workers;

/**
 * Decides, for candidate infection regions, which are infection. Implemented by the trained
 * ResNet-18 ({@link LoadedModel#regionClassifier()}); an interface so post-processing can be
 * exercised on exact, hand-made decisions as well.
 */
interface RegionClassifier {
    /** Side of the square patch the classifier expects. */
    int patchSize();

    /** HU mapped to 0 in the patches. */
    double windowLowHu();

    /** HU mapped to 1 in the patches. */
    double windowHighHu();

    /** Whether each patch (patchSize² values in [0, 1], row-major) shows a region to keep. */
    boolean[] accept(float[][] patches) throws Exception;
}
