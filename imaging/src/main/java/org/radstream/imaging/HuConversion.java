package org.radstream.imaging;

/**
 * Stored pixel value to Hounsfield unit conversion: HU = stored × RescaleSlope + RescaleIntercept,
 * where the stored 16-bit word is read as signed or unsigned according to PixelRepresentation.
 *
 * <p>Scanners differ (unsigned with intercept -1024, signed with intercept 0 or -1024), and reading
 * an unsigned word as signed turns dense bone into air, so the sign is always explicit here.
 */
public final class HuConversion {
    private HuConversion() {}

    /** HU of one stored 16-bit word. */
    public static double toHu(short stored, boolean signed, double slope, double intercept) {
        int v = signed ? stored : (stored & 0xFFFF);
        return v * slope + intercept;
    }

    /** HU of every stored word. */
    public static float[] toHu(short[] stored, boolean signed, double slope, double intercept) {
        float[] out = new float[stored.length];
        for (int i = 0; i < stored.length; i++) {
            int v = signed ? stored[i] : (stored[i] & 0xFFFF);
            out[i] = (float) (v * slope + intercept);
        }
        return out;
    }

    /**
     * The stored word for an HU value, rounded to the nearest representable value and clamped to
     * the range of the word (and of {@code bitsStored} when unsigned), so writers never wrap around.
     */
    public static short toStored(double hu, boolean signed, int bitsStored, double slope, double intercept) {
        long v = Math.round((hu - intercept) / slope);
        long min = signed ? -(1L << (bitsStored - 1)) : 0;
        long max = signed ? (1L << (bitsStored - 1)) - 1 : (1L << bitsStored) - 1;
        v = Math.max(min, Math.min(max, v));
        return (short) v;
    }
}
