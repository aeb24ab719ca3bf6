package org.radstream.imaging.cohort;

import java.util.List;

/**
 * A COVID-like lesion: a cluster of oriented ellipsoids with an irregular, blurred border.
 *
 * <p>The border is a logistic ramp {@code edgeMm} wide around the nominal surface, perturbed by
 * smooth noise; the label is the nominal surface itself (membership ≥ 0.5), so the truth is exact
 * while the image shows what a radiologist sees: a cloud fading into parenchyma. Longitudinal
 * growth scales every radius about the blob centres.
 *
 * @param hu the lesion's core density (GGO -700..-300, consolidation -100..+50)
 */
record Lesion(List<Blob> blobs, double hu, double edgeMm, ValueNoise shape) {

    /** One oriented ellipsoid: unit axes and radii (mm). */
    record Blob(Vec3 centre, Vec3 u, Vec3 v, Vec3 w, double ru, double rv, double rw) {}

    /** Normalised radius: < 1 inside the nominal surface. */
    double rho(double x, double y, double z, double scale) {
        double best = Double.POSITIVE_INFINITY;
        for (Blob b : blobs) {
            double px = x - b.centre().x();
            double py = y - b.centre().y();
            double pz = z - b.centre().z();
            double a = (px * b.u().x() + py * b.u().y() + pz * b.u().z()) / (b.ru() * scale);
            double c = (px * b.v().x() + py * b.v().y() + pz * b.v().z()) / (b.rv() * scale);
            double d = (px * b.w().x() + py * b.w().y() + pz * b.w().z()) / (b.rw() * scale);
            best = Math.min(best, Math.sqrt(a * a + c * c + d * d));
        }
        return best * (1 + 0.18 * shape.at(x, y, z));
    }

    /** Membership in [0,1] for painting: logistic across the border. */
    double membership(double x, double y, double z, double scale) {
        double rho = rho(x, y, z, scale);
        double meanR = meanRadius() * scale;
        double t = (rho - 1) * meanR / (edgeMm / 4.0);
        if (t > 12) {
            return 0;
        }
        return 1 / (1 + Math.exp(t));
    }

    double meanRadius() {
        double s = 0;
        for (Blob b : blobs) {
            s += (b.ru() + b.rv() + b.rw()) / 3;
        }
        return s / blobs.size();
    }

    /** Reach of the lesion from any blob centre, including its blurred border (mm). */
    double reach(double scale) {
        double r = 0;
        for (Blob b : blobs) {
            r = Math.max(r, Math.max(b.ru(), Math.max(b.rv(), b.rw())) * scale);
        }
        return r * 1.25 + edgeMm * 1.5;
    }

    boolean isConsolidation() { return hu > -200; }
}
