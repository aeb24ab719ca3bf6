package org.radstream.imaging.cohort;

import java.util.SplittableRandom;

/**
 * Smooth seeded 3D noise in [-1, 1]: random values on a lattice of {@code cellMm} millimetres,
 * interpolated with a smoothstep. Gives lung parenchyma its texture and lesions and organ borders
 * their irregularity at a cost of one lattice lookup per sample, so a 256²×64 scan stays well
 * under a second.
 */
final class ValueNoise {
    private static final int N = 64;
    private final float[] lattice = new float[N * N * N];
    private final double inv;

    ValueNoise(long seed, double cellMm) {
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < lattice.length; i++) {
            lattice[i] = (float) (r.nextDouble() * 2 - 1);
        }
        this.inv = 1.0 / cellMm;
    }

    double at(double x, double y, double z) {
        double fx = x * inv + 1000.5;
        double fy = y * inv + 1000.5;
        double fz = z * inv + 1000.5;
        int ix = (int) Math.floor(fx);
        int iy = (int) Math.floor(fy);
        int iz = (int) Math.floor(fz);
        double tx = smooth(fx - ix);
        double ty = smooth(fy - iy);
        double tz = smooth(fz - iz);
        int x0 = ix & (N - 1);
        int y0 = iy & (N - 1);
        int z0 = iz & (N - 1);
        int x1 = (x0 + 1) & (N - 1);
        int y1 = (y0 + 1) & (N - 1);
        int z1 = (z0 + 1) & (N - 1);
        double c00 = lerp(v(x0, y0, z0), v(x1, y0, z0), tx);
        double c10 = lerp(v(x0, y1, z0), v(x1, y1, z0), tx);
        double c01 = lerp(v(x0, y0, z1), v(x1, y0, z1), tx);
        double c11 = lerp(v(x0, y1, z1), v(x1, y1, z1), tx);
        return lerp(lerp(c00, c10, ty), lerp(c01, c11, ty), tz);
    }

    private double v(int x, int y, int z) { return lattice[(z * N + y) * N + x]; }

    private static double smooth(double t) { return t * t * (3 - 2 * t); }

    private static double lerp(double a, double b, double t) { return a + (b - a) * t; }
}
