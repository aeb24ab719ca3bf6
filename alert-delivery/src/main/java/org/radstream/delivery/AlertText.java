package org.radstream.delivery;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Locale;
import org.radstream.avro.MeasurementRef;
import org.radstream.avro.ProgressionAlert;
import org.radstream.avro.Retraction;

/**
 * How an alert reads to a clinician: who, what and why in one line, and the same as JSON for
 * receiving systems. The one place the wording lives, so console and webhook say the same.
 */
public final class AlertText {
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * The infection mask stability below which a scan's infection outline is flagged for a look at
     * the images: on the held-out cohort the infected scans below it had infection Dice 0.60-0.84,
     * the six above 0.89 the best six, 0.85-0.92 (ACCURACY.md, "Which scans to correct first").
     */
    public static final double REVIEW_BELOW = 0.8;

    private AlertText() {
    }

    /**
     * One line a clinician reads in five seconds; for a retraction, that the alert raised earlier is
     * to be disregarded, and why, before the alert it voids.
     */
    public static String line(ProgressionAlert a) {
        if (a.getRetraction() != null) {
            Retraction r = a.getRetraction();
            return "RETRACTED (disregard the alert raised " + date(a.getRaisedAt()) + "): series " + r.getSeriesUid()
                    + " was withdrawn by the PACS: " + r.getReason() + ". The alert was: " + alertLine(a);
        }
        return alertLine(a);
    }

    private static String alertLine(ProgressionAlert a) {
        MeasurementRef e = a.getEarlier();
        MeasurementRef l = a.getLater();
        String who = a.getPatientName() == null || a.getPatientName().isBlank()
                ? "Patient " + a.getPatientId() : a.getPatientName() + " (" + a.getPatientId() + ")";
        String growth = a.getGrowthPercent() == null
                ? "new infection" : String.format(Locale.ROOT, "+%.0f%%", a.getGrowthPercent());
        return String.format(Locale.ROOT,
                "PROGRESSION %s: infected lung %.1f mL -> %.1f mL (%s) in %.1f h; PoIR %.1f%% -> %.1f%%; "
                        + "studies %s -> %s. Rule: %s.%s",
                who, e.getInfectedMl(), l.getInfectedMl(), growth, a.getHoursApart(), e.getPoir(), l.getPoir(),
                study(e), study(l), a.getRule(), review(e, l));
    }

    /** Whether a scan's infection outline was drawn with too little firmness to take its volume on trust. */
    static boolean unsure(MeasurementRef m) {
        return m.getInfectionStability() != null && m.getInfectionStability() < REVIEW_BELOW;
    }

    /** A sentence asking for a look at the images where either scan's infection outline is unsure; else nothing. */
    private static String review(MeasurementRef e, MeasurementRef l) {
        if (!unsure(e) && !unsure(l)) {
            return "";
        }
        String which = unsure(e) && unsure(l)
                ? "both scans' infection outlines are"
                : unsure(e) ? "the earlier scan's infection outline is" : "the later scan's infection outline is";
        String values = unsure(e) && unsure(l)
                ? String.format(Locale.ROOT, "%.2f, %.2f", e.getInfectionStability(), l.getInfectionStability())
                : String.format(Locale.ROOT, "%.2f", unsure(e) ? e.getInfectionStability() : l.getInfectionStability());
        return " Check the images: " + which + " not firm (stability " + values + ").";
    }

    /**
     * The key a receiver drops repeats by: the alert id, and for its retraction the id with
     * {@code /retraction}, so a receiver that has the alert still takes the retraction.
     */
    public static String idempotencyKey(ProgressionAlert a) {
        if (a.getEventId() != null) {
            return a.getEventId(); // the same, as the progression topology names the event
        }
        return a.getRetraction() == null ? a.getAlertId() : a.getAlertId() + "/retraction";
    }

    /**
     * The JSON body POSTed to webhooks: {@code type} {@code progression}, or {@code retraction} with
     * a {@code retraction} object, the alert it voids carrying the same {@code alertId}; {@code
     * eventId} (the Idempotency-Key) differs between the two.
     */
    public static String json(ProgressionAlert a) {
        ObjectNode root = JSON.createObjectNode();
        root.put("alertId", a.getAlertId());
        root.put("eventId", idempotencyKey(a));
        root.put("type", a.getRetraction() == null ? "progression" : "retraction");
        root.put("summary", line(a));
        ObjectNode patient = root.putObject("patient");
        patient.put("id", a.getPatientId());
        patient.put("name", a.getPatientName());
        root.set("earlier", measurement(a.getEarlier()));
        root.set("later", measurement(a.getLater()));
        if (a.getGrowthPercent() == null) {
            root.putNull("growthPercent");
        } else {
            root.put("growthPercent", a.getGrowthPercent());
        }
        root.put("hoursApart", a.getHoursApart());
        root.put("reviewAdvised", unsure(a.getEarlier()) || unsure(a.getLater()));
        root.put("rule", a.getRule());
        root.put("raisedAt", a.getRaisedAt().toString());
        if (a.getRetraction() != null) {
            ObjectNode r = root.putObject("retraction");
            r.put("seriesInstanceUid", a.getRetraction().getSeriesUid());
            r.put("reason", a.getRetraction().getReason());
            r.put("rejectionNoteUid", a.getRetraction().getRejectionNoteUid());
            r.put("retractedAt", a.getRetraction().getRetractedAt().toString());
        }
        return root.toString();
    }

    private static ObjectNode measurement(MeasurementRef m) {
        ObjectNode n = JSON.createObjectNode();
        n.put("studyInstanceUid", m.getStudyUid());
        n.put("seriesInstanceUid", m.getSeriesUid());
        n.put("accessionNumber", m.getAccessionNumber());
        n.put("acquisitionTime", m.getAcquisitionTime().toString());
        n.put("infectedMl", m.getInfectedMl());
        n.put("lungMl", m.getLungMl());
        n.put("poirPercent", m.getPoir());
        if (m.getInfectionStability() == null) {
            n.putNull("infectionStability");
        } else {
            n.put("infectionStability", m.getInfectionStability());
        }
        return n;
    }

    private static String study(MeasurementRef m) {
        return m.getAccessionNumber() != null && !m.getAccessionNumber().isBlank()
                ? "acc " + m.getAccessionNumber() + " (" + date(m.getAcquisitionTime()) + ")"
                : m.getStudyUid() + " (" + date(m.getAcquisitionTime()) + ")";
    }

    private static String date(Instant t) {
        return t.toString().replace('T', ' ').replaceFirst(":\\d\\d(\\.\\d+)?Z$", "Z");
    }
}
