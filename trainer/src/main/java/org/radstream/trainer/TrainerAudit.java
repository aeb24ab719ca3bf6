package org.radstream.trainer;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.radstream.avro.ModelPublished;
import org.radstream.schemas.AuditLog;
import org.radstream.schemas.AuditMessage;

/**
 * The audit messages of the trainer and of model promotions (IHE ATNA): a model version announced
 * changes what the software reads scans with, so it is a Security Alert of type Software
 * Configuration naming the artifact, its checksum and the gate's decision; a training label
 * submitted, replaced or withdrawn over HTTP is an access to the series' data (DICOM Instances
 * Accessed) by the annotator, from the caller's address. The trainer holds no patient identity
 * (its archive is de-identified), so a label's message names the study and series, not the patient.
 */
public final class TrainerAudit {
    private TrainerAudit() {}

    /**
     * A model version announced on radstream.models.
     *
     * @param service   the radstream service that announced it ({@code trainer}, or {@code models} for a promotion)
     * @param requestor who decided it: null when the service itself did (the trainer's quality gate), else the operator
     */
    public static AuditMessage modelAnnounced(ModelPublished m, String service, String requestor) {
        Map<String, String> details = new LinkedHashMap<>();
        details.put("sha256", m.getSha256());
        details.put("architecture", m.getArchitecture());
        if (m.getPreviousVersion() != null) {
            details.put("previous version", m.getPreviousVersion());
        }
        String decision = m.getGateDecision().isEmpty() ? null : m.getGateDecision();
        AuditMessage message = AuditMessage.of(AuditMessage.SECURITY_ALERT, AuditMessage.Action.EXECUTE,
                        AuditMessage.Outcome.SUCCESS, m.getPublishedAt(), decision)
                .eventType(AuditMessage.SOFTWARE_CONFIGURATION);
        if (requestor != null) {
            message.participant(requestor, null, true, null, null);
        }
        return message.participant("radstream-" + service, Long.toString(ProcessHandle.current().pid()), requestor == null,
                        AuditLog.hostName(), AuditMessage.APPLICATION)
                .source(AuditLog.source(service))
                .resource(m.getLocation(), "radstream " + m.getTask() + " model v" + m.getVersion(), details);
    }

    /**
     * A training label of {@code series} and {@code task} created, replaced or withdrawn ({@code
     * action}) over the trainer's HTTP by {@code annotator} from {@code address}; {@code refusal} says
     * why it was not taken (null when it was).
     */
    static AuditMessage label(AuditMessage.Action action, String series, String task, Optional<String> studyUid,
                              String annotator, String address, String refusal) {
        return label(action, series, task, studyUid, annotator, address, refusal, "trainer");
    }

    /**
     * A training label of {@code series} and {@code task} created, replaced or withdrawn ({@code
     * action}) by {@code annotator} (from {@code address}, null: this host) through radstream's
     * {@code service} ({@code trainer} over HTTP, {@code label} straight onto the label topic);
     * {@code refusal} says why it was not taken (null when it was).
     */
    public static AuditMessage label(AuditMessage.Action action, String series, String task, Optional<String> studyUid,
                                     String annotator, String address, String refusal, String service) {
        AuditMessage message = AuditMessage.of(AuditMessage.INSTANCES_ACCESSED, action,
                        refusal == null ? AuditMessage.Outcome.SUCCESS : AuditMessage.Outcome.MINOR_FAILURE, Instant.now(),
                        refusal)
                .participant(annotator, null, true, address, null)
                .participant("radstream-" + service, Long.toString(ProcessHandle.current().pid()), false,
                        AuditLog.hostName(), AuditMessage.APPLICATION)
                .source(AuditLog.source(service));
        studyUid.ifPresent(study -> message.study(study, Map.of()));
        return message.series(series, Map.of("task", task));
    }
}
