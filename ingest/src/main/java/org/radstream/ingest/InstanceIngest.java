package org.radstream.ingest;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.SOPClass;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import org.radstream.avro.DicomSlice;
import org.radstream.avro.ReceivedSegmentation;
import org.radstream.avro.RejectedInstance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest step every receiver shares (C-STORE, STOW-RS, folder import): validate one Part 10
 * instance, publish its slice, and decide what the sender is told. Returns only after Kafka has
 * acknowledged the slice (status 0), or with a failure status: 0xA700 when Kafka did not acknowledge
 * in time (the sender keeps the instance and retries; not a dead letter, since nothing is refused),
 * or the validation's status for an instance that can never be a slice, which is dead-lettered on
 * the rejected topic with its reason and original bytes. A duplicate SOP instance is answered 0 and
 * recorded on the rejected topic with status 0 and reason "duplicate: ...". When the rejected topic
 * cannot be written either, the instance is logged at ERROR with its SOP UID and calling AE.
 */
public final class InstanceIngest {
    private static final Logger log = LoggerFactory.getLogger(InstanceIngest.class);
    private static final AttributeTag SOP_CLASS = new AttributeTag(0x0008, 0x0016);
    private static final AttributeTag SOP_INSTANCE = new AttributeTag(0x0008, 0x0018);
    private static final AttributeTag STUDY_UID = new AttributeTag(0x0020, 0x000D);
    private static final AttributeTag SERIES_UID = new AttributeTag(0x0020, 0x000E);
    private static final AttributeTag PATIENT_ID = new AttributeTag(0x0010, 0x0020);
    private static final AttributeTag PIXEL_DATA = new AttributeTag(0x7FE0, 0x0010);

    private final CtInstanceReader reader = new CtInstanceReader();
    private final SegmentationReader segmentations = new SegmentationReader();
    private final RejectionNoteReader rejectionNotes = new RejectionNoteReader();
    private final SeriesTracker tracker;
    private final Publisher publisher;
    private final IngestMetrics metrics;
    private final java.util.function.Predicate<String> correctionsFrom;
    private final java.util.function.Predicate<String> rejectionNotesFrom;
    private final RejectedInstances rejected;
    private volatile boolean kafkaFailing;

    /**
     * @param correctionsFrom    whether a C-STORE caller's DICOM Segmentations (which become labels) are taken
     * @param rejectionNotesFrom whether a C-STORE caller's IOCM rejection notes (which withdraw series and
     *                           retract alerts) are taken
     * @param rejected           instances the PACS rejected: one sent again is answered as stored and recorded
     *                           on the rejected topic, not published ({@link RejectedInstances#none()}: none is)
     */
    InstanceIngest(SeriesTracker tracker, Publisher publisher, IngestMetrics metrics,
                   java.util.function.Predicate<String> correctionsFrom,
                   java.util.function.Predicate<String> rejectionNotesFrom, RejectedInstances rejected) {
        this.rejected = rejected;
        this.correctionsFrom = correctionsFrom;
        this.rejectionNotesFrom = rejectionNotesFrom;
        this.tracker = tracker;
        this.publisher = publisher;
        this.metrics = metrics;
    }

    /**
     * Ingests one instance.
     *
     * @param part10    the instance as a DICOM file (preamble, meta header, data set)
     * @param callingAe the sender: calling AE title, or the channel's name for STOW-RS and import
     */
    public Outcome ingest(byte[] part10, String callingAe, Channel via) throws InterruptedException {
        long start = System.nanoTime();
        Instant receivedAt = Instant.now();
        metrics.received(callingAe);
        if (SegmentationReader.isSegmentation(part10)) {
            return segmentation(part10, callingAe, via, receivedAt);
        }
        if (RejectionNoteReader.isKeyObjectSelection(part10)) {
            return rejectionNote(part10, callingAe, via, receivedAt);
        }
        DicomSlice slice;
        try {
            slice = reader.read(part10, callingAe, receivedAt);
        } catch (InstanceRejectedException e) {
            return refuse(e, part10, callingAe, via);
        }
        String sop = slice.getSopInstanceUid();
        java.util.Optional<RejectedInstances.Rejection> before = rejected.find(slice.getSeriesUid(), sop);
        if (before.isPresent()) {
            rejectedAgain(before.get(), "SOP instance " + sop + " of series " + slice.getSeriesUid(), sop,
                    slice.getSeriesUid(), callingAe, via, slice.getTransferSyntaxUid(), part10);
            return new Outcome(DimseStatus.SUCCESS, null, slice.getSopClassUid(), sop, slice.getSeriesUid(),
                    slice.getStudyUid(), true, slice.getPatientId());
        }
        try {
            SeriesTracker.Result result = tracker.publish(slice);
            if (result == SeriesTracker.Result.DUPLICATE) {
                metrics.duplicate(callingAe);
                String reason = "duplicate: SOP instance " + sop + " of series " + slice.getSeriesUid()
                        + " was already published; answered as stored, not published again";
                deadLetter(sop, slice.getSeriesUid(), reason, DimseStatus.SUCCESS, callingAe, via,
                        slice.getTransferSyntaxUid(), part10);
                return new Outcome(DimseStatus.SUCCESS, null, slice.getSopClassUid(), sop, slice.getSeriesUid(),
                        slice.getStudyUid(), true, slice.getPatientId());
            }
            kafkaFailing = false;
            metrics.published(callingAe, System.nanoTime() - start);
            return new Outcome(DimseStatus.SUCCESS, null, slice.getSopClassUid(), sop, slice.getSeriesUid(),
                    slice.getStudyUid(), false, slice.getPatientId());
        } catch (Publisher.PublishException e) {
            kafkaFailing = true;
            metrics.failed(callingAe);
            log.warn("SOP instance {} from {} via {} not acknowledged by Kafka, answered {} so the sender retries: {}",
                    sop, callingAe, via.wireName(), DimseStatus.hex(DimseStatus.OUT_OF_RESOURCES), e.getMessage());
            return new Outcome(DimseStatus.OUT_OF_RESOURCES, "Kafka did not acknowledge the slice: " + e.getMessage(),
                    slice.getSopClassUid(), sop, slice.getSeriesUid(), slice.getStudyUid(), false, slice.getPatientId());
        }
    }

    /**
     * A DICOM Segmentation: a radiologist's correction, published for the segmentation-labels
     * topology, which lays it onto the series' voxels; the sender is answered once Kafka has it.
     */
    private Outcome segmentation(byte[] part10, String callingAe, Channel via, Instant receivedAt)
            throws InterruptedException {
        ReceivedSegmentation seg;
        try {
            if (via == Channel.C_STORE && !correctionsFrom.test(callingAe)) {
                throw new InstanceRejectedException(DimseStatus.SOP_CLASS_NOT_SUPPORTED, "corrections (DICOM "
                        + "Segmentations, which become training labels) are taken only from the AE titles named by "
                        + "--corrections-from; " + callingAe + " is not one of them", null, null, null);
            }
            seg = segmentations.read(part10, callingAe, via, receivedAt);
        } catch (InstanceRejectedException e) {
            return refuse(e, part10, callingAe, via);
        }
        String sop = seg.getSopInstanceUid();
        String series = seg.getReferencedSeriesUid();
        java.util.Optional<RejectedInstances.Rejection> before = rejected.find(null, sop);
        if (before.isPresent()) {
            rejectedAgain(before.get(), "segmentation " + sop + " of series " + series, sop, series, callingAe, via, null,
                    part10);
            return new Outcome(DimseStatus.SUCCESS, null, SOPClass.SegmentationStorage, sop, series, seg.getStudyUid(), true,
                    seg.getPatientId());
        }
        try {
            publisher.publishSegmentation(seg);
        } catch (Publisher.PublishException e) {
            kafkaFailing = true;
            metrics.failed(callingAe);
            log.warn("segmentation {} of series {} from {} via {} not acknowledged by Kafka, answered {} so the sender "
                    + "retries: {}", sop, series, callingAe, via.wireName(), DimseStatus.hex(DimseStatus.OUT_OF_RESOURCES),
                    e.getMessage());
            return new Outcome(DimseStatus.OUT_OF_RESOURCES, "Kafka did not acknowledge the segmentation: " + e.getMessage(),
                    SOPClass.SegmentationStorage, sop, series, seg.getStudyUid(), false, seg.getPatientId());
        }
        kafkaFailing = false;
        metrics.segmentation(callingAe);
        log.info("segmentation {} of series {} from {} via {} published for labelling", sop, series, callingAe,
                via.wireName());
        return new Outcome(DimseStatus.SUCCESS, null, SOPClass.SegmentationStorage, sop, series, seg.getStudyUid(), false,
                seg.getPatientId());
    }

    /**
     * A Key Object Selection: an IOCM rejection note is published for the progression topology, which
     * takes the series it names out of the patient's timeline and retracts the alerts made from them;
     * the sender is answered once Kafka has it. One with another title is answered as stored and
     * recorded on the rejected topic with status 0 and why it is not used.
     */
    private Outcome rejectionNote(byte[] part10, String callingAe, Channel via, Instant receivedAt)
            throws InterruptedException {
        org.radstream.avro.RejectionNote note;
        try {
            if (via == Channel.C_STORE && !rejectionNotesFrom.test(callingAe)) {
                throw new InstanceRejectedException(DimseStatus.SOP_CLASS_NOT_SUPPORTED, "rejection notes (which withdraw "
                        + "series from patients' timelines and retract their alerts) are taken only from the AE titles named "
                        + "by --rejections-from (else --corrections-from); " + callingAe + " is not one of them", null,
                        null, null);
            }
            note = rejectionNotes.read(part10, callingAe, via, receivedAt);
        } catch (InstanceRejectedException e) {
            return refuse(e, part10, callingAe, via);
        } catch (RejectionNoteReader.NotARejectionNote e) {
            return refuse(new InstanceRejectedException(DimseStatus.SUCCESS, e.getMessage() + "; answered as stored", null,
                    null, null), part10, callingAe, via);
        }
        String sop = note.getSopInstanceUid();
        String firstSeries = note.getSeries().get(0).getSeriesUid();
        String study = note.getSeries().get(0).getStudyUid();
        try {
            publisher.publishRejectionNote(note);
        } catch (Publisher.PublishException e) {
            kafkaFailing = true;
            metrics.failed(callingAe);
            log.warn("rejection note {} of patient {} from {} via {} not acknowledged by Kafka, answered {} so the sender "
                    + "retries: {}", sop, note.getPatientId(), callingAe, via.wireName(),
                    DimseStatus.hex(DimseStatus.OUT_OF_RESOURCES), e.getMessage());
            return new Outcome(DimseStatus.OUT_OF_RESOURCES, "Kafka did not acknowledge the rejection note: " + e.getMessage(),
                    SOPClass.KeyObjectSelectionDocumentStorage, sop, firstSeries, study, false, note.getPatientId());
        }
        kafkaFailing = false;
        rejected.add(note);
        metrics.rejectionNote(callingAe);
        log.warn("rejection note {} from {} via {}: {} ({}) withdraws series {} of patient {}", sop, callingAe,
                via.wireName(), note.getReasonMeaning(), note.getReasonCode(),
                note.getSeries().stream().map(org.radstream.avro.RejectedSeries::getSeriesUid).toList(), note.getPatientId());
        return new Outcome(DimseStatus.SUCCESS, null, SOPClass.KeyObjectSelectionDocumentStorage, sop, firstSeries, study,
                false, note.getPatientId());
    }

    /** Records an instance the PACS had rejected, sent again: answered as stored, not published. */
    private void rejectedAgain(RejectedInstances.Rejection before, String what, String sop, String series,
            String callingAe, Channel via, String transferSyntax, byte[] part10) throws InterruptedException {
        metrics.rejectedAgain(callingAe);
        String reason = "rejected before: " + what + " was withdrawn by the PACS's " + before.describe()
                + "; answered as stored, not published again (ingest --accept-rejected-again processes such instances)";
        log.warn("{} from {} via {}", reason, callingAe, via.wireName());
        deadLetter(sop, series, reason, DimseStatus.SUCCESS, callingAe, via, transferSyntax, part10);
    }

    /** Whether the latest publish failed (cleared by the next acknowledged one): /health reports it. */
    boolean kafkaFailing() {
        return kafkaFailing;
    }

    private Outcome refuse(InstanceRejectedException e, byte[] part10, String callingAe, Channel via)
            throws InterruptedException {
        metrics.rejected(callingAe);
        AttributeList ids = identity(part10);
        String sop = e.sopInstanceUid() != null ? e.sopInstanceUid() : CtInstanceReader.text(ids, SOP_INSTANCE);
        String series = e.seriesUid() != null ? e.seriesUid() : CtInstanceReader.text(ids, SERIES_UID);
        log.info("refused SOP instance {} of series {} from {} via {} with {}: {}", sop, series, callingAe,
                via.wireName(), DimseStatus.hex(e.status()), e.reason());
        deadLetter(sop, series, e.reason(), e.status(), callingAe, via, e.transferSyntaxUid(), part10);
        return new Outcome(e.status(), e.reason(), CtInstanceReader.text(ids, SOP_CLASS), sop, series,
                CtInstanceReader.text(ids, STUDY_UID), false, CtInstanceReader.text(ids, PATIENT_ID));
    }

    private void deadLetter(String sop, String series, String reason, int status, String callingAe, Channel via,
                            String ts, byte[] original) throws InterruptedException {
        RejectedInstance record = RejectedInstance.newBuilder()
                .setSopInstanceUid(sop)
                .setSeriesUid(series)
                .setReason(reason)
                .setDicomStatus(status)
                .setCallingAe(callingAe)
                .setReceivedVia(via.wireName())
                .setTransferSyntaxUid(ts)
                .setRejectedAt(Instant.now())
                .setOriginal(ByteBuffer.wrap(original))
                .build();
        try {
            publisher.publishRejected(record);
        } catch (Publisher.PublishException e) {
            log.error("dead letter for SOP instance {} of series {} from {} via {} could not be written ({}); reason was: {}",
                    sop, series, callingAe, via.wireName(), e.getMessage(), reason);
        }
    }

    /** Whatever identifying attributes can be read from the header, for failure reports; empty when none. */
    private static AttributeList identity(byte[] part10) {
        AttributeList list = new AttributeList();
        if (!org.radstream.imaging.dicom.Part10.is(part10)) {
            return list; // not DICOM: do not let a parser size arrays from garbage lengths
        }
        try (DicomInputStream in = new DicomInputStream(new ByteArrayInputStream(part10))) {
            list.read(in, PIXEL_DATA);
        } catch (IOException | DicomException | RuntimeException e) {
            // garbage: the list keeps what was read before the failure, possibly nothing
        }
        return list;
    }
}
