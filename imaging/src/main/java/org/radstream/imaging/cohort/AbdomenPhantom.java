package org.radstream.imaging.cohort;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.radstream.imaging.Mask3D;

/**
 * One patient's contrast-enhanced (portal venous phase) upper abdomen: body with fat and muscle,
 * spine, aorta and IVC, liver with portal and hepatic vein trees, hypodense tumours, spleen,
 * kidneys, stomach with a gas cap and bowel.
 *
 * <p>Labels: liver (parenchyma including its vessels and tumours, the LiTS convention), vessel
 * (hepatic vessel lumen inside the liver, exact), tumour, and vessel-noisy: the vessel label as a
 * hurried annotator draws it (SU-UNet paper): small branches missed, radii drawn too thin or too
 * thick, and a few spurious fragments.
 */
final class AbdomenPhantom {
    static final double LIVER_HU = 110;
    static final double VESSEL_HU = 190;

    final double a;
    final double b;
    final double fat;
    final double muscle;
    final double wallIn;
    final double ai;
    final double bi;
    final double zc;
    final Vec3 liver1C;
    final Vec3 liver1R;
    final Vec3 liver2C;
    final Vec3 liver2R;
    final Vec3 spleenC;
    final Vec3 spleenR;
    final Vec3[] kidneyC = new Vec3[2];
    final Vec3 kidneyR;
    final Vec3 stomachC;
    final Vec3 stomachR;
    final double spineY;
    final double rVertebra;
    final double liverHu;
    final ValueNoise texture;
    final ValueNoise boundary;
    final List<Tube> vessels = new ArrayList<>();
    final List<Tube> noisyVessels = new ArrayList<>();
    final List<Lesion> tumours = new ArrayList<>();

    private AbdomenPhantom(SplittableRandom r) {
        a = u(r, 145, 180);
        b = u(r, 110, 135);
        fat = u(r, 10, 32);
        muscle = u(r, 9, 14);
        wallIn = fat + muscle + 4;
        ai = a - wallIn;
        bi = b - wallIn;
        zc = 0;
        liver1C = new Vec3(-0.45 * ai, -0.02 * bi, zc);
        liver1R = new Vec3(0.47 * ai, 0.66 * bi, u(r, 65, 85));
        liver2C = new Vec3(0.02 * ai, -0.45 * bi, zc + 15);
        liver2R = new Vec3(u(r, 0.3, 0.45) * ai, 0.30 * bi, 45);
        spleenC = new Vec3(0.72 * ai, 0.38 * bi, zc + 20);
        spleenR = new Vec3(0.16 * ai, 0.32 * bi, 50);
        kidneyC[0] = new Vec3(-0.5 * ai, 0.58 * bi, zc - 75);
        kidneyC[1] = new Vec3(0.5 * ai, 0.58 * bi, zc - 65);
        kidneyR = new Vec3(0.15 * ai, 0.2 * bi, 50);
        stomachC = new Vec3(0.38 * ai, -0.35 * bi, zc + 25);
        stomachR = new Vec3(0.22 * ai, 0.25 * bi, 40);
        rVertebra = u(r, 15, 19);
        spineY = bi * 0.72;
        liverHu = LIVER_HU + u(r, -15, 15);
        texture = new ValueNoise(r.nextLong(), 6);
        boundary = new ValueNoise(r.nextLong(), 30);
    }

    private static double u(SplittableRandom r, double lo, double hi) { return lo + (hi - lo) * r.nextDouble(); }

    static AbdomenPhantom create(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        AbdomenPhantom p = new AbdomenPhantom(r);
        p.growVessels(r);
        p.placeTumours(r, r.nextInt(5));
        p.makeNoisyLabel(r);
        return p;
    }

    private void growVessels(SplittableRandom r) {
        TreeGrower g = new TreeGrower(r, this::inLiver, 0.8, 7);
        Vec3 centre = liver1C;
        Vec3 portal = new Vec3(-0.15 * ai, 0.12 * bi, zc - 12);
        vessels.addAll(g.grow(portal, new Vec3(-1, -0.2, 0.3), u(r, 6, 7.5), centre));
        vessels.addAll(g.grow(portal, new Vec3(0.6, -0.8, 0.3), u(r, 4.5, 5.5), centre));
        Vec3 ivc = new Vec3(-0.18 * ai, 0.3 * bi, zc + 55);
        vessels.addAll(g.grow(ivc, new Vec3(-1, -0.3, -0.4), u(r, 5, 6), centre));
        vessels.addAll(g.grow(ivc, new Vec3(-0.4, -0.8, -0.3), u(r, 4.5, 5.5), centre));
        vessels.addAll(g.grow(ivc, new Vec3(0.5, -0.8, -0.2), u(r, 4, 5), centre));
    }

    private void placeTumours(SplittableRandom r, int n) {
        int attempts = 0;
        while (tumours.size() < n && attempts++ < 200) {
            Vec3 c = new Vec3(liver1C.x() + (r.nextDouble() - 0.5) * liver1R.x() * 1.4,
                    liver1C.y() + (r.nextDouble() - 0.5) * liver1R.y() * 1.4,
                    liver1C.z() + (r.nextDouble() - 0.5) * liver1R.z() * 1.4);
            double rad = u(r, 5, 22);
            if (!inLiver(c)) {
                continue;
            }
            Vec3 uu = new Vec3(r.nextDouble() - 0.5, r.nextDouble() - 0.5, r.nextDouble() - 0.5).unit();
            Vec3 vv = uu.perpendicular();
            List<Lesion.Blob> blobs = List.of(new Lesion.Blob(c, uu, vv, uu.cross(vv).unit(),
                    rad * u(r, 0.8, 1.2), rad * u(r, 0.8, 1.2), rad * u(r, 0.8, 1.2)));
            tumours.add(new Lesion(blobs, u(r, 35, 75), u(r, 1, 2.5), new ValueNoise(r.nextLong(), Math.max(4, rad * 0.6))));
        }
    }

    private void makeNoisyLabel(SplittableRandom r) {
        for (Tube t : vessels) {
            if (t.generation() >= 3 && t.radius() < 2.0 && r.nextDouble() < 0.35) {
                continue;
            }
            noisyVessels.add(new Tube(t.a(), t.b(), t.radius() * u(r, 0.7, 1.4), t.generation()));
        }
        int spurious = 2 + r.nextInt(3);
        for (int i = 0; i < spurious * 20 && spurious > 0; i++) {
            Vec3 c = new Vec3(liver1C.x() + (r.nextDouble() - 0.5) * liver1R.x(),
                    liver1C.y() + (r.nextDouble() - 0.5) * liver1R.y(),
                    liver1C.z() + (r.nextDouble() - 0.5) * liver1R.z());
            if (inLiver(c)) {
                Vec3 d = new Vec3(r.nextDouble() - 0.5, r.nextDouble() - 0.5, r.nextDouble() - 0.5).unit();
                noisyVessels.add(new Tube(c, c.plus(d.times(u(r, 6, 15))), u(r, 1, 2), 9));
                spurious--;
            }
        }
    }

    boolean inLiver(Vec3 p) { return inLiver(p.x(), p.y(), p.z()); }

    boolean inLiver(double x, double y, double z) {
        double pert = 1 + 0.07 * boundary.at(x, y, z);
        double q1 = ell(x, y, z, liver1C, liver1R);
        double q2 = ell(x, y, z, liver2C, liver2R);
        if (Math.min(q1, q2) * pert >= 1) {
            return false;
        }
        return bodyDepth(x, y) >= wallIn + 2;
    }

    private static double ell(double x, double y, double z, Vec3 c, Vec3 r) {
        double dx = (x - c.x()) / r.x();
        double dy = (y - c.y()) / r.y();
        double dz = (z - c.z()) / r.z();
        return Math.sqrt(dx * dx + dy * dy + dz * dz);
    }

    double bodyDepth(double x, double y) {
        double rho = Math.sqrt((x / a) * (x / a) + (y / b) * (y / b));
        if (rho >= 1) {
            return -1;
        }
        double r = Math.sqrt(x * x + y * y);
        return rho < 1e-6 ? 1e6 : r * (1 / rho - 1);
    }

    PhantomImage render(ScanGeometry g) {
        int n = g.size();
        float[] hu = new float[n];
        boolean[] liver = new boolean[n];
        for (int k = 0; k < g.depth(); k++) {
            double z = g.z(k);
            for (int j = 0; j < g.height(); j++) {
                double y = g.y(j);
                for (int i = 0; i < g.width(); i++) {
                    double x = g.x(i);
                    int idx = g.index(i, j, k);
                    double depth = bodyDepth(x, y);
                    double v;
                    if (depth < 0) {
                        v = ChestPhantom.AIR_HU;
                    } else if (depth < fat * (1 + 0.3 * boundary.at(2 * x, 2 * y, z))) {
                        v = ChestPhantom.BODY_FAT_HU + 12 * texture.at(x, y, z);
                    } else if (depth < fat + muscle) {
                        v = ChestPhantom.MUSCLE_HU + 8 * texture.at(x, y, z);
                    } else if (inLiver(x, y, z)) {
                        liver[idx] = true;
                        v = liverHu + 8 * texture.at(x, y, z);
                    } else {
                        v = interior(x, y, z);
                    }
                    hu[idx] = (float) v;
                }
            }
        }
        Mask3D tumour = new Mask3D(g.width(), g.height(), g.depth());
        for (Lesion t : tumours) {
            paintTumour(g, t, hu, liver, tumour.data());
        }
        Mask3D vessel = new Mask3D(g.width(), g.height(), g.depth());
        boolean[] ves = vessel.data();
        double pv = Math.min(g.dx(), g.dz());
        for (Tube t : vessels) {
            t.forEachVoxel(g, pv, (idx, d) -> {
                double f = ChestPhantom.ramp(t.radius() - d, pv);
                if (hu[idx] < VESSEL_HU) {
                    hu[idx] = (float) (hu[idx] + f * (VESSEL_HU - hu[idx]));
                }
                if (d <= t.radius() && liver[idx]) {
                    ves[idx] = true;
                }
            });
        }
        Mask3D noisy = new Mask3D(g.width(), g.height(), g.depth());
        boolean[] nv = noisy.data();
        for (Tube t : noisyVessels) {
            t.forEachVoxel(g, 0, (idx, d) -> {
                if (liver[idx]) {
                    nv[idx] = true;
                }
            });
        }
        Map<String, Mask3D> truth = new LinkedHashMap<>();
        truth.put("liver", new Mask3D(liver, g.width(), g.height(), g.depth()));
        truth.put("vessel", vessel);
        truth.put("vessel-noisy", noisy);
        truth.put("tumour", tumour);
        return new PhantomImage(hu, truth);
    }

    private void paintTumour(ScanGeometry g, Lesion t, float[] hu, boolean[] liver, boolean[] label) {
        double reach = t.reach(1);
        Vec3 c = t.blobs().get(0).centre();
        for (int k = Math.max(0, g.kFloor(c.z() - reach)); k <= Math.min(g.depth() - 1, g.kCeil(c.z() + reach)); k++) {
            for (int j = Math.max(0, g.jFloor(c.y() - reach)); j <= Math.min(g.height() - 1, g.jCeil(c.y() + reach)); j++) {
                for (int i = Math.max(0, g.iFloor(c.x() - reach)); i <= Math.min(g.width() - 1, g.iCeil(c.x() + reach)); i++) {
                    int idx = g.index(i, j, k);
                    if (!liver[idx]) {
                        continue;
                    }
                    double m = t.membership(g.x(i), g.y(j), g.z(k), 1);
                    hu[idx] = (float) (hu[idx] + m * (t.hu() - hu[idx]));
                    if (m >= 0.5) {
                        label[idx] = true;
                    }
                }
            }
        }
    }

    private double interior(double x, double y, double z) {
        double sy = y - spineY;
        double rv = Math.sqrt(x * x + sy * sy);
        if (rv < rVertebra) {
            boolean disc = ((z % 28) + 28) % 28 < 6;
            return disc ? 80 : (rv > rVertebra - 2 ? 700 : 220 + 30 * texture.at(x, y, z));
        }
        double canalY = spineY + rVertebra + 9;
        if (x * x + (y - canalY) * (y - canalY) < 64) {
            return 20;
        }
        if (Math.abs(x) < 6 && y > canalY + 8 && y < canalY + 40) {
            return 500;
        }
        // psoas / paraspinal muscle
        if (Math.abs(x) < rVertebra + 30 && y > spineY - 5) {
            return 50;
        }
        double ax = x - (rVertebra * 0.6);
        double ay = y - (spineY - rVertebra - 12);
        if (ax * ax + ay * ay < 121) {
            return 180;
        }
        double vx = x + 0.18 * ai;
        double vy = y - 0.3 * bi;
        if (vx * vx + vy * vy < 110) {
            return 150;
        }
        if (ell(x, y, z, spleenC, spleenR) < 1) {
            return 120 + 6 * texture.at(x, y, z);
        }
        for (Vec3 kc : kidneyC) {
            double q = ell(x, y, z, kc, kidneyR);
            if (q < 1) {
                return q > 0.55 ? 180 : (q > 0.25 ? 90 : -80);
            }
        }
        double qs = ell(x, y, z, stomachC, stomachR);
        if (qs < 1) {
            if (qs > 0.88) {
                return 50;
            }
            return y < stomachC.y() - 0.3 * stomachR.y() ? ChestPhantom.AIR_HU : 20;
        }
        double t = texture.at(x * 0.6, y * 0.6, z * 0.6);
        if (t > 0.62) {
            return ChestPhantom.AIR_HU;
        }
        return t > 0.05 ? 35 : -95;
    }
}
