package org.radstream.delivery;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Locale;
import org.radstream.avro.MeasurementRef;
import org.radstream.avro.ProgressionAlert;

/**
 * How an alert reads to a clinician: who, what and why in one line, and the same as JSON for
 * receiving systems. The one place the wording lives, so console and webhook say the same.
 */
public final class AlertText {
    private static final ObjectMapper JSON = new ObjectMapper();

    private AlertText() {
    }

    /** One line a clinician reads in five seconds. */
    public static String line(ProgressionAlert a) {
        MeasurementRef e = a.getEarlier();
        MeasurementRef l = a.getLater();
        String who = a.getPatientName() == null || a.getPatientName().isBlank()
                ? "Patient " + a.getPatientId() : a.getPatientName() + " (" + a.getPatientId() + ")";
        String growth = a.getGrowthPercent() == null
                ? "new infection" : String.format(Locale.ROOT, "+%.0f%%", a.getGrowthPercent());
        return String.format(Locale.ROOT,
                "PROGRESSION %s: infected lung %.1f mL -> %.1f mL (%s) in %.1f h; PoIR %.1f%% -> %.1f%%; "
                        + "studies %s -> %s. Rule: %s.",
                who, e.getInfectedMl(), l.getInfectedMl(), growth, a.getHoursApart(), e.getPoir(), l.getPoir(),
                study(e), study(l), a.getRule());
    }

    /** The JSON body POSTed to webhooks. */
    public static String json(ProgressionAlert a) {
        ObjectNode root = JSON.createObjectNode();
        root.put("alertId", a.getAlertId());
        root.put("type", "progression");
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
        root.put("rule", a.getRule());
        root.put("raisedAt", a.getRaisedAt().toString());
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
