package org.radstream.ingest;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.radstream.schemas.AuditLog;
import org.radstream.schemas.AuditMessage;

/**
 * The ingest's audit trail (IHE ATNA): which studies of which patients it received from whom, and
 * whom it refused. One "DICOM Instances Transferred" message per study of an association or
 * STOW-RS request, sent when it ends; a Security Alert for a caller refused at the door (TLS
 * handshake, calling AE title) and a failed User Authentication for a STOW-RS request without
 * the token.
 */
final class IngestAudit {
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

    /** What one association, STOW-RS request or import carried; {@link #end} sends its messages. */
    final class Transfer {
        private final String caller;
        private final String address;
        private final Map<String, Study> studies = new LinkedHashMap<>();
        private int withoutStudy;

        private Transfer(String caller, String address) {
            this.caller = caller;
            this.address = address;
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

        /** Sends one message per study received (and none when nothing was sent). */
        void end() {
            if (!log.enabled()) {
                return;
            }
            Instant now = Instant.now();
            studies.forEach((uid, s) -> {
                int stored = s.stored.values().stream().mapToInt(Integer::intValue).sum();
                AuditMessage.Outcome outcome = s.refused == 0 ? AuditMessage.Outcome.SUCCESS
                        : stored > 0 ? AuditMessage.Outcome.MINOR_FAILURE : AuditMessage.Outcome.SERIOUS_FAILURE;
                String description = s.refused == 0 ? null
                        : s.refused + " of " + (s.refused + stored) + " instances refused, the first: " + s.firstReason;
                AuditMessage m = AuditMessage.of(AuditMessage.INSTANCES_TRANSFERRED, AuditMessage.Action.CREATE, outcome,
                                now, description)
                        .participant(caller, null, true, address, AuditMessage.SOURCE)
                        .participant(aeTitle, Long.toString(ProcessHandle.current().pid()), false, host,
                                AuditMessage.DESTINATION)
                        .source(source)
                        .study(uid, s.stored);
                if (s.patientId != null) {
                    m.patient(s.patientId, null);
                }
                log.record(m);
            });
            if (withoutStudy > 0) {
                log.record(AuditMessage.of(AuditMessage.INSTANCES_TRANSFERRED, AuditMessage.Action.CREATE,
                                AuditMessage.Outcome.SERIOUS_FAILURE, now, withoutStudy
                                        + " objects refused that named no study (not DICOM, or unreadable)")
                        .participant(caller, null, true, address, AuditMessage.SOURCE)
                        .participant(aeTitle, Long.toString(ProcessHandle.current().pid()), false, host,
                                AuditMessage.DESTINATION)
                        .source(source));
            }
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
        return new Transfer(caller, address);
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
