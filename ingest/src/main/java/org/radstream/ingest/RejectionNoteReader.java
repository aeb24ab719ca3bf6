package org.radstream.ingest;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.SOPClass;
import com.pixelmed.dicom.SequenceAttribute;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.radstream.avro.RejectedSeries;
import org.radstream.avro.RejectionNote;

/**
 * A received Key Object Selection document read as an IHE IOCM (Imaging Object Change Management)
 * rejection note: the way a PACS tells the systems it sent a study to that instances were withdrawn,
 * for a wrong patient or worklist entry, for patient safety, for poor quality or at the end of their
 * retention. Its title (ConceptNameCodeSequence) says why; its CurrentRequestedProcedureEvidenceSequence
 * names the rejected instances by study and series. A Key Object Selection with another title (key
 * images "Of Interest", say) is not a rejection note, and radstream has no use for it.
 */
final class RejectionNoteReader {
    private static final AttributeTag SOP_INSTANCE = new AttributeTag(0x0008, 0x0018);
    private static final AttributeTag PATIENT_ID = new AttributeTag(0x0010, 0x0020);
    private static final AttributeTag PATIENT_NAME = new AttributeTag(0x0010, 0x0010);
    private static final AttributeTag CONCEPT_NAME = new AttributeTag(0x0040, 0xA043);
    private static final AttributeTag CODE_VALUE = new AttributeTag(0x0008, 0x0100);
    private static final AttributeTag CODING_SCHEME = new AttributeTag(0x0008, 0x0102);
    private static final AttributeTag CODE_MEANING = new AttributeTag(0x0008, 0x0104);
    private static final AttributeTag EVIDENCE = new AttributeTag(0x0040, 0xA375);
    private static final AttributeTag STUDY_UID = new AttributeTag(0x0020, 0x000D);
    private static final AttributeTag REFERENCED_SERIES = new AttributeTag(0x0008, 0x1115);
    private static final AttributeTag SERIES_UID = new AttributeTag(0x0020, 0x000E);
    private static final AttributeTag REFERENCED_SOP = new AttributeTag(0x0008, 0x1199);
    private static final AttributeTag REFERENCED_SOP_INSTANCE = new AttributeTag(0x0008, 0x1155);

    /** The titles of IOCM rejection notes (DCM codes), with their meanings. */
    static final Map<String, String> REJECTION_TITLES = RejectionReason.titles();

    /** A Key Object Selection that is not a rejection note: answered as stored, recorded, not used. */
    static final class NotARejectionNote extends Exception {
        NotARejectionNote(String reason) {
            super(reason);
        }
    }

    /** Whether the file's meta header names the Key Object Selection Document Storage SOP class. */
    static boolean isKeyObjectSelection(byte[] part10) {
        return SOPClass.KeyObjectSelectionDocumentStorage.equals(SegmentationReader.mediaStorageSopClass(part10));
    }

    RejectionNote read(byte[] part10, String callingAe, Channel via, Instant receivedAt)
            throws InstanceRejectedException, NotARejectionNote {
        AttributeList list = new AttributeList();
        try (DicomInputStream in = new DicomInputStream(new ByteArrayInputStream(part10))) {
            list.read(in);
        } catch (IOException | DicomException | RuntimeException e) {
            throw new InstanceRejectedException(DimseStatus.CANNOT_UNDERSTAND, "the Key Object Selection cannot be read: "
                    + e.getMessage(), null, null, null);
        }
        String sop = CtInstanceReader.text(list, SOP_INSTANCE);
        if (sop == null) {
            throw new InstanceRejectedException(DimseStatus.DATA_SET_DOES_NOT_MATCH, "the Key Object Selection has no SOP "
                    + "Instance UID (0008,0018)", null, null, null);
        }
        AttributeList title = firstItem(list, CONCEPT_NAME);
        String code = title == null ? null : CtInstanceReader.text(title, CODE_VALUE);
        String scheme = title == null ? null : CtInstanceReader.text(title, CODING_SCHEME);
        String meaning = title == null ? null : CtInstanceReader.text(title, CODE_MEANING);
        if (!"DCM".equals(scheme) || !REJECTION_TITLES.containsKey(code)) {
            throw new NotARejectionNote("the Key Object Selection " + sop + " is titled "
                    + (title == null ? "nothing (no ConceptNameCodeSequence (0040,A043))"
                    : "(" + code + ", " + scheme + ", \"" + meaning + "\")")
                    + ", not an IOCM rejection note (DCM 113001, 113037, 113038 or 113039); radstream does not use it");
        }
        String patient = CtInstanceReader.text(list, PATIENT_ID);
        if (patient == null) {
            throw new InstanceRejectedException(DimseStatus.DATA_SET_DOES_NOT_MATCH, "the rejection note has no Patient ID "
                    + "(0010,0020): the timeline its series belong to is not known", sop, null, null);
        }
        List<RejectedSeries> series = new ArrayList<>();
        for (AttributeList study : items(list, EVIDENCE)) {
            String studyUid = CtInstanceReader.text(study, STUDY_UID);
            for (AttributeList s : items(study, REFERENCED_SERIES)) {
                String seriesUid = CtInstanceReader.text(s, SERIES_UID);
                if (studyUid == null || seriesUid == null) {
                    throw new InstanceRejectedException(DimseStatus.DATA_SET_DOES_NOT_MATCH, "the rejection note names a "
                            + "series without its Study or Series Instance UID in CurrentRequestedProcedureEvidenceSequence "
                            + "(0040,A375)", sop, seriesUid, null);
                }
                List<String> instances = new ArrayList<>();
                for (AttributeList ref : items(s, REFERENCED_SOP)) {
                    String uid = CtInstanceReader.text(ref, REFERENCED_SOP_INSTANCE);
                    if (uid != null) {
                        instances.add(uid);
                    }
                }
                series.add(RejectedSeries.newBuilder().setStudyUid(studyUid).setSeriesUid(seriesUid)
                        .setSopInstanceUids(instances).build());
            }
        }
        if (series.isEmpty()) {
            throw new InstanceRejectedException(DimseStatus.DATA_SET_DOES_NOT_MATCH, "the rejection note names no series "
                    + "(CurrentRequestedProcedureEvidenceSequence (0040,A375)): nothing to withdraw", sop, null, null);
        }
        return RejectionNote.newBuilder()
                .setSopInstanceUid(sop)
                .setPatientId(patient)
                .setPatientName(CtInstanceReader.text(list, PATIENT_NAME))
                .setReasonCode(code)
                .setReasonMeaning(REJECTION_TITLES.get(code))
                .setSeries(series)
                .setCallingAe(callingAe)
                .setReceivedVia(via.wireName())
                .setReceivedAt(receivedAt)
                .build();
    }

    private static AttributeList firstItem(AttributeList list, AttributeTag tag) {
        List<AttributeList> items = items(list, tag);
        return items.isEmpty() ? null : items.get(0);
    }

    private static List<AttributeList> items(AttributeList list, AttributeTag tag) {
        List<AttributeList> out = new ArrayList<>();
        if (list.get(tag) instanceof SequenceAttribute seq) {
            for (int i = 0; i < seq.getNumberOfItems(); i++) {
                out.add(seq.getItem(i).getAttributeList());
            }
        }
        return out;
    }
}
