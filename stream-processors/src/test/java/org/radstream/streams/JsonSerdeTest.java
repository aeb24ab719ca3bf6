package org.radstream.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** State written by an older version is restored by a newer one that added fields. */
class JsonSerdeTest {
    @Test
    void aMeasurementStoredBeforeStabilitiesWereKeptIsRestoredWithoutOne() {
        String older = "{\"seriesUid\":\"s1\",\"studyUid\":\"st\",\"accessionNumber\":null,\"acquisitionTime\":1000,"
                + "\"lungMl\":4000.0,\"infectedMl\":200.0,\"poir\":5.0,\"lungMethod\":\"model\","
                + "\"infectionMethod\":\"model\",\"lungModelVersion\":\"1\",\"infectionModelVersion\":\"9\","
                + "\"measuredAt\":2000}";
        ProgressionAlerts.Measurement m = new JsonSerde<>(ProgressionAlerts.Measurement.class).deserializer()
                .deserialize("changelog", older.getBytes(StandardCharsets.UTF_8));
        assertThat(m.seriesUid()).isEqualTo("s1");
        assertThat(m.infectedMl()).isEqualTo(200.0);
        assertThat(m.infectionStability()).isNull();

        String olderHalf = "{\"seriesUid\":\"s1\",\"task\":\"lung\",\"patientId\":\"P1\",\"patientName\":null,"
                + "\"studyUid\":\"st\",\"accessionNumber\":null,\"acquisitionTime\":1000,\"volumeMl\":4000.0,"
                + "\"method\":\"model\",\"modelVersion\":\"1\",\"producedAt\":1500,\"sopClassUid\":null,"
                + "\"sopInstanceUids\":[],\"frameOfReferenceUid\":null,\"geometry\":false}";
        PoirJoin.Half h = new JsonSerde<>(PoirJoin.Half.class).deserializer()
                .deserialize("changelog", olderHalf.getBytes(StandardCharsets.UTF_8));
        assertThat(h.volumeMl()).isEqualTo(4000.0);
        assertThat(h.stability()).isNull();
    }
}
