package org.radstream.ingest;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import org.radstream.avro.InferenceResult;
import org.radstream.avro.PoirMeasurement;
import org.radstream.avro.SeriesGeometry;
import org.radstream.imaging.dicom.DicomSeg;
import org.radstream.imaging.dicom.MeasurementReport;
import org.radstream.imaging.dicom.Uids;

/**
 * A scan's PoIR measurement, or a liver or hepatic vessel result's volume, as a DICOM SR
 * measurement report of its series ({@link MeasurementReport}), which {@link ResultExport} stores at
 * the PACS beside the segmentations: the lung volume, the infected volume and the proportion of
 * infected lung, or the liver's or its vessels' volume, with the methods and model versions that
 * measured them. Its UIDs are derived from the measurement or the result (series, volumes, methods,
 * when it was made), so the same measurement is always the same SOP instance.
 */
public final class ResultReport {
    /** radstream's own code for the proportion of infected lung (a private coding scheme, PS3.16 8.2). */
    public static final MeasurementReport.Code POIR = new MeasurementReport.Code("POIR", "99RADSTREAM",
            "Proportion of infected lung");
    static final MeasurementReport.Code LUNG = new MeasurementReport.Code("39607008", "SCT", "Lung");
    /** Where the liver and its vessels are found. */
    static final MeasurementReport.Code LIVER = new MeasurementReport.Code("10200004", "SCT", "Liver");
    /** What the infection segment of radstream's segmentations is coded as too. */
    static final MeasurementReport.Code LESION = new MeasurementReport.Code("52988006", "SCT", "Lesion");
    /** The device observer UID: radstream's, the same in every report. */
    static final String DEVICE_UID = Uids.next(new Random(0x5AD57EA4L));

    private ResultReport() {}

    /**
     * The measurement as a Comprehensive SR document, naming the series' images the measurement
     * carries as its evidence, or else those of {@code geometry}; the lung and infection groups
     * reference the segment of the segmentation made of the result each was measured from, where
     * the measurement names that result and its task is among {@code segmented}.
     *
     * @param geometry  the series' geometry from one of its results, for a measurement that carries
     *                  no images (measured before measurements carried them); null when not known
     * @param segmented the tasks whose results are stored as segmentations beside the report
     */
    public static byte[] write(PoirMeasurement m, SeriesGeometry geometry, Set<String> segmented) {
        return write(m, geometry, segmented, Set.of());
    }

    /**
     * {@link #write(PoirMeasurement, SeriesGeometry, Set)}, a group whose segmentation is among {@code
     * notStored} (SOP instance UIDs the PACS never took) made over the series as a whole instead: a
     * report must not send a viewer to a segmentation the PACS does not hold.
     */
    public static byte[] write(PoirMeasurement m, SeriesGeometry geometry, Set<String> segmented, Set<String> notStored) {
        Random uids = uids(m);
        boolean own = hasEvidence(m);
        List<String> instances = own ? m.getSopInstanceUids().stream().map(CharSequence::toString).toList()
                : geometry == null ? List.of() : geometry.getSopInstanceUids().stream().map(CharSequence::toString).toList();
        String sopClass = own ? str(m.getSopClassUid()) : geometry == null ? null : str(geometry.getSopClassUid());
        MeasurementReport.Subject subject = new MeasurementReport.Subject(str(m.getPatientId()), str(m.getPatientName()),
                str(m.getStudyUid()), str(m.getAccessionNumber()), str(m.getSeriesUid()), sopClass, instances);
        // a finding's tracking UID is the patient's and the finding's: the same in each of the patient's reports
        MeasurementReport.Group lung = new MeasurementReport.Group("lung", tracking(m, "lung"), LUNG, LUNG,
                algorithm("lung", m.getLungMethod(), m.getLungModelVersion()),
                stored(segment(m, "lung", m.getLungMethod(), m.getLungModelVersion(), m.getLungResultAt(), segmented),
                        notStored),
                List.of(new MeasurementReport.Measurement(MeasurementReport.VOLUME, round(m.getLungMl()),
                        MeasurementReport.MILLILITRE)));
        MeasurementReport.Group infection = new MeasurementReport.Group("infection", tracking(m, "infection"), LESION, LUNG,
                algorithm("infection", m.getInfectionMethod(), m.getInfectionModelVersion()),
                stored(segment(m, "infection", m.getInfectionMethod(), m.getInfectionModelVersion(),
                        m.getInfectionResultAt(), segmented), notStored),
                List.of(new MeasurementReport.Measurement(MeasurementReport.VOLUME, round(m.getInfectedMl()),
                                MeasurementReport.MILLILITRE),
                        new MeasurementReport.Measurement(POIR, round(m.getPoir()), MeasurementReport.PERCENT)));
        return MeasurementReport.write(subject, List.of(lung, infection), MeasurementReport.CT_PROCEDURE, "radstream",
                DEVICE_UID, comment(m), m.getMeasuredAt(), uids);
    }

    /**
     * Segment 1 of the segmentation {@link ResultSegmentation} makes of the result the measurement
     * names for this task; null when it names none (measured before measurements named their
     * results, or a result without geometry) or the task's results are not stored.
     */
    static MeasurementReport.SegmentReference segment(PoirMeasurement m, String task, CharSequence method,
                                                      CharSequence version, Instant resultAt, Set<String> segmented) {
        if (resultAt == null || !segmented.contains(task)) {
            return null;
        }
        return ResultSegmentation.segment(m.getSeriesUid(), task, method, version, resultAt, m.getFrameOfReferenceUid());
    }

    /** The SOP instances of the segmentations the report of {@code m} references (lung, infection; those it names). */
    static List<String> segmentations(PoirMeasurement m, Set<String> segmented) {
        return java.util.stream.Stream.of(
                        segment(m, "lung", m.getLungMethod(), m.getLungModelVersion(), m.getLungResultAt(), segmented),
                        segment(m, "infection", m.getInfectionMethod(), m.getInfectionModelVersion(),
                                m.getInfectionResultAt(), segmented))
                .filter(java.util.Objects::nonNull).map(MeasurementReport.SegmentReference::sopInstanceUid).toList();
    }

    private static MeasurementReport.SegmentReference stored(MeasurementReport.SegmentReference ref, Set<String> notStored) {
        return ref == null || notStored.contains(ref.sopInstanceUid()) ? null : ref;
    }

    /** The model that measured, as TID 4019 names it ("radstream infection", "9"); null for a method without versions. */
    private static MeasurementReport.Algorithm algorithm(String task, CharSequence method, CharSequence version) {
        return "model".contentEquals(method) && version != null
                ? new MeasurementReport.Algorithm(DicomSeg.ALGORITHM_PREFIX + " " + task, version.toString()) : null;
    }

    /**
     * A liver or hepatic vessel result's volume as a Comprehensive SR document of its series: one
     * group (TID 1411 over segment 1 of the segmentation {@link ResultSegmentation} makes of the
     * result, where its task is among {@code segmented} and it carries geometry; else TID 1501), its
     * finding the segment's property type, in the liver, tracked per patient; the series' instances
     * from the result's geometry as its evidence. Its UIDs are derived from the result.
     */
    public static byte[] writeVolume(InferenceResult r, Set<String> segmented) {
        return writeVolume(r, segmented, Set.of());
    }

    /** {@link #writeVolume(InferenceResult, Set)}, over the series as a whole when its segmentation is among {@code notStored}. */
    public static byte[] writeVolume(InferenceResult r, Set<String> segmented, Set<String> notStored) {
        String task = r.getTask().toString();
        SeriesGeometry g = r.getGeometry();
        MeasurementReport.Subject subject = new MeasurementReport.Subject(str(r.getPatientId()), str(r.getPatientName()),
                str(r.getStudyUid()), str(r.getAccessionNumber()), str(r.getSeriesUid()),
                g == null ? null : str(g.getSopClassUid()),
                g == null ? List.of() : g.getSopInstanceUids().stream().map(CharSequence::toString).toList());
        MeasurementReport.SegmentReference segment = stored(volumeSegment(r, segmented), notStored);
        MeasurementReport.Group group = new MeasurementReport.Group(task, tracking(str(r.getPatientId()), task),
                DicomSeg.propertyType(task), LIVER, algorithm(task, r.getMethod(), r.getModelVersion()), segment,
                List.of(new MeasurementReport.Measurement(MeasurementReport.VOLUME, round(r.getVolumeMl()),
                        MeasurementReport.MILLILITRE)));
        Random uids = ResultSegmentation.seeded("volume-report|" + r.getSeriesUid() + "|" + task + "|" + r.getMethod()
                + "|" + r.getModelVersion() + "|" + r.getProducedAt().toEpochMilli());
        return MeasurementReport.write(subject, List.of(group), MeasurementReport.CT_PROCEDURE, "radstream", DEVICE_UID,
                task + ": " + method(r.getMethod(), r.getModelVersion()) + stability(r.getMaskStability())
                        + " (radstream, not reviewed by a radiologist)",
                r.getProducedAt(), uids);
    }

    /** Segment 1 of the segmentation of the result, where it is stored beside the volume report; else null. */
    static MeasurementReport.SegmentReference volumeSegment(InferenceResult r, Set<String> segmented) {
        SeriesGeometry g = r.getGeometry();
        return g != null && segmented.contains(r.getTask().toString())
                ? ResultSegmentation.segment(r.getSeriesUid(), r.getTask(), r.getMethod(), r.getModelVersion(),
                        r.getProducedAt(), g.getFrameOfReferenceUid())
                : null;
    }

    /** Whether the measurement names the images of its series (and their SOP class): its report's evidence. */
    public static boolean hasEvidence(PoirMeasurement m) {
        return m.getSopClassUid() != null && m.getSopInstanceUids() != null && !m.getSopInstanceUids().isEmpty();
    }

    /**
     * How the volumes were measured, for the reader: "lung: model v1 (stability 0.98); infection:
     * model v9 (stability 0.78); PoIR = infected / lung × 100"; how firmly each network decided its
     * mask where the measurement knows it, so a reader weighs the figure.
     */
    static String comment(PoirMeasurement m) {
        return "lung: " + method(m.getLungMethod(), m.getLungModelVersion()) + stability(m.getLungStability())
                + "; infection: " + method(m.getInfectionMethod(), m.getInfectionModelVersion())
                + stability(m.getInfectionStability())
                + "; PoIR = infected volume / lung volume × 100 (radstream, not reviewed by a radiologist)";
    }

    private static String method(CharSequence method, CharSequence version) {
        return method + (version == null ? "" : " v" + version);
    }

    /** " (stability 0.78)", or nothing where it is not known. */
    private static String stability(Double s) {
        return s == null ? "" : String.format(Locale.ROOT, " (stability %.2f)", s);
    }

    /** Two decimals: a millilitre's hundredth is far below what a CT voxel resolves. */
    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    /** A UID source seeded by the measurement's identity. */
    static Random uids(PoirMeasurement m) {
        return ResultSegmentation.seeded(String.join("|", "report", str(m.getSeriesUid()),
                Long.toString(m.getMeasuredAt().toEpochMilli()),
                String.format(Locale.ROOT, "%.6f|%.6f", m.getLungMl(), m.getInfectedMl()),
                method(m.getLungMethod(), m.getLungModelVersion()), method(m.getInfectionMethod(), m.getInfectionModelVersion())));
    }

    /**
     * The finding's tracking UID: the patient's and the finding's, the same in every report of the
     * patient, so that a viewer follows the patient's lungs and infection from scan to scan (what
     * PS3.16 tracking identifiers are for).
     */
    static String tracking(PoirMeasurement m, String finding) {
        return tracking(str(m.getPatientId()), finding);
    }

    static String tracking(String patientId, String finding) {
        return Uids.next(ResultSegmentation.seeded("tracking|patient|" + patientId + "|" + finding));
    }

    private static String str(CharSequence s) {
        return s == null ? null : s.toString();
    }
}
