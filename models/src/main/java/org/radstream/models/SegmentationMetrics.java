package org.radstream.models;

/** Overlap measures on flat masks, for training progress and tests. */
public final class SegmentationMetrics {

    private SegmentationMetrics() {}

    /** Dice coefficient 2|A∩B| / (|A| + |B|); 1 when both masks are empty. */
    public static double dice(boolean[] a, boolean[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("masks differ in size: " + a.length + " vs " + b.length);
        }
        long both = 0;
        long sum = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] && b[i]) {
                both++;
            }
            sum += (a[i] ? 1 : 0) + (b[i] ? 1 : 0);
        }
        return sum == 0 ? 1.0 : 2.0 * both / sum;
    }

    /** Mean Dice over a batch of masks. */
    public static double meanDice(boolean[][] a, boolean[][] b) {
        if (a.length != b.length || a.length == 0) {
            throw new IllegalArgumentException("batches differ in size or are empty: " + a.length
                    + " vs " + b.length);
        }
        double total = 0;
        for (int i = 0; i < a.length; i++) {
            total += dice(a[i], b[i]);
        }
        return total / a.length;
    }
}
