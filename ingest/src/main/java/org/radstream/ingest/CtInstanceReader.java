package org.radstream.ingest;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.radstream.avro.DicomSlice;

/**
 * Turns one received DICOM Part 10 instance into a {@link DicomSlice}, or says exactly why it
 * cannot: not DICOM, an undecodable transfer syntax, not CT, a required UID, geometry or rescale
 * attribute missing, or pixel data missing or of the wrong length (PixelMed does not throw on a
 * truncated file; it returns what it could read, so the length is checked here). Compressed pixel
 * data (RLE, JPEG lossless) is decompressed by PixelMed on read; the slice carries raw stored values,
 * little endian, whatever the transfer syntax was.
 *
 * <p>Stateless and thread-safe: associations call it concurrently.
 */
public final class CtInstanceReader {
    static final String IMPLICIT_LE = "1.2.840.10008.1.2";
    static final String EXPLICIT_LE = "1.2.840.10008.1.2.1";
    static final String DEFLATED_LE = "1.2.840.10008.1.2.1.99";
    static final String EXPLICIT_BE = "1.2.840.10008.1.2.2";
    static final String RLE = "1.2.840.10008.1.2.5";
    static final String JPEG_LOSSLESS = "1.2.840.10008.1.2.4.57";
    static final String JPEG_LOSSLESS_SV1 = "1.2.840.10008.1.2.4.70";

    /** Transfer syntaxes whose pixel data PixelMed decodes to the exact stored values. */
    public static final List<String> SUPPORTED_TRANSFER_SYNTAXES =
            List.of(EXPLICIT_LE, IMPLICIT_LE, DEFLATED_LE, EXPLICIT_BE, RLE, JPEG_LOSSLESS_SV1, JPEG_LOSSLESS);

    private static final Map<String, String> KNOWN_UNSUPPORTED = Map.ofEntries(
            Map.entry("1.2.840.10008.1.2.4.50", "JPEG baseline (lossy, 8 bit)"),
            Map.entry("1.2.840.10008.1.2.4.51", "JPEG extended (lossy, 12 bit)"),
            Map.entry("1.2.840.10008.1.2.4.80", "JPEG-LS lossless"),
            Map.entry("1.2.840.10008.1.2.4.81", "JPEG-LS near-lossless"),
            Map.entry("1.2.840.10008.1.2.4.90", "JPEG 2000 lossless"),
            Map.entry("1.2.840.10008.1.2.4.91", "JPEG 2000"),
            Map.entry("1.2.840.10008.1.2.4.100", "MPEG2"),
            Map.entry("1.2.840.10008.1.2.4.102", "MPEG-4 AVC/H.264"),
            Map.entry("1.2.840.10008.1.2.4.201", "HTJ2K lossless"),
            Map.entry("1.2.840.10008.1.2.4.203", "HTJ2K"));

    private static final Pattern UID = Pattern.compile("[0-9]+(\\.[0-9]+)*");
    private static final int PREAMBLE = 128;

    private static final AttributeTag TRANSFER_SYNTAX = tag(0x0002, 0x0010);
    private static final AttributeTag SOP_CLASS = tag(0x0008, 0x0016);
    private static final AttributeTag SOP_INSTANCE = tag(0x0008, 0x0018);
    private static final AttributeTag STUDY_DATE = tag(0x0008, 0x0020);
    private static final AttributeTag SERIES_DATE = tag(0x0008, 0x0021);
    private static final AttributeTag ACQUISITION_DATE = tag(0x0008, 0x0022);
    private static final AttributeTag ACQUISITION_DATE_TIME = tag(0x0008, 0x002A);
    private static final AttributeTag STUDY_TIME = tag(0x0008, 0x0030);
    private static final AttributeTag SERIES_TIME = tag(0x0008, 0x0031);
    private static final AttributeTag ACQUISITION_TIME = tag(0x0008, 0x0032);
    private static final AttributeTag ACCESSION_NUMBER = tag(0x0008, 0x0050);
    private static final AttributeTag MODALITY = tag(0x0008, 0x0060);
    private static final AttributeTag TIMEZONE_OFFSET = tag(0x0008, 0x0201);
    private static final AttributeTag SERIES_DESCRIPTION = tag(0x0008, 0x103E);
    private static final AttributeTag PATIENT_NAME = tag(0x0010, 0x0010);
    private static final AttributeTag PATIENT_ID = tag(0x0010, 0x0020);
    private static final AttributeTag BODY_PART = tag(0x0018, 0x0015);
    private static final AttributeTag SLICE_THICKNESS = tag(0x0018, 0x0050);
    private static final AttributeTag STUDY_UID = tag(0x0020, 0x000D);
    private static final AttributeTag SERIES_UID = tag(0x0020, 0x000E);
    private static final AttributeTag INSTANCE_NUMBER = tag(0x0020, 0x0013);
    private static final AttributeTag IMAGE_POSITION = tag(0x0020, 0x0032);
    private static final AttributeTag IMAGE_ORIENTATION = tag(0x0020, 0x0037);
    private static final AttributeTag FRAME_OF_REFERENCE = tag(0x0020, 0x0052);
    private static final AttributeTag SAMPLES_PER_PIXEL = tag(0x0028, 0x0002);
    private static final AttributeTag NUMBER_OF_FRAMES = tag(0x0028, 0x0008);
    private static final AttributeTag ROWS = tag(0x0028, 0x0010);
    private static final AttributeTag COLUMNS = tag(0x0028, 0x0011);
    private static final AttributeTag PIXEL_SPACING = tag(0x0028, 0x0030);
    private static final AttributeTag BITS_ALLOCATED = tag(0x0028, 0x0100);
    private static final AttributeTag PIXEL_REPRESENTATION = tag(0x0028, 0x0103);
    private static final AttributeTag RESCALE_INTERCEPT = tag(0x0028, 0x1052);
    private static final AttributeTag RESCALE_SLOPE = tag(0x0028, 0x1053);
    private static final AttributeTag PIXEL_DATA = tag(0x7FE0, 0x0010);

    /**
     * Reads and validates {@code part10} (a DICOM file: preamble, "DICM", meta header, data set).
     *
     * @throws InstanceRejectedException with the status and reason for the sender and the dead letter
     */
    public DicomSlice read(byte[] part10, String callingAe, Instant receivedAt) throws InstanceRejectedException {
        if (part10.length < PREAMBLE + 4 || part10[PREAMBLE] != 'D' || part10[PREAMBLE + 1] != 'I'
                || part10[PREAMBLE + 2] != 'C' || part10[PREAMBLE + 3] != 'M') {
            throw reject(DimseStatus.CANNOT_UNDERSTAND, "not a DICOM Part 10 file: no 'DICM' prefix at offset 128 ("
                    + part10.length + " bytes)", null, null, null);
        }
        String ts = metaTransferSyntax(part10);
        if (ts == null) {
            throw reject(DimseStatus.CANNOT_UNDERSTAND, "no TransferSyntaxUID (0002,0010) in the file meta information",
                    null, null, null);
        }
        if (!SUPPORTED_TRANSFER_SYNTAXES.contains(ts)) {
            // read the header only (up to PixelData) to name the instance in the dead letter
            AttributeList header = readQuietly(part10, true);
            String name = KNOWN_UNSUPPORTED.getOrDefault(ts, "unknown transfer syntax");
            throw reject(DimseStatus.UNSUPPORTED_TRANSFER_SYNTAX, "unsupported transfer syntax " + ts + " (" + name
                            + "): pixel data cannot be decoded; supported: " + SUPPORTED_TRANSFER_SYNTAXES,
                    header == null ? null : text(header, SOP_INSTANCE), header == null ? null : text(header, SERIES_UID), ts);
        }
        AttributeList list = new AttributeList();
        try (DicomInputStream in = new DicomInputStream(new ByteArrayInputStream(part10))) {
            list.read(in);
        } catch (IOException | DicomException | RuntimeException e) {
            throw reject(DimseStatus.CANNOT_UNDERSTAND, "unreadable DICOM data set: " + e, null, null, ts);
        }
        return validate(list, ts, callingAe, receivedAt);
    }

    private DicomSlice validate(AttributeList list, String ts, String callingAe, Instant receivedAt)
            throws InstanceRejectedException {
        String sop = text(list, SOP_INSTANCE);
        String series = text(list, SERIES_UID);
        Checker c = new Checker(sop, series, ts);
        c.uid(sop, "SOPInstanceUID (0008,0018)");
        c.uid(series, "SeriesInstanceUID (0020,000E)");
        String study = text(list, STUDY_UID);
        c.uid(study, "StudyInstanceUID (0020,000D)");
        String sopClass = text(list, SOP_CLASS);
        c.uid(sopClass, "SOPClassUID (0008,0016)");
        String modality = text(list, MODALITY);
        c.require(modality != null, "no Modality (0008,0060)");
        c.require("CT".equals(modality), "Modality is " + modality + ", only CT is accepted");

        double[] position = Attribute.getDoubleValues(list, IMAGE_POSITION);
        c.require(position != null && position.length == 3 && finite(position),
                "ImagePositionPatient (0020,0032) must hold 3 numbers, got " + describe(position));
        double[] orientation = Attribute.getDoubleValues(list, IMAGE_ORIENTATION);
        c.require(orientation != null && orientation.length == 6 && finite(orientation),
                "ImageOrientationPatient (0020,0037) must hold 6 numbers, got " + describe(orientation));
        double[] spacing = Attribute.getDoubleValues(list, PIXEL_SPACING);
        c.require(spacing != null && spacing.length == 2 && spacing[0] > 0 && spacing[1] > 0 && finite(spacing),
                "PixelSpacing (0028,0030) must hold 2 numbers > 0, got " + describe(spacing));
        c.require(list.get(RESCALE_SLOPE) != null && list.get(RESCALE_INTERCEPT) != null,
                "RescaleSlope (0028,1053) and RescaleIntercept (0028,1052) are required for Hounsfield units");
        double slope = Attribute.getSingleDoubleValueOrDefault(list, RESCALE_SLOPE, Double.NaN);
        double intercept = Attribute.getSingleDoubleValueOrDefault(list, RESCALE_INTERCEPT, Double.NaN);
        c.require(Double.isFinite(slope) && slope != 0 && Double.isFinite(intercept),
                "RescaleSlope " + slope + " / RescaleIntercept " + intercept + " are not usable numbers");
        Instant acquired = AcquisitionTime.of(list, ACQUISITION_DATE_TIME, ACQUISITION_DATE, ACQUISITION_TIME,
                SERIES_DATE, SERIES_TIME, STUDY_DATE, STUDY_TIME, TIMEZONE_OFFSET);
        c.require(acquired != null, "no usable AcquisitionDateTime, AcquisitionDate, SeriesDate or StudyDate");

        int rows = Attribute.getSingleIntegerValueOrDefault(list, ROWS, 0);
        int columns = Attribute.getSingleIntegerValueOrDefault(list, COLUMNS, 0);
        int bitsAllocated = Attribute.getSingleIntegerValueOrDefault(list, BITS_ALLOCATED, 0);
        int pixelRepresentation = Attribute.getSingleIntegerValueOrDefault(list, PIXEL_REPRESENTATION, -1);
        int samples = Attribute.getSingleIntegerValueOrDefault(list, SAMPLES_PER_PIXEL, 1);
        int frames = Attribute.getSingleIntegerValueOrDefault(list, NUMBER_OF_FRAMES, 1);
        c.require(rows > 0 && columns > 0, "Rows " + rows + " / Columns " + columns + " must be > 0", DimseStatus.BAD_PIXEL_DATA);
        c.require(bitsAllocated == 16, "BitsAllocated is " + bitsAllocated + ", CT requires 16", DimseStatus.BAD_PIXEL_DATA);
        c.require(pixelRepresentation == 0 || pixelRepresentation == 1,
                "PixelRepresentation (0028,0103) must be 0 or 1, got " + pixelRepresentation, DimseStatus.BAD_PIXEL_DATA);
        c.require(samples == 1, "SamplesPerPixel is " + samples + ", CT is monochrome", DimseStatus.BAD_PIXEL_DATA);
        c.require(frames == 1, "NumberOfFrames is " + frames + ", only single-frame CT is accepted", DimseStatus.BAD_PIXEL_DATA);

        Attribute pixelData = list.get(PIXEL_DATA);
        c.require(pixelData != null, "no PixelData (7FE0,0010): missing or the file is truncated before it",
                DimseStatus.BAD_PIXEL_DATA);
        short[] stored;
        try {
            stored = pixelData.getShortValues();
        } catch (DicomException | RuntimeException e) {
            throw reject(DimseStatus.BAD_PIXEL_DATA, "PixelData cannot be decoded: " + e, sop, series, ts);
        }
        long expectedBytes = (long) rows * columns * 2;
        long actualBytes = stored == null ? 0 : 2L * stored.length;
        c.require(actualBytes == expectedBytes, "PixelData holds " + actualBytes + " bytes, Rows × Columns × BitsAllocated/8 = "
                + rows + " × " + columns + " × 2 = " + expectedBytes + " (truncated file or inconsistent header)",
                DimseStatus.BAD_PIXEL_DATA);
        ByteBuffer pixels = ByteBuffer.allocate((int) expectedBytes).order(ByteOrder.LITTLE_ENDIAN);
        pixels.asShortBuffer().put(stored);

        double thickness = Attribute.getSingleDoubleValueOrDefault(list, SLICE_THICKNESS, Double.NaN);
        return DicomSlice.newBuilder()
                .setPatientId(orEmpty(text(list, PATIENT_ID)))
                .setPatientName(text(list, PATIENT_NAME))
                .setStudyUid(study)
                .setSeriesUid(series)
                .setSopInstanceUid(sop)
                .setSopClassUid(sopClass)
                .setAccessionNumber(text(list, ACCESSION_NUMBER))
                .setModality(modality)
                .setBodyPartExamined(text(list, BODY_PART))
                .setSeriesDescription(text(list, SERIES_DESCRIPTION))
                .setAcquisitionTime(acquired)
                .setInstanceNumber(Attribute.getSingleIntegerValueOrDefault(list, INSTANCE_NUMBER, 0))
                .setRows(rows)
                .setColumns(columns)
                .setPixelSpacingRow(spacing[0])
                .setPixelSpacingColumn(spacing[1])
                .setSliceThickness(Double.isFinite(thickness) ? thickness : null)
                .setImagePositionPatient(boxed(position))
                .setImageOrientationPatient(boxed(orientation))
                .setFrameOfReferenceUid(text(list, FRAME_OF_REFERENCE))
                .setRescaleSlope(slope)
                .setRescaleIntercept(intercept)
                .setBitsAllocated(bitsAllocated)
                .setPixelRepresentation(pixelRepresentation)
                .setPixels(pixels.rewind())
                .setTransferSyntaxUid(ts)
                .setCallingAe(callingAe)
                .setReceivedAt(receivedAt)
                .build();
    }

    /** The meta header's transfer syntax, read without touching the data set. */
    private static String metaTransferSyntax(byte[] part10) throws InstanceRejectedException {
        AttributeList meta = new AttributeList();
        try (DicomInputStream in = new DicomInputStream(new ByteArrayInputStream(part10))) {
            meta.readOnlyMetaInformationHeader(in);
        } catch (IOException | DicomException | RuntimeException e) {
            throw reject(DimseStatus.CANNOT_UNDERSTAND, "unreadable file meta information: " + e, null, null, null);
        }
        return text(meta, TRANSFER_SYNTAX);
    }

    private static AttributeList readQuietly(byte[] part10, boolean stopAtPixels) {
        AttributeList list = new AttributeList();
        try (DicomInputStream in = new DicomInputStream(new ByteArrayInputStream(part10))) {
            if (stopAtPixels) {
                list.read(in, PIXEL_DATA);
            } else {
                list.read(in);
            }
            return list;
        } catch (IOException | DicomException | RuntimeException e) {
            return null;
        }
    }

    private static InstanceRejectedException reject(int status, String reason, String sop, String series, String ts) {
        return new InstanceRejectedException(status, reason, sop, series, ts);
    }

    /** Collects the identity once so each check reads as one line. */
    private record Checker(String sop, String series, String ts) {
        void require(boolean ok, String reason) throws InstanceRejectedException {
            require(ok, reason, DimseStatus.DATA_SET_DOES_NOT_MATCH);
        }

        void require(boolean ok, String reason, int status) throws InstanceRejectedException {
            if (!ok) {
                throw reject(status, reason, sop, series, ts);
            }
        }

        void uid(String value, String what) throws InstanceRejectedException {
            require(value != null, "no " + what);
            require(value.length() <= 64 && UID.matcher(value).matches(), what + " is not a valid UID: '" + value + "'");
        }
    }

    static String text(AttributeList list, AttributeTag tag) {
        String v = Attribute.getSingleStringValueOrNull(list, tag);
        if (v == null) {
            return null;
        }
        v = v.trim();
        return v.isEmpty() ? null : v;
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }

    private static boolean finite(double[] values) {
        for (double v : values) {
            if (!Double.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    private static String describe(double[] values) {
        return values == null ? "nothing" : values.length + " value(s) " + java.util.Arrays.toString(values);
    }

    private static List<Double> boxed(double[] values) {
        List<Double> out = new ArrayList<>(values.length);
        for (double v : values) {
            out.add(v);
        }
        return out;
    }

    private static AttributeTag tag(int group, int element) {
        return new AttributeTag(group, element);
    }
}
