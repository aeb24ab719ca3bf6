package org.radstream.imaging.dicom;

import static org.radstream.imaging.dicom.DicomAttributes.code;
import static org.radstream.imaging.dicom.DicomAttributes.put;
import static org.radstream.imaging.dicom.DicomAttributes.sequence;
import static org.radstream.imaging.dicom.DicomAttributes.tag;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.CodeStringAttribute;
import com.pixelmed.dicom.DateAttribute;
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
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * An IHE IOCM rejection note: a Key Object Selection document (TID 2010) whose title says why the
 * instances it lists are withdrawn (DCM 113001, 113037, 113038, 113039). An Image Manager that
 * supports IOCM hides or deletes the instances it names. It lists the instances of one study.
 */
public final class RejectionNoteDocument {
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyyMMdd", Locale.ROOT);
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HHmmss.SSS", Locale.ROOT);
    private static final String SR_PREFIX = "1.2.840.10008.5.1.4.1.1.88.";

    private RejectionNoteDocument() {}

    /** An instance withdrawn: its series, SOP class and SOP instance. */
    public record Reference(String seriesUid, String sopClassUid, String sopInstanceUid) {}

    /**
     * The note as a DICOM Part 10 file (explicit VR little endian).
     *
     * @param titleCode    the title's DCM code (e.g. 113037)
     * @param titleMeaning its meaning (e.g. Rejected for Patient Safety Reasons)
     * @param rejected     the instances withdrawn, all of study {@code studyUid}; at least one
     * @param manufacturer who made the note (the device or system that withdraws them)
     * @param uids         the source of the note's SOP instance and series UIDs (seeded: the same note, the same UIDs)
     */
    public static byte[] write(String patientId, String patientName, String studyUid, String titleCode,
                               String titleMeaning, List<Reference> rejected, String manufacturer, Instant created,
                               RandomGenerator uids) {
        if (rejected.isEmpty()) {
            throw new IllegalArgumentException("a rejection note names at least one instance");
        }
        var t = created.atOffset(ZoneOffset.UTC);
        try {
            AttributeList list = new AttributeList();
            put(list, new CodeStringAttribute(tag(0x0008, 0x0005)), "ISO_IR 192");
            put(list, new UniqueIdentifierAttribute(tag(0x0008, 0x0016)), SOPClass.KeyObjectSelectionDocumentStorage);
            put(list, new UniqueIdentifierAttribute(tag(0x0008, 0x0018)), Uids.next(uids));
            put(list, new DateAttribute(tag(0x0008, 0x0020)));
            put(list, new DateAttribute(tag(0x0008, 0x0023)), DATE.format(t));
            put(list, new TimeAttribute(tag(0x0008, 0x0030)));
            put(list, new TimeAttribute(tag(0x0008, 0x0033)), TIME.format(t));
            put(list, new ShortStringAttribute(tag(0x0008, 0x0050)));
            put(list, new CodeStringAttribute(tag(0x0008, 0x0060)), "KO");
            put(list, new LongStringAttribute(tag(0x0008, 0x0070)), manufacturer);
            put(list, new PersonNameAttribute(tag(0x0008, 0x0090)));
            list.put(new SequenceAttribute(tag(0x0008, 0x1111))); // Referenced Performed Procedure Step: none
            put(list, new PersonNameAttribute(tag(0x0010, 0x0010)), patientName == null ? "" : patientName);
            put(list, new LongStringAttribute(tag(0x0010, 0x0020)), patientId);
            put(list, new DateAttribute(tag(0x0010, 0x0030)));
            put(list, new CodeStringAttribute(tag(0x0010, 0x0040)));
            put(list, new UniqueIdentifierAttribute(tag(0x0020, 0x000D)), studyUid);
            put(list, new UniqueIdentifierAttribute(tag(0x0020, 0x000E)), Uids.next(uids));
            put(list, new ShortStringAttribute(tag(0x0020, 0x0010)));
            put(list, new IntegerStringAttribute(tag(0x0020, 0x0011)), "999");
            put(list, new IntegerStringAttribute(tag(0x0020, 0x0013)), "1");
            put(list, new CodeStringAttribute(tag(0x0040, 0xA040)), "CONTAINER");
            list.put(sequence(tag(0x0040, 0xA043), code(titleCode, "DCM", titleMeaning)));
            put(list, new CodeStringAttribute(tag(0x0040, 0xA050)), "SEPARATE");
            AttributeList template = new AttributeList();
            put(template, new CodeStringAttribute(tag(0x0008, 0x0105)), "DCMR");
            put(template, new CodeStringAttribute(tag(0x0040, 0xDB00)), "2010");
            list.put(sequence(tag(0x0040, 0xA504), template));
            SequenceAttribute content = new SequenceAttribute(tag(0x0040, 0xA730));
            Map<String, SequenceAttribute> bySeries = new LinkedHashMap<>();
            for (Reference r : rejected) {
                bySeries.computeIfAbsent(r.seriesUid(), k -> new SequenceAttribute(tag(0x0008, 0x1199)))
                        .addItem(reference(r));
                AttributeList item = new AttributeList();
                put(item, new CodeStringAttribute(tag(0x0040, 0xA010)), "CONTAINS");
                // an SR document is a composite object; every other here (CT, SEG) an image
                put(item, new CodeStringAttribute(tag(0x0040, 0xA040)), r.sopClassUid().startsWith(SR_PREFIX)
                        ? "COMPOSITE" : "IMAGE");
                item.put(sequence(tag(0x0008, 0x1199), reference(r)));
                content.addItem(item);
            }
            list.put(content);
            SequenceAttribute series = new SequenceAttribute(tag(0x0008, 0x1115));
            for (Map.Entry<String, SequenceAttribute> e : bySeries.entrySet()) {
                AttributeList one = new AttributeList();
                put(one, new UniqueIdentifierAttribute(tag(0x0020, 0x000E)), e.getKey());
                one.put(e.getValue());
                series.addItem(one);
            }
            AttributeList study = new AttributeList();
            put(study, new UniqueIdentifierAttribute(tag(0x0020, 0x000D)), studyUid);
            study.put(series);
            list.put(sequence(tag(0x0040, 0xA375), study)); // Current Requested Procedure Evidence
            FileMetaInformation.addFileMetaInformation(list, TransferSyntax.ExplicitVRLittleEndian, "RADSTREAM");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            list.write(out, TransferSyntax.ExplicitVRLittleEndian, true, true);
            return out.toByteArray();
        } catch (DicomException | IOException e) {
            throw new IllegalStateException("cannot build the rejection note of study " + studyUid + ": " + e.getMessage(), e);
        }
    }

    private static AttributeList reference(Reference r) throws DicomException {
        AttributeList ref = new AttributeList();
        put(ref, new UniqueIdentifierAttribute(tag(0x0008, 0x1150)), r.sopClassUid());
        put(ref, new UniqueIdentifierAttribute(tag(0x0008, 0x1155)), r.sopInstanceUid());
        return ref;
    }
}
