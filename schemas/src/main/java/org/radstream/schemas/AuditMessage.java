package org.radstream.schemas;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One audit record of who did what with whose data, as a DICOM audit message (PS3.15 A.5: the XML
 * an IHE ATNA audit record repository takes), with the event and role codes of PS3.16. A message
 * is built once and rendered by {@link #xml}; values are escaped, so patient names and UIDs from
 * senders cannot change its structure.
 */
public final class AuditMessage {
    /** A coded value: its code, coding scheme and meaning. */
    public record Code(String code, String system, String meaning) {}

    public static final Code INSTANCES_TRANSFERRED = new Code("110104", "DCM", "DICOM Instances Transferred");
    /** Data of a study created, read, updated or deleted where it is kept; here a training label of a series. */
    public static final Code INSTANCES_ACCESSED = new Code("110103", "DCM", "DICOM Instances Accessed");
    public static final Code PATIENT_RECORD = new Code("110110", "DCM", "Patient Record");
    public static final Code APPLICATION_ACTIVITY = new Code("110100", "DCM", "Application Activity");
    /** Event types of an {@link #APPLICATION_ACTIVITY}. */
    public static final Code APPLICATION_START = new Code("110120", "DCM", "Application Start");
    public static final Code APPLICATION_STOP = new Code("110121", "DCM", "Application Stop");
    public static final Code APPLICATION_LAUNCHER = new Code("110151", "DCM", "Application Launcher");
    /** Data sent out of the system, here a clinician's alert naming the patient to a webhook or console. */
    public static final Code EXPORT = new Code("110106", "DCM", "Export");
    public static final Code SECURITY_ALERT = new Code("110113", "DCM", "Security Alert");
    public static final Code USER_AUTHENTICATION = new Code("110114", "DCM", "User Authentication");
    /** Event type of a {@link #SECURITY_ALERT}: a node's identity was checked (TLS certificate, AE title). */
    public static final Code NODE_AUTHENTICATION = new Code("110126", "DCM", "Node Authentication");
    /** Event type of a {@link #SECURITY_ALERT}: what the software does changed (here, the model version a task runs). */
    public static final Code SOFTWARE_CONFIGURATION = new Code("110131", "DCM", "Software Configuration");
    /** Event type of a {@link #USER_AUTHENTICATION}. */
    public static final Code LOGIN = new Code("110122", "DCM", "Login");
    public static final Code SOURCE = new Code("110153", "DCM", "Source Role ID");
    public static final Code DESTINATION = new Code("110152", "DCM", "Destination Role ID");
    public static final Code APPLICATION = new Code("110150", "DCM", "Application");
    static final Code STUDY_INSTANCE_UID = new Code("110180", "DCM", "Study Instance UID");
    static final Code PATIENT_NUMBER = new Code("2", "RFC-3881", "Patient Number");
    static final Code SERIES_INSTANCE_UID = new Code("112002", "DCM", "Series Instance UID");
    static final Code URI = new Code("12", "RFC-3881", "URI");

    /** EventActionCode: what was done to the data. */
    public enum Action { CREATE("C"), READ("R"), UPDATE("U"), DELETE("D"), EXECUTE("E");
        final String code;
        Action(String code) { this.code = code; }
    }

    /** EventOutcomeIndicator. */
    public enum Outcome { SUCCESS(0), MINOR_FAILURE(4), SERIOUS_FAILURE(8), MAJOR_FAILURE(12);
        final int code;
        Outcome(int code) { this.code = code; }
    }

    private record Participant(String userId, String alternativeUserId, boolean requestor, String networkAccessPoint,
                               Code role) {}

    private record ParticipantObject(String id, int typeCode, int role, Code idType, String name,
                                     Map<String, Integer> sopClasses, Map<String, String> details) {}

    private final Code event;
    private final Action action;
    private final Outcome outcome;
    private final Instant at;
    private final String outcomeDescription;
    private final List<Code> eventTypes = new ArrayList<>();
    private final List<Participant> participants = new ArrayList<>();
    private final List<ParticipantObject> objects = new ArrayList<>();
    private String auditSource;

    private AuditMessage(Code event, Action action, Outcome outcome, Instant at, String outcomeDescription) {
        this.event = Objects.requireNonNull(event, "event");
        this.action = Objects.requireNonNull(action, "action");
        this.outcome = Objects.requireNonNull(outcome, "outcome");
        this.at = Objects.requireNonNull(at, "at");
        this.outcomeDescription = outcomeDescription;
    }

    /** A message of {@code event}; {@code outcomeDescription} says what failed (null when nothing did). */
    public static AuditMessage of(Code event, Action action, Outcome outcome, Instant at, String outcomeDescription) {
        return new AuditMessage(event, action, outcome, at, outcomeDescription);
    }

    public AuditMessage eventType(Code type) {
        eventTypes.add(Objects.requireNonNull(type));
        return this;
    }

    /**
     * An active participant: an AE title, a user or a process.
     *
     * @param networkAccessPoint its IP address or host name; null when not on a network
     */
    public AuditMessage participant(String userId, String alternativeUserId, boolean requestor, String networkAccessPoint,
                                    Code role) {
        participants.add(new Participant(Objects.requireNonNull(userId, "userId"), alternativeUserId, requestor,
                networkAccessPoint, role));
        return this;
    }

    /** The system that saw the event, e.g. {@code radstream-ingest@host}. */
    public AuditMessage source(String auditSourceId) {
        this.auditSource = Objects.requireNonNull(auditSourceId, "auditSourceId");
        return this;
    }

    /** A study the event touched, with its instances by SOP class. */
    public AuditMessage study(String studyUid, Map<String, Integer> instancesBySopClass) {
        objects.add(new ParticipantObject(Objects.requireNonNull(studyUid, "studyUid"), 2, 3, STUDY_INSTANCE_UID, null,
                new TreeMap<>(instancesBySopClass), Map.of()));
        return this;
    }

    /**
     * A series the event touched, by its UID (the study is named apart, with {@link #study}, where it
     * is known), with details ({@link #resource} says how they travel).
     */
    public AuditMessage series(String seriesUid, Map<String, String> details) {
        objects.add(new ParticipantObject(Objects.requireNonNull(seriesUid, "seriesUid"), 2, 3, SERIES_INSTANCE_UID, null,
                Map.of(), new java.util.LinkedHashMap<>(details)));
        return this;
    }

    /**
     * The subject of a security alert: a system resource by its URI (a model artifact), with a name
     * and details (ParticipantObjectDetail: each value travels base64-encoded, as the schema wants).
     */
    public AuditMessage resource(String uri, String name, Map<String, String> details) {
        objects.add(new ParticipantObject(Objects.requireNonNull(uri, "uri"), 2, 13, URI, name, Map.of(),
                new java.util.LinkedHashMap<>(details)));
        return this;
    }

    /** The patient whose data the event touched; {@code name} may be null. */
    public AuditMessage patient(String patientId, String name) {
        objects.add(new ParticipantObject(Objects.requireNonNull(patientId, "patientId"), 1, 1, PATIENT_NUMBER, name, Map.of(),
                Map.of()));
        return this;
    }

    public Code event() {
        return event;
    }

    public Outcome outcome() {
        return outcome;
    }

    /** The message as PS3.15 A.5 XML, without an XML declaration. */
    public String xml() {
        if (participants.isEmpty() || auditSource == null) {
            throw new IllegalStateException("an audit message needs an active participant and an audit source");
        }
        StringBuilder b = new StringBuilder(1024);
        b.append("<AuditMessage>");
        b.append("<EventIdentification EventActionCode=\"").append(action.code).append("\" EventDateTime=\"")
                .append(at.truncatedTo(ChronoUnit.MILLIS)).append("\" EventOutcomeIndicator=\"").append(outcome.code)
                .append("\">");
        code(b, "EventID", event);
        eventTypes.forEach(t -> code(b, "EventTypeCode", t));
        if (outcomeDescription != null) {
            b.append("<EventOutcomeDescription>").append(escape(outcomeDescription)).append("</EventOutcomeDescription>");
        }
        b.append("</EventIdentification>");
        for (Participant p : participants) {
            b.append("<ActiveParticipant UserID=\"").append(escape(p.userId())).append('"');
            if (p.alternativeUserId() != null) {
                b.append(" AlternativeUserID=\"").append(escape(p.alternativeUserId())).append('"');
            }
            b.append(" UserIsRequestor=\"").append(p.requestor()).append('"');
            if (p.networkAccessPoint() != null) {
                b.append(" NetworkAccessPointID=\"").append(escape(p.networkAccessPoint()))
                        .append("\" NetworkAccessPointTypeCode=\"").append(isIpAddress(p.networkAccessPoint()) ? 2 : 1)
                        .append('"');
            }
            b.append('>');
            if (p.role() != null) {
                code(b, "RoleIDCode", p.role());
            }
            b.append("</ActiveParticipant>");
        }
        b.append("<AuditSourceIdentification AuditSourceID=\"").append(escape(auditSource)).append("\"/>");
        for (ParticipantObject o : objects) {
            b.append("<ParticipantObjectIdentification ParticipantObjectID=\"").append(escape(o.id()))
                    .append("\" ParticipantObjectTypeCode=\"").append(o.typeCode())
                    .append("\" ParticipantObjectTypeCodeRole=\"").append(o.role()).append("\">");
            code(b, "ParticipantObjectIDTypeCode", o.idType());
            if (o.name() != null) {
                b.append("<ParticipantObjectName>").append(escape(o.name())).append("</ParticipantObjectName>");
            }
            o.details().forEach((type, value) -> b.append("<ParticipantObjectDetail type=\"").append(escape(type))
                    .append("\" value=\"").append(java.util.Base64.getEncoder().encodeToString(
                            value.getBytes(java.nio.charset.StandardCharsets.UTF_8))).append("\"/>"));
            if (!o.sopClasses().isEmpty()) {
                b.append("<ParticipantObjectDescription>");
                o.sopClasses().forEach((uid, n) -> b.append("<SOPClass UID=\"").append(escape(uid))
                        .append("\" NumberOfInstances=\"").append(n).append("\"/>"));
                b.append("</ParticipantObjectDescription>");
            }
            b.append("</ParticipantObjectIdentification>");
        }
        return b.append("</AuditMessage>").toString();
    }

    private static void code(StringBuilder b, String element, Code c) {
        b.append('<').append(element).append(" csd-code=\"").append(escape(c.code())).append("\" codeSystemName=\"")
                .append(escape(c.system())).append("\" originalText=\"").append(escape(c.meaning())).append("\"/>");
    }

    private static boolean isIpAddress(String s) {
        return s.matches("[0-9.]+") || s.contains(":");
    }

    /** XML-escaped, with characters XML 1.0 cannot carry (control characters from a sender) replaced by '?'. */
    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&apos;");
                default -> b.append(c < 0x20 && c != '\t' && c != '\n' && c != '\r' ? '?' : c);
            }
        }
        return b.toString();
    }
}
