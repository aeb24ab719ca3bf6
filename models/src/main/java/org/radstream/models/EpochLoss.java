package org.radstream.models;

/**
 * An epoch's mean training loss over the samples of the batches that made an update: a batch whose
 * loss was not finite (returned as NaN by a training step, see {@link NonFiniteLosses}) is counted
 * apart, not averaged in.
 */
public final class EpochLoss {

    private double sum;
    private long samples;
    private int skipped;

    /** Adds one batch's loss, weighted by its {@code n} samples. */
    public void add(float batchLoss, int n) {
        if (Float.isFinite(batchLoss)) {
            sum += (double) batchLoss * n;
            samples += n;
        } else {
            skipped++;
        }
    }

    /** Mean loss per sample of the batches that updated; NaN when none did. */
    public double mean() {
        return samples == 0 ? Double.NaN : sum / samples;
    }

    /** Batches of this epoch that made no update. */
    public int skipped() {
        return skipped;
    }

    /** ", N batches skipped (non-finite loss)" when there were any, else "". */
    public String describeSkipped() {
        return skipped == 0 ? "" : ", " + skipped + (skipped == 1 ? " batch" : " batches") + " skipped (non-finite loss)";
    }
}
