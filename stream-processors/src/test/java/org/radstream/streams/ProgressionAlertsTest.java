package org.radstream.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.avro.MeasurementRef;
import org.radstream.avro.PoirMeasurement;
import org.radstream.avro.ProgressionAlert;
import org.radstream.schemas.Topics;
import org.radstream.streams.ProgressionAlerts.Alert;
import org.radstream.streams.ProgressionAlerts.History;
import org.radstream.streams.StreamsSettings.TopologyName;

class ProgressionAlertsTest {
    private static final Instant T0 = Instant.parse("2024-02-20T06:00:00Z");
    private static final String RULE = "infected volume > 50% growth within 48 h (from < 1 mL: new infection of >= 1 mL)";

    @TempDir
    Path stateDir;

    private final Topics topics = TestData.topics();
    private TopologyTestDriver driver;
    private TestInputTopic<String, PoirMeasurement> measurements;
    private TestOutputTopic<String, ProgressionAlert> alerts;

    private void start(StreamsSettings settings) {
        driver = TestData.driver(TopologyName.PROGRESSION_ALERTS, topics, settings);
        measurements = driver.createInputTopic(Topics.POIR, new StringSerializer(), topics.poir().valueSerde().serializer());
        alerts = driver.createOutputTopic(Topics.ALERTS, new StringDeserializer(), topics.alerts().valueSerde().deserializer());
    }

    private void start() {
        start(TestData.settings(stateDir));
    }

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    static PoirMeasurement measurement(String series, Instant acquired, double infectedMl) {
        return PoirMeasurement.newBuilder().setPatientId("P1").setPatientName("Doe^Jane").setStudyUid("st-" + series)
                .setSeriesUid(series).setAccessionNumber("A-" + series).setAcquisitionTime(acquired)
                .setLungMl(1000).setInfectedMl(infectedMl).setPoir(infectedMl / 1000 * 100).setLungMethod("model")
                .setInfectionMethod("model").setLungModelVersion("lung-v1").setInfectionModelVersion("infection-v1")
                .setMeasuredAt(acquired.plus(Duration.ofHours(1))).build();
    }

    private void send(PoirMeasurement m) {
        measurements.pipeInput("P1", m);
    }

    private static MeasurementRef ref(String series, Instant acquired, double infectedMl) {
        return MeasurementRef.newBuilder().setSeriesUid(series).setStudyUid("st-" + series).setAccessionNumber("A-" + series)
                .setAcquisitionTime(acquired).setLungMl(1000).setInfectedMl(infectedMl).setPoir(infectedMl / 1000 * 100)
                .build();
    }

    private List<KeyValue<String, Alert>> storedAlerts() {
        KeyValueStore<String, Alert> store = driver.getKeyValueStore(ProgressionAlerts.ALERTS_STORE);
        List<KeyValue<String, Alert>> out = new ArrayList<>();
        try (KeyValueIterator<String, Alert> it = store.all()) {
            it.forEachRemaining(out::add);
        }
        return out;
    }

    private History history() {
        KeyValueStore<String, History> store = driver.getKeyValueStore(ProgressionAlerts.HISTORY_STORE);
        return store.get("P1");
    }

    private static org.radstream.avro.RejectionNote rejection(String note, String... series) {
        List<org.radstream.avro.RejectedSeries> named = new ArrayList<>();
        for (String s : series) {
            named.add(org.radstream.avro.RejectedSeries.newBuilder().setStudyUid("st-" + s).setSeriesUid(s)
                    .setSopInstanceUids(List.of(s + ".1")).build());
        }
        return org.radstream.avro.RejectionNote.newBuilder().setSopInstanceUid(note).setPatientId("P1")
                .setReasonCode("113038").setReasonMeaning("Incorrect Modality Worklist Entry").setSeries(named)
                .setCallingAe("PACS").setReceivedVia("c-store").setReceivedAt(T0).build();
    }

    @Test
    void aRejectionNoteWithdrawsTheSeriesRetractsItsAlertOnceAndALateMeasurementOfItIsDropped() {
        start();
        TestInputTopic<String, org.radstream.avro.RejectionNote> notes = driver.createInputTopic(Topics.REJECTION_NOTES,
                new StringSerializer(), topics.rejectionNotes().valueSerde().serializer());
        send(measurement("s1", T0, 40));
        send(measurement("s2", T0.plus(Duration.ofHours(30)), 64)); // alert s1 -> s2
        send(measurement("s3", T0.plus(Duration.ofHours(40)), 70)); // alert s1 -> s3 (s2 -> s3 is +9%)
        List<ProgressionAlert> raised = alerts.readValuesToList();
        assertThat(raised).extracting(ProgressionAlert::getAlertId).containsExactly(
                ProgressionAlerts.alertId("P1", "s1", "s2"), ProgressionAlerts.alertId("P1", "s1", "s3"));
        assertThat(raised).allMatch(a -> a.getRetraction() == null && a.getEventId().equals(a.getAlertId()));

        // s2 was the wrong patient's scan: out of the timeline, its alert retracted under the same id, the other kept
        notes.pipeInput("P1", rejection("kos-1", "s2"));
        List<ProgressionAlert> retracted = alerts.readValuesToList();
        assertThat(retracted).singleElement().satisfies(a -> {
            assertThat(a.getAlertId()).isEqualTo(ProgressionAlerts.alertId("P1", "s1", "s2"));
            // an event of its own: a consumer dropping repeats by event id still takes it
            assertThat(a.getEventId()).isEqualTo(ProgressionAlerts.alertId("P1", "s1", "s2") + "/retraction");
            assertThat(a.getLater().getSeriesUid()).isEqualTo("s2");
            assertThat(a.getRetraction().getSeriesUid()).isEqualTo("s2");
            assertThat(a.getRetraction().getReason()).isEqualTo("Incorrect Modality Worklist Entry (DCM 113038)");
            assertThat(a.getRetraction().getRejectionNoteUid()).isEqualTo("kos-1");
            assertThat(a.getRetraction().getRetractedAt()).isEqualTo(TestData.START);
        });
        assertThat(history().measurements()).extracting(ProgressionAlerts.Measurement::seriesUid).containsExactly("s1", "s3");
        assertThat(storedAlerts()).extracting(kv -> kv.value.alertId() + " " + (kv.value.retraction() != null))
                .containsExactlyInAnyOrder(ProgressionAlerts.alertId("P1", "s1", "s2") + " true",
                        ProgressionAlerts.alertId("P1", "s1", "s3") + " false");

        // the same note again, and a late measurement of the withdrawn series: nothing is retracted or raised again
        notes.pipeInput("P1", rejection("kos-1", "s2"));
        send(measurement("s2", T0.plus(Duration.ofHours(30)), 64));
        assertThat(alerts.isEmpty()).isTrue();
        assertThat(history().measurements()).extracting(ProgressionAlerts.Measurement::seriesUid).containsExactly("s1", "s3");
        assertThat(TestData.counter(driver.metrics(), ProgressionAlerts.TOPOLOGY, "alerts-retracted")).isEqualTo(1.0);
        assertThat(TestData.counter(driver.metrics(), ProgressionAlerts.TOPOLOGY, "series-withdrawn")).isEqualTo(1.0);
        assertThat(TestData.counter(driver.metrics(), ProgressionAlerts.TOPOLOGY,
                "measurements-of-withdrawn-series-dropped")).isEqualTo(1.0);

        // a note for a series never measured yet: its measurement, when it comes, is dropped; the rest go on
        notes.pipeInput("P1", rejection("kos-2", "s4"));
        send(measurement("s4", T0.plus(Duration.ofHours(41)), 500));
        send(measurement("s5", T0.plus(Duration.ofHours(42)), 200));
        assertThat(alerts.readValuesToList()).extracting(ProgressionAlert::getAlertId)
                .containsExactly(ProgressionAlerts.alertId("P1", "s1", "s5"), ProgressionAlerts.alertId("P1", "s3", "s5"));
        assertThat(history().measurements()).extracting(ProgressionAlerts.Measurement::seriesUid)
                .containsExactly("s1", "s3", "s5");
    }

    @Test
    void aRejectionNoteKeyedByAnotherPatientIsDeadLetteredAndTheTopologyGoesOn() {
        start();
        TestInputTopic<String, org.radstream.avro.RejectionNote> notes = driver.createInputTopic(Topics.REJECTION_NOTES,
                new StringSerializer(), topics.rejectionNotes().valueSerde().serializer());
        TestOutputTopic<String, org.radstream.avro.DeadLetter> dead = driver.createOutputTopic(Topics.STREAMS_DEAD_LETTERS,
                new StringDeserializer(), topics.streamsDeadLetters().valueSerde().deserializer());
        send(measurement("s1", T0, 40));
        notes.pipeInput("P2", rejection("kos-1", "s1"));
        assertThat(dead.readValue().getReason()).isEqualTo("rejection note keyed P2 belongs to patient P1");
        assertThat(history().measurements()).extracting(ProgressionAlerts.Measurement::seriesUid).containsExactly("s1");
        send(measurement("s2", T0.plus(Duration.ofHours(30)), 64));
        assertThat(alerts.readValuesToList()).hasSize(1);
    }

    @Test
    void sixtyPercentIn30HoursAlertsWithTheExactRecordAndStores() {
        start();
        send(measurement("s1", T0, 40));
        send(measurement("s2", T0.plus(Duration.ofHours(30)), 64));

        String id = ProgressionAlerts.alertId("P1", "s1", "s2");
        ProgressionAlert expected = ProgressionAlert.newBuilder().setAlertId(id).setPatientId("P1")
                .setPatientName("Doe^Jane").setEarlier(ref("s1", T0, 40))
                .setLater(ref("s2", T0.plus(Duration.ofHours(30)), 64)).setGrowthPercent(60.0).setHoursApart(30.0)
                .setRule(RULE)
                .setMessage("PROGRESSION Doe^Jane (patient P1): infected 40.0 → 64.0 mL (+60%), PoIR 4.0% → 6.4%, "
                        + "30.0 h apart. Rule: " + RULE)
                .setRaisedAt(TestData.START).setEventId(id).build();
        assertThat(alerts.readKeyValuesToList()).containsExactly(KeyValue.pair("P1", expected));
        assertThat(id).isEqualTo(ProgressionAlerts.alertId("P1", "s1", "s2")).startsWith("progression-");

        assertThat(history().measurements()).extracting(ProgressionAlerts.Measurement::seriesUid).containsExactly("s1", "s2");
        assertThat(history().measurements().get(1)).isEqualTo(ProgressionAlerts.Measurement.of(
                measurement("s2", T0.plus(Duration.ofHours(30)), 64)));
        List<KeyValue<String, Alert>> stored = storedAlerts();
        assertThat(stored).hasSize(1);
        assertThat(stored.get(0).key).isEqualTo("P1\u001F" + id);
        assertThat(stored.get(0).value.growthPercent()).isEqualTo(60.0);
        assertThat(stored.get(0).value.message()).isEqualTo(expected.getMessage());
        assertThat(TestData.counter(driver.metrics(), ProgressionAlerts.TOPOLOGY, "alerts-raised")).isEqualTo(1.0);
    }

    @Test
    void anAlertQuotesHowFirmlyEachScansInfectionWasOutlined() {
        start();
        send(PoirMeasurement.newBuilder(measurement("s1", T0, 40)).setInfectionStability(0.93).build());
        send(PoirMeasurement.newBuilder(measurement("s2", T0.plus(Duration.ofHours(30)), 64)).setInfectionStability(0.71)
                .build());
        ProgressionAlert a = alerts.readValue();
        assertThat(a.getEarlier()).isEqualTo(MeasurementRef.newBuilder(ref("s1", T0, 40)).setInfectionStability(0.93).build());
        assertThat(a.getLater().getInfectionStability()).isEqualTo(0.71);
        // and the timeline keeps it with each measurement
        assertThat(history().measurements()).extracting(ProgressionAlerts.Measurement::infectionStability)
                .containsExactly(0.93, 0.71);
    }

    @Test
    void fortyPercentIn30HoursDoesNotAlert() {
        start();
        send(measurement("s1", T0, 40));
        send(measurement("s2", T0.plus(Duration.ofHours(30)), 56));
        assertThat(alerts.isEmpty()).isTrue();
        assertThat(storedAlerts()).isEmpty();
        assertThat(history().measurements()).hasSize(2);
    }

    @Test
    void sixtyPercentOver60HoursDoesNotAlert() {
        start();
        send(measurement("s1", T0, 40));
        send(measurement("s2", T0.plus(Duration.ofHours(60)), 64));
        assertThat(alerts.isEmpty()).isTrue();
    }

    @Test
    void exactly48HoursStillCountsAndFiftyPercentExactlyDoesNot() {
        start();
        send(measurement("s1", T0, 40));
        send(measurement("s2", T0.plus(Duration.ofHours(48)), 60)); // +50.0%: not more than 50%
        send(measurement("s3", T0.plus(Duration.ofHours(48)).plusMillis(1), 61)); // 48 h + 1 ms from s1
        assertThat(alerts.isEmpty()).isTrue();
        send(measurement("s4", T0.plus(Duration.ofHours(48)), 60.5)); // different series, same time as s2
        assertThat(alerts.readValuesToList()).extracting(a -> a.getEarlier().getSeriesUid() + "→" + a.getLater().getSeriesUid())
                .containsExactly("s1→s4");
    }

    @Test
    void olderScanArrivingLateAlertsAgainstTheLaterOnes() {
        start();
        send(measurement("s2", T0.plus(Duration.ofHours(30)), 64));
        send(measurement("s3", T0.plus(Duration.ofHours(70)), 70));
        assertThat(alerts.isEmpty()).isTrue();
        send(measurement("s1", T0, 40)); // acquired first, arrives last
        List<ProgressionAlert> out = alerts.readValuesToList();
        assertThat(out).hasSize(1); // s3 is 70 h after s1: outside the window
        ProgressionAlert a = out.get(0);
        assertThat(a.getAlertId()).isEqualTo(ProgressionAlerts.alertId("P1", "s1", "s2"));
        assertThat(a.getEarlier()).isEqualTo(ref("s1", T0, 40));
        assertThat(a.getLater()).isEqualTo(ref("s2", T0.plus(Duration.ofHours(30)), 64));
        assertThat(a.getGrowthPercent()).isEqualTo(60.0);
        assertThat(history().measurements()).extracting(ProgressionAlerts.Measurement::seriesUid)
                .containsExactly("s1", "s2", "s3");
    }

    @Test
    void everyEarlierScanWithinTheWindowIsCompared() {
        start();
        send(measurement("s1", T0, 10));
        send(measurement("s2", T0.plus(Duration.ofHours(20)), 14)); // +40% over s1: none
        send(measurement("s3", T0.plus(Duration.ofHours(40)), 22)); // +120% over s1, +57.1% over s2
        List<ProgressionAlert> out = alerts.readValuesToList();
        assertThat(out).extracting(a -> a.getEarlier().getSeriesUid() + "→" + a.getLater().getSeriesUid())
                .containsExactly("s1→s3", "s2→s3");
        assertThat(out.get(0).getGrowthPercent()).isEqualTo(120.0);
        assertThat(out.get(1).getGrowthPercent()).isEqualTo(100.0 * 8 / 14);
        assertThat(out.get(1).getHoursApart()).isEqualTo(20.0);
    }

    @Test
    void duplicateMeasurementsRaiseOneAlert() {
        start();
        PoirMeasurement a = measurement("s1", T0, 40);
        PoirMeasurement b = measurement("s2", T0.plus(Duration.ofHours(30)), 64);
        send(a);
        send(b);
        send(b);
        send(a);
        send(b);
        assertThat(alerts.readValuesToList()).extracting(ProgressionAlert::getAlertId)
                .containsExactly(ProgressionAlerts.alertId("P1", "s1", "s2"));
        assertThat(storedAlerts()).hasSize(1);
        assertThat(history().measurements()).hasSize(2);
        assertThat(TestData.counter(driver.metrics(), ProgressionAlerts.TOPOLOGY, "alerts-duplicate-suppressed"))
                .isEqualTo(3.0);
    }

    @Test
    void correctedMeasurementReplacesItsSeriesAndDoesNotRealert() {
        start();
        send(measurement("s1", T0, 40));
        send(measurement("s2", T0.plus(Duration.ofHours(30)), 64));
        send(measurement("s2", T0.plus(Duration.ofHours(30)), 70)); // re-run of s2 with another model
        assertThat(alerts.readValuesToList()).hasSize(1);
        assertThat(history().measurements()).extracting(ProgressionAlerts.Measurement::infectedMl).containsExactly(40.0, 70.0);
    }

    @Test
    void zeroBaselineAlertsAsNewInfectionAndTinyVolumesDoNot() {
        start();
        send(measurement("s1", T0, 0));
        send(measurement("s2", T0.plus(Duration.ofHours(12)), 0.8)); // both below 1 mL: noise
        assertThat(alerts.isEmpty()).isTrue();
        send(measurement("s3", T0.plus(Duration.ofHours(24)), 12));
        List<ProgressionAlert> out = alerts.readValuesToList();
        // s3 against s1 (0 mL) and s2 (0.8 mL): both baselines below 1 mL → new infection, no growth %
        assertThat(out).extracting(a -> a.getEarlier().getSeriesUid()).containsExactly("s1", "s2");
        ProgressionAlert first = out.get(0);
        assertThat(first.getGrowthPercent()).isNull();
        assertThat(first.getHoursApart()).isEqualTo(24.0);
        assertThat(first.getMessage()).isEqualTo("NEW INFECTION Doe^Jane (patient P1): infected 0.0 → 12.0 mL, "
                + "PoIR 0.0% → 1.2%, 24.0 h apart. Rule: " + RULE);
        assertThat(out.get(1).getGrowthPercent()).isNull();
    }

    @Test
    void historyAndAlertsOlderThanTheRetentionAreExpiredOnWrite() {
        start(TestData.settings(stateDir).withProgression(new ProgressionThresholds(1.5, Duration.ofHours(48), 1.0,
                Duration.ofHours(72))));
        send(measurement("s1", T0, 40));
        send(measurement("s2", T0.plus(Duration.ofHours(30)), 64));
        assertThat(storedAlerts()).hasSize(1);
        send(measurement("s3", T0.plus(Duration.ofHours(90)), 64)); // cutoff 18 h: s1 goes, s2 and the alert stay
        assertThat(history().measurements()).extracting(ProgressionAlerts.Measurement::seriesUid).containsExactly("s2", "s3");
        assertThat(storedAlerts()).hasSize(1);
        send(measurement("s4", T0.plus(Duration.ofHours(200)), 64)); // cutoff 128 h: only s4 stays
        assertThat(history().measurements()).extracting(ProgressionAlerts.Measurement::seriesUid).containsExactly("s4");
        assertThat(storedAlerts()).isEmpty();
        // a re-delivered s1 is older than the retention: compared with what is kept, not stored, no alert
        send(measurement("s1", T0, 40));
        assertThat(history().measurements()).extracting(ProgressionAlerts.Measurement::seriesUid).containsExactly("s4");
        assertThat(alerts.readValuesToList()).hasSize(1);
        KeyValueStore<String, Long> clock = driver.getKeyValueStore(ProgressionAlerts.CLOCK_STORE);
        assertThat(clock.get("newest-acquisition")).isEqualTo(T0.plus(Duration.ofHours(200)).toEpochMilli());
    }

    @Test
    void idlePatientsAreExpiredByThePunctuator() {
        start(TestData.settings(stateDir).withProgression(new ProgressionThresholds(1.5, Duration.ofHours(48), 1.0,
                Duration.ofHours(72))));
        send(measurement("s1", T0, 40));
        measurements.pipeInput("P2", PoirMeasurement.newBuilder(measurement("q1", T0.plus(Duration.ofDays(10)), 5))
                .setPatientId("P2").build());
        assertThat(history()).isNotNull();
        driver.advanceWallClockTime(Duration.ofHours(1));
        assertThat(history()).isNull();
        KeyValueStore<String, History> store = driver.getKeyValueStore(ProgressionAlerts.HISTORY_STORE);
        assertThat(store.get("P2").measurements()).hasSize(1);
    }

    @Test
    void measurementKeyedByAnotherPatientIsDeadLettered() {
        start();
        TestOutputTopic<String, org.radstream.avro.DeadLetter> dead = driver.createOutputTopic(Topics.STREAMS_DEAD_LETTERS,
                new StringDeserializer(), topics.streamsDeadLetters().valueSerde().deserializer());
        measurements.pipeInput("P9", measurement("s1", T0, 40));
        send(measurement("s2", T0, 40));
        assertThat(dead.readValue().getReason()).isEqualTo("measurement keyed P9 belongs to patient P1");
        assertThat(history().measurements()).extracting(ProgressionAlerts.Measurement::seriesUid).containsExactly("s2");
    }
}
