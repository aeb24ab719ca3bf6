package org.radstream.imaging;

/**
 * The result of connected-component labelling: one label per voxel (0 = background) and the size
 * of each component. Labels are ordered by size, largest first (label 1 is the largest; ties by
 * first voxel in scan order), so "keep the largest N" is "keep labels 1..N" and results are
 * deterministic.
 */
public final class ComponentLabels {
    private final int[] labels;
    private final long[] sizes;
    private final int width;
    private final int height;
    private final int depth;

    ComponentLabels(int[] labels, long[] sizes, int width, int height, int depth) {
        this.labels = labels;
        this.sizes = sizes;
        this.width = width;
        this.height = height;
        this.depth = depth;
    }

    /** Number of components. */
    public int count() { return sizes.length; }

    /** Voxel count of component {@code label} (1-based). */
    public long size(int label) { return sizes[label - 1]; }

    /** Label of voxel {@code i} (x fastest), 0 for background. */
    public int label(int i) { return labels[i]; }

    /** The label array (shared). */
    public int[] labels() { return labels; }

    public int width() { return width; }
    public int height() { return height; }
    public int depth() { return depth; }

    /** Mask of one component. */
    public Mask3D mask(int label) {
        boolean[] out = new boolean[labels.length];
        for (int i = 0; i < labels.length; i++) {
            out[i] = labels[i] == label;
        }
        return new Mask3D(out, width, height, depth);
    }

    /** Mask of the {@code n} largest components. */
    public Mask3D largest(int n) {
        boolean[] out = new boolean[labels.length];
        for (int i = 0; i < labels.length; i++) {
            out[i] = labels[i] > 0 && labels[i] <= n;
        }
        return new Mask3D(out, width, height, depth);
    }

    /** Mask of the components that share at least one voxel with {@code other}. */
    public Mask3D touching(Mask3D other) {
        if (other.size() != labels.length) {
            throw new IllegalArgumentException("mask of " + other.size() + " voxels for components of " + labels.length);
        }
        boolean[] hit = new boolean[sizes.length + 1];
        boolean[] o = other.data();
        for (int i = 0; i < labels.length; i++) {
            if (o[i]) {
                hit[labels[i]] = true;
            }
        }
        boolean[] out = new boolean[labels.length];
        for (int i = 0; i < labels.length; i++) {
            int l = labels[i];
            out[i] = l > 0 && hit[l];
        }
        return new Mask3D(out, width, height, depth);
    }

    /** Mask of the components with at least {@code minVoxels} voxels. */
    public Mask3D atLeast(long minVoxels) {
        boolean[] out = new boolean[labels.length];
        for (int i = 0; i < labels.length; i++) {
            int l = labels[i];
            out[i] = l > 0 && sizes[l - 1] >= minVoxels;
        }
        return new Mask3D(out, width, height, depth);
    }
}
