package org.radstream.imaging.dicom;

import static org.radstream.imaging.dicom.DicomAttributes.code;
import static org.radstream.imaging.dicom.DicomAttributes.ds;
import static org.radstream.imaging.dicom.DicomAttributes.put;
import static org.radstream.imaging.dicom.DicomAttributes.putUs;
import static org.radstream.imaging.dicom.DicomAttributes.sequence;
import static org.radstream.imaging.dicom.DicomAttributes.tag;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.AttributeTagAttribute;
import com.pixelmed.dicom.CodeStringAttribute;
import com.pixelmed.dicom.DateAttribute;
import com.pixelmed.dicom.DecimalStringAttribute;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.IntegerStringAttribute;
import com.pixelmed.dicom.LongStringAttribute;
import com.pixelmed.dicom.OtherByteAttribute;
import com.pixelmed.dicom.PersonNameAttribute;
import com.pixelmed.dicom.SOPClass;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.ShortStringAttribute;
import com.pixelmed.dicom.ShortTextAttribute;
import com.pixelmed.dicom.TimeAttribute;
import com.pixelmed.dicom.TransferSyntax;
import com.pixelmed.dicom.UniqueIdentifierAttribute;
import com.pixelmed.dicom.UnsignedLongAttribute;
import com.pixelmed.dicom.UnsignedShortAttribute;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.random.RandomGenerator;
import org.radstream.imaging.Mask3D;

/**
 * Masks as DICOM Segmentation objects (SEG, PS3.3 A.51), what a PACS stores and what radiologists'
 * viewers (OHIF, 3D Slicer with dcmqi) load over a series and save corrections as.
 *
 * <p>{@link #write} makes a BINARY SEG of one segment, one frame per slice of the series, each
 * frame referencing the CT image it was derived from, so a viewer lays it over the images. {@link
 * #read} takes one segment of a SEG saved by any tool back onto the series' voxels, frame by frame
 * through each frame's position: a frame must lie on one of the series' slices with the series'
 * orientation, pixel spacing and matrix; one that does not (oblique, shifted by part of a voxel,
 * resampled) is refused with the reason, never resampled. BINARY and FRACTIONAL (inside where the
 * value is at least half the maximum) are read; a SEG made on another series or in another frame
 * of reference is refused.
 */
public final class DicomSeg {
    /** Tolerance in voxels (positions) and in direction cosines. */
    private static final double TOLERANCE = 1e-2;
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyyMMdd", Locale.ROOT);
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HHmmss.SSS", Locale.ROOT);
    private static final String CT_IMAGE_STORAGE = SOPClass.CTImageStorage;

    /** What each task's segment is, as SNOMED CT codes: category and type (PS3.16 CID 7150 / 7151). */
    private static final Map<String, String[]> PROPERTIES = Map.of(
            "lung", new String[] {"123037004", "Anatomical Structure", "39607008", "Lung"},
            "liver", new String[] {"123037004", "Anatomical Structure", "10200004", "Liver"},
            "vessel", new String[] {"123037004", "Anatomical Structure", "59820001", "Blood vessel"},
            "infection", new String[] {"49755003", "Morphologically Altered Structure", "52988006", "Lesion"});

    /**
     * What a task's segment is, its SNOMED CT property type ("Liver", "Blood vessel"): the finding a
     * measurement made over it names; null for a task radstream does not know.
     */
    public static MeasurementReport.Code propertyType(String task) {
        String[] p = PROPERTIES.get(task);
        return p == null ? null : new MeasurementReport.Code(p[2], "SCT", p[3]);
    }

    /** How the names of radstream's algorithms begin (SegmentAlgorithmName): "radstream infection v9". */
    public static final String ALGORITHM_PREFIX = "radstream";

    private DicomSeg() {}

    /**
     * The series a segmentation is of: whom and what it belongs to, and its voxel grid.
     *
     * @param frameOfReferenceUid null when unknown (then a new one is written, and any is accepted on read)
     * @param sopClassUid         the images' SOP class; null for CT Image Storage
     * @param sopInstanceUids     the images' SOP instance UIDs by slice k, or empty when unknown
     * @param origin              ImagePositionPatient of slice 0 (LPS, mm)
     * @param row                 direction of increasing column index i
     * @param column              direction of increasing row index j
     */
    public record Series(String patientId, String patientName, String studyUid, String accessionNumber, String seriesUid,
                         String frameOfReferenceUid, String sopClassUid, List<String> sopInstanceUids,
                         double[] origin, double[] row, double[] column, double spacingX, double spacingY, double spacingZ,
                         int width, int height, int depth) {
        public Series {
            if (!sopInstanceUids.isEmpty() && sopInstanceUids.size() != depth) {
                throw new IllegalArgumentException(sopInstanceUids.size() + " SOP instance UIDs for " + depth + " slices");
            }
            sopInstanceUids = List.copyOf(sopInstanceUids);
        }

        double[] normal() {
            return cross(row, column);
        }

        /** Where slice {@code k}'s first pixel lies. */
        double[] position(int k) {
            double[] n = normal();
            return new double[] {origin[0] + k * spacingZ * n[0], origin[1] + k * spacingZ * n[1],
                    origin[2] + k * spacingZ * n[2]};
        }
    }

    /**
     * The segment written: a task's mask, and what made it.
     *
     * @param algorithm the model that made it (e.g. "radstream infection v9"), or null when a person drew it
     */
    public record Segment(String task, String description, String algorithm) {}

    /**
     * A segment as the file describes it: number, label, the SNOMED CT code of what it is (may be
     * empty), and how it was made (SegmentAlgorithmType AUTOMATIC, SEMIAUTOMATIC or MANUAL, and the
     * algorithm's name; empty when not given).
     */
    public record SegmentInfo(int number, String label, String typeCode, String typeMeaning, String algorithmType,
                              String algorithmName) {
        public SegmentInfo(int number, String label, String typeCode, String typeMeaning) {
            this(number, label, typeCode, typeMeaning, "", "");
        }

        /**
         * Whether radstream made this segment and nobody changed how it is described: a draft or an
         * export of the workers' result ({@link #write} with an algorithm), AUTOMATIC and named
         * "radstream …". Saved back unreviewed, it is the model's own output, not a correction.
         */
        public boolean madeByRadstream() {
            return algorithmType.equals("AUTOMATIC") && algorithmName.startsWith(ALGORITHM_PREFIX);
        }

        /**
         * The radstream task this segment is a label for, by its property type code or else its label
         * ("Lung", "infection", "Liver", "vessels"); null when neither names one.
         */
        public String task() {
            for (Map.Entry<String, String[]> e : PROPERTIES.entrySet()) {
                if (e.getValue()[2].equals(typeCode)) {
                    return e.getKey();
                }
            }
            String l = label.strip().toLowerCase(Locale.ROOT);
            for (String task : PROPERTIES.keySet()) {
                if (l.equals(task) || l.equals(task + "s")) {
                    return task;
                }
            }
            return null;
        }
    }

    /**
     * What a SEG file says about itself, read without its pixels: enough to route it to the series it
     * was made on.
     *
     * @param referencedSeriesUids the series of ReferencedSeriesSequence (empty when it names none)
     */
    public record Summary(String sopInstanceUid, List<String> referencedSeriesUids, String studyUid, String patientId,
                          String contentCreator, String seriesDescription, List<SegmentInfo> segments) {}

    /** One segment of a SEG on a series' voxels, with what the file said about it. */
    public record Read(Mask3D mask, int segmentNumber, String segmentLabel, int frames, String seriesDescription) {}

    /** One segment of a file and its mask. */
    public record Layer(Segment segment, Mask3D mask) {}

    /**
     * The UIDs a segmentation takes from its UID source: its own frame of reference (only when the
     * series has none), its dimension organisation, its SOP instance and its series. A report that
     * references a segmentation made from the same seeded source reads them here without writing it.
     */
    public record Ids(String frameOfReferenceUid, String dimensionOrganizationUid, String sopInstanceUid, String seriesUid) {}

    /**
     * The UIDs {@link #write} gives a segmentation of a series with this frame of reference (null:
     * the series has none), drawn from {@code uids} in the order it draws them.
     */
    public static Ids ids(String frameOfReferenceUid, RandomGenerator uids) {
        String frame = frameOfReferenceUid != null ? frameOfReferenceUid : Uids.next(uids);
        String dimensionOrganization = Uids.next(uids);
        String sopInstance = Uids.next(uids);
        return new Ids(frame, dimensionOrganization, sopInstance, Uids.next(uids));
    }

    /** The mask as a BINARY DICOM Segmentation of {@code series}, explicit VR little endian, UIDs from {@code uids}. */
    public static byte[] write(Mask3D mask, Series series, Segment segment, Instant created, RandomGenerator uids) {
        return write(List.of(new Layer(segment, mask)), series, created, uids);
    }

    /**
     * Several masks as the segments 1, 2, … of one BINARY DICOM Segmentation, one frame per slice
     * and segment. A segment whose task radstream does not know is written as a generic tissue,
     * labelled with its name.
     */
    public static byte[] write(List<Layer> layers, Series series, Instant created, RandomGenerator uids) {
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("a segmentation needs at least one segment");
        }
        for (Layer l : layers) {
            Mask3D mask = l.mask();
            if (mask.width() != series.width() || mask.height() != series.height() || mask.depth() != series.depth()) {
                throw new IllegalArgumentException("the " + l.segment().task() + " mask is " + mask.width() + "×"
                        + mask.height() + "×" + mask.depth() + "; the series is " + series.width() + "×" + series.height()
                        + "×" + series.depth());
            }
        }
        Segment first = layers.get(0).segment();
        String content = layers.size() == 1 ? first.task() : "segments";
        var t = created.atOffset(ZoneOffset.UTC);
        Ids ids = ids(series.frameOfReferenceUid(), uids);
        String frameOfReference = ids.frameOfReferenceUid();
        String sopClass = series.sopClassUid() != null ? series.sopClassUid() : CT_IMAGE_STORAGE;
        String dimensionOrganization = ids.dimensionOrganizationUid();
        try {
            AttributeList list = new AttributeList();
            put(list, new CodeStringAttribute(tag(0x0008, 0x0005)), "ISO_IR 192");
            put(list, new CodeStringAttribute(tag(0x0008, 0x0008)), "DERIVED", "PRIMARY");
            put(list, new UniqueIdentifierAttribute(tag(0x0008, 0x0016)), SOPClass.SegmentationStorage);
            put(list, new UniqueIdentifierAttribute(tag(0x0008, 0x0018)), ids.sopInstanceUid());
            put(list, new DateAttribute(tag(0x0008, 0x0020)));
            put(list, new DateAttribute(tag(0x0008, 0x0021)), DATE.format(t));
            put(list, new DateAttribute(tag(0x0008, 0x0023)), DATE.format(t));
            put(list, new TimeAttribute(tag(0x0008, 0x0030)));
            put(list, new TimeAttribute(tag(0x0008, 0x0031)), TIME.format(t));
            put(list, new TimeAttribute(tag(0x0008, 0x0033)), TIME.format(t));
            put(list, new ShortStringAttribute(tag(0x0008, 0x0050)), orEmpty(series.accessionNumber()));
            put(list, new CodeStringAttribute(tag(0x0008, 0x0060)), "SEG");
            put(list, new LongStringAttribute(tag(0x0008, 0x0070)), "radstream");
            put(list, new PersonNameAttribute(tag(0x0008, 0x0090)));
            put(list, new LongStringAttribute(tag(0x0008, 0x103E)), "radstream " + content + " draft");
            put(list, new LongStringAttribute(tag(0x0008, 0x1090)), "radstream");
            put(list, new PersonNameAttribute(tag(0x0010, 0x0010)), orEmpty(series.patientName()));
            put(list, new LongStringAttribute(tag(0x0010, 0x0020)), orEmpty(series.patientId()));
            put(list, new DateAttribute(tag(0x0010, 0x0030)));
            put(list, new CodeStringAttribute(tag(0x0010, 0x0040)));
            put(list, new LongStringAttribute(tag(0x0018, 0x1000)), "1");
            put(list, new LongStringAttribute(tag(0x0018, 0x1020)), "radstream");
            put(list, new UniqueIdentifierAttribute(tag(0x0020, 0x000D)), series.studyUid());
            put(list, new UniqueIdentifierAttribute(tag(0x0020, 0x000E)), ids.seriesUid());
            put(list, new ShortStringAttribute(tag(0x0020, 0x0010)));
            put(list, new IntegerStringAttribute(tag(0x0020, 0x0011)), "901");
            put(list, new IntegerStringAttribute(tag(0x0020, 0x0013)), "1");
            put(list, new UniqueIdentifierAttribute(tag(0x0020, 0x0052)), frameOfReference);
            put(list, new LongStringAttribute(tag(0x0020, 0x1040)));
            putUs(list, tag(0x0028, 0x0002), 1);
            put(list, new CodeStringAttribute(tag(0x0028, 0x0004)), "MONOCHROME2");
            put(list, new IntegerStringAttribute(tag(0x0028, 0x0008)), Integer.toString(series.depth() * layers.size()));
            putUs(list, tag(0x0028, 0x0010), series.height());
            putUs(list, tag(0x0028, 0x0011), series.width());
            putUs(list, tag(0x0028, 0x0100), 1);
            putUs(list, tag(0x0028, 0x0101), 1);
            putUs(list, tag(0x0028, 0x0102), 0);
            putUs(list, tag(0x0028, 0x0103), 0);
            put(list, new CodeStringAttribute(tag(0x0028, 0x2110)), "00");
            put(list, new CodeStringAttribute(tag(0x0062, 0x0001)), "BINARY");
            put(list, new CodeStringAttribute(tag(0x0070, 0x0080)), content.toUpperCase(Locale.ROOT)
                    .replaceAll("[^A-Z0-9_ ]", "_"));
            put(list, new LongStringAttribute(tag(0x0070, 0x0081)), orEmpty(first.description()));
            put(list, new PersonNameAttribute(tag(0x0070, 0x0084)));
            put(list, new CodeStringAttribute(tag(0x0020, 0x9311)), "3D");

            SequenceAttribute segments = new SequenceAttribute(tag(0x0062, 0x0002));
            for (int n = 0; n < layers.size(); n++) {
                segments.addItem(segmentItem(n + 1, layers.get(n).segment()));
            }
            list.put(segments);

            AttributeList organization = new AttributeList();
            put(organization, new UniqueIdentifierAttribute(tag(0x0020, 0x9164)), dimensionOrganization);
            list.put(sequence(tag(0x0020, 0x9221), organization));
            list.put(sequence(tag(0x0020, 0x9222),
                    dimension(dimensionOrganization, tag(0x0062, 0x000B), tag(0x0062, 0x000A), "ReferencedSegmentNumber"),
                    dimension(dimensionOrganization, tag(0x0020, 0x0032), tag(0x0020, 0x9113), "ImagePositionPatient")));

            AttributeList shared = new AttributeList();
            AttributeList measures = new AttributeList();
            put(measures, new DecimalStringAttribute(tag(0x0028, 0x0030)), ds(series.spacingY()), ds(series.spacingX()));
            put(measures, new DecimalStringAttribute(tag(0x0018, 0x0050)), ds(series.spacingZ()));
            put(measures, new DecimalStringAttribute(tag(0x0018, 0x0088)), ds(series.spacingZ()));
            shared.put(sequence(tag(0x0028, 0x9110), measures));
            AttributeList orientation = new AttributeList();
            put(orientation, new DecimalStringAttribute(tag(0x0020, 0x0037)), ds(series.row()[0]), ds(series.row()[1]),
                    ds(series.row()[2]), ds(series.column()[0]), ds(series.column()[1]), ds(series.column()[2]));
            shared.put(sequence(tag(0x0020, 0x9116), orientation));
            list.put(sequence(tag(0x5200, 0x9229), shared));

            SequenceAttribute perFrame = new SequenceAttribute(tag(0x5200, 0x9230));
            for (int n = 0; n < layers.size(); n++) {
                for (int k = 0; k < series.depth(); k++) {
                    AttributeList frame = new AttributeList();
                    AttributeList frameContent = new AttributeList();
                    Attribute index = new UnsignedLongAttribute(tag(0x0020, 0x9157));
                    index.addValue(n + 1);
                    index.addValue(k + 1);
                    frameContent.put(index);
                    frame.put(sequence(tag(0x0020, 0x9111), frameContent));
                    AttributeList identification = new AttributeList();
                    putUs(identification, tag(0x0062, 0x000B), n + 1);
                    frame.put(sequence(tag(0x0062, 0x000A), identification));
                    AttributeList position = new AttributeList();
                    double[] p = series.position(k);
                    put(position, new DecimalStringAttribute(tag(0x0020, 0x0032)), ds(p[0]), ds(p[1]), ds(p[2]));
                    frame.put(sequence(tag(0x0020, 0x9113), position));
                    if (!series.sopInstanceUids().isEmpty()) {
                        AttributeList derivation = new AttributeList();
                        AttributeList source = reference(sopClass, series.sopInstanceUids().get(k));
                        source.put(sequence(tag(0x0040, 0xA170), code("121322", "DCM", "Source image for image processing operation")));
                        derivation.put(sequence(tag(0x0008, 0x2112), source));
                        derivation.put(sequence(tag(0x0008, 0x9215), code("113076", "DCM", "Segmentation")));
                        frame.put(sequence(tag(0x0008, 0x9124), derivation));
                    }
                    perFrame.addItem(frame);
                }
            }
            list.put(perFrame);

            if (!series.sopInstanceUids().isEmpty()) {
                AttributeList referenced = new AttributeList();
                put(referenced, new UniqueIdentifierAttribute(tag(0x0020, 0x000E)), series.seriesUid());
                SequenceAttribute instances = new SequenceAttribute(tag(0x0008, 0x114A));
                for (String sop : series.sopInstanceUids()) {
                    instances.addItem(reference(sopClass, sop));
                }
                referenced.put(instances);
                list.put(sequence(tag(0x0008, 0x1115), referenced));
            }

            OtherByteAttribute pixels = new OtherByteAttribute(tag(0x7FE0, 0x0010));
            pixels.setValues(pack(layers.stream().map(Layer::mask).toList()));
            list.put(pixels);
            FileMetaInformation.addFileMetaInformation(list, TransferSyntax.ExplicitVRLittleEndian, "RADSTREAM");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            list.write(out, TransferSyntax.ExplicitVRLittleEndian, true, true);
            return out.toByteArray();
        } catch (DicomException | IOException e) {
            throw new IllegalStateException("cannot build the segmentation of series " + series.seriesUid() + ": " + e.getMessage(), e);
        }
    }

    /**
     * One segment of a SEG file on {@code series}' voxels: the only segment, or the one chosen by
     * number or label ({@code choice}; when null, a segment labelled as {@code task} is taken among several).
     *
     * @throws IOException              when the file is not DICOM, or not a Segmentation
     * @throws IllegalArgumentException when it cannot be laid onto the series' voxels, with the reason
     */
    public static Read read(byte[] file, Series series, String task, String choice) throws IOException {
        AttributeList list = parse(file, false);
        checkSameSeries(list, series);
        String type = Attribute.getSingleStringValueOrEmptyString(list, tag(0x0062, 0x0001));
        int bits = Attribute.getSingleIntegerValueOrDefault(list, tag(0x0028, 0x0100), 0);
        int maxFractional = Attribute.getSingleIntegerValueOrDefault(list, tag(0x0062, 0x000E), 255);
        if (!(type.equals("BINARY") && bits == 1) && !(type.equals("FRACTIONAL") && bits == 8)) {
            throw new IllegalArgumentException("SegmentationType " + type + " with BitsAllocated " + bits
                    + ": only BINARY (1 bit) and FRACTIONAL (8 bits) are read");
        }
        int rows = Attribute.getSingleIntegerValueOrDefault(list, tag(0x0028, 0x0010), 0);
        int columns = Attribute.getSingleIntegerValueOrDefault(list, tag(0x0028, 0x0011), 0);
        if (rows != series.height() || columns != series.width()) {
            throw new IllegalArgumentException("the segmentation's frames are " + columns + "×" + rows
                    + " (columns × rows); the series' slices are " + series.width() + "×" + series.height());
        }
        int chosen = chooseSegment(list, task, choice);
        int frames = Attribute.getSingleIntegerValueOrDefault(list, tag(0x0028, 0x0008), 1);
        SequenceAttribute perFrame = (SequenceAttribute) list.get(tag(0x5200, 0x9230));
        if (perFrame == null || perFrame.getNumberOfItems() != frames) {
            throw new IllegalArgumentException("NumberOfFrames is " + frames + " but the per-frame functional groups hold "
                    + (perFrame == null ? 0 : perFrame.getNumberOfItems()) + " items");
        }
        AttributeList shared = SequenceAttribute.getAttributeListFromWithinSequenceWithSingleItem(list, tag(0x5200, 0x9229));
        byte[] pixels = pixelBytes(list);
        long framePixels = (long) rows * columns;
        long needed = bits == 1 ? (framePixels * frames + 7) / 8 : framePixels * frames;
        if (pixels.length < needed) {
            throw new IllegalArgumentException("PixelData holds " + pixels.length + " bytes; " + frames + " frames of "
                    + columns + "×" + rows + " at " + bits + " bit need " + needed);
        }
        Mask3D mask = new Mask3D(series.width(), series.height(), series.depth());
        int used = 0;
        for (int f = 0; f < frames; f++) {
            AttributeList frame = perFrame.getItem(f).getAttributeList();
            int segmentNumber = number(group(frame, shared, tag(0x0062, 0x000A)), tag(0x0062, 0x000B), f);
            if (segmentNumber != chosen) {
                continue;
            }
            int k = slice(frame, shared, series, f);
            used++;
            long base = (long) f * framePixels;
            for (int y = 0; y < rows; y++) {
                for (int x = 0; x < columns; x++) {
                    long p = base + (long) y * columns + x;
                    boolean inside = bits == 1 ? ((pixels[(int) (p >>> 3)] >> (int) (p & 7)) & 1) != 0
                            : (pixels[(int) p] & 0xff) * 2 >= maxFractional && pixels[(int) p] != 0;
                    if (inside) {
                        mask.set(x, y, k, true);
                    }
                }
            }
        }
        return new Read(mask, chosen, labelOf(list, chosen), used,
                Attribute.getSingleStringValueOrEmptyString(list, tag(0x0008, 0x103E)));
    }

    /**
     * What a SEG file says about itself (its pixels are not read).
     *
     * @throws IOException when the file is not DICOM, or not a Segmentation
     */
    public static Summary summary(byte[] file) throws IOException {
        AttributeList list = parse(file, true);
        List<SegmentInfo> segments = new ArrayList<>();
        SequenceAttribute seq = (SequenceAttribute) list.get(tag(0x0062, 0x0002));
        for (int i = 0; seq != null && i < seq.getNumberOfItems(); i++) {
            AttributeList s = seq.getItem(i).getAttributeList();
            AttributeList type = SequenceAttribute.getAttributeListFromWithinSequenceWithSingleItem(s, tag(0x0062, 0x000F));
            segments.add(new SegmentInfo(Attribute.getSingleIntegerValueOrDefault(s, tag(0x0062, 0x0004), -1),
                    Attribute.getSingleStringValueOrEmptyString(s, tag(0x0062, 0x0005)),
                    type == null ? "" : Attribute.getSingleStringValueOrEmptyString(type, tag(0x0008, 0x0100)),
                    type == null ? "" : Attribute.getSingleStringValueOrEmptyString(type, tag(0x0008, 0x0104)),
                    Attribute.getSingleStringValueOrEmptyString(s, tag(0x0062, 0x0008)),
                    Attribute.getSingleStringValueOrEmptyString(s, tag(0x0062, 0x0009))));
        }
        List<String> referenced = new ArrayList<>();
        SequenceAttribute refs = (SequenceAttribute) list.get(tag(0x0008, 0x1115));
        for (int i = 0; refs != null && i < refs.getNumberOfItems(); i++) {
            String uid = Attribute.getSingleStringValueOrEmptyString(refs.getItem(i).getAttributeList(), tag(0x0020, 0x000E));
            if (!uid.isEmpty()) {
                referenced.add(uid);
            }
        }
        return new Summary(Attribute.getSingleStringValueOrEmptyString(list, tag(0x0008, 0x0018)), referenced,
                Attribute.getSingleStringValueOrNull(list, tag(0x0020, 0x000D)),
                Attribute.getSingleStringValueOrNull(list, tag(0x0010, 0x0020)),
                Attribute.getSingleStringValueOrNull(list, tag(0x0070, 0x0084)),
                Attribute.getSingleStringValueOrNull(list, tag(0x0008, 0x103E)), segments);
    }

    private static AttributeList parse(byte[] file, boolean headerOnly) throws IOException {
        AttributeList list = new AttributeList();
        if (!Part10.is(file)) {
            throw new IOException("not a DICOM file (no DICM after the 128-byte preamble)");
        }
        try (DicomInputStream in = new DicomInputStream(new ByteArrayInputStream(file))) {
            if (headerOnly) {
                list.read(in, tag(0x7FE0, 0x0010));
            } else {
                list.read(in);
            }
        } catch (DicomException | RuntimeException e) {
            throw new IOException("not a readable DICOM file: " + e.getMessage(), e);
        }
        String sopClass = Attribute.getSingleStringValueOrEmptyString(list, tag(0x0008, 0x0016));
        if (!SOPClass.SegmentationStorage.equals(sopClass)) {
            throw new IOException("not a DICOM Segmentation (SOP class '" + sopClass + "', expected "
                    + SOPClass.SegmentationStorage + ")");
        }
        return list;
    }

    /** The slice of the series a frame lies on, or why it lies on none. */
    private static int slice(AttributeList frame, AttributeList shared, Series series, int f) {
        AttributeList orientationGroup = group(frame, shared, tag(0x0020, 0x9116));
        double[] iop = doubles(orientationGroup, tag(0x0020, 0x0037), 6, "ImageOrientationPatient", f);
        double[] row = {iop[0], iop[1], iop[2]};
        double[] column = {iop[3], iop[4], iop[5]};
        if (Math.abs(dot(row, series.row()) - 1) > TOLERANCE || Math.abs(dot(column, series.column()) - 1) > TOLERANCE) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "frame %d's orientation %s differs from the "
                    + "series' %s: its pixels do not fall onto the series' voxels", f + 1, vector(iop),
                    vector(new double[] {series.row()[0], series.row()[1], series.row()[2], series.column()[0],
                            series.column()[1], series.column()[2]})));
        }
        double[] spacing = doubles(group(frame, shared, tag(0x0028, 0x9110)), tag(0x0028, 0x0030), 2, "PixelSpacing", f);
        if (Math.abs(spacing[0] - series.spacingY()) > TOLERANCE * series.spacingY()
                || Math.abs(spacing[1] - series.spacingX()) > TOLERANCE * series.spacingX()) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "frame %d's pixel spacing %.4f\\%.4f differs "
                    + "from the series' %.4f\\%.4f (resampled?)", f + 1, spacing[0], spacing[1], series.spacingY(), series.spacingX()));
        }
        double[] position = doubles(group(frame, shared, tag(0x0020, 0x9113)), tag(0x0020, 0x0032), 3,
                "ImagePositionPatient", f);
        double[] d = {position[0] - series.origin()[0], position[1] - series.origin()[1], position[2] - series.origin()[2]};
        double i = dot(d, series.row()) / series.spacingX();
        double j = dot(d, series.column()) / series.spacingY();
        double k = dot(d, series.normal()) / series.spacingZ();
        if (Math.abs(i) > TOLERANCE || Math.abs(j) > TOLERANCE) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "frame %d starts %.3f columns and %.3f rows "
                    + "away from the series' first pixel: its pixels do not fall onto the series' voxels", f + 1, i, j));
        }
        long slice = Math.round(k);
        if (Math.abs(k - slice) > TOLERANCE) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "frame %d lies %.3f slices from the series' "
                    + "first: between two of its slices", f + 1, k));
        }
        if (slice < 0 || slice >= series.depth()) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "frame %d lies at slice %d, outside the "
                    + "series' %d slices", f + 1, slice, series.depth()));
        }
        return (int) slice;
    }

    private static void checkSameSeries(AttributeList list, Series series) {
        String frameOfReference = Attribute.getSingleStringValueOrEmptyString(list, tag(0x0020, 0x0052));
        if (series.frameOfReferenceUid() != null && !frameOfReference.isEmpty()
                && !frameOfReference.equals(series.frameOfReferenceUid())) {
            throw new IllegalArgumentException("the segmentation is in frame of reference " + frameOfReference
                    + ", the series in " + series.frameOfReferenceUid() + ": positions cannot be compared");
        }
        SequenceAttribute referenced = (SequenceAttribute) list.get(tag(0x0008, 0x1115));
        if (referenced == null || referenced.getNumberOfItems() == 0) {
            return;
        }
        List<String> uids = new ArrayList<>();
        for (int i = 0; i < referenced.getNumberOfItems(); i++) {
            uids.add(Attribute.getSingleStringValueOrEmptyString(referenced.getItem(i).getAttributeList(), tag(0x0020, 0x000E)));
        }
        if (!uids.contains(series.seriesUid())) {
            throw new IllegalArgumentException("the segmentation was made on series " + String.join(", ", uids)
                    + ", not on " + series.seriesUid());
        }
    }

    /** The number of the segment to read. */
    private static int chooseSegment(AttributeList list, String task, String choice) {
        SequenceAttribute segments = (SequenceAttribute) list.get(tag(0x0062, 0x0002));
        if (segments == null || segments.getNumberOfItems() == 0) {
            throw new IllegalArgumentException("the segmentation has no SegmentSequence");
        }
        List<Integer> numbers = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < segments.getNumberOfItems(); i++) {
            AttributeList s = segments.getItem(i).getAttributeList();
            numbers.add(Attribute.getSingleIntegerValueOrDefault(s, tag(0x0062, 0x0004), -1));
            labels.add(Attribute.getSingleStringValueOrEmptyString(s, tag(0x0062, 0x0005)));
        }
        List<Integer> matches = new ArrayList<>();
        for (int i = 0; i < numbers.size(); i++) {
            boolean match = choice != null ? choice.equals(Integer.toString(numbers.get(i))) || choice.equalsIgnoreCase(labels.get(i))
                    : numbers.size() == 1 || labels.get(i).equalsIgnoreCase(task);
            if (match) {
                matches.add(numbers.get(i));
            }
        }
        if (matches.size() != 1) {
            List<String> named = new ArrayList<>();
            for (int i = 0; i < numbers.size(); i++) {
                named.add(numbers.get(i) + " '" + labels.get(i) + "'");
            }
            throw new IllegalArgumentException((choice == null ? "which segment is the " + task + "? "
                    : matches.isEmpty() ? "no segment " + choice + ": " : "several segments match " + choice + ": ")
                    + "the file holds " + String.join(", ", named) + " (choose one by number or label)");
        }
        return matches.get(0);
    }

    private static String labelOf(AttributeList list, int number) {
        SequenceAttribute segments = (SequenceAttribute) list.get(tag(0x0062, 0x0002));
        for (int i = 0; i < segments.getNumberOfItems(); i++) {
            AttributeList s = segments.getItem(i).getAttributeList();
            if (Attribute.getSingleIntegerValueOrDefault(s, tag(0x0062, 0x0004), -1) == number) {
                return Attribute.getSingleStringValueOrEmptyString(s, tag(0x0062, 0x0005));
            }
        }
        return "";
    }

    /** A functional group's single item: the frame's own, else the shared one; null when neither has it. */
    private static AttributeList group(AttributeList frame, AttributeList shared, AttributeTag sequence) {
        AttributeList own = SequenceAttribute.getAttributeListFromWithinSequenceWithSingleItem(frame, sequence);
        if (own != null) {
            return own;
        }
        return shared == null ? null : SequenceAttribute.getAttributeListFromWithinSequenceWithSingleItem(shared, sequence);
    }

    private static int number(AttributeList group, AttributeTag t, int f) {
        int v = group == null ? -1 : Attribute.getSingleIntegerValueOrDefault(group, t, -1);
        if (v < 0) {
            throw new IllegalArgumentException("frame " + (f + 1) + " names no ReferencedSegmentNumber");
        }
        return v;
    }

    private static double[] doubles(AttributeList group, AttributeTag t, int n, String name, int f) {
        double[] v = group == null ? null : Attribute.getDoubleValues(group, t);
        if (v == null || v.length != n) {
            throw new IllegalArgumentException("frame " + (f + 1) + " has no " + name + " (" + n + " values) in its "
                    + "functional groups");
        }
        return v;
    }

    private static byte[] pixelBytes(AttributeList list) {
        Attribute a = list.get(tag(0x7FE0, 0x0010));
        if (a == null) {
            throw new IllegalArgumentException("the segmentation has no PixelData");
        }
        try {
            if (a instanceof OtherByteAttribute b) {
                return b.getByteValues();
            }
            short[] words = a.getShortValues(); // OW (implicit VR): little endian words of the same bytes
            byte[] out = new byte[words.length * 2];
            for (int i = 0; i < words.length; i++) {
                out[2 * i] = (byte) words[i];
                out[2 * i + 1] = (byte) (words[i] >> 8);
            }
            return out;
        } catch (DicomException | RuntimeException e) {
            throw new IllegalArgumentException("PixelData cannot be read (compressed?): " + e.getMessage(), e);
        }
    }

    /**
     * Frames one after another (every slice of the first mask, then of the next), each pixel one bit,
     * first pixel in the lowest bit, no padding between frames; padded to an even length.
     */
    static byte[] pack(List<Mask3D> masks) {
        long total = 0;
        for (Mask3D m : masks) {
            total += m.size();
        }
        byte[] out = new byte[(int) ((total + 15) / 16 * 2)];
        long bit = 0;
        for (Mask3D m : masks) {
            for (int i = 0; i < m.size(); i++, bit++) {
                if (m.get(i)) {
                    out[(int) (bit >>> 3)] |= (byte) (1 << (int) (bit & 7));
                }
            }
        }
        return out;
    }

    private static AttributeList segmentItem(int number, Segment segment) throws DicomException {
        String[] property = PROPERTIES.getOrDefault(segment.task(),
                new String[] {"123037004", "Anatomical Structure", "85756007", "Tissue"});
        AttributeList seg = new AttributeList();
        putUs(seg, tag(0x0062, 0x0004), number);
        put(seg, new LongStringAttribute(tag(0x0062, 0x0005)), segment.task());
        if (segment.description() != null) {
            put(seg, new ShortTextAttribute(tag(0x0062, 0x0006)), segment.description());
        }
        put(seg, new CodeStringAttribute(tag(0x0062, 0x0008)), segment.algorithm() == null ? "MANUAL" : "AUTOMATIC");
        if (segment.algorithm() != null) {
            put(seg, new LongStringAttribute(tag(0x0062, 0x0009)), segment.algorithm());
        }
        seg.put(sequence(tag(0x0062, 0x0003), code(property[0], "SCT", property[1])));
        seg.put(sequence(tag(0x0062, 0x000F), code(property[2], "SCT", property[3])));
        return seg;
    }

    private static AttributeList reference(String sopClass, String sopInstance) throws DicomException {
        AttributeList item = new AttributeList();
        put(item, new UniqueIdentifierAttribute(tag(0x0008, 0x1150)), sopClass);
        put(item, new UniqueIdentifierAttribute(tag(0x0008, 0x1155)), sopInstance);
        return item;
    }

    private static AttributeList dimension(String organization, AttributeTag pointer, AttributeTag group, String label)
            throws DicomException {
        AttributeList item = new AttributeList();
        put(item, new UniqueIdentifierAttribute(tag(0x0020, 0x9164)), organization);
        AttributeTagAttribute p = new AttributeTagAttribute(tag(0x0020, 0x9165));
        p.addValue(pointer);
        item.put(p);
        AttributeTagAttribute g = new AttributeTagAttribute(tag(0x0020, 0x9167));
        g.addValue(group);
        item.put(g);
        put(item, new LongStringAttribute(tag(0x0020, 0x9421)), label);
        return item;
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }

    private static double[] cross(double[] a, double[] b) {
        return new double[] {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
    }

    private static double dot(double[] a, double[] b) {
        return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    }

    private static String vector(double[] v) {
        StringBuilder b = new StringBuilder("(");
        for (int i = 0; i < v.length; i++) {
            b.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.3f", v[i]));
        }
        return b.append(')').toString();
    }
}
