package org.radstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.radstream.avro.RejectedSeries;
import org.radstream.avro.RejectionNote;

class RejectedInstancesTest {
    private static RejectionNote note(String uid, String series, List<String> sops) {
        return RejectionNote.newBuilder().setSopInstanceUid(uid).setPatientId("P1").setReasonCode("113038")
                .setReasonMeaning("Incorrect Modality Worklist Entry")
                .setSeries(List.of(RejectedSeries.newBuilder().setStudyUid("st").setSeriesUid(series).setSopInstanceUids(sops)
                        .build()))
                .setCallingAe("PACS").setReceivedVia("c-store").setReceivedAt(Instant.parse("2026-12-07T10:00:00Z")).build();
    }

    @Test
    void aNoteRejectsTheInstancesItNamesAndOneNamingNoneTheWholeSeries() throws Exception {
        RejectedInstances r = RejectedInstances.inMemory();
        assertThat(r.awaitCaughtUp(Duration.ZERO)).isTrue(); // nothing to follow
        assertThat(r.find("S1", "S1.1")).isEmpty();

        r.add(note("N1", "S1", List.of("S1.1", "S1.2")));
        assertThat(r.find("S1", "S1.1")).hasValueSatisfying(x -> assertThat(x.describe()).isEqualTo(
                "rejection note N1 (113038 Incorrect Modality Worklist Entry, received 2026-12-07T10:00:00Z)"));
        assertThat(r.find("S1", "S1.2")).isPresent();
        assertThat(r.find("S1", "S1.3")).as("an instance of the series the note does not name").isEmpty();

        // a series withdrawn by hand (radstream series withdraw) names no instances: all of it is rejected
        r.add(note("N2", "S2", List.of()));
        assertThat(r.find("S2", "S2.7")).hasValueSatisfying(x -> assertThat(x.noteUid()).isEqualTo("N2"));
        assertThat(r.find("S3", "S3.1")).isEmpty();
    }

    @Test
    void withAcceptRejectedAgainNothingIsRemembered() {
        RejectedInstances none = RejectedInstances.none();
        none.add(note("N1", "S1", List.of("S1.1"))); // a note this ingest received itself
        none.add(note("N2", "S2", List.of()));
        assertThat(none.find("S1", "S1.1")).isEmpty();
        assertThat(none.find("S2", "S2.1")).isEmpty();
    }
}
