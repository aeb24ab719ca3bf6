package org.radstream.trainer;

/**
 * What SUM's networks learn from once the labels self-update. {@link #SOFT} is the paper's: the
 * vote of {@link SoftLabels} as it is (1 / 0.8 / 0.6 / 0.4 / 0). {@link #MAJORITY} learns the same
 * vote as a hard mask: a pixel is vessel where at least two of the three (the noisy label and the
 * two networks) say so, and background elsewhere. The second is not the paper's; it separates
 * what the vote decides from learning fractional targets.
 */
public enum SumTargets {
    SOFT,
    MAJORITY;

    /** The training target of one slice from its vote; {@code votes} itself is left as it is. */
    float[] of(float[] votes) {
        if (this == SOFT) {
            return votes;
        }
        float[] out = new float[votes.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = majority(votes[i]) ? 1f : 0f;
        }
        return out;
    }

    /** Whether a vote of {@link SoftLabels} stands for at least two of the three. */
    static boolean majority(float vote) {
        return vote >= SoftLabels.ANY_TWO;
    }
}
