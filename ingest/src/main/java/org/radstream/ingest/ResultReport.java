package org.radstream.ingest;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.radstream.avro.PoirMeasurement;
import org.radstream.avro.SeriesGeometry;
import org.radstream.imaging.dicom.MeasurementReport;
import org.radstream.imaging.dicom.Uids;

/**
 * A scan's PoIR measurement as a DICOM SR measurement report of its series ({@link
 * MeasurementReport}), which {@link ResultExport} stores at the PACS beside the segmentations: the
 * lung volume, the infected volume and the proportion of infected lung, with the methods and model
 * versions that measured them. Its UIDs are derived from the measurement (series, volumes, methods,
 * when it was measured), so the same measurement is always the same SOP instance.
 */
public final class ResultReport {
    /** radstream's own code for the proportion of infected lung (a private coding scheme, PS3.16 8.2). */
    public static final MeasurementReport.Code POIR = new MeasurementReport.Code("POIR", "99RADSTREAM",
            "Proportion of infected lung");
    static final MeasurementReport.Code LUNG = new MeasurementReport.Code("39607008", "SCT", "Lung");
    /** What the infection segment of radstream's segmentations is coded as too. */
    static final MeasurementReport.Code LESION = new MeasurementReport.Code("52988006", "SCT", "Lesion");
    /** The device observer UID: radstream's, the same in every report. */
    static final String DEVICE_UID = Uids.next(new Random(0x5AD57EA4L));

    private ResultReport() {}

    /**
     * The measurement as a Comprehensive SR document, naming the series' images the measurement
     * carries as its evidence, or else those of {@code geometry}.
     *
     * @param geometry the series' geometry from one of its results, for a measurement that carries
     *                 no images (measured before measurements carried them); null when not known
     */
    public static byte[] write(PoirMeasurement m, SeriesGeometry geometry) {
        Random uids = uids(m);
        boolean own = hasEvidence(m);
        List<String> instances = own ? m.getSopInstanceUids().stream().map(CharSequence::toString).toList()
                : geometry == null ? List.of() : geometry.getSopInstanceUids().stream().map(CharSequence::toString).toList();
        String sopClass = own ? str(m.getSopClassUid()) : geometry == null ? null : str(geometry.getSopClassUid());
        MeasurementReport.Subject subject = new MeasurementReport.Subject(str(m.getPatientId()), str(m.getPatientName()),
                str(m.getStudyUid()), str(m.getAccessionNumber()), str(m.getSeriesUid()), sopClass, instances);
        // a finding's tracking UID is the series' and the finding's: the same in every report of the series
        MeasurementReport.Group lung = new MeasurementReport.Group("lung", tracking(m, "lung"), LUNG, List.of(
                new MeasurementReport.Measurement(MeasurementReport.VOLUME, round(m.getLungMl()), MeasurementReport.MILLILITRE)));
        MeasurementReport.Group infection = new MeasurementReport.Group("infection", tracking(m, "infection"), LESION, List.of(
                new MeasurementReport.Measurement(MeasurementReport.VOLUME, round(m.getInfectedMl()), MeasurementReport.MILLILITRE),
                new MeasurementReport.Measurement(POIR, round(m.getPoir()), MeasurementReport.PERCENT)));
        return MeasurementReport.write(subject, List.of(lung, infection), "radstream", DEVICE_UID, comment(m),
                m.getMeasuredAt(), uids);
    }

    /** Whether the measurement names the images of its series (and their SOP class): its report's evidence. */
    public static boolean hasEvidence(PoirMeasurement m) {
        return m.getSopClassUid() != null && m.getSopInstanceUids() != null && !m.getSopInstanceUids().isEmpty();
    }

    /** How the volumes were measured, for the reader: "lung: model v1; infection: model v9; PoIR = infected / lung × 100". */
    static String comment(PoirMeasurement m) {
        return "lung: " + method(m.getLungMethod(), m.getLungModelVersion()) + "; infection: "
                + method(m.getInfectionMethod(), m.getInfectionModelVersion())
                + "; PoIR = infected volume / lung volume × 100 (radstream, not reviewed by a radiologist)";
    }

    private static String method(CharSequence method, CharSequence version) {
        return method + (version == null ? "" : " v" + version);
    }

    /** Two decimals: a millilitre's hundredth is far below what a CT voxel resolves. */
    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    /** A UID source seeded by the measurement's identity. */
    static Random uids(PoirMeasurement m) {
        return seeded(String.join("|", "report", str(m.getSeriesUid()), Long.toString(m.getMeasuredAt().toEpochMilli()),
                String.format(Locale.ROOT, "%.6f|%.6f", m.getLungMl(), m.getInfectedMl()),
                method(m.getLungMethod(), m.getLungModelVersion()), method(m.getInfectionMethod(), m.getInfectionModelVersion())));
    }

    static String tracking(PoirMeasurement m, String finding) {
        return Uids.next(seeded("tracking|" + m.getSeriesUid() + "|" + finding));
    }

    private static Random seeded(String identity) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(identity.getBytes(StandardCharsets.UTF_8));
            return new Random(ByteBuffer.wrap(h).getLong());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static String str(CharSequence s) {
        return s == null ? null : s.toString();
    }
}
