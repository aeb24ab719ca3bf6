package org.radstream.imaging.cohort;

/**
 * What to generate.
 *
 * @param seed everything follows from it: same seed, same bytes (UIDs included)
 * @param chestScans number of chest CT series
 * @param abdomenScans number of abdominal CT series
 * @param size matrix (rows = columns): 64 tiny (16 slices) for unit tests, 256 evaluation
 *             (40–80 slices), 512 full (60–120 slices)
 * @param longitudinal group chest scans into patients of 2–5 scans over 1–7 days
 * @param noiseSigmaHu standard deviation of the quantum noise
 */
public record CohortSpec(long seed, int chestScans, int abdomenScans, int size, boolean longitudinal, double noiseSigmaHu) {
    public static final double DEFAULT_NOISE_SIGMA_HU = 15;

    public CohortSpec {
        if (chestScans < 0 || abdomenScans < 0) {
            throw new IllegalArgumentException("scan counts must not be negative");
        }
        if (size < 32 || size > 1024) {
            throw new IllegalArgumentException("size must be 32..1024 pixels: " + size);
        }
        if (noiseSigmaHu < 0) {
            throw new IllegalArgumentException("noise sigma must not be negative: " + noiseSigmaHu);
        }
    }

    public CohortSpec(long seed, int chestScans, int abdomenScans, int size, boolean longitudinal) {
        this(seed, chestScans, abdomenScans, size, longitudinal, DEFAULT_NOISE_SIGMA_HU);
    }

    int minSlices() { return size <= 96 ? 16 : (size <= 384 ? 40 : 60); }

    int maxSlices() { return size <= 96 ? 16 : (size <= 384 ? 80 : 120); }
}
