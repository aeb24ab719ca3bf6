package org.radstream.models;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.IOException;

/**
 * Group normalisation (Wu and He): the channels of each sample are split into groups, and each
 * group is normalised by its own mean and variance over its channels and pixels, then scaled and
 * shifted per channel. Unlike batch norm the output of a sample depends on that sample alone, in
 * training and in inference alike: no running statistics, nothing that a small or unlucky batch
 * can move. Groups hold {@value #CHANNELS_PER_GROUP} channels (fewer groups than that only when the
 * channel count is not a multiple of it: then the whole sample is one group).
 *
 * <p>Built from reshape, mean and element-wise ops only, which the PyTorch engine of DJL 0.35 has
 * on every device; autograd differentiates through them.
 */
public final class GroupNorm extends AbstractBlock {

    static final int CHANNELS_PER_GROUP = 4;
    private static final byte VERSION = 1;

    private final float epsilon;
    private final Parameter gamma;
    private final Parameter beta;
    private long channels = -1;

    public GroupNorm(float epsilon) {
        super(VERSION);
        if (!(epsilon > 0)) {
            throw new IllegalArgumentException("epsilon must be positive, got " + epsilon);
        }
        this.epsilon = epsilon;
        gamma = addParameter(Parameter.builder().setName("gamma").setType(Parameter.Type.GAMMA).build());
        beta = addParameter(Parameter.builder().setName("beta").setType(Parameter.Type.BETA).build());
    }

    /** Number of groups for {@code channels} channels. */
    static int groups(long channels) {
        return channels % CHANNELS_PER_GROUP == 0 ? (int) (channels / CHANNELS_PER_GROUP) : 1;
    }

    @Override
    protected void prepare(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        if (in.dimension() != 4) {
            throw new IllegalArgumentException("group norm needs N×C×H×W input, got " + in);
        }
        channels = in.get(1);
        gamma.setShape(new Shape(channels));
        beta.setShape(new Shape(channels));
    }

    /** A loaded block was never initialised: its channel count comes from the saved input shape. */
    @Override
    protected void loadMetadata(byte loadVersion, DataInputStream is)
            throws IOException, MalformedModelException {
        super.loadMetadata(loadVersion, is);
        channels = inputShapes[0].get(1);
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        Shape s = x.getShape();
        if (s.dimension() != 4 || s.get(1) != channels) {
            throw new IllegalArgumentException("group norm prepared for " + channels
                    + " channels got input " + s);
        }
        long n = s.get(0);
        int g = groups(channels);
        NDArray grouped = x.reshape(n, g, -1);
        NDArray mean = grouped.mean(new int[] {2}, true);
        NDArray centred = grouped.sub(mean);
        NDArray variance = centred.square().mean(new int[] {2}, true);
        NDArray normalised = centred.div(variance.add(epsilon).sqrt()).reshape(s);
        NDArray scale = store.getValue(gamma, x.getDevice(), training).reshape(1, channels, 1, 1);
        NDArray shift = store.getValue(beta, x.getDevice(), training).reshape(1, channels, 1, 1);
        return new NDList(normalised.mul(scale).add(shift));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    public String toString() {
        return "GroupNorm(groups of " + CHANNELS_PER_GROUP + " channels)";
    }
}
