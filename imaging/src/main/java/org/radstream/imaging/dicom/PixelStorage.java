package org.radstream.imaging.dicom;

/**
 * How HU are stored in PixelData: sign (PixelRepresentation), BitsStored, RescaleSlope and
 * RescaleIntercept. Scanners differ here, and readers that assume one convention break on
 * another, so the cohort varies it across scans.
 */
public record PixelStorage(boolean signed, int bitsStored, double slope, double intercept) {
    /** Unsigned 12-bit, intercept -1024: the classic CT layout (HU -1024..3071). */
    public static final PixelStorage UNSIGNED_12 = new PixelStorage(false, 12, 1, -1024);
    /** Signed 16-bit, intercept -1024. */
    public static final PixelStorage SIGNED_16_OFFSET = new PixelStorage(true, 16, 1, -1024);
    /** Signed 16-bit storing HU directly. */
    public static final PixelStorage SIGNED_16_DIRECT = new PixelStorage(true, 16, 1, 0);

    public PixelStorage {
        if (bitsStored < 12 || bitsStored > 16) {
            throw new IllegalArgumentException("CT BitsStored must be 12..16: " + bitsStored);
        }
        if (slope == 0) {
            throw new IllegalArgumentException("RescaleSlope must not be 0");
        }
    }

    /** Lowest HU representable. */
    public double minHu() { return (signed ? -(1 << (bitsStored - 1)) : 0) * slope + intercept; }

    /** Highest HU representable. */
    public double maxHu() { return (signed ? (1 << (bitsStored - 1)) - 1 : (1 << bitsStored) - 1) * slope + intercept; }
}
