package org.radstream.imaging.cohort;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.radstream.imaging.Mask3D;

/**
 * One patient's chest, defined in millimetres so that it can be scanned repeatedly with
 * different spacing: body with fat and muscle, ribs, spine, heart, aorta, oesophagus, trachea and
 * bronchi, two lungs with texture and a gravity gradient, branching blurred pulmonary arteries and
 * veins, the diaphragm domes with liver, stomach (with a gas cap, the patient lying supine) and
 * spleen beneath, and COVID-like lesions.
 *
 * <p>Coordinates are patient LPS: x to the patient's left, y posterior, z superior; the right
 * diaphragm dome top is near z = 0.
 *
 * <p>What makes it hard for the HU baseline is anatomy, not tuning: the trachea, main bronchi,
 * oesophageal and stomach/bowel gas are air inside the body; vessels are soft tissue inside the
 * lung, and their blurred walls, the pleural border and the dependent (posterior) lung all pass
 * through the GGO density band; consolidation is as dense as the chest wall it touches.
 *
 * <p>Lung truth is the lung parenchyma including small intrapulmonary vessels and airways and any
 * lesion, excluding hilar structures (vessels ≥ 4 mm, airways ≥ 3 mm radius). Infection truth is
 * the union of lesion surfaces inside the lung.
 */
final class ChestPhantom {
    static final double BODY_FAT_HU = -100;
    static final double MUSCLE_HU = 45;
    static final double SOFT_HU = 35;
    static final double BLOOD_HU = 40;
    static final double AIR_HU = -1000;
    static final double LUNG_HU = -860;

    final double a;
    final double b;
    final double fat;
    final double muscle;
    final double wallIn;
    final double ai;
    final double bi;
    final double[] lungCx = new double[2];
    final double lungCy;
    final double lungRx;
    final double lungRy;
    final double[] dome = new double[2];
    final double apexZ;
    final double spineY;
    final double rVertebra;
    final double aortaX;
    final double aortaY;
    final double rAorta;
    final Vec3 heartC;
    final Vec3 heartR;
    final double tracheaY;
    final double rTrachea;
    final double carinaZ;
    final Vec3 stomachC;
    final Vec3 stomachR;
    final double gasLevelY;
    final Vec3 bowelGasC;
    final double bowelGasR;
    final double ribPitch;
    final double ribPhase;
    final double gravityHu;
    final ValueNoise texture;
    final ValueNoise boundary;
    final ValueNoise fine;
    final List<Tube> airways = new ArrayList<>();
    final List<Tube> vessels = new ArrayList<>();
    final List<Lesion> lesions = new ArrayList<>();

    private ChestPhantom(SplittableRandom r) {
        a = u(r, 135, 170);
        b = u(r, 95, 122);
        fat = u(r, 6, 24);
        muscle = u(r, 8, 14);
        wallIn = fat + muscle + 12;
        ai = a - wallIn;
        bi = b - wallIn;
        lungCx[0] = -0.53 * ai;
        lungCx[1] = 0.53 * ai;
        lungCy = 0.02 * bi;
        lungRx = 0.41 * ai;
        lungRy = 0.86 * bi;
        dome[0] = u(r, -5, 5);
        dome[1] = dome[0] - u(10, 20, r);
        apexZ = dome[0] + u(r, 170, 205);
        rVertebra = u(r, 14, 18);
        spineY = bi - rVertebra + 4;
        rAorta = u(r, 10, 13);
        aortaX = rVertebra + rAorta - 2;
        aortaY = spineY - rVertebra + 2;
        heartC = new Vec3(0.12 * ai, -0.30 * bi, dome[0] + 45);
        heartR = new Vec3(0.42 * ai, 0.50 * bi, 60);
        rTrachea = u(r, 7, 10);
        tracheaY = spineY - rVertebra - 24;
        carinaZ = dome[0] + 0.58 * (apexZ - dome[0]);
        stomachC = new Vec3(0.45 * ai, -0.25 * bi, dome[1] - 45);
        stomachR = new Vec3(0.28 * ai, 0.30 * bi, u(r, 32, 45));
        gasLevelY = stomachC.y() - stomachR.y() * u(r, -0.1, 0.5);
        bowelGasC = r.nextDouble() < 0.85 ? new Vec3(u(r, 0.3, 0.65) * ai, u(r, -0.5, 0.1) * bi, dome[1] - u(r, 55, 80)) : null;
        bowelGasR = u(r, 10, 24);
        ribPitch = u(r, 24, 30);
        ribPhase = u(r, 0, ribPitch);
        gravityHu = u(r, 40, 90);
        texture = new ValueNoise(r.nextLong(), 7);
        boundary = new ValueNoise(r.nextLong(), 25);
        fine = new ValueNoise(r.nextLong(), 2.5);
    }

    private static double u(SplittableRandom r, double lo, double hi) { return lo + (hi - lo) * r.nextDouble(); }

    private static double u(double lo, double hi, SplittableRandom r) { return u(r, lo, hi); }

    /**
     * A patient's anatomy with lesions. {@code lesionCount} 0 makes a healthy chest.
     */
    static ChestPhantom create(long seed, int lesionCount) {
        SplittableRandom r = new SplittableRandom(seed);
        ChestPhantom p = new ChestPhantom(r);
        p.growTrees(r);
        p.placeLesions(r, lesionCount);
        return p;
    }

    private void growTrees(SplittableRandom r) {
        Vec3 carina = new Vec3(0, tracheaY, carinaZ);
        airways.add(new Tube(new Vec3(0, tracheaY, apexZ + 80), carina, rTrachea, 0));
        for (int s = 0; s < 2; s++) {
            double sign = s == 0 ? -1 : 1;
            Vec3 hilum = new Vec3(lungCx[s] + sign * -0.75 * lungRx, lungCy + 0.1 * bi, carinaZ - 22);
            Vec3 centre = new Vec3(lungCx[s], lungCy, (dome[s] + apexZ) / 2 - 20);
            airways.add(new Tube(carina, hilum, rTrachea * 0.72, 0));
            TreeGrower airwayGrower = new TreeGrower(r, this::inLung, 1.0, 7);
            TreeGrower vesselGrower = new TreeGrower(r, this::inLung, 0.7, 6.5);
            Vec3[] roots = {new Vec3(sign * 0.45, -0.1, 1), new Vec3(sign * 0.7, -0.6, -0.3), new Vec3(sign * 0.4, 0.5, -0.8)};
            for (Vec3 d : roots) {
                airways.addAll(airwayGrower.grow(hilum, jitter(d, r), rTrachea * 0.5, centre));
            }
            // segmental arteries: the lung's ~10 segments each get their own branch from the hilum
            Vec3[] segments = {new Vec3(sign * 0.3, -0.3, 1), new Vec3(sign * 0.5, 0.4, 1), new Vec3(sign * 0.8, -0.2, 0.5),
                new Vec3(sign * 0.7, -0.7, -0.1), new Vec3(sign * 0.9, 0.2, -0.3), new Vec3(sign * 0.4, 0.8, -0.5),
                new Vec3(sign * 0.5, -0.3, -0.9), new Vec3(sign * 0.3, 0.6, -0.9)};
            for (Vec3 d : segments) {
                Vec3 art = hilum.plus(new Vec3(0, -8, 6));
                vessels.addAll(vesselGrower.grow(art, jitter(d, r), u(r, 3.5, 4.5), centre));
            }
            Vec3 atrium = new Vec3(lungCx[s] + sign * -0.85 * lungRx, lungCy + 0.05 * bi, dome[0] + 35);
            Vec3[] veins = {new Vec3(sign * 0.8, 0.2, 0.6), new Vec3(sign * 0.8, 0.3, -0.5), new Vec3(sign * 0.6, 0.6, 0.1),
                new Vec3(sign * 0.6, -0.5, 0.2), new Vec3(sign * 0.6, 0.5, -0.7)};
            for (Vec3 d : veins) {
                vessels.addAll(vesselGrower.grow(atrium, jitter(d, r), u(r, 3.5, 4.5), centre));
            }
        }
    }

    private static Vec3 jitter(Vec3 d, SplittableRandom r) {
        return d.unit().plus(new Vec3(r.nextDouble() - 0.5, r.nextDouble() - 0.5, r.nextDouble() - 0.5).times(0.4)).unit();
    }

    private void placeLesions(SplittableRandom r, int count) {
        int placed = 0;
        int attempts = 0;
        while (placed < count && attempts++ < count * 50) {
            Vec3 centre;
            double radius = Math.exp(u(r, Math.log(5), Math.log(35)));
            if (r.nextDouble() < 0.75) {
                centre = subpleuralPoint(r, radius);
            } else {
                Tube t = vessels.get(r.nextInt(vessels.size()));
                if (t.radius() < 1.2 || t.radius() > 4) {
                    continue;
                }
                centre = t.a().plus(t.b()).times(0.5).plus(t.b().minus(t.a()).perpendicular().times(t.radius() + radius * 0.5));
            }
            if (centre == null || !inLung(centre)) {
                continue;
            }
            double kind = r.nextDouble();
            double ggoHu = u(r, -700, -300);
            double edge = u(r, 2, 5);
            lesions.add(lesion(r, centre, radius, kind < 0.12 ? u(r, -100, 50) : ggoHu, kind < 0.12 ? u(r, 1, 2) : edge));
            if (kind >= 0.12 && kind < 0.37) {
                lesions.add(lesion(r, centre, radius * u(r, 0.35, 0.6), u(r, -100, 50), u(r, 1, 2)));
            }
            placed++;
        }
    }

    private Lesion lesion(SplittableRandom r, Vec3 centre, double radius, double hu, double edge) {
        List<Lesion.Blob> blobs = new ArrayList<>();
        int n = 1 + r.nextInt(3);
        for (int i = 0; i < n; i++) {
            Vec3 c = i == 0 ? centre : centre.plus(new Vec3(r.nextDouble() - 0.5, r.nextDouble() - 0.5, r.nextDouble() - 0.5).times(radius));
            Vec3 u = new Vec3(r.nextDouble() - 0.5, r.nextDouble() - 0.5, r.nextDouble() - 0.5).unit();
            Vec3 v = u.perpendicular();
            Vec3 w = u.cross(v).unit();
            double s = i == 0 ? 1 : u(r, 0.5, 0.8);
            blobs.add(new Lesion.Blob(c, u, v, w, radius * s * u(r, 0.7, 1.3), radius * s * u(r, 0.7, 1.3), radius * s * u(r, 0.6, 1.1)));
        }
        return new Lesion(blobs, hu, edge, new ValueNoise(r.nextLong(), Math.max(4, radius * 0.6)));
    }

    /** A point just inside the lung surface, biased to the lower and posterior lung as in COVID-19. */
    private Vec3 subpleuralPoint(SplittableRandom r, double radius) {
        int s = r.nextInt(2);
        double t = Math.pow(r.nextDouble(), 1.4);
        double z = dome[s] + 5 + t * (apexZ - dome[s] - 25);
        double theta = r.nextDouble() < 0.6 ? u(r, 0, Math.PI) : u(r, Math.PI, 2 * Math.PI);
        double dirX = Math.cos(theta) * (s == 0 ? -1 : 1);
        double dirY = Math.sin(theta);
        double depth = radius * u(r, 0.1, 0.9);
        double step = 1.0;
        double lastInside = -1;
        for (double d = 0; d < Math.max(lungRx, lungRy) * 1.3; d += step) {
            Vec3 p = new Vec3(lungCx[s] + dirX * d, lungCy + dirY * d, z);
            if (inLung(p)) {
                lastInside = d;
            } else if (lastInside >= 0) {
                break;
            }
        }
        if (lastInside < depth) {
            return null;
        }
        double d = lastInside - depth;
        return new Vec3(lungCx[s] + dirX * d, lungCy + dirY * d, z);
    }

    boolean inLung(Vec3 p) { return lungSide(p.x(), p.y(), p.z()) >= 0; }

    /** Distance (mm) inward from the skin, along the ray from the body centre. */
    double bodyDepth(double x, double y) {
        double rho = Math.sqrt(sq(x / a) + sq(y / b));
        if (rho >= 1) {
            return -1;
        }
        double r = Math.sqrt(x * x + y * y);
        return rho < 1e-6 ? 1e6 : r * (1 / rho - 1);
    }

    /** 0 right lung, 1 left lung, -1 not lung. */
    int lungSide(double x, double y, double z) {
        int s = x < 0 ? 0 : 1;
        double tz = (z - dome[s]) / (apexZ - dome[s]);
        if (tz >= 1) {
            return -1;
        }
        double sc = tz <= 0 ? 1 : Math.sqrt(1 - tz * tz * tz);
        double dx0 = (x - lungCx[s]) / lungRx;
        double dy0 = (y - lungCy) / lungRy;
        double dx = dx0 / sc;
        double dy = dy0 / sc;
        double q = Math.sqrt(dx * dx + dy * dy) * (1 + 0.06 * boundary.at(x, y, z));
        if (q >= 1) {
            return -1;
        }
        if (z < diaphragm(s, x, y)) {
            return -1;
        }
        if (bodyDepth(x, y) < wallIn - 2) {
            return -1;
        }
        if (inHeart(x, y, z)) {
            return -1;
        }
        double sy = y - spineY;
        if (x * x + sy * sy < sq(rVertebra + 12)) {
            return -1;
        }
        double ax = x - aortaX;
        double ay = y - aortaY;
        if (ax * ax + ay * ay < sq(rAorta + 4)) {
            return -1;
        }
        if (Math.abs(x) < 16 && y > tracheaY - rTrachea - 6) {
            return -1;
        }
        return s;
    }

    double diaphragm(int s, double x, double y) {
        double dx0 = (x - lungCx[s]) / lungRx;
        double dy0 = (y - lungCy) / lungRy;
        return dome[s] - 45 * (dx0 * dx0 + dy0 * dy0) - 12 * dy0;
    }

    boolean inHeart(double x, double y, double z) {
        double hx = (x - heartC.x()) / heartR.x();
        double hy = (y - heartC.y()) / heartR.y();
        double hz = (z - heartC.z()) / heartR.z();
        return hx * hx + hy * hy + hz * hz < 1;
    }

    private static double sq(double v) { return v * v; }

    /**
     * Renders the noiseless image and exact labels on {@code g}, lesions scaled by
     * {@code lesionScale} (radii) — the longitudinal course of the disease.
     */
    PhantomImage render(ScanGeometry g, double lesionScale) {
        int n = g.size();
        float[] hu = new float[n];
        boolean[] lung = new boolean[n];
        for (int k = 0; k < g.depth(); k++) {
            double z = g.z(k);
            double ribShift = ribPhase;
            for (int j = 0; j < g.height(); j++) {
                double y = g.y(j);
                for (int i = 0; i < g.width(); i++) {
                    double x = g.x(i);
                    int idx = g.index(i, j, k);
                    double rho = Math.sqrt(sq(x / a) + sq(y / b));
                    if (rho >= 1) {
                        hu[idx] = (float) AIR_HU;
                        continue;
                    }
                    double r = Math.sqrt(x * x + y * y);
                    double depth = rho < 1e-6 ? 1e6 : r * (1 / rho - 1);
                    double fatHere = fat * (1 + 0.3 * boundary.at(x * 2, y * 2, z));
                    double v;
                    if (depth < fatHere) {
                        v = BODY_FAT_HU + 12 * texture.at(x, y, z);
                    } else if (depth < fatHere + muscle) {
                        v = MUSCLE_HU + 8 * texture.at(x, y, z);
                    } else if (depth < wallIn - 2) {
                        double band = ((z + 0.35 * y + ribShift) % ribPitch + ribPitch) % ribPitch;
                        boolean rib = band < 11 && Math.abs(y) < b * 0.95 && !(Math.abs(x) < 25 && y > 0);
                        if (rib) {
                            double edge = Math.min(Math.min(band, 11 - band), Math.min(depth - fatHere - muscle, wallIn - 2 - depth));
                            v = edge < 1.5 ? 650 : 260;
                        } else {
                            v = MUSCLE_HU;
                        }
                    } else {
                        v = interior(x, y, z, idx, lung);
                    }
                    hu[idx] = (float) v;
                }
            }
        }
        Mask3D lungMask = new Mask3D(lung, g.width(), g.height(), g.depth());
        Mask3D infection = new Mask3D(g.width(), g.height(), g.depth());
        paintLesions(g, hu, lung, infection.data(), lesionScale);
        double pv = Math.min(g.dx(), g.dz());
        for (Tube t : vessels) {
            final boolean hilar = t.radius() >= 4;
            t.forEachVoxel(g, pv, (idx, d) -> {
                double f = ramp(t.radius() - d, pv);
                double target = BLOOD_HU;
                if (hu[idx] < target) {
                    hu[idx] = (float) (hu[idx] + f * (target - hu[idx]));
                }
                if (hilar && d <= t.radius()) {
                    lung[idx] = false;
                }
            });
        }
        for (Tube t : airways) {
            double wall = 0.6 + 0.15 * t.radius();
            final boolean large = t.radius() >= 3;
            t.forEachVoxel(g, wall + pv, (idx, d) -> {
                double fw = ramp(t.radius() + wall - d, pv);
                if (hu[idx] < 30) {
                    hu[idx] = (float) (hu[idx] + fw * (30 - hu[idx]));
                }
                double fl = ramp(t.radius() - d, pv);
                hu[idx] = (float) (hu[idx] + fl * (AIR_HU - hu[idx]));
                if (large && d <= t.radius() + wall) {
                    lung[idx] = false;
                }
            });
        }
        boolean[] inf = infection.data();
        for (int i = 0; i < n; i++) {
            inf[i] &= lung[i];
        }
        Map<String, Mask3D> truth = new LinkedHashMap<>();
        truth.put("lung", lungMask);
        truth.put("infection", infection);
        return new PhantomImage(hu, truth);
    }

    /** Partial-volume fraction of a boundary at signed distance {@code inside} (mm, > 0 inside). */
    static double ramp(double inside, double width) {
        double f = 0.5 + inside / width;
        return f < 0 ? 0 : (f > 1 ? 1 : f);
    }

    private double interior(double x, double y, double z, int idx, boolean[] lung) {
        // spine
        double sy = y - spineY;
        double rv = Math.sqrt(x * x + sy * sy);
        if (rv < rVertebra) {
            boolean disc = ((z % 26) + 26) % 26 < 5;
            return disc ? 80 : (rv > rVertebra - 2 ? 700 : 230 + 30 * texture.at(x, y, z));
        }
        double canalY = spineY + rVertebra + 9;
        double cy = y - canalY;
        if (x * x + cy * cy < 64) {
            return 20;
        }
        if (Math.abs(x) < 6 && y > canalY + 8 && y < canalY + 40) {
            return 500;
        }
        double ax = x - aortaX;
        double ay = y - aortaY;
        if (ax * ax + ay * ay < rAorta * rAorta) {
            return BLOOD_HU;
        }
        // oesophagus, sometimes with a little air
        double ey = y - (tracheaY + rTrachea + 8);
        if (x * x + ey * ey < 36) {
            return (x * x + ey * ey < 4 && fine.at(0, 0, z) > 0.3) ? AIR_HU : SOFT_HU;
        }
        int s = x < 0 ? 0 : 1;
        double dia = diaphragm(s, x, y);
        if (z < dia - 5) {
            return abdomen(x, y, z);
        }
        if (z < dia) {
            return MUSCLE_HU;
        }
        if (inHeart(x, y, z)) {
            return BLOOD_HU;
        }
        if (lungSide(x, y, z) >= 0) {
            lung[idx] = true;
            double gravity = (y - (lungCy - lungRy)) / (2 * lungRy);
            return LUNG_HU + 22 * texture.at(x, y, z) + 12 * fine.at(x, y, z) + gravityHu * Math.max(0, Math.min(1, gravity));
        }
        return SOFT_HU + (texture.at(x * 0.7, y * 0.7, z) > 0.45 ? -125 : 0);
    }

    private double abdomen(double x, double y, double z) {
        double sx = (x - stomachC.x()) / stomachR.x();
        double sy = (y - stomachC.y()) / stomachR.y();
        double sz = (z - stomachC.z()) / stomachR.z();
        double q = sx * sx + sy * sy + sz * sz;
        if (q < 1) {
            if (q > 0.85) {
                return 40;
            }
            return y < gasLevelY ? AIR_HU : 15;
        }
        if (bowelGasC != null) {
            double bx = x - bowelGasC.x();
            double by = y - bowelGasC.y();
            double bz = (z - bowelGasC.z()) * 1.6;
            double bq = Math.sqrt(bx * bx + by * by + bz * bz);
            if (bq < bowelGasR) {
                return bq > bowelGasR - 2 ? 35 : AIR_HU;
            }
        }
        if (x < 0.1 * ai) {
            return 58 + 6 * texture.at(x, y, z);
        }
        if (y > 0.2 * bi) {
            return 48;
        }
        return texture.at(x * 0.5, y * 0.5, z) > 0.2 ? -100 : 30;
    }

    private void paintLesions(ScanGeometry g, float[] hu, boolean[] lung, boolean[] infection, double scale) {
        if (scale <= 0) {
            return;
        }
        for (Lesion les : lesions) {
            double reach = les.reach(scale);
            for (Lesion.Blob blob : les.blobs()) {
                Vec3 c = blob.centre();
                int i0 = Math.max(0, g.iFloor(c.x() - reach));
                int i1 = Math.min(g.width() - 1, g.iCeil(c.x() + reach));
                int j0 = Math.max(0, g.jFloor(c.y() - reach));
                int j1 = Math.min(g.height() - 1, g.jCeil(c.y() + reach));
                int k0 = Math.max(0, g.kFloor(c.z() - reach));
                int k1 = Math.min(g.depth() - 1, g.kCeil(c.z() + reach));
                for (int k = k0; k <= k1; k++) {
                    double z = g.z(k);
                    for (int j = j0; j <= j1; j++) {
                        double y = g.y(j);
                        for (int i = i0; i <= i1; i++) {
                            int idx = g.index(i, j, k);
                            if (!lung[idx]) {
                                continue;
                            }
                            double x = g.x(i);
                            double m = les.membership(x, y, z, scale);
                            if (m <= 0.001) {
                                continue;
                            }
                            double target = les.hu() + 35 * texture.at(x * 1.7, y * 1.7, z * 1.7);
                            if (hu[idx] < target) {
                                hu[idx] = (float) (hu[idx] + m * (target - hu[idx]));
                            }
                            if (m >= 0.5) {
                                infection[idx] = true;
                            }
                        }
                    }
                }
            }
        }
    }

    /** Infection truth volume (mL) on {@code g} at a lesion scale, without rendering the image. */
    double infectionMl(ScanGeometry g, double scale) {
        if (scale <= 0 || lesions.isEmpty()) {
            return 0;
        }
        boolean[] seen = new boolean[g.size()];
        long count = 0;
        for (Lesion les : lesions) {
            double reach = les.reach(scale);
            for (Lesion.Blob blob : les.blobs()) {
                Vec3 c = blob.centre();
                int i0 = Math.max(0, g.iFloor(c.x() - reach));
                int i1 = Math.min(g.width() - 1, g.iCeil(c.x() + reach));
                int j0 = Math.max(0, g.jFloor(c.y() - reach));
                int j1 = Math.min(g.height() - 1, g.jCeil(c.y() + reach));
                int k0 = Math.max(0, g.kFloor(c.z() - reach));
                int k1 = Math.min(g.depth() - 1, g.kCeil(c.z() + reach));
                for (int k = k0; k <= k1; k++) {
                    for (int j = j0; j <= j1; j++) {
                        for (int i = i0; i <= i1; i++) {
                            int idx = g.index(i, j, k);
                            if (seen[idx]) {
                                continue;
                            }
                            double x = g.x(i);
                            double y = g.y(j);
                            double z = g.z(k);
                            if (les.rho(x, y, z, scale) < 1 && lungSide(x, y, z) >= 0 && !inLargeTube(x, y, z)) {
                                seen[idx] = true;
                                count++;
                            }
                        }
                    }
                }
            }
        }
        return count * g.voxelMl();
    }

    private boolean inLargeTube(double x, double y, double z) {
        for (Tube t : largeTubes()) {
            double reach = t.generation() < 0 ? t.radius() + 0.6 + 0.15 * t.radius() : t.radius();
            if (distance(t, x, y, z) <= reach) {
                return true;
            }
        }
        return false;
    }

    private List<Tube> large;

    /** Hilar vessels and large airways (airways marked with generation -1): excluded from the lung label. */
    private List<Tube> largeTubes() {
        if (large == null) {
            List<Tube> l = new ArrayList<>();
            for (Tube t : vessels) {
                if (t.radius() >= 4) {
                    l.add(t);
                }
            }
            for (Tube t : airways) {
                if (t.radius() >= 3) {
                    l.add(new Tube(t.a(), t.b(), t.radius(), -1));
                }
            }
            large = l;
        }
        return large;
    }

    private static double distance(Tube t, double x, double y, double z) {
        Vec3 ab = t.b().minus(t.a());
        Vec3 ap = new Vec3(x, y, z).minus(t.a());
        double len2 = ab.dot(ab);
        double s = len2 == 0 ? 0 : Math.max(0, Math.min(1, ap.dot(ab) / len2));
        return ap.minus(ab.times(s)).length();
    }

    /** Total lung z-range for choosing a scan range: from below the left dome to above the apex. */
    double lowestLungZ() { return Math.min(dome[0], dome[1]) - 45; }
}
