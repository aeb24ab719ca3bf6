package org.radstream.imaging;

/**
 * Exact Euclidean distance transform with anisotropic spacing (Felzenszwalb and Huttenlocher's
 * separable lower-envelope algorithm, one pass per axis, O(n)). Each pass weighs its axis by the
 * squared spacing, so distances come out in millimetres on scans whose slices are 5 mm apart and
 * whose pixels are 0.7 mm, without resampling.
 */
final class DistanceTransform {
    private static final double INF = 1e20;

    private DistanceTransform() {}

    /** Squared distance (mm²) from every voxel to the nearest voxel where {@code sites} is set. */
    static double[] squaredMm(boolean[] sites, int w, int h, int d, double sx, double sy, double sz) {
        double[] f = new double[sites.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = sites[i] ? 0 : INF;
        }
        int maxN = Math.max(w, Math.max(h, d));
        double[] line = new double[maxN];
        double[] out = new double[maxN];
        int[] v = new int[maxN];
        double[] zb = new double[maxN + 1];
        // x pass
        for (int z = 0; z < d; z++) {
            for (int y = 0; y < h; y++) {
                int base = (z * h + y) * w;
                for (int x = 0; x < w; x++) {
                    line[x] = f[base + x];
                }
                pass(line, out, w, sx * sx, v, zb);
                for (int x = 0; x < w; x++) {
                    f[base + x] = out[x];
                }
            }
        }
        // y pass
        for (int z = 0; z < d; z++) {
            for (int x = 0; x < w; x++) {
                int base = z * h * w + x;
                for (int y = 0; y < h; y++) {
                    line[y] = f[base + y * w];
                }
                pass(line, out, h, sy * sy, v, zb);
                for (int y = 0; y < h; y++) {
                    f[base + y * w] = out[y];
                }
            }
        }
        // z pass
        int plane = w * h;
        if (d > 1) {
            for (int p = 0; p < plane; p++) {
                for (int z = 0; z < d; z++) {
                    line[z] = f[p + z * plane];
                }
                pass(line, out, d, sz * sz, v, zb);
                for (int z = 0; z < d; z++) {
                    f[p + z * plane] = out[z];
                }
            }
        }
        return f;
    }

    /** 1D lower envelope of parabolas: out[q] = min_p (weight·(q-p)² + f[p]). */
    private static void pass(double[] f, double[] out, int n, double weight, int[] v, double[] z) {
        int k = 0;
        v[0] = 0;
        z[0] = Double.NEGATIVE_INFINITY;
        z[1] = Double.POSITIVE_INFINITY;
        for (int q = 1; q < n; q++) {
            if (f[q] >= INF) {
                continue;
            }
            if (f[v[k]] >= INF) {
                v[k] = q;
                continue;
            }
            double s;
            while (true) {
                int p = v[k];
                s = ((f[q] + weight * q * q) - (f[p] + weight * p * p)) / (2 * weight * (q - p));
                if (s <= z[k] && k > 0) {
                    k--;
                } else {
                    break;
                }
            }
            if (s <= z[k]) {
                v[k] = q;
            } else {
                k++;
                v[k] = q;
                z[k] = s;
            }
            z[k + 1] = Double.POSITIVE_INFINITY;
        }
        if (f[v[0]] >= INF) {
            for (int q = 0; q < n; q++) {
                out[q] = INF;
            }
            return;
        }
        k = 0;
        for (int q = 0; q < n; q++) {
            while (z[k + 1] < q) {
                k++;
            }
            double dq = q - v[k];
            out[q] = weight * dq * dq + f[v[k]];
        }
    }
}
