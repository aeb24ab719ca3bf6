package org.radstream.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.avro.DeadLetter;
import org.radstream.avro.InferenceResult;
import org.radstream.avro.Mask;
import org.radstream.avro.PoirMeasurement;
import org.radstream.schemas.Topics;
import org.radstream.streams.PoirJoin.Pair;
import org.radstream.streams.StreamsSettings.TopologyName;

class PoirJoinTest {
    private static final Instant ACQ = Instant.parse("2024-02-20T06:00:00Z");
    private static final Instant LUNG_AT = Instant.parse("2024-02-20T06:10:00Z");
    private static final Instant INF_AT = Instant.parse("2024-02-20T06:11:00Z");

    @TempDir
    Path stateDir;

    private final Topics topics = TestData.topics();
    private TopologyTestDriver driver;
    private TestInputTopic<String, InferenceResult> results;
    private TestOutputTopic<String, PoirMeasurement> measurements;
    private TestOutputTopic<String, DeadLetter> deadLetters;

    @BeforeEach
    void start() {
        driver = TestData.driver(TopologyName.POIR_JOIN, topics, TestData.settings(stateDir));
        results = driver.createInputTopic(Topics.RESULTS, new StringSerializer(), topics.results().valueSerde().serializer());
        measurements = driver.createOutputTopic(Topics.POIR, new StringDeserializer(), topics.poir().valueSerde().deserializer());
        deadLetters = driver.createOutputTopic(Topics.STREAMS_DEAD_LETTERS, new StringDeserializer(),
                topics.streamsDeadLetters().valueSerde().deserializer());
    }

    @AfterEach
    void close() {
        driver.close();
    }

    static InferenceResult result(String series, String task, double ml, String version, Instant producedAt) {
        return InferenceResult.newBuilder().setSeriesUid(series).setTask(task)
                .setTaskGroup(task.equals("lung") || task.equals("infection") ? "chest" : "liver")
                .setPatientId("P1").setPatientName("Doe^Jane").setStudyUid("1.2.3").setAccessionNumber("ACC1")
                .setAcquisitionTime(ACQ).setSliceCount(120).setVoxelVolumeMm3(1.2).setVolumeMl(ml)
                .setMask(Mask.newBuilder().setWidth(4).setHeight(4).setDepth(1).setRle(ByteBuffer.wrap(new byte[] {16})).build())
                .setMethod("model").setModelVersion(version).setClassifierVersion(null).setComponentsRemoved(0)
                .setTimingsMs(Map.of()).setProducedAt(producedAt).build();
    }

    private void send(InferenceResult r) {
        results.pipeInput(Topics.seriesTaskKey(r.getSeriesUid(), r.getTask()), r);
    }

    private static PoirMeasurement expected(double lungMl, double infectedMl, double poir, String infVersion, Instant measuredAt) {
        return PoirMeasurement.newBuilder().setPatientId("P1").setPatientName("Doe^Jane").setStudyUid("1.2.3")
                .setSeriesUid("s1").setAccessionNumber("ACC1").setAcquisitionTime(ACQ).setLungMl(lungMl)
                .setInfectedMl(infectedMl).setPoir(poir).setLungMethod("model").setInfectionMethod("model")
                .setLungModelVersion("lung-v1").setInfectionModelVersion(infVersion).setMeasuredAt(measuredAt).build();
    }

    @Test
    void lungThenInfectionMakesOneMeasurementKeyedByPatient() {
        send(result("s1", "lung", 4000, "lung-v1", LUNG_AT));
        assertThat(measurements.isEmpty()).isTrue();
        send(result("s1", "infection", 200, "inf-v1", INF_AT));
        assertThat(measurements.readKeyValuesToList()).containsExactly(
                KeyValue.pair("P1", expected(4000, 200, 5.0, "inf-v1", INF_AT)));
    }

    @Test
    void theMeasurementSaysHowFirmlyEachMaskWasDecided() {
        send(InferenceResult.newBuilder(result("s1", "lung", 4000, "lung-v1", LUNG_AT)).setMaskStability(0.97).build());
        send(InferenceResult.newBuilder(result("s1", "infection", 200, "inf-v1", INF_AT)).setMaskStability(0.78).build());
        assertThat(measurements.readKeyValuesToList()).containsExactly(KeyValue.pair("P1",
                PoirMeasurement.newBuilder(expected(4000, 200, 5.0, "inf-v1", INF_AT)).setLungStability(0.97)
                        .setInfectionStability(0.78).build()));
    }

    @Test
    void infectionThenLungMakesTheSameMeasurement() {
        send(result("s1", "infection", 200, "inf-v1", INF_AT));
        send(result("s1", "lung", 4000, "lung-v1", LUNG_AT));
        assertThat(measurements.readKeyValuesToList()).containsExactly(
                KeyValue.pair("P1", expected(4000, 200, 5.0, "inf-v1", INF_AT)));
    }

    @Test
    void duplicatesEmitNothingMoreAndTheStoreHoldsThePair() {
        InferenceResult lung = result("s1", "lung", 4000, "lung-v1", LUNG_AT);
        InferenceResult inf = result("s1", "infection", 200, "inf-v1", INF_AT);
        send(lung);
        send(lung);
        send(inf);
        send(inf);
        send(lung);
        assertThat(measurements.readValuesToList()).hasSize(1);
        KeyValueStore<String, Pair> pairs = driver.getKeyValueStore(PoirJoin.PAIRS_STORE);
        Pair p = pairs.get("s1");
        assertThat(p.lung()).isEqualTo(PoirJoin.Half.of(lung));
        assertThat(p.infection()).isEqualTo(PoirJoin.Half.of(inf));
        assertThat(p.emitted()).isEqualTo("model|lung-v1|4000.0|model|inf-v1|200.0");
        assertThat(p.lastResultAt()).isEqualTo(INF_AT.toEpochMilli());
        assertThat(TestData.counter(driver.metrics(), PoirJoin.TOPOLOGY, "results-duplicate")).isEqualTo(3.0);
    }

    @Test
    void correctedRerunUpdatesTheMeasurementButAStaleResultDoesNot() {
        send(result("s1", "lung", 4000, "lung-v1", LUNG_AT));
        send(result("s1", "infection", 200, "inf-v1", INF_AT));
        Instant rerunAt = Instant.parse("2024-02-21T09:00:00Z");
        send(result("s1", "infection", 300, "inf-v2", rerunAt));
        send(result("s1", "infection", 200, "inf-v1", INF_AT)); // the first run, re-delivered late
        assertThat(measurements.readValuesToList()).containsExactly(
                expected(4000, 200, 5.0, "inf-v1", INF_AT),
                expected(4000, 300, 7.5, "inf-v2", rerunAt));
    }

    @Test
    void zeroLungVolumeEmitsNoMeasurementButADeadLetterUntilALungIsFound() {
        send(result("s1", "infection", 20, "inf-v1", INF_AT));
        send(result("s1", "lung", 0, "lung-v1", LUNG_AT));
        assertThat(measurements.isEmpty()).isTrue();
        DeadLetter d = deadLetters.readValue();
        assertThat(d.getComponent()).isEqualTo(PoirJoin.TOPOLOGY);
        assertThat(d.getKey()).isEqualTo("s1");
        assertThat(d.getReason()).isEqualTo("PoIR undefined for series s1 of patient P1: lung volume 0.0 mL "
                + "(model lung-v1), infected 20.0 mL; no measurement emitted until a lung result with volume arrives");
        assertThat(deadLetters.isEmpty()).isTrue();
        Instant fixedAt = Instant.parse("2024-02-20T07:00:00Z");
        send(result("s1", "lung", 1000, "lung-v2", fixedAt));
        PoirMeasurement m = measurements.readValue();
        assertThat(m.getPoir()).isEqualTo(2.0);
        assertThat(m.getLungModelVersion()).isEqualTo("lung-v2");
        assertThat(m.getMeasuredAt()).isEqualTo(fixedAt);
    }

    @Test
    void otherTasksAreIgnoredAndAMismatchedKeyIsDeadLettered() {
        send(result("s2", "liver", 1500, "liver-v1", LUNG_AT));
        send(result("s2", "vessel", 40, "vessel-v1", LUNG_AT));
        results.pipeInput("s1:infection", result("s1", "lung", 4000, "lung-v1", LUNG_AT));
        assertThat(measurements.isEmpty()).isTrue();
        assertThat(deadLetters.readValue().getReason())
                .isEqualTo("result key s1:infection does not match its series and task s1:lung");
        KeyValueStore<String, Pair> pairs = driver.getKeyValueStore(PoirJoin.PAIRS_STORE);
        assertThat(pairs.get("s2")).isNull();
        assertThat(pairs.get("s1")).isNull();
    }

    /** {@code r} with a geometry naming its series' images {@code series.1..n}, in frame of reference {@code series.0}. */
    private static InferenceResult withImages(InferenceResult r, int n) {
        List<String> uids = new java.util.ArrayList<>();
        for (int k = 1; k <= n; k++) {
            uids.add(r.getSeriesUid() + "." + k);
        }
        r.setGeometry(org.radstream.avro.SeriesGeometry.newBuilder().setOrigin(List.of(0.0, 0.0, 0.0))
                .setRow(List.of(1.0, 0.0, 0.0)).setColumn(List.of(0.0, 1.0, 0.0)).setSpacingX(1).setSpacingY(1)
                .setSpacingZ(1).setFrameOfReferenceUid(r.getSeriesUid() + ".0").setSopClassUid("1.2.840.10008.5.1.4.1.1.2")
                .setSopInstanceUids(uids).build());
        return r;
    }

    @Test
    void theMeasurementNamesTheSeriesImagesItsResultsNamed() {
        // the lung result without geometry (a worker older than the field), the infection one with it
        send(result("s1", "lung", 4000, "lung-v1", LUNG_AT));
        send(withImages(result("s1", "infection", 200, "inf-v1", INF_AT), 3));
        PoirMeasurement m = measurements.readValue();
        assertThat(m.getSopClassUid()).isEqualTo("1.2.840.10008.5.1.4.1.1.2");
        assertThat(m.getSopInstanceUids()).containsExactly("s1.1", "s1.2", "s1.3");
        // the results it was measured from: only the infection result can be made a segmentation
        assertThat(m.getFrameOfReferenceUid()).isEqualTo("s1.0");
        assertThat(m.getLungResultAt()).isNull();
        assertThat(m.getInfectionResultAt()).isEqualTo(INF_AT);
        PoirMeasurement bare = expected(4000, 200, 5.0, "inf-v1", INF_AT);
        bare.setSopClassUid(m.getSopClassUid());
        bare.setSopInstanceUids(m.getSopInstanceUids());
        bare.setFrameOfReferenceUid(m.getFrameOfReferenceUid());
        bare.setInfectionResultAt(m.getInfectionResultAt());
        assertThat(m).as("the rest as before").isEqualTo(bare);

        // a half stored before the images were kept (no such fields in its JSON) still completes its pair
        KeyValueStore<String, Pair> pairs = driver.getKeyValueStore(PoirJoin.PAIRS_STORE);
        String old = "{\"lung\":{\"seriesUid\":\"s2\",\"task\":\"lung\",\"patientId\":\"P1\",\"patientName\":\"Doe^Jane\","
                + "\"studyUid\":\"1.2.3\",\"accessionNumber\":\"ACC1\",\"acquisitionTime\":" + ACQ.toEpochMilli()
                + ",\"volumeMl\":4000.0,\"method\":\"model\",\"modelVersion\":\"lung-v1\",\"producedAt\":"
                + LUNG_AT.toEpochMilli() + "},\"infection\":null,\"emitted\":null,\"lastResultAt\":" + LUNG_AT.toEpochMilli() + "}";
        pairs.put("s2", new JsonSerde<>(Pair.class).deserializer().deserialize("t", old.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        send(withImages(result("s2", "infection", 100, "inf-v1", INF_AT), 2));
        PoirMeasurement second = measurements.readValue();
        assertThat(second.getSeriesUid()).isEqualTo("s2");
        assertThat(second.getPoir()).isEqualTo(2.5);
        assertThat(second.getSopInstanceUids()).containsExactly("s2.1", "s2.2");
        assertThat(second.getLungResultAt()).as("not known whether the old half's result had geometry").isNull();
        assertThat(second.getInfectionResultAt()).isEqualTo(INF_AT);

        // both with geometry: both named, the images and frame of reference the lung result's
        send(withImages(result("s3", "lung", 4000, "lung-v1", LUNG_AT), 4));
        send(withImages(result("s3", "infection", 400, "inf-v1", INF_AT), 4));
        PoirMeasurement third = measurements.readValue();
        assertThat(third.getLungResultAt()).isEqualTo(LUNG_AT);
        assertThat(third.getInfectionResultAt()).isEqualTo(INF_AT);
        assertThat(third.getFrameOfReferenceUid()).isEqualTo("s3.0");
    }

    @Test
    void pairsAreForgottenAfterTheRetention() {
        send(result("s1", "lung", 4000, "lung-v1", LUNG_AT));
        KeyValueStore<String, Pair> pairs = driver.getKeyValueStore(PoirJoin.PAIRS_STORE);
        assertThat(pairs.get("s1")).isNotNull();
        // the driver's wall clock starts at 2024-03-01; the result was produced on 2024-02-20: older than 7 days
        driver.advanceWallClockTime(java.time.Duration.ofHours(1));
        assertThat(pairs.get("s1")).isNull();
    }
}
