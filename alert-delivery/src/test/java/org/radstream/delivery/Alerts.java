package org.radstream.delivery;

import java.time.Instant;
import org.radstream.avro.MeasurementRef;
import org.radstream.avro.ProgressionAlert;

/** Test alerts with known figures. */
final class Alerts {
    private Alerts() {
    }

    static ProgressionAlert alert(String id, String patient, Double growth) {
        Instant t0 = Instant.parse("2026-03-01T08:00:00Z");
        return ProgressionAlert.newBuilder()
                .setAlertId(id)
                .setPatientId(patient)
                .setPatientName("DOE^JANE")
                .setEarlier(MeasurementRef.newBuilder().setSeriesUid("1.2.3.1").setStudyUid("1.2.3")
                        .setAccessionNumber("ACC1").setAcquisitionTime(t0).setLungMl(4000).setInfectedMl(100)
                        .setPoir(2.5).build())
                .setLater(MeasurementRef.newBuilder().setSeriesUid("1.2.4.1").setStudyUid("1.2.4")
                        .setAccessionNumber("ACC2").setAcquisitionTime(t0.plusSeconds(30 * 3600)).setLungMl(4000)
                        .setInfectedMl(160).setPoir(4.0).build())
                .setGrowthPercent(growth)
                .setHoursApart(30.0)
                .setRule("infected volume grew by more than 50% within 48 h")
                .setMessage("m")
                .setRaisedAt(t0.plusSeconds(31 * 3600))
                .build();
    }
}
