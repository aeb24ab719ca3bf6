package org.radstream.imaging;

import java.util.Arrays;

/**
 * The evaluation metrics of the source papers: Dice, 95% Hausdorff distance in millimetres,
 * volumes in mL, PoIR, Pearson's r and the mean absolute percent error (m-APE).
 */
public final class Metrics {
    private Metrics() {}

    /**
     * Share of the truth voxels whose HU lies in [{@code lowHu}, {@code highHu}) that the prediction
     * contains; NaN when the truth has no such voxel.
     */
    public static double recallInBand(Mask3D predicted, Mask3D truth, Volume hu, double lowHu, double highHu) {
        float[] v = hu.hu();
        long in = 0;
        long found = 0;
        for (int i = 0; i < v.length; i++) {
            if (truth.get(i) && v[i] >= lowHu && v[i] < highHu) {
                in++;
                if (predicted.get(i)) {
                    found++;
                }
            }
        }
        return in == 0 ? Double.NaN : (double) found / in;
    }

    /** Dice = 2|A∩B| / (|A|+|B|); 1.0 when both masks are empty (perfect agreement on "nothing"). */
    public static double dice(Mask3D a, Mask3D b) {
        a.requireSameShape(b);
        boolean[] x = a.data();
        boolean[] y = b.data();
        long inter = 0;
        long sum = 0;
        for (int i = 0; i < x.length; i++) {
            if (x[i]) {
                sum++;
                if (y[i]) {
                    inter++;
                }
            }
            if (y[i]) {
                sum++;
            }
        }
        return sum == 0 ? 1.0 : 2.0 * inter / sum;
    }

    /** Volume of a mask in mL. */
    public static double volumeMl(Mask3D mask, double spacingX, double spacingY, double spacingZ) {
        return mask.volumeMl(spacingX, spacingY, spacingZ);
    }

    /**
     * PoIR = infected volume / lung volume × 100 (COVID-19 paper, eq. 2). 0 when the lung volume
     * is 0, since there is then no lung to be infected.
     */
    public static double poir(double infectedMl, double lungMl) {
        return lungMl > 0 ? 100.0 * infectedMl / lungMl : 0.0;
    }

    /**
     * 95% Hausdorff distance in mm: the larger of the two directed 95th percentiles of the distances
     * from each mask's surface voxels to the other mask's surface (the MedPy/SU-UNet convention).
     * Surface voxels are mask voxels with a face neighbour outside the mask or the grid. Distances
     * use the voxel spacing, so anisotropic slices are handled exactly. Returns 0 when both masks
     * are empty and NaN when exactly one is (the distance is undefined; callers report how many
     * cases were excluded).
     */
    public static double hausdorff95Mm(Mask3D a, Mask3D b, double spacingX, double spacingY, double spacingZ) {
        return hausdorffPercentile(a, b, spacingX, spacingY, spacingZ, 95.0);
    }

    /** Like {@link #hausdorff95Mm} at any percentile (100 gives the classical Hausdorff distance). */
    public static double hausdorffPercentile(Mask3D a, Mask3D b, double sx, double sy, double sz, double percentile) {
        a.requireSameShape(b);
        boolean[] sa = surface(a);
        boolean[] sb = surface(b);
        boolean anyA = any(sa);
        boolean anyB = any(sb);
        if (!anyA && !anyB) {
            return 0.0;
        }
        if (!anyA || !anyB) {
            return Double.NaN;
        }
        int w = a.width();
        int h = a.height();
        int d = a.depth();
        double[] toB = DistanceTransform.squaredMm(sb, w, h, d, sx, sy, sz);
        double[] toA = DistanceTransform.squaredMm(sa, w, h, d, sx, sy, sz);
        return Math.max(directed(sa, toB, percentile), directed(sb, toA, percentile));
    }

    private static double directed(boolean[] from, double[] sqDistTo, double percentile) {
        int n = 0;
        for (boolean b : from) {
            if (b) {
                n++;
            }
        }
        double[] dist = new double[n];
        int k = 0;
        for (int i = 0; i < from.length; i++) {
            if (from[i]) {
                dist[k++] = Math.sqrt(sqDistTo[i]);
            }
        }
        Arrays.sort(dist);
        int rank = (int) Math.ceil(percentile / 100.0 * n) - 1;
        return dist[Math.max(0, Math.min(n - 1, rank))];
    }

    private static boolean any(boolean[] x) {
        for (boolean b : x) {
            if (b) {
                return true;
            }
        }
        return false;
    }

    /** Mask voxels with at least one face neighbour outside the mask or the grid. */
    static boolean[] surface(Mask3D m) {
        int w = m.width();
        int h = m.height();
        int d = m.depth();
        boolean[] v = m.data();
        boolean[] s = new boolean[v.length];
        int plane = w * h;
        for (int z = 0; z < d; z++) {
            for (int y = 0; y < h; y++) {
                int row = (z * h + y) * w;
                for (int x = 0; x < w; x++) {
                    int i = row + x;
                    if (!v[i]) {
                        continue;
                    }
                    s[i] = x == 0 || x == w - 1 || y == 0 || y == h - 1 || z == 0 || z == d - 1
                            || !v[i - 1] || !v[i + 1] || !v[i - w] || !v[i + w] || !v[i - plane] || !v[i + plane];
                }
            }
        }
        return s;
    }

    /** Pearson's correlation coefficient; NaN when fewer than two pairs or a constant series. */
    public static double pearson(double[] x, double[] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("series lengths differ: " + x.length + " vs " + y.length);
        }
        int n = x.length;
        if (n < 2) {
            return Double.NaN;
        }
        double mx = 0;
        double my = 0;
        for (int i = 0; i < n; i++) {
            mx += x[i];
            my += y[i];
        }
        mx /= n;
        my /= n;
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < n; i++) {
            double dx = x[i] - mx;
            double dy = y[i] - my;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        if (sxx == 0 || syy == 0) {
            return Double.NaN;
        }
        return sxy / Math.sqrt(sxx * syy);
    }

    /**
     * Mean absolute percent error, COVID-19 paper eq. 3: mean of |pred − truth| / |truth| × 100.
     * Cases whose truth is 0 have no relative error and are skipped (a scan without infection);
     * NaN when no case remains.
     */
    public static double mape(double[] predicted, double[] truth) {
        if (predicted.length != truth.length) {
            throw new IllegalArgumentException("series lengths differ: " + predicted.length + " vs " + truth.length);
        }
        double sum = 0;
        int n = 0;
        for (int i = 0; i < truth.length; i++) {
            if (truth[i] != 0) {
                sum += Math.abs((predicted[i] - truth[i]) / truth[i]);
                n++;
            }
        }
        return n == 0 ? Double.NaN : 100.0 * sum / n;
    }
}
