package org.radstream.ingest;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.radstream.schemas.AuditLog;
import org.radstream.schemas.AuditMessage;

/**
 * The ingest's and the export's audit trail (IHE ATNA): which studies of which patients it
 * received from whom (or sent to the PACS), and whom it refused. One "DICOM Instances Transferred" message per study of an association or
 * STOW-RS request, sent when it ends; a Security Alert for a caller refused at the door (TLS
 * handshake, calling AE title) and a failed User Authentication for a STOW-RS request without
 * the token.
 */
final class IngestAudit {
    private static final AttributeTag SOP_CLASS = new AttributeTag(0x0008, 0x0016);
    private static final AttributeTag SOP_INSTANCE = new AttributeTag(0x0008, 0x0018);
    private static final AttributeTag STUDY_UID = new AttributeTag(0x0020, 0x000D);
    private static final AttributeTag PATIENT_ID = new AttributeTag(0x0010, 0x0020);
    private static final AttributeTag PIXEL_DATA = new AttributeTag(0x7FE0, 0x0010);
    private final AuditLog log;
    private final String aeTitle;
    private final String source;
    private final String host;

    IngestAudit(AuditLog log, String aeTitle) {
        this.log = log;
        this.aeTitle = aeTitle;
        this.host = AuditLog.hostName();
        this.source = AuditLog.source("ingest");
    }

    /**
     * What one association, STOW-RS request or import carried to radstream, or one association of
     * the export carried to the PACS; {@link #end} sends its messages.
     */
    final class Transfer {
        private final String caller;
        private final String address;
        /** Whether radstream sent (the export: it is the source and the requestor) rather than received. */
        private final boolean sending;
        private final Map<String, Study> studies = new LinkedHashMap<>();
        private int withoutStudy;

        private Transfer(String caller, String address, boolean sending) {
            this.caller = caller;
            this.address = address;
            this.sending = sending;
        }

        /** One instance's outcome. */
        void add(Outcome o) {
            if (!log.enabled()) {
                return;
            }
            if (o.studyUid() == null) {
                withoutStudy++;
                return;
            }
            Study s = studies.computeIfAbsent(o.studyUid(), k -> new Study());
            if (s.patientId == null) {
                s.patientId = o.patientId();
            }
            if (o.stored()) {
                s.stored.merge(o.sopClassUid() == null ? "unknown" : o.sopClassUid(), 1, Integer::sum);
            } else {
                s.refused++;
                if (s.firstReason == null) {
                    s.firstReason = o.reason();
                }
            }
        }

        /** One object radstream sent, stored or not for {@code failure}; its header is read only when auditing. */
        void sent(byte[] part10, String failure) {
            if (log.enabled()) {
                add(IngestAudit.sent(part10, failure));
            }
        }

        /** Sends one message per study carried (and none when nothing was). */
        void end() {
            if (!log.enabled()) {
                return;
            }
            Instant now = Instant.now();
            studies.forEach((uid, s) -> {
                int stored = s.stored.values().stream().mapToInt(Integer::intValue).sum();
                AuditMessage.Outcome outcome = s.refused == 0 ? AuditMessage.Outcome.SUCCESS
                        : stored > 0 ? AuditMessage.Outcome.MINOR_FAILURE : AuditMessage.Outcome.SERIOUS_FAILURE;
                String description = s.refused == 0 ? null : s.refused + " of " + (s.refused + stored) + " instances "
                        + (sending ? "not stored" : "refused") + ", the first: " + s.firstReason;
                AuditMessage m = participants(AuditMessage.of(AuditMessage.INSTANCES_TRANSFERRED,
                        sending ? AuditMessage.Action.READ : AuditMessage.Action.CREATE, outcome, now, description))
                        .study(uid, s.stored);
                if (s.patientId != null) {
                    m.patient(s.patientId, null);
                }
                log.record(m);
            });
            if (withoutStudy > 0) {
                log.record(participants(AuditMessage.of(AuditMessage.INSTANCES_TRANSFERRED, AuditMessage.Action.CREATE,
                        AuditMessage.Outcome.SERIOUS_FAILURE, now, withoutStudy
                                + " objects refused that named no study (not DICOM, or unreadable)")));
            }
        }

        /** The sender (source, the requestor) and the receiver (destination), and the audit source. */
        private AuditMessage participants(AuditMessage m) {
            String pid = Long.toString(ProcessHandle.current().pid());
            if (sending) {
                m.participant(aeTitle, pid, true, host, AuditMessage.SOURCE)
                        .participant(caller, null, false, address, AuditMessage.DESTINATION);
            } else {
                m.participant(caller, null, true, address, AuditMessage.SOURCE)
                        .participant(aeTitle, pid, false, host, AuditMessage.DESTINATION);
            }
            return m.source(source);
        }
    }

    private static final class Study {
        String patientId;
        final Map<String, Integer> stored = new TreeMap<>();
        int refused;
        String firstReason;
    }

    /** A transfer from {@code caller} (an AE title, "STOW-RS", the importing user) at {@code address} (null: local). */
    Transfer transfer(String caller, String address) {
        return new Transfer(caller, address, false);
    }

    /** A transfer by radstream to {@code calledAe} at {@code address} (the export to the PACS). */
    Transfer sending(String calledAe, String address) {
        return new Transfer(calledAe, address, true);
    }

    /**
     * The outcome of sending {@code part10} (an object radstream made): its study, patient and SOP
     * class as its header names them, stored or not for {@code failure}.
     */
    static Outcome sent(byte[] part10, String failure) {
        AttributeList ids = new AttributeList();
        try (DicomInputStream in = new DicomInputStream(new ByteArrayInputStream(part10))) {
            ids.read(in, PIXEL_DATA);
        } catch (IOException | DicomException | RuntimeException e) {
            // our own object: a header that cannot be read leaves the audit without its study
        }
        return new Outcome(failure == null ? DimseStatus.SUCCESS : DimseStatus.PROCESSING_FAILURE, failure,
                CtInstanceReader.text(ids, SOP_CLASS), CtInstanceReader.text(ids, SOP_INSTANCE), null,
                CtInstanceReader.text(ids, STUDY_UID), false, CtInstanceReader.text(ids, PATIENT_ID));
    }

    /** A caller refused before it could send anything: a failed TLS handshake, a calling AE not allowed. */
    void nodeRefused(String caller, String address, String why) {
        if (!log.enabled()) {
            return;
        }
        log.record(AuditMessage.of(AuditMessage.SECURITY_ALERT, AuditMessage.Action.EXECUTE,
                        AuditMessage.Outcome.MINOR_FAILURE, Instant.now(), why)
                .eventType(AuditMessage.NODE_AUTHENTICATION)
                .participant(caller, null, true, address, null)
                .participant(aeTitle, Long.toString(ProcessHandle.current().pid()), false, host, AuditMessage.APPLICATION)
                .source(source));
    }

    /** A request refused for want of its token. */
    void userRefused(String address, String why) {
        log.authenticationFailed("ingest", aeTitle, address, why);
    }
}
