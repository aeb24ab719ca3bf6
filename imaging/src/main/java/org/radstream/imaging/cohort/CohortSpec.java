package org.radstream.imaging.cohort;

import java.util.List;

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
 * @param scenarios longitudinal patients' scenarios, in rotation; empty = every scenario of
 *                  {@link CohortGenerator#SCENARIOS} (a demo picks clear-cut ones, an evaluation keeps all)
 * @param scansPerPatient longitudinal scans per patient; 0 = drawn from 2–5
 */
public record CohortSpec(long seed, int chestScans, int abdomenScans, int size, boolean longitudinal, double noiseSigmaHu,
                         List<String> scenarios, int scansPerPatient) {
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
        scenarios = List.copyOf(scenarios);
        for (String s : scenarios) {
            if (!CohortGenerator.SCENARIO_NAMES.contains(s)) {
                throw new IllegalArgumentException("unknown scenario '" + s + "'; known: " + CohortGenerator.SCENARIO_NAMES);
            }
        }
        if (scansPerPatient != 0 && (scansPerPatient < 2 || scansPerPatient > 5)) {
            throw new IllegalArgumentException("scansPerPatient must be 0 (drawn) or 2..5: " + scansPerPatient);
        }
    }

    public CohortSpec(long seed, int chestScans, int abdomenScans, int size, boolean longitudinal, double noiseSigmaHu) {
        this(seed, chestScans, abdomenScans, size, longitudinal, noiseSigmaHu, List.of(), 0);
    }

    public CohortSpec(long seed, int chestScans, int abdomenScans, int size, boolean longitudinal) {
        this(seed, chestScans, abdomenScans, size, longitudinal, DEFAULT_NOISE_SIGMA_HU);
    }

    /** Longitudinal patients of these scenarios (one patient each, in order), {@code scans} scans each. */
    public static CohortSpec patients(long seed, List<String> scenarios, int scans, int abdomenScans, int size) {
        if (scenarios.isEmpty()) {
            throw new IllegalArgumentException("at least one patient scenario is needed");
        }
        return new CohortSpec(seed, scenarios.size() * scans, abdomenScans, size, true, DEFAULT_NOISE_SIGMA_HU,
                scenarios, scans);
    }

    int minSlices() { return size <= 96 ? 16 : (size <= 384 ? 40 : 60); }

    int maxSlices() { return size <= 96 ? 16 : (size <= 384 ? 80 : 120); }
}
