package org.radstream.imaging;

import java.util.Objects;

/**
 * A CT volume in Hounsfield units on a regular grid.
 *
 * <p>Voxels are stored x fastest, then y, then z (the same order as {@link Mask3D} and the
 * RLE contract), as floats so that windowing, resampling and blurring need no conversions.
 * Spacing is in millimetres: x and y from PixelSpacing (column, row), z the distance between
 * slice centres (not SliceThickness, which can differ). The origin is the patient-coordinate
 * position (LPS, mm) of the centre of voxel (0,0,0), i.e. the first slice's ImagePositionPatient.
 * The array is shared, not copied: a Volume is a view callers agree not to mutate once published.
 */
public final class Volume {
    private final float[] hu;
    private final int width;
    private final int height;
    private final int depth;
    private final double spacingX;
    private final double spacingY;
    private final double spacingZ;
    private final double originX;
    private final double originY;
    private final double originZ;

    public Volume(float[] hu, int width, int height, int depth,
                  double spacingX, double spacingY, double spacingZ,
                  double originX, double originY, double originZ) {
        Objects.requireNonNull(hu, "hu");
        if (width <= 0 || height <= 0 || depth <= 0) {
            throw new IllegalArgumentException("dimensions must be positive: " + width + "x" + height + "x" + depth);
        }
        if ((long) width * height * depth != hu.length) {
            throw new IllegalArgumentException("hu has " + hu.length + " voxels, expected " + (long) width * height * depth);
        }
        if (!(spacingX > 0 && spacingY > 0 && spacingZ > 0)) {
            throw new IllegalArgumentException("spacing must be positive: " + spacingX + "," + spacingY + "," + spacingZ);
        }
        this.hu = hu;
        this.width = width;
        this.height = height;
        this.depth = depth;
        this.spacingX = spacingX;
        this.spacingY = spacingY;
        this.spacingZ = spacingZ;
        this.originX = originX;
        this.originY = originY;
        this.originZ = originZ;
    }

    /** A volume at the origin, for tests and synthetic data. */
    public Volume(float[] hu, int width, int height, int depth, double spacingX, double spacingY, double spacingZ) {
        this(hu, width, height, depth, spacingX, spacingY, spacingZ, 0, 0, 0);
    }

    /** Builds a volume from stored 16-bit values (as read from PixelData) with the given rescale. */
    public static Volume fromStored(short[] stored, boolean signed, double slope, double intercept,
                                    int width, int height, int depth,
                                    double spacingX, double spacingY, double spacingZ,
                                    double originX, double originY, double originZ) {
        float[] hu = HuConversion.toHu(stored, signed, slope, intercept);
        return new Volume(hu, width, height, depth, spacingX, spacingY, spacingZ, originX, originY, originZ);
    }

    public float[] hu() { return hu; }
    public int width() { return width; }
    public int height() { return height; }
    public int depth() { return depth; }
    public double spacingX() { return spacingX; }
    public double spacingY() { return spacingY; }
    public double spacingZ() { return spacingZ; }
    public double originX() { return originX; }
    public double originY() { return originY; }
    public double originZ() { return originZ; }

    public int voxelCount() { return hu.length; }

    public int index(int x, int y, int z) { return (z * height + y) * width + x; }

    public float get(int x, int y, int z) { return hu[index(x, y, z)]; }

    /** Volume of one voxel in millilitres (mm³ / 1000). */
    public double voxelVolumeMl() { return spacingX * spacingY * spacingZ / 1000.0; }

    /** A copy of one axial slice, row-major (x fastest). */
    public float[] slice(int z) {
        if (z < 0 || z >= depth) {
            throw new IndexOutOfBoundsException("slice " + z + " of " + depth);
        }
        float[] s = new float[width * height];
        System.arraycopy(hu, z * width * height, s, 0, s.length);
        return s;
    }

    /** An empty mask on this volume's grid. */
    public Mask3D emptyMask() { return new Mask3D(width, height, depth); }

    @Override
    public String toString() {
        return "Volume[" + width + "x" + height + "x" + depth + ", spacing " + spacingX + "," + spacingY + "," + spacingZ + " mm]";
    }
}
