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
     * the images, unless a site sets its own ({@code deliver --review-below}): on the held-out cohort
     * the infected scans below it had infection Dice 0.60-0.84, the six above 0.89 the best six,
     * 0.85-0.92 (ACCURACY.md, "Which scans to correct first").
     */
    public static final double REVIEW_BELOW = 0.8;

    private AlertText() {
    }

    /**
     * One line a clinician reads in five seconds; for a retraction, that the alert raised earlier is
     * to be disregarded, and why, before the alert it voids.
     */
    public static String line(ProgressionAlert a) {
        return line(a, REVIEW_BELOW);
    }

    /**
     * {@link #line(ProgressionAlert)}, asking for a look at the images where a scan's infection
     * stability is below {@code reviewBelow} (0: never).
     */
    public static String line(ProgressionAlert a, double reviewBelow) {
        if (a.getRetraction() != null) {
            Retraction r = a.getRetraction();
            return "RETRACTED (disregard the alert raised " + date(a.getRaisedAt()) + "): series " + r.getSeriesUid()
                    + " was withdrawn by the PACS: " + r.getReason() + ". The alert was: " + alertLine(a, reviewBelow);
        }
        return alertLine(a, reviewBelow);
    }

    /** Whether {@code reviewBelow} is a stability threshold: 0 (never ask for a look) to 1. */
    public static double checkReviewBelow(double reviewBelow) {
        if (!(reviewBelow >= 0 && reviewBelow <= 1)) {
            throw new IllegalArgumentException("the review threshold is a mask stability, 0 (never ask for a look at the "
                    + "images) to 1, got " + reviewBelow);
        }
        return reviewBelow;
    }

    private static String alertLine(ProgressionAlert a, double reviewBelow) {
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
                study(e), study(l), a.getRule(), review(e, l, reviewBelow));
    }

    /** Whether a scan's infection outline was drawn with too little firmness to take its volume on trust. */
    static boolean unsure(MeasurementRef m, double reviewBelow) {
        return m.getInfectionStability() != null && m.getInfectionStability() < reviewBelow;
    }

    /** A sentence asking for a look at the images where either scan's infection outline is unsure; else nothing. */
    private static String review(MeasurementRef e, MeasurementRef l, double reviewBelow) {
        boolean earlier = unsure(e, reviewBelow);
        boolean later = unsure(l, reviewBelow);
        if (!earlier && !later) {
            return "";
        }
        String which = earlier && later
                ? "both scans' infection outlines are"
                : earlier ? "the earlier scan's infection outline is" : "the later scan's infection outline is";
        String values = earlier && later
                ? String.format(Locale.ROOT, "%.2f, %.2f", e.getInfectionStability(), l.getInfectionStability())
                : String.format(Locale.ROOT, "%.2f", earlier ? e.getInfectionStability() : l.getInfectionStability());
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
        return json(a, REVIEW_BELOW);
    }

    /** {@link #json(ProgressionAlert)} with {@code reviewBelow} as {@link #line(ProgressionAlert, double)} takes it. */
    public static String json(ProgressionAlert a, double reviewBelow) {
        ObjectNode root = JSON.createObjectNode();
        root.put("alertId", a.getAlertId());
        root.put("eventId", idempotencyKey(a));
        root.put("type", a.getRetraction() == null ? "progression" : "retraction");
        root.put("summary", line(a, reviewBelow));
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
        root.put("reviewAdvised", unsure(a.getEarlier(), reviewBelow) || unsure(a.getLater(), reviewBelow));
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
