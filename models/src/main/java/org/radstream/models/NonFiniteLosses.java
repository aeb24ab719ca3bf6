package org.radstream.models;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * What a training loop does with a batch whose loss is not finite: it makes no update from it (an
 * update from a NaN gradient turns every weight into NaN), puts back the batch-norm running
 * statistics that the batch's forward pass already moved, and goes on with the next batch. One such
 * batch (an overflow on one unlucky batch) should not cost a run of an hour; several in a row mean
 * the weights themselves have gone wrong, and training stops with the reason.
 *
 * <p>Use: {@link #statistics()} before the forward pass, {@link #accept} with its loss after the
 * backward pass, and the optimiser step only when it returns true.
 */
public final class NonFiniteLosses {

    /** Non-finite batches in a row after which training stops. */
    public static final int MAX_IN_A_ROW = 3;

    private final List<NDArray> running = new ArrayList<>();
    private final List<NDArray> trained = new ArrayList<>();
    private int skipped;
    private int inARow;

    /** Watches {@code block}'s batch-norm running statistics (none for group norm). */
    public NonFiniteLosses(Block block) {
        for (Pair<String, Parameter> p : block.getParameters()) {
            Parameter.Type type = p.getValue().getType();
            if (type == Parameter.Type.RUNNING_MEAN || type == Parameter.Type.RUNNING_VAR) {
                running.add(p.getValue().getArray());
            } else {
                trained.add(p.getValue().getArray());
            }
        }
    }

    /** A copy of the running statistics, to be handed to {@link #accept} after the forward pass. */
    public float[][] statistics() {
        float[][] copy = new float[running.size()][];
        for (int i = 0; i < copy.length; i++) {
            copy[i] = running.get(i).toFloatArray();
        }
        return copy;
    }

    /**
     * Whether the batch that gave {@code loss} may update the weights. A non-finite loss puts
     * {@code statistics} back and counts a skipped batch.
     *
     * @throws IllegalStateException at the {@value #MAX_IN_A_ROW}th non-finite batch in a row
     */
    public boolean accept(float loss, float[][] statistics) {
        if (Float.isFinite(loss)) {
            inARow = 0;
            return true;
        }
        for (int i = 0; i < statistics.length; i++) {
            running.get(i).set(FloatBuffer.wrap(statistics[i]));
        }
        // the backward pass left NaN gradients, which the next one would add to rather than replace
        for (NDArray weights : trained) {
            if (weights.hasGradient()) {
                NDArray gradient = weights.getGradient();
                gradient.set(FloatBuffer.wrap(new float[Math.toIntExact(gradient.size())]));
            }
        }
        skipped++;
        inARow++;
        if (inARow >= MAX_IN_A_ROW) {
            throw new IllegalStateException("training loss is " + loss + " in " + inARow
                    + " batches in a row, no update made from them (" + skipped + " skipped in all): non-finite inputs,"
                    + " or the weights have diverged (try a lower learning rate); libtorch's oneDNN AVX2/AVX-512"
                    + " kernels are also known to do this on some CPUs: run with DNNL_MAX_CPU_ISA=AVX (./radstream sets it)");
        }
        return false;
    }

    /** Batches skipped so far. */
    public int skipped() {
        return skipped;
    }
}
