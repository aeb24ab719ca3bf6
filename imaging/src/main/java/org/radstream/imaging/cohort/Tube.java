package org.radstream.imaging.cohort;

/**
 * One cylindrical segment of a vessel or airway tree (a capsule: segment plus radius), the unit
 * from which branching trees are drawn with exact distances, hence exact labels.
 */
record Tube(Vec3 a, Vec3 b, double radius, int generation) {

    /** Receives each voxel near the tube with its distance (mm) to the tube's axis segment. */
    interface Visitor {
        void visit(int index, double distanceMm);
    }

    /** Visits every voxel whose centre lies within radius + margin of the axis. */
    void forEachVoxel(ScanGeometry g, double margin, Visitor v) {
        double reach = radius + margin;
        int i0 = Math.max(0, g.iFloor(Math.min(a.x(), b.x()) - reach));
        int i1 = Math.min(g.width() - 1, g.iCeil(Math.max(a.x(), b.x()) + reach));
        int j0 = Math.max(0, g.jFloor(Math.min(a.y(), b.y()) - reach));
        int j1 = Math.min(g.height() - 1, g.jCeil(Math.max(a.y(), b.y()) + reach));
        int k0 = Math.max(0, g.kFloor(Math.min(a.z(), b.z()) - reach));
        int k1 = Math.min(g.depth() - 1, g.kCeil(Math.max(a.z(), b.z()) + reach));
        double abx = b.x() - a.x();
        double aby = b.y() - a.y();
        double abz = b.z() - a.z();
        double len2 = abx * abx + aby * aby + abz * abz;
        double reach2 = reach * reach;
        for (int k = k0; k <= k1; k++) {
            double pz = g.z(k) - a.z();
            for (int j = j0; j <= j1; j++) {
                double py = g.y(j) - a.y();
                for (int i = i0; i <= i1; i++) {
                    double px = g.x(i) - a.x();
                    double t = len2 == 0 ? 0 : (px * abx + py * aby + pz * abz) / len2;
                    t = t < 0 ? 0 : (t > 1 ? 1 : t);
                    double dx = px - t * abx;
                    double dy = py - t * aby;
                    double dz = pz - t * abz;
                    double d2 = dx * dx + dy * dy + dz * dz;
                    if (d2 <= reach2) {
                        v.visit(g.index(i, j, k), Math.sqrt(d2));
                    }
                }
            }
        }
    }
}
