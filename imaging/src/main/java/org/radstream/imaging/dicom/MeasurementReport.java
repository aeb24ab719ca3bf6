package org.radstream.imaging.dicom;

import static org.radstream.imaging.dicom.DicomAttributes.code;
import static org.radstream.imaging.dicom.DicomAttributes.ds;
import static org.radstream.imaging.dicom.DicomAttributes.put;
import static org.radstream.imaging.dicom.DicomAttributes.putUs;
import static org.radstream.imaging.dicom.DicomAttributes.sequence;
import static org.radstream.imaging.dicom.DicomAttributes.tag;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.CodeStringAttribute;
import com.pixelmed.dicom.DateAttribute;
import com.pixelmed.dicom.DecimalStringAttribute;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.IntegerStringAttribute;
import com.pixelmed.dicom.LongStringAttribute;
import com.pixelmed.dicom.PersonNameAttribute;
import com.pixelmed.dicom.SOPClass;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.ShortStringAttribute;
import com.pixelmed.dicom.TimeAttribute;
import com.pixelmed.dicom.TransferSyntax;
import com.pixelmed.dicom.UniqueIdentifierAttribute;
import com.pixelmed.dicom.UnlimitedTextAttribute;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.Locale;
import java.util.random.RandomGenerator;

/**
 * Measurements of a series as a DICOM Comprehensive SR document that a PACS files with the study and
 * a viewer lists beside the images: a PS3.16 TID 1500 "Imaging Measurement Report" (language;
 * observer context: the device that measured; the procedure reported; an image library of the
 * series' instances; imaging measurements). A group whose region is a segment of a DICOM
 * Segmentation is a TID 1411 volumetric ROI group that references that segment and the series it was
 * made on, so a viewer can open the region a volume was measured over; a group without one is a
 * TID 1501 group of the series as a whole.
 */
public final class MeasurementReport {
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyyMMdd", Locale.ROOT);
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HHmmss.SSS", Locale.ROOT);

    /** A coded concept: code value, coding scheme designator, code meaning. */
    public record Code(String value, String scheme, String meaning) {}

    public static final Code MILLILITRE = new Code("ml", "UCUM", "milliliter");
    public static final Code PERCENT = new Code("%", "UCUM", "percent");
    public static final Code VOLUME = new Code("118565006", "SCT", "Volume");
    /** A procedure reported for any CT (PS3.16 CID 100). */
    public static final Code CT_PROCEDURE = new Code("25045-6", "LN", "CT unspecified body region");
    static final Code ENGLISH = new Code("en-US", "RFC5646", "English (United States)");

    /** One numeric measurement: what it is, its value and unit. */
    public record Measurement(Code concept, double value, Code unit) {}

    /**
     * A segment of a DICOM Segmentation of the same study: the region a group's measurements were
     * made over. The segmentation is listed as the report's other evidence.
     */
    public record SegmentReference(String seriesUid, String sopInstanceUid, int segmentNumber) {
        public SegmentReference {
            if (seriesUid == null || seriesUid.isBlank() || sopInstanceUid == null || sopInstanceUid.isBlank()
                    || segmentNumber < 1) {
                throw new IllegalArgumentException("a segment reference needs the segmentation's series and SOP instance "
                        + "UIDs and a segment number from 1, got " + seriesUid + " / " + sopInstanceUid + " / "
                        + segmentNumber);
            }
        }
    }

    /** The algorithm that made a group's measurements (PS3.16 TID 4019): its name and version. */
    public record Algorithm(String name, String version) {}

    /**
     * What was measured: a tracking identifier ("lung"), the finding's code and where it was found,
     * and its measurements.
     *
     * @param trackingUid a UID that stays the same for the same finding of the same series
     * @param findingSite the anatomy the finding lies in; null: not stated
     * @param algorithm   the algorithm that measured it; null: not stated
     * @param segment     the segment the measurements were made over; null: none known (a TID 1501
     *                    group of the series as a whole)
     */
    public record Group(String trackingId, String trackingUid, Code finding, Code findingSite, Algorithm algorithm,
                        SegmentReference segment, List<Measurement> measurements) {
        public Group {
            if (measurements.isEmpty()) {
                throw new IllegalArgumentException("a measurement group needs at least one measurement");
            }
            measurements = List.copyOf(measurements);
        }

        /** A group of the series as a whole, with no site, algorithm or segment stated. */
        public Group(String trackingId, String trackingUid, Code finding, List<Measurement> measurements) {
            this(trackingId, trackingUid, finding, null, null, null, measurements);
        }
    }

    /**
     * The series measured, and who: the patient and study the report is filed under, and the
     * series' instances as the report's evidence (empty when not known).
     */
    public record Subject(String patientId, String patientName, String studyUid, String accessionNumber, String seriesUid,
                          String sopClassUid, List<String> sopInstanceUids) {
        public Subject {
            sopInstanceUids = sopInstanceUids == null ? List.of() : List.copyOf(sopInstanceUids);
        }
    }

    private MeasurementReport() {}

    /**
     * The report as a DICOM Part 10 file (explicit VR little endian).
     *
     * @param procedure the imaging procedure the measurements were made on (e.g. {@link #CT_PROCEDURE})
     * @param device    the measuring device's name, the observer ("radstream")
     * @param deviceUid a UID of that device
     * @param comment   a free-text comment at the end of the report (how the measurements were made); null: none
     * @param uids      the source of the report's SOP instance and series UIDs (seeded: the same report, the same UIDs)
     */
    public static byte[] write(Subject subject, List<Group> groups, Code procedure, String device, String deviceUid,
                               String comment, Instant created, RandomGenerator uids) {
        if (groups.isEmpty()) {
            throw new IllegalArgumentException("a measurement report needs at least one measurement group");
        }
        var t = created.atOffset(ZoneOffset.UTC);
        try {
            AttributeList list = new AttributeList();
            put(list, new CodeStringAttribute(tag(0x0008, 0x0005)), "ISO_IR 192");
            put(list, new UniqueIdentifierAttribute(tag(0x0008, 0x0016)), SOPClass.ComprehensiveSRStorage);
            put(list, new UniqueIdentifierAttribute(tag(0x0008, 0x0018)), Uids.next(uids));
            put(list, new DateAttribute(tag(0x0008, 0x0020)));
            put(list, new DateAttribute(tag(0x0008, 0x0023)), DATE.format(t));
            put(list, new TimeAttribute(tag(0x0008, 0x0030)));
            put(list, new TimeAttribute(tag(0x0008, 0x0033)), TIME.format(t));
            put(list, new ShortStringAttribute(tag(0x0008, 0x0050)), orEmpty(subject.accessionNumber()));
            put(list, new CodeStringAttribute(tag(0x0008, 0x0060)), "SR");
            put(list, new LongStringAttribute(tag(0x0008, 0x0070)), device);
            put(list, new PersonNameAttribute(tag(0x0008, 0x0090)));
            put(list, new LongStringAttribute(tag(0x0008, 0x103E)), device + " measurements");
            list.put(new SequenceAttribute(tag(0x0008, 0x1111))); // Referenced Performed Procedure Step: none
            put(list, new PersonNameAttribute(tag(0x0010, 0x0010)), orEmpty(subject.patientName()));
            put(list, new LongStringAttribute(tag(0x0010, 0x0020)), orEmpty(subject.patientId()));
            put(list, new DateAttribute(tag(0x0010, 0x0030)));
            put(list, new CodeStringAttribute(tag(0x0010, 0x0040)));
            put(list, new UniqueIdentifierAttribute(tag(0x0020, 0x000D)), subject.studyUid());
            put(list, new UniqueIdentifierAttribute(tag(0x0020, 0x000E)), Uids.next(uids));
            put(list, new ShortStringAttribute(tag(0x0020, 0x0010)));
            put(list, new IntegerStringAttribute(tag(0x0020, 0x0011)), "902");
            put(list, new IntegerStringAttribute(tag(0x0020, 0x0013)), "1");
            put(list, new CodeStringAttribute(tag(0x0040, 0xA491)), "COMPLETE");
            put(list, new CodeStringAttribute(tag(0x0040, 0xA493)), "UNVERIFIED");
            list.put(new SequenceAttribute(tag(0x0040, 0xA372))); // Performed Procedure Code: none
            if (!subject.sopInstanceUids().isEmpty()) {
                list.put(sequence(tag(0x0040, 0xA375), evidence(subject)));
            }
            List<SegmentReference> segments = groups.stream().map(Group::segment).filter(Objects::nonNull).toList();
            if (!segments.isEmpty()) {
                list.put(sequence(tag(0x0040, 0xA385), segmentations(subject.studyUid(), segments)));
            }

            // the document's root: the report title and template, then language, observer context,
            // procedure, image library, measurements and comment
            put(list, new CodeStringAttribute(tag(0x0040, 0xA040)), "CONTAINER");
            list.put(sequence(tag(0x0040, 0xA043), item(new Code("126000", "DCM", "Imaging Measurement Report"))));
            put(list, new CodeStringAttribute(tag(0x0040, 0xA050)), "SEPARATE");
            list.put(template("1500"));
            SequenceAttribute content = new SequenceAttribute(tag(0x0040, 0xA730));
            content.addItem(codeItem("HAS CONCEPT MOD", new Code("121049", "DCM", "Language of Content Item and Descendants"),
                    ENGLISH));
            content.addItem(codeItem("HAS OBS CONTEXT", new Code("121005", "DCM", "Observer Type"),
                    new Code("121007", "DCM", "Device")));
            content.addItem(uidItem("HAS OBS CONTEXT", new Code("121012", "DCM", "Device Observer UID"), deviceUid));
            content.addItem(textItem("HAS OBS CONTEXT", new Code("121013", "DCM", "Device Observer Name"), device));
            content.addItem(codeItem("HAS CONCEPT MOD", new Code("121058", "DCM", "Procedure reported"), procedure));
            content.addItem(imageLibrary(subject));
            AttributeList measurements = container("CONTAINS", new Code("126010", "DCM", "Imaging Measurements"));
            SequenceAttribute groupItems = new SequenceAttribute(tag(0x0040, 0xA730));
            for (Group g : groups) {
                groupItems.addItem(group(g, subject.seriesUid()));
            }
            measurements.put(groupItems);
            content.addItem(measurements);
            if (comment != null && !comment.isBlank()) {
                content.addItem(textItem("CONTAINS", new Code("121106", "DCM", "Comment"), comment));
            }
            list.put(content);

            FileMetaInformation.addFileMetaInformation(list, TransferSyntax.ExplicitVRLittleEndian, "RADSTREAM");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            list.write(out, TransferSyntax.ExplicitVRLittleEndian, true, true);
            return out.toByteArray();
        } catch (DicomException | IOException e) {
            throw new IllegalStateException("cannot build the measurement report of series " + subject.seriesUid() + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * A measurement group: TID 1411 over a segment (the segment and the series it was made on
     * referenced), or TID 1501 over the series as a whole when no segment is known.
     */
    private static AttributeList group(Group g, String seriesUid) throws DicomException {
        AttributeList group = container("CONTAINS", new Code("125007", "DCM", "Measurement Group"));
        group.put(template(g.segment() != null ? "1411" : "1501"));
        SequenceAttribute in = new SequenceAttribute(tag(0x0040, 0xA730));
        in.addItem(textItem("HAS OBS CONTEXT", new Code("112039", "DCM", "Tracking Identifier"), g.trackingId()));
        in.addItem(uidItem("HAS OBS CONTEXT", new Code("112040", "DCM", "Tracking Unique Identifier"), g.trackingUid()));
        in.addItem(codeItem("CONTAINS", new Code("121071", "DCM", "Finding"), g.finding()));
        if (g.findingSite() != null) {
            in.addItem(codeItem("HAS CONCEPT MOD", new Code("363698007", "SCT", "Finding Site"), g.findingSite()));
        }
        if (g.algorithm() != null) {
            in.addItem(textItem("HAS CONCEPT MOD", new Code("111001", "DCM", "Algorithm Name"), g.algorithm().name()));
            in.addItem(textItem("HAS CONCEPT MOD", new Code("111003", "DCM", "Algorithm Version"), g.algorithm().version()));
        }
        for (Measurement m : g.measurements()) {
            in.addItem(numItem(m));
        }
        if (g.segment() != null) {
            AttributeList ref = new AttributeList();
            put(ref, new UniqueIdentifierAttribute(tag(0x0008, 0x1150)), SOPClass.SegmentationStorage);
            put(ref, new UniqueIdentifierAttribute(tag(0x0008, 0x1155)), g.segment().sopInstanceUid());
            putUs(ref, tag(0x0062, 0x000B), g.segment().segmentNumber());
            AttributeList segment = contentItem("CONTAINS", "IMAGE", new Code("121191", "DCM", "Referenced Segment"));
            segment.put(sequence(tag(0x0008, 0x1199), ref));
            in.addItem(segment);
            in.addItem(uidItem("CONTAINS", new Code("121232", "DCM", "Source series for segmentation"), seriesUid));
        }
        group.put(in);
        return group;
    }

    /** The image library: one group of the series' instances, or empty when they are not known. */
    private static AttributeList imageLibrary(Subject s) throws DicomException {
        AttributeList library = container("CONTAINS", new Code("111028", "DCM", "Image Library"));
        if (!s.sopInstanceUids().isEmpty()) { // an empty library has no content sequence at all
            SequenceAttribute groups = new SequenceAttribute(tag(0x0040, 0xA730));
            AttributeList group = container("CONTAINS", new Code("126200", "DCM", "Image Library Group"));
            SequenceAttribute entries = new SequenceAttribute(tag(0x0040, 0xA730));
            for (String sop : s.sopInstanceUids()) {
                AttributeList entry = new AttributeList();
                put(entry, new CodeStringAttribute(tag(0x0040, 0xA010)), "CONTAINS");
                put(entry, new CodeStringAttribute(tag(0x0040, 0xA040)), "IMAGE");
                entry.put(sequence(tag(0x0008, 0x1199), reference(sopClass(s), sop)));
                entries.addItem(entry);
            }
            group.put(entries);
            groups.addItem(group);
            library.put(groups);
        }
        return library;
    }

    /** The template a container follows, from the DICOM Content Mapping Resource. */
    private static SequenceAttribute template(String id) throws DicomException {
        AttributeList t = new AttributeList();
        put(t, new CodeStringAttribute(tag(0x0008, 0x0105)), "DCMR");
        put(t, new CodeStringAttribute(tag(0x0040, 0xDB00)), id);
        return sequence(tag(0x0040, 0xA504), t);
    }

    private static AttributeList reference(String sopClass, String sopInstance) throws DicomException {
        AttributeList ref = new AttributeList();
        put(ref, new UniqueIdentifierAttribute(tag(0x0008, 0x1150)), sopClass);
        put(ref, new UniqueIdentifierAttribute(tag(0x0008, 0x1155)), sopInstance);
        return ref;
    }

    private static String sopClass(Subject s) {
        return s.sopClassUid() != null ? s.sopClassUid() : SOPClass.CTImageStorage;
    }

    /** Pertinent Other Evidence: the study and, per series, the segmentations the groups reference. */
    private static AttributeList segmentations(String studyUid, List<SegmentReference> segments) throws DicomException {
        Map<String, Set<String>> bySeries = new LinkedHashMap<>();
        for (SegmentReference r : segments) {
            bySeries.computeIfAbsent(r.seriesUid(), k -> new LinkedHashSet<>()).add(r.sopInstanceUid());
        }
        SequenceAttribute series = new SequenceAttribute(tag(0x0008, 0x1115));
        for (Map.Entry<String, Set<String>> e : bySeries.entrySet()) {
            AttributeList one = new AttributeList();
            put(one, new UniqueIdentifierAttribute(tag(0x0020, 0x000E)), e.getKey());
            SequenceAttribute instances = new SequenceAttribute(tag(0x0008, 0x1199));
            for (String sop : e.getValue()) {
                instances.addItem(reference(SOPClass.SegmentationStorage, sop));
            }
            one.put(instances);
            series.addItem(one);
        }
        AttributeList study = new AttributeList();
        put(study, new UniqueIdentifierAttribute(tag(0x0020, 0x000D)), studyUid);
        study.put(series);
        return study;
    }

    /** Current Requested Procedure Evidence: the study, the series, each of its instances. */
    private static AttributeList evidence(Subject s) throws DicomException {
        AttributeList series = new AttributeList();
        put(series, new UniqueIdentifierAttribute(tag(0x0020, 0x000E)), s.seriesUid());
        SequenceAttribute instances = new SequenceAttribute(tag(0x0008, 0x1199));
        for (String sop : s.sopInstanceUids()) {
            instances.addItem(reference(sopClass(s), sop));
        }
        series.put(instances);
        AttributeList study = new AttributeList();
        put(study, new UniqueIdentifierAttribute(tag(0x0020, 0x000D)), s.studyUid());
        study.put(sequence(tag(0x0008, 0x1115), series));
        return study;
    }

    private static AttributeList item(Code c) throws DicomException {
        return code(c.value(), c.scheme(), c.meaning());
    }

    private static AttributeList contentItem(String relationship, String valueType, Code concept) throws DicomException {
        AttributeList a = new AttributeList();
        put(a, new CodeStringAttribute(tag(0x0040, 0xA010)), relationship);
        put(a, new CodeStringAttribute(tag(0x0040, 0xA040)), valueType);
        a.put(sequence(tag(0x0040, 0xA043), item(concept)));
        return a;
    }

    private static AttributeList container(String relationship, Code concept) throws DicomException {
        AttributeList a = contentItem(relationship, "CONTAINER", concept);
        put(a, new CodeStringAttribute(tag(0x0040, 0xA050)), "SEPARATE");
        return a;
    }

    private static AttributeList codeItem(String relationship, Code concept, Code value) throws DicomException {
        AttributeList a = contentItem(relationship, "CODE", concept);
        a.put(sequence(tag(0x0040, 0xA168), item(value)));
        return a;
    }

    private static AttributeList textItem(String relationship, Code concept, String text) throws DicomException {
        AttributeList a = contentItem(relationship, "TEXT", concept);
        put(a, new UnlimitedTextAttribute(tag(0x0040, 0xA160)), text);
        return a;
    }

    private static AttributeList uidItem(String relationship, Code concept, String uid) throws DicomException {
        AttributeList a = contentItem(relationship, "UIDREF", concept);
        put(a, new UniqueIdentifierAttribute(tag(0x0040, 0xA124)), uid);
        return a;
    }

    private static AttributeList numItem(Measurement m) throws DicomException {
        AttributeList a = contentItem("CONTAINS", "NUM", m.concept());
        AttributeList value = new AttributeList();
        put(value, new DecimalStringAttribute(tag(0x0040, 0xA30A)), ds(m.value()));
        value.put(sequence(tag(0x0040, 0x08EA), item(m.unit())));
        a.put(sequence(tag(0x0040, 0xA300), value));
        return a;
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }
}
