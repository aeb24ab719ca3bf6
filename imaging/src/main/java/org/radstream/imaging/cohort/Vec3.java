package org.radstream.imaging.cohort;

/** A point or direction in patient coordinates (LPS, mm). */
record Vec3(double x, double y, double z) {
    Vec3 plus(Vec3 o) { return new Vec3(x + o.x, y + o.y, z + o.z); }
    Vec3 minus(Vec3 o) { return new Vec3(x - o.x, y - o.y, z - o.z); }
    Vec3 times(double s) { return new Vec3(x * s, y * s, z * s); }
    double dot(Vec3 o) { return x * o.x + y * o.y + z * o.z; }
    Vec3 cross(Vec3 o) { return new Vec3(y * o.z - z * o.y, z * o.x - x * o.z, x * o.y - y * o.x); }
    double length() { return Math.sqrt(dot(this)); }
    Vec3 unit() {
        double l = length();
        return l == 0 ? new Vec3(1, 0, 0) : times(1 / l);
    }

    /** Any unit vector perpendicular to this one. */
    Vec3 perpendicular() {
        Vec3 a = Math.abs(x) < 0.9 ? new Vec3(1, 0, 0) : new Vec3(0, 1, 0);
        return cross(a).unit();
    }
}
