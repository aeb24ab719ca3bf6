package org.radstream.imaging.cohort;

/**
 * The voxel grid of one scan in patient coordinates: axial, x and y along the image rows and
 * columns, voxel (i,j,k) centred at origin + (i·dx, j·dy, k·dz). Phantoms are defined in mm and
 * sampled on this grid, so the same patient can be scanned with different spacing.
 */
record ScanGeometry(int width, int height, int depth, double dx, double dy, double dz,
                    double ox, double oy, double oz) {
    double x(int i) { return ox + i * dx; }
    double y(int j) { return oy + j * dy; }
    double z(int k) { return oz + k * dz; }
    int size() { return width * height * depth; }
    int index(int i, int j, int k) { return (k * height + j) * width + i; }

    int iFloor(double x) { return (int) Math.floor((x - ox) / dx); }
    int jFloor(double y) { return (int) Math.floor((y - oy) / dy); }
    int kFloor(double z) { return (int) Math.floor((z - oz) / dz); }
    int iCeil(double x) { return (int) Math.ceil((x - ox) / dx); }
    int jCeil(double y) { return (int) Math.ceil((y - oy) / dy); }
    int kCeil(double z) { return (int) Math.ceil((z - oz) / dz); }

    double voxelMl() { return dx * dy * dz / 1000.0; }
}
