package org.radstream.trainer;

/**
 * The self-updating labels of SU-UNet: the noisy label and the two networks' binary predictions
 * vote per pixel. All three agree 1.0; any two 0.8; the label alone 0.6; one network alone 0.4;
 * none 0. The label counts for more than a single network because a radiologist drew it, and two
 * networks overrule a label that both contradict.
 */
public final class SoftLabels {
    public static final float ALL_THREE = 1.0f;
    public static final float ANY_TWO = 0.8f;
    public static final float LABEL_ONLY = 0.6f;
    public static final float ONE_NETWORK = 0.4f;
    public static final float NONE = 0f;

    private SoftLabels() {}

    /** The soft value of one pixel. */
    public static float vote(boolean label, boolean networkA, boolean networkB) {
        int networks = (networkA ? 1 : 0) + (networkB ? 1 : 0);
        int votes = networks + (label ? 1 : 0);
        return switch (votes) {
            case 3 -> ALL_THREE;
            case 2 -> ANY_TWO;
            case 1 -> label ? LABEL_ONLY : ONE_NETWORK;
            default -> NONE;
        };
    }

    /** Soft labels of a slice (or volume) from the noisy label and two networks' masks. */
    public static float[] update(boolean[] label, boolean[] networkA, boolean[] networkB) {
        if (label.length != networkA.length || label.length != networkB.length) {
            throw new IllegalArgumentException("masks differ in size: " + label.length + ", " + networkA.length
                    + ", " + networkB.length);
        }
        float[] out = new float[label.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = vote(label[i], networkA[i], networkB[i]);
        }
        return out;
    }

    /** The same with networks' probabilities, thresholded at 0.5. */
    public static float[] update(boolean[] label, float[] probabilitiesA, float[] probabilitiesB) {
        if (label.length != probabilitiesA.length || label.length != probabilitiesB.length) {
            throw new IllegalArgumentException("maps differ in size: " + label.length + ", " + probabilitiesA.length
                    + ", " + probabilitiesB.length);
        }
        float[] out = new float[label.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = vote(label[i], probabilitiesA[i] >= 0.5f, probabilitiesB[i] >= 0.5f);
        }
        return out;
    }
}
