package org.radstream.imaging;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Connected components in 2D (per slice) and 3D, by breadth-first flood fill with an explicit
 * queue, so that a lung-sized component cannot overflow the stack.
 *
 * <p>The classifier stage treats each candidate infection region as one component; the HU
 * baseline and post-processing keep the largest components of a mask.
 */
public final class Components {
    private Components() {}

    /** Labels the 3D components of a mask. */
    public static ComponentLabels label3D(Mask3D mask, Connectivity connectivity) {
        return label(mask.data(), mask.width(), mask.height(), mask.depth(), connectivity);
    }

    /** Labels the 2D components of one row-major slice. */
    public static ComponentLabels label2D(boolean[] slice, int width, int height, Connectivity connectivity) {
        return label(slice, width, height, 1, connectivity);
    }

    /** The {@code n} largest 3D components of a mask. */
    public static Mask3D keepLargest(Mask3D mask, int n, Connectivity connectivity) {
        return label3D(mask, connectivity).largest(n);
    }

    /**
     * The mask without its 3D components smaller than {@code minMl} millilitres, each voxel being
     * {@code voxelMl}; the mask itself (not a copy) when {@code minMl} is 0. A component of exactly
     * {@code minMl} stays.
     */
    public static Mask3D withoutSmallerThan(Mask3D mask, double minMl, double voxelMl, Connectivity connectivity) {
        if (!(minMl >= 0) || Double.isInfinite(minMl)) {
            throw new IllegalArgumentException("minimum component volume must be finite and >= 0 ml: " + minMl);
        }
        if (minMl == 0) {
            return mask;
        }
        if (!(voxelMl > 0) || Double.isInfinite(voxelMl)) {
            throw new IllegalArgumentException("voxel volume must be finite and > 0 ml: " + voxelMl);
        }
        // size × voxelMl >= minMl, without a component of exactly minMl falling to rounding
        long minVoxels = (long) Math.ceil(minMl / voxelMl - 1e-9);
        return label3D(mask, connectivity).atLeast(minVoxels);
    }

    private static int[][] offsets(int depth, Connectivity c) {
        java.util.List<int[]> list = new java.util.ArrayList<>();
        int zr = depth > 1 ? 1 : 0;
        for (int dz = -zr; dz <= zr; dz++) {
            for (int dy = -1; dy <= 1; dy++) {
                for (int dx = -1; dx <= 1; dx++) {
                    int manhattan = Math.abs(dx) + Math.abs(dy) + Math.abs(dz);
                    if (manhattan == 0 || (c == Connectivity.FACE && manhattan > 1)) {
                        continue;
                    }
                    list.add(new int[] {dx, dy, dz});
                }
            }
        }
        return list.toArray(new int[0][]);
    }

    private static ComponentLabels label(boolean[] data, int w, int h, int d, Connectivity c) {
        int[] raw = new int[data.length];
        int[][] offs = offsets(d, c);
        int[] queue = new int[Math.max(1, data.length)];
        long[] sizes = new long[16];
        int[] firstVoxel = new int[16];
        int next = 0;
        int plane = w * h;
        for (int start = 0; start < data.length; start++) {
            if (!data[start] || raw[start] != 0) {
                continue;
            }
            next++;
            if (next > sizes.length) {
                sizes = Arrays.copyOf(sizes, sizes.length * 2);
                firstVoxel = Arrays.copyOf(firstVoxel, firstVoxel.length * 2);
            }
            firstVoxel[next - 1] = start;
            int head = 0;
            int tail = 0;
            queue[tail++] = start;
            raw[start] = next;
            long size = 0;
            while (head < tail) {
                int i = queue[head++];
                size++;
                int z = i / plane;
                int rem = i - z * plane;
                int y = rem / w;
                int x = rem - y * w;
                for (int[] o : offs) {
                    int nx = x + o[0];
                    int ny = y + o[1];
                    int nz = z + o[2];
                    if (nx < 0 || ny < 0 || nz < 0 || nx >= w || ny >= h || nz >= d) {
                        continue;
                    }
                    int j = (nz * h + ny) * w + nx;
                    if (data[j] && raw[j] == 0) {
                        raw[j] = next;
                        queue[tail++] = j;
                    }
                }
            }
            sizes[next - 1] = size;
        }
        final long[] s = sizes;
        final int[] f = firstVoxel;
        Integer[] order = new Integer[next];
        for (int i = 0; i < next; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.<Integer>comparingLong(i -> -s[i]).thenComparingInt(i -> f[i]));
        int[] remap = new int[next + 1];
        long[] sorted = new long[next];
        for (int rank = 0; rank < next; rank++) {
            remap[order[rank] + 1] = rank + 1;
            sorted[rank] = s[order[rank]];
        }
        for (int i = 0; i < raw.length; i++) {
            raw[i] = remap[raw[i]];
        }
        return new ComponentLabels(raw, sorted, w, h, d);
    }
}
