package org.radstream.imaging.cohort;

import java.util.List;
import java.util.Map;

/**
 * The cohort's manifest.json, as records (Jackson reads and writes them as they are).
 *
 * @param format "radstream-cohort/1"
 * @param alertRule the progression rule the alert pairs were computed with
 * @param pairs every ordered pair of chest scans of one patient (earlier acquisition first), with
 *              whether it meets the rule
 * @param alertPairs the pairs that meet the rule
 */
public record CohortManifest(String format, long seed, int size, boolean longitudinal, double noiseSigmaHu,
                             AlertRule alertRule, List<Patient> patients, List<Scan> scans,
                             List<Pair> pairs, List<Pair> alertPairs) {

    public static final String FORMAT = "radstream-cohort/1";

    /** The constants of {@link org.radstream.imaging.ProgressionRule} at generation time. */
    public record AlertRule(double growthFactor, double windowHours, double minLaterMl) {}

    /** A patient; {@code scenario} says which longitudinal course was drawn (e.g. rapid-growth). */
    public record Patient(String patientId, String patientName, String scenario, List<String> scanIds) {}

    /**
     * One series.
     *
     * @param kind "chest" or "abdomen"
     * @param acquisitionDateTime ISO-8601 UTC, e.g. 2024-03-01T08:15:00Z
     * @param truthMl truth volumes (mL) by task: lung, infection for chest; liver, vessel, tumour for abdomen
     * @param truthPoir PoIR of the truth (chest), null for abdomen
     * @param truthFiles task → path of the .rle file relative to the cohort directory
     * @param dicomDir path of the DICOM folder relative to the cohort directory
     */
    public record Scan(String scanId, String patientId, String kind, String bodyPart, String studyUid, String seriesUid,
                       String accession, String acquisitionDateTime, int width, int height, int depth,
                       double spacingX, double spacingY, double spacingZ, double sliceThickness,
                       boolean signedPixels, double rescaleSlope, double rescaleIntercept,
                       Map<String, Double> truthMl, Double truthPoir, Map<String, String> truthFiles, String dicomDir) {}

    /** A pair of scans of one patient, earlier acquisition first; growthPercent null when the earlier volume is 0. */
    public record Pair(String patientId, String earlierScanId, String laterScanId, double hoursApart,
                       double earlierInfectionMl, double laterInfectionMl, Double growthPercent, boolean alert) {}
}
