package org.radstream.ingest;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.SOPClass;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.zip.GZIPOutputStream;
import org.radstream.avro.ReceivedSegmentation;
import org.radstream.imaging.dicom.DicomSeg;
import org.radstream.imaging.dicom.Part10;
import org.radstream.schemas.Topics;

/**
 * A received DICOM Segmentation (a radiologist's correction saved by a viewer or stored by a PACS)
 * as the record the segmentation-labels topology turns into corrected labels. Only what routing
 * needs is checked here: the series it was made on, and at least one segment; whether its frames
 * fall onto that series' voxels is decided where the series' grid is known.
 */
final class SegmentationReader {
    private static final AttributeTag MEDIA_STORAGE_SOP_CLASS = new AttributeTag(0x0002, 0x0002);
    /** Room left in a record for everything but the compressed file. */
    private static final int RECORD_OVERHEAD = 64 * 1024;

    /** Whether the file's meta header names the Segmentation Storage SOP class (read without the data set). */
    static boolean isSegmentation(byte[] part10) {
        return SOPClass.SegmentationStorage.equals(mediaStorageSopClass(part10));
    }

    /**
     * The SOP class the file's meta header names (read without the data set); empty when it is not a
     * Part 10 file or its header cannot be read (the CT path reports an unreadable file).
     */
    static String mediaStorageSopClass(byte[] part10) {
        if (!Part10.is(part10)) {
            return "";
        }
        AttributeList meta = new AttributeList();
        try (DicomInputStream in = new DicomInputStream(new ByteArrayInputStream(part10))) {
            meta.readOnlyMetaInformationHeader(in);
        } catch (IOException | DicomException | RuntimeException e) {
            return "";
        }
        return Attribute.getSingleStringValueOrEmptyString(meta, MEDIA_STORAGE_SOP_CLASS);
    }

    ReceivedSegmentation read(byte[] part10, String callingAe, Channel via, Instant receivedAt)
            throws InstanceRejectedException {
        DicomSeg.Summary s;
        try {
            s = DicomSeg.summary(part10);
        } catch (IOException e) {
            throw new InstanceRejectedException(DimseStatus.CANNOT_UNDERSTAND, e.getMessage(), null, null, null);
        }
        String sop = s.sopInstanceUid().isEmpty() ? null : s.sopInstanceUid();
        if (sop == null) {
            throw new InstanceRejectedException(DimseStatus.DATA_SET_DOES_NOT_MATCH, "the segmentation has no SOP "
                    + "Instance UID (0008,0018)", null, null, null);
        }
        if (s.referencedSeriesUids().size() != 1) {
            throw new InstanceRejectedException(DimseStatus.DATA_SET_DOES_NOT_MATCH, s.referencedSeriesUids().isEmpty()
                    ? "the segmentation names no series it was made on (ReferencedSeriesSequence (0008,1115)): its labels "
                    + "cannot be given to a series"
                    : "the segmentation was made on " + s.referencedSeriesUids().size() + " series "
                    + s.referencedSeriesUids() + "; radstream takes one series' labels at a time", sop, null, null);
        }
        String series = s.referencedSeriesUids().get(0);
        if (s.segments().isEmpty()) {
            throw new InstanceRejectedException(DimseStatus.DATA_SET_DOES_NOT_MATCH, "the segmentation has no segments "
                    + "(SegmentSequence (0062,0002))", sop, series, null);
        }
        byte[] compressed = gzip(part10);
        if (compressed.length > Topics.PIXEL_MAX_MESSAGE_BYTES - RECORD_OVERHEAD) {
            throw new InstanceRejectedException(DimseStatus.OUT_OF_RESOURCES, "the segmentation is " + compressed.length
                    + " bytes even compressed, more than a record holds (" + (Topics.PIXEL_MAX_MESSAGE_BYTES - RECORD_OVERHEAD)
                    + "); send one segment per file", sop, series, null);
        }
        return ReceivedSegmentation.newBuilder()
                .setSopInstanceUid(sop)
                .setReferencedSeriesUid(series)
                .setStudyUid(s.studyUid())
                .setPatientId(s.patientId())
                .setContentCreator(s.contentCreator())
                .setSeriesDescription(s.seriesDescription())
                .setCallingAe(callingAe)
                .setReceivedVia(via.wireName())
                .setReceivedAt(receivedAt)
                .setFileGzip(ByteBuffer.wrap(compressed))
                .build();
    }

    private static byte[] gzip(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length / 16 + 64);
        try (GZIPOutputStream z = new GZIPOutputStream(out, 1 << 16)) {
            z.write(bytes);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // in memory: cannot happen
        }
        return out.toByteArray();
    }
}
