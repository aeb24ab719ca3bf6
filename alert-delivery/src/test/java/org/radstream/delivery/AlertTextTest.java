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
