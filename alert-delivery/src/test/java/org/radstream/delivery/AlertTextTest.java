package org.radstream.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class AlertTextTest {

    @Test
    void lineSaysWhoWhatAndWhy() {
        String line = AlertText.line(Alerts.alert("a1", "P7", 60.0));
        assertThat(line).isEqualTo("PROGRESSION DOE^JANE (P7): infected lung 100.0 mL -> 160.0 mL (+60%) in 30.0 h; "
                + "PoIR 2.5% -> 4.0%; studies acc ACC1 (2026-03-01 08:00Z) -> acc ACC2 (2026-03-02 14:00Z). "
                + "Rule: infected volume grew by more than 50% within 48 h.");
    }

    @Test
    void newInfectionHasNoPercentage() {
        assertThat(AlertText.line(Alerts.alert("a1", "P7", null))).contains("(new infection)");
    }

    @Test
    void jsonCarriesBothStudiesAndTheRule() throws Exception {
        JsonNode n = new ObjectMapper().readTree(AlertText.json(Alerts.alert("a1", "P7", 60.0)));
        assertThat(n.get("alertId").asText()).isEqualTo("a1");
        assertThat(n.get("patient").get("id").asText()).isEqualTo("P7");
        assertThat(n.get("earlier").get("accessionNumber").asText()).isEqualTo("ACC1");
        assertThat(n.get("later").get("infectedMl").asDouble()).isEqualTo(160.0);
        assertThat(n.get("later").get("poirPercent").asDouble()).isEqualTo(4.0);
        assertThat(n.get("growthPercent").asDouble()).isEqualTo(60.0);
        assertThat(n.get("hoursApart").asDouble()).isEqualTo(30.0);
        assertThat(n.get("rule").asText()).contains("48 h");
    }

    private static org.radstream.avro.ProgressionAlert withStabilities(Double earlier, Double later) {
        org.radstream.avro.ProgressionAlert a = Alerts.alert("a1", "P7", 60.0);
        return org.radstream.avro.ProgressionAlert.newBuilder(a)
                .setEarlier(org.radstream.avro.MeasurementRef.newBuilder(a.getEarlier()).setInfectionStability(earlier).build())
                .setLater(org.radstream.avro.MeasurementRef.newBuilder(a.getLater()).setInfectionStability(later).build())
                .build();
    }

    @Test
    void anInfectionOutlineDrawnWithLittleFirmnessAsksForALookAtTheImages() throws Exception {
        String plain = AlertText.line(Alerts.alert("a1", "P7", 60.0));
        // firm outlines, and a result without a stability (the HU baseline): nothing added
        assertThat(AlertText.line(withStabilities(0.93, 0.8))).isEqualTo(plain);
        assertThat(AlertText.line(withStabilities(null, 0.9))).isEqualTo(plain);
        assertThat(AlertText.line(withStabilities(0.93, 0.71)))
                .isEqualTo(plain + " Check the images: the later scan's infection outline is not firm (stability 0.71).");
        assertThat(AlertText.line(withStabilities(0.64, 0.9)))
                .isEqualTo(plain + " Check the images: the earlier scan's infection outline is not firm (stability 0.64).");
        assertThat(AlertText.line(withStabilities(0.64, 0.71)))
                .isEqualTo(plain + " Check the images: both scans' infection outlines are not firm (stability 0.64, 0.71).");

        JsonNode shaky = new ObjectMapper().readTree(AlertText.json(withStabilities(0.93, 0.71)));
        assertThat(shaky.get("reviewAdvised").asBoolean()).isTrue();
        assertThat(shaky.get("earlier").get("infectionStability").asDouble()).isEqualTo(0.93);
        assertThat(shaky.get("later").get("infectionStability").asDouble()).isEqualTo(0.71);
        JsonNode unknown = new ObjectMapper().readTree(AlertText.json(Alerts.alert("a1", "P7", 60.0)));
        assertThat(unknown.get("reviewAdvised").asBoolean()).isFalse();
        assertThat(unknown.get("later").get("infectionStability").isNull()).isTrue();
    }

    @Test
    void aSiteSetsItsOwnReviewThresholdOrTurnsItOff() throws Exception {
        String plain = AlertText.line(Alerts.alert("a1", "P7", 60.0));
        assertThat(AlertText.line(withStabilities(0.93, 0.85), 0.9))
                .isEqualTo(plain + " Check the images: the later scan's infection outline is not firm (stability 0.85).");
        assertThat(AlertText.line(withStabilities(0.93, 0.85), 0.85)).as("below, not at").isEqualTo(plain);
        assertThat(AlertText.line(withStabilities(0.01, 0.02), 0)).isEqualTo(plain);
        assertThat(new ObjectMapper().readTree(AlertText.json(withStabilities(0.93, 0.85), 0.9)).get("reviewAdvised")
                .asBoolean()).isTrue();
        assertThat(new ObjectMapper().readTree(AlertText.json(withStabilities(0.01, 0.02), 0)).get("reviewAdvised")
                .asBoolean()).isFalse();
        java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        new ConsoleSink(new java.io.PrintStream(printed, true, java.nio.charset.StandardCharsets.UTF_8), 0.9)
                .deliver(withStabilities(0.88, 0.95));
        assertThat(printed.toString(java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo(plain + " Check the images: the earlier scan's infection outline is not firm (stability 0.88)."
                        + System.lineSeparator());
        for (double bad : new double[] {-0.1, 1.5, Double.NaN}) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new ConsoleSink(System.out, bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("the review threshold is a mask stability, 0 (never ask for a look at the images) to 1, got "
                            + bad);
        }
    }

    static org.radstream.avro.ProgressionAlert retracted(org.radstream.avro.ProgressionAlert a) {
        return org.radstream.avro.ProgressionAlert.newBuilder(a).setRetraction(org.radstream.avro.Retraction.newBuilder()
                .setSeriesUid("1.2.3.2").setReason("Incorrect Modality Worklist Entry (DCM 113038)")
                .setRejectionNoteUid("1.2.3.99").setRetractedAt(java.time.Instant.parse("2026-03-03T09:00:00Z")).build())
                .build();
    }

    @Test
    void aRetractionSaysToDisregardTheAlertAndWhyBeforeTheAlertItVoids() throws Exception {
        org.radstream.avro.ProgressionAlert a = Alerts.alert("a1", "P7", 60.0);
        org.radstream.avro.ProgressionAlert r = retracted(a);
        assertThat(AlertText.line(r)).isEqualTo("RETRACTED (disregard the alert raised 2026-03-02 15:00Z): series 1.2.3.2 "
                + "was withdrawn by the PACS: Incorrect Modality Worklist Entry (DCM 113038). The alert was: "
                + AlertText.line(a));
        JsonNode n = new ObjectMapper().readTree(AlertText.json(r));
        assertThat(n.get("type").asText()).isEqualTo("retraction");
        assertThat(n.get("alertId").asText()).isEqualTo("a1");
        assertThat(n.get("retraction").get("seriesInstanceUid").asText()).isEqualTo("1.2.3.2");
        assertThat(n.get("retraction").get("rejectionNoteUid").asText()).isEqualTo("1.2.3.99");
        assertThat(n.get("retraction").get("retractedAt").asText()).isEqualTo("2026-03-03T09:00:00Z");
        assertThat(new ObjectMapper().readTree(AlertText.json(a)).get("type").asText()).isEqualTo("progression");
        assertThat(new ObjectMapper().readTree(AlertText.json(a)).has("retraction")).isFalse();
        assertThat(AlertText.idempotencyKey(a)).isEqualTo("a1");
        assertThat(AlertText.idempotencyKey(r)).isEqualTo("a1/retraction");
        assertThat(n.get("eventId").asText()).isEqualTo("a1/retraction");
        // the event id the progression topology names the event by, where the record carries one
        assertThat(AlertText.idempotencyKey(org.radstream.avro.ProgressionAlert.newBuilder(r).setEventId("e-7").build()))
                .isEqualTo("e-7");
    }
}
