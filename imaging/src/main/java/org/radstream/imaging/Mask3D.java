package org.radstream.imaging;

import java.util.Arrays;

/**
 * A binary mask on a volume grid, x fastest, then y, then z (the order of {@link Volume} and of
 * the {@link Rle} contract that travels in Kafka).
 *
 * <p>One boolean per voxel: a 512×512×300 mask is 79 MB, which is acceptable for a service that
 * holds one series at a time, and keeps every algorithm a plain array loop.
 */
public final class Mask3D {
    private final boolean[] data;
    private final int width;
    private final int height;
    private final int depth;

    public Mask3D(int width, int height, int depth) {
        this(new boolean[checkedSize(width, height, depth)], width, height, depth);
    }

    /** Wraps (does not copy) a voxel array. */
    public Mask3D(boolean[] data, int width, int height, int depth) {
        if (data.length != checkedSize(width, height, depth)) {
            throw new IllegalArgumentException("mask has " + data.length + " voxels, expected " + (long) width * height * depth);
        }
        this.data = data;
        this.width = width;
        this.height = height;
        this.depth = depth;
    }

    private static int checkedSize(int width, int height, int depth) {
        if (width < 0 || height < 0 || depth < 0) {
            throw new IllegalArgumentException("dimensions must not be negative: " + width + "x" + height + "x" + depth);
        }
        long n = (long) width * height * depth;
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("mask too large: " + n);
        }
        return (int) n;
    }

    public int width() { return width; }
    public int height() { return height; }
    public int depth() { return depth; }
    public int size() { return data.length; }

    /** The backing array (shared). */
    public boolean[] data() { return data; }

    public int index(int x, int y, int z) { return (z * height + y) * width + x; }
    public boolean get(int x, int y, int z) { return data[index(x, y, z)]; }
    public void set(int x, int y, int z, boolean v) { data[index(x, y, z)] = v; }
    public boolean get(int i) { return data[i]; }
    public void set(int i, boolean v) { data[i] = v; }

    /** Number of voxels set. */
    public long count() {
        long n = 0;
        for (boolean b : data) {
            if (b) {
                n++;
            }
        }
        return n;
    }

    public boolean isEmpty() { return count() == 0; }

    /** Volume in millilitres for the given voxel spacing (mm). */
    public double volumeMl(double spacingX, double spacingY, double spacingZ) {
        return count() * spacingX * spacingY * spacingZ / 1000.0;
    }

    /** Volume in millilitres on the grid of {@code volume}. */
    public double volumeMl(Volume volume) {
        requireSameGrid(volume);
        return volumeMl(volume.spacingX(), volume.spacingY(), volume.spacingZ());
    }

    public Mask3D copy() { return new Mask3D(data.clone(), width, height, depth); }

    /** A copy of one axial slice. */
    public boolean[] slice(int z) {
        boolean[] s = new boolean[width * height];
        System.arraycopy(data, z * width * height, s, 0, s.length);
        return s;
    }

    /** Whether slice {@code z} has no voxel set. */
    public boolean isSliceEmpty(int z) {
        int from = z * width * height;
        for (int i = from; i < from + width * height; i++) {
            if (data[i]) {
                return false;
            }
        }
        return true;
    }

    public void setSlice(int z, boolean[] slice) {
        if (slice.length != width * height) {
            throw new IllegalArgumentException("slice has " + slice.length + " pixels, expected " + width * height);
        }
        System.arraycopy(slice, 0, data, z * width * height, slice.length);
    }

    public Mask3D and(Mask3D other) {
        requireSameShape(other);
        boolean[] out = new boolean[data.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = data[i] && other.data[i];
        }
        return new Mask3D(out, width, height, depth);
    }

    public Mask3D or(Mask3D other) {
        requireSameShape(other);
        boolean[] out = new boolean[data.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = data[i] || other.data[i];
        }
        return new Mask3D(out, width, height, depth);
    }

    /** Voxels in this mask and not in {@code other}. */
    public Mask3D andNot(Mask3D other) {
        requireSameShape(other);
        boolean[] out = new boolean[data.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = data[i] && !other.data[i];
        }
        return new Mask3D(out, width, height, depth);
    }

    public boolean sameShape(Mask3D other) {
        return width == other.width && height == other.height && depth == other.depth;
    }

    void requireSameShape(Mask3D other) {
        if (!sameShape(other)) {
            throw new IllegalArgumentException("mask shapes differ: " + this + " vs " + other);
        }
    }

    void requireSameGrid(Volume v) {
        if (v.width() != width || v.height() != height || v.depth() != depth) {
            throw new IllegalArgumentException("mask " + this + " is not on the grid of " + v);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Mask3D m && sameShape(m) && Arrays.equals(data, m.data);
    }

    @Override
    public int hashCode() { return 31 * (31 * width + height) + depth + Arrays.hashCode(data); }

    @Override
    public String toString() { return "Mask3D[" + width + "x" + height + "x" + depth + "]"; }
}
