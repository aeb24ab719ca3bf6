package org.radstream.ingest;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import org.radstream.avro.InferenceResult;
import org.radstream.avro.Mask;
import org.radstream.avro.SeriesGeometry;
import org.radstream.imaging.Rle;
import org.radstream.imaging.dicom.DicomSeg;
import org.radstream.imaging.dicom.MeasurementReport;

/**
 * A worker's result as a DICOM Segmentation of its series: what {@code label draft --out *.dcm}
 * writes and {@link ResultExport} stores at the PACS. Its UIDs are derived from the result (series,
 * task, model version, when it was made), so the same result is always the same SOP instance: a
 * PACS that is sent it twice keeps one.
 */
public final class ResultSegmentation {
    private ResultSegmentation() {}

    /** The series a result is of, with its grid; null when the result carries no geometry. */
    public static DicomSeg.Series series(InferenceResult r) {
        SeriesGeometry g = r.getGeometry();
        if (g == null) {
            return null;
        }
        Mask m = r.getMask();
        return new DicomSeg.Series(str(r.getPatientId()), str(r.getPatientName()), str(r.getStudyUid()),
                str(r.getAccessionNumber()), str(r.getSeriesUid()), str(g.getFrameOfReferenceUid()), str(g.getSopClassUid()),
                g.getSopInstanceUids().stream().map(CharSequence::toString).toList(), doubles(g.getOrigin()),
                doubles(g.getRow()), doubles(g.getColumn()), g.getSpacingX(), g.getSpacingY(), g.getSpacingZ(),
                m.getWidth(), m.getHeight(), m.getDepth());
    }

    /** What made the result, as a segment's algorithm name: "radstream infection v9", "radstream hu-threshold". */
    public static String algorithm(InferenceResult r) {
        return DicomSeg.ALGORITHM_PREFIX + " " + (r.getMethod().toString().equals("model")
                ? r.getTask() + (r.getModelVersion() == null ? "" : " v" + r.getModelVersion()) : r.getMethod().toString());
    }

    /**
     * The result as a BINARY segmentation of one segment, AUTOMATIC by {@link #algorithm}.
     *
     * @throws IllegalArgumentException when the result carries no geometry
     */
    public static byte[] write(InferenceResult r) {
        return write(List.of(r));
    }

    /**
     * Results of one series (several tasks, e.g. lung and infection) as the segments 1, 2, … of one
     * segmentation, for a radiologist to correct together.
     *
     * @throws IllegalArgumentException when a result carries no geometry, or they are not of one grid
     */
    public static byte[] write(List<InferenceResult> results) {
        InferenceResult first = results.get(0);
        DicomSeg.Series s = series(first);
        List<DicomSeg.Layer> layers = new java.util.ArrayList<>();
        java.time.Instant created = first.getProducedAt();
        for (InferenceResult r : results) {
            DicomSeg.Series own = series(r);
            if (own == null) {
                throw new IllegalArgumentException("the " + r.getTask() + " result of series " + r.getSeriesUid()
                        + " carries no geometry (its slices had no orientation, or a worker before the geometry field "
                        + "made it)");
            }
            if (!r.getSeriesUid().toString().equals(s.seriesUid()) || own.width() != s.width() || own.height() != s.height()
                    || own.depth() != s.depth()) {
                throw new IllegalArgumentException("the " + r.getTask() + " result is not on the grid of the "
                        + first.getTask() + " result of series " + s.seriesUid());
            }
            Mask m = r.getMask();
            ByteBuffer rle = m.getRle().duplicate();
            byte[] bytes = new byte[rle.remaining()];
            rle.get(bytes);
            String made = algorithm(r);
            layers.add(new DicomSeg.Layer(new DicomSeg.Segment(r.getTask().toString(), made + " (" + r.getMethod() + ")",
                    made), Rle.decode(bytes, m.getWidth(), m.getHeight(), m.getDepth())));
            created = r.getProducedAt().isAfter(created) ? r.getProducedAt() : created;
        }
        return DicomSeg.write(layers, s, created, uids(results));
    }

    /** A UID source seeded by the results' identity. */
    static Random uids(List<InferenceResult> results) {
        StringBuilder identity = new StringBuilder();
        for (InferenceResult r : results) {
            identity.append(identity(r.getSeriesUid(), r.getTask(), r.getMethod(), r.getModelVersion(), r.getProducedAt()));
        }
        return seeded(identity.toString());
    }

    /**
     * Segment 1 of the segmentation {@link #write(InferenceResult)} makes of the result of this series
     * and task, made by this method and model version at this time, on images of this frame of
     * reference (null: none): what a report of a measurement made from that result references.
     */
    public static MeasurementReport.SegmentReference segment(CharSequence seriesUid, CharSequence task,
                                                             CharSequence method, CharSequence modelVersion,
                                                             Instant producedAt, CharSequence frameOfReferenceUid) {
        DicomSeg.Ids ids = DicomSeg.ids(str(frameOfReferenceUid),
                seeded(identity(seriesUid, task, method, modelVersion, producedAt)));
        return new MeasurementReport.SegmentReference(ids.seriesUid(), ids.sopInstanceUid(), 1);
    }

    private static String identity(CharSequence seriesUid, CharSequence task, CharSequence method, CharSequence modelVersion,
                                   Instant producedAt) {
        return seriesUid + "|" + task + "|" + method + "|" + modelVersion + "|" + producedAt.toEpochMilli() + ";";
    }

    /** A UID source seeded by an identity: the same identity, the same UIDs. */
    static Random seeded(String identity) {
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

    private static double[] doubles(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
