package org.radstream.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.radstream.streams.TestData.array;
import static org.radstream.streams.TestData.bytes;
import static org.radstream.streams.TestData.event;
import static org.radstream.streams.TestData.marker;
import static org.radstream.streams.TestData.slice;
import static org.radstream.streams.TestData.words;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.avro.DeadLetter;
import org.radstream.avro.DicomSlice;
import org.radstream.avro.DicomSliceEvent;
import org.radstream.avro.SeriesComplete;
import org.radstream.avro.TaskSliceEvent;
import org.radstream.avro.WindowedPlane;
import org.radstream.avro.WindowedSlice;
import org.radstream.schemas.Topics;
import org.radstream.streams.StreamsSettings.TopologyName;

class WindowAndRouteTest {
    @TempDir
    Path stateDir;

    private final Topics topics = TestData.topics();
    private TopologyTestDriver driver;
    private TestInputTopic<String, DicomSliceEvent> slices;
    private TestOutputTopic<String, TaskSliceEvent> chest;
    private TestOutputTopic<String, TaskSliceEvent> liver;
    private TestOutputTopic<String, DeadLetter> unmatched;
    private TestOutputTopic<String, DeadLetter> deadLetters;

    private void start(StreamsSettings settings) {
        driver = TestData.driver(TopologyName.WINDOW_AND_ROUTE, topics, settings);
        slices = driver.createInputTopic(Topics.SLICES, new StringSerializer(), topics.slices().valueSerde().serializer());
        chest = driver.createOutputTopic(Topics.TASKS_CHEST, new StringDeserializer(), topics.tasksChest().valueSerde().deserializer());
        liver = driver.createOutputTopic(Topics.TASKS_LIVER, new StringDeserializer(), topics.tasksLiver().valueSerde().deserializer());
        unmatched = driver.createOutputTopic(Topics.SERIES_UNMATCHED, new StringDeserializer(),
                topics.seriesUnmatched().valueSerde().deserializer());
        deadLetters = driver.createOutputTopic(Topics.STREAMS_DEAD_LETTERS, new StringDeserializer(),
                topics.streamsDeadLetters().valueSerde().deserializer());
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

    private static WindowedPlane plane(String name, double low, double high, int bits, byte[] values) {
        return WindowedPlane.newBuilder().setName(name).setLowHu(low).setHighHu(high).setBits(bits)
                .setValues(java.nio.ByteBuffer.wrap(values)).build();
    }

    private static List<String> keys(TestOutputTopic<String, ?> topic) {
        return topic.readKeyValuesToList().stream().map(kv -> kv.key).toList();
    }

    private static byte[] u8(int... v) {
        return array(bytes(v));
    }

    @Test
    void chestSliceIsWindowedToLungWithExactEdgesAndCarriesItsHeader() {
        start();
        // -2000 below the window, -1200 and 600 its edges, -300 the middle, 3000 above, 0 water
        DicomSlice s = slice("1.9.1", 1, "CHEST", words(-2000, -1200, -300, 600, 3000, 0)).build();
        slices.pipeInput("1.9.1", event(s));

        WindowedSlice expected = WindowedSlice.newBuilder()
                .setTask("chest").setPatientId("P0001").setPatientName("Doe^Jane").setStudyUid("1.2.3")
                .setSeriesUid("1.9.1").setSopInstanceUid("1.9.1.1").setSopClassUid("1.2.840.10008.5.1.4.1.1.2")
                .setFrameOfReferenceUid("1.2.3.9").setAccessionNumber("ACC1")
                .setAcquisitionTime(TestData.ACQUIRED).setInstanceNumber(1).setRows(2).setColumns(3)
                .setPixelSpacingRow(0.7).setPixelSpacingColumn(0.8).setSliceThickness(2.5)
                .setImagePositionPatient(List.of(-100.0, -120.0, 2.5))
                .setImageOrientationPatient(List.of(1.0, 0.0, 0.0, 0.0, 1.0, 0.0))
                // 0→0 (clipped), -1200→0, -300→127.5→128, 600→255, 3000→255 (clipped), 0→1200/1800×255=170
                .setWindows(List.of(plane("lung", -1200, 600, 8, u8(0, 0, 128, 255, 255, 170))))
                .build();
        assertThat(chest.readKeyValuesToList()).containsExactly(KeyValue.pair("1.9.1",
                TaskSliceEvent.newBuilder().setSeriesUid("1.9.1").setBody(expected).build()));
        assertThat(liver.isEmpty()).isTrue();
        assertThat(unmatched.isEmpty()).isTrue();
        assertThat(TestData.counter(driver.metrics(), WindowAndRoute.TOPOLOGY, "slices-routed-chest")).isEqualTo(1.0);
    }

    @Test
    void metricsAreLabelledByTheTopologyIdAndEachFamilySaysWhatItCounts() {
        start();
        slices.pipeInput("1.9.1", event(slice("1.9.1", 1, "CHEST", words(0, 0, 0, 0, 0, 0)).build()));
        Map<String, Map<String, Double>> families = new TreeMap<>();
        TimelineServer.collect(TopologyName.WINDOW_AND_ROUTE.id(), driver.metrics(), families);
        String text = TimelineServer.exposition(families, Map.of(TopologyName.WINDOW_AND_ROUTE.id(), true));

        // the label joins these counters with radstream_streams_running, not the sensors' own name
        assertThat(text).contains("radstream_slices_routed_chest_total{topology=\"window-route\"} 1\n",
                "radstream_streams_running{topology=\"window-route\"} 1\n",
                "# HELP radstream_slices_routed_chest_total " + Sensors.HELP.get("slices-routed-chest") + "\n",
                "# TYPE radstream_streams_running gauge\n").doesNotContain(WindowAndRoute.TOPOLOGY + "\"");
        List<String> lines = text.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.startsWith("# TYPE ")) {
                String family = line.split(" ")[2];
                assertThat(lines.get(i - 1)).as("help of %s", family).startsWith("# HELP " + family + " ")
                        .isNotEqualTo("# HELP " + family + " ");
            }
        }
        assertThat(lines.stream().filter(l -> l.startsWith("# TYPE ")).count())
                .as("families with a type").isEqualTo(families.size() + 1);
        // a counter registered without a help text is refused where it is made
        assertThatThrownBy(() -> Sensors.counter(null, WindowAndRoute.TOPOLOGY, "slices-counted-twice"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("slices-counted-twice");
    }

    @Test
    void liverSliceGetsLiverAndVesselPlanes() {
        start();
        DicomSlice s = slice("1.9.2", 7, "ABDOMEN", words(-200, -150, 0, 50, 150, 250)).build();
        slices.pipeInput("1.9.2", event(s));

        List<KeyValue<String, TaskSliceEvent>> out = liver.readKeyValuesToList();
        assertThat(out).hasSize(1);
        WindowedSlice w = (WindowedSlice) out.get(0).value.getBody();
        assertThat(w.getTask()).isEqualTo("liver");
        assertThat(w.getInstanceNumber()).isEqualTo(7);
        assertThat(w.getWindows()).containsExactly(
                // liver [-150, 250]: -200→0, -150→0, 0→95.6→96, 50→127.5→128, 150→191.25→191, 250→255
                plane("liver", -150, 250, 8, u8(0, 0, 96, 128, 191, 255)),
                // vessel [-150, 150]: -200→0, -150→0, 0→127.5→128, 50→170, 150→255, 250→255
                plane("vessel", -150, 150, 8, u8(0, 0, 128, 170, 255, 255)));
        assertThat(chest.isEmpty()).isTrue();
    }

    @Test
    void unsignedStoredValuesWithSlopeAndIntercept() {
        start();
        // unsigned words with intercept -1024: 0→-1024, 1024→0, 1624→600, 65535→64511 HU (read as signed it would be -1025)
        DicomSlice s = slice("1.9.3", 1, "LUNG", words(0, 1024, 1624, 65535, 1, 2)).setPixelRepresentation(0)
                .setRescaleIntercept(-1024).build();
        slices.pipeInput("1.9.3", event(s));
        WindowedSlice w = (WindowedSlice) chest.readValue().getBody();
        // -1024→176/1800×255=24.9→25, 0→170, 600→255, 64511→255, -1023→25.07→25, -1022→25.2→25
        assertThat(array(w.getWindows().get(0).getValues())).containsExactly(u8(25, 170, 255, 255, 25, 25));
    }

    @Test
    void eightBitStoredValuesSignedAndUnsigned() {
        start();
        // signed bytes, slope 10: -120→-1200, 60→600, -128→-1280, 0→0, -30→-300, 127→1270
        DicomSlice signed = slice("1.9.4", 1, "CHEST", bytes(-120, 60, -128, 0, -30, 127)).setBitsAllocated(8)
                .setRescaleSlope(10).build();
        // unsigned bytes, slope 10, intercept -1200: 240→1200, 0→-1200, 90→-300, 180→600, 120→0, 255→1350
        DicomSlice unsigned = slice("1.9.4", 2, "CHEST", bytes(240, 0, 90, 180, 120, 255)).setBitsAllocated(8)
                .setPixelRepresentation(0).setRescaleSlope(10).setRescaleIntercept(-1200).build();
        slices.pipeInput("1.9.4", event(signed));
        slices.pipeInput("1.9.4", event(unsigned));
        List<TaskSliceEvent> out = chest.readValuesToList();
        assertThat(array(((WindowedSlice) out.get(0).getBody()).getWindows().get(0).getValues()))
                .containsExactly(u8(0, 255, 0, 170, 128, 255));
        assertThat(array(((WindowedSlice) out.get(1).getBody()).getWindows().get(0).getValues()))
                .containsExactly(u8(255, 0, 128, 255, 170, 255));
    }

    @Test
    void sixteenBitOutputWhenConfigured() {
        start(TestData.settings(stateDir).withWindowBits(16));
        slices.pipeInput("1.9.5", event(slice("1.9.5", 1, "CHEST", words(-1200, -300, 600, -5000, 5000, -1199)).build()));
        WindowedPlane p = ((WindowedSlice) chest.readValue().getBody()).getWindows().get(0);
        assertThat(p.getBits()).isEqualTo(16);
        // -1200→0, -300→32767.5→32768, 600→65535, clipped 0 and 65535, -1199→65535/1800=36.4→36
        assertThat(array(p.getValues())).containsExactly(array(words(0, 32768, 65535, 0, 65535, 36)));
    }

    @Test
    void routesByBodyPartThenDescriptionAndReportsTheRest() {
        start();
        slices.pipeInput("1.9.10", event(slice("1.9.10", 1, "THORAX", words(0, 0, 0, 0, 0, 0)).build()));
        slices.pipeInput("1.9.11", event(slice("1.9.11", 1, "LIVER", words(0, 0, 0, 0, 0, 0)).build()));
        slices.pipeInput("1.9.12", event(slice("1.9.12", 1, null, words(0, 0, 0, 0, 0, 0))
                .setSeriesDescription("CT Chest COVID-19 low dose").build()));
        slices.pipeInput("1.9.13", event(slice("1.9.13", 1, "", words(0, 0, 0, 0, 0, 0))
                .setSeriesDescription("Abdomen portal venous").build()));
        slices.pipeInput("1.9.14", event(slice("1.9.14", 1, "CHEST", words(0, 0, 0, 0, 0, 0)).setModality("MR").build()));
        slices.pipeInput("1.9.15", event(slice("1.9.15", 1, "KNEE", words(0, 0, 0, 0, 0, 0)).build()));

        assertThat(keys(chest)).containsExactly("1.9.10", "1.9.12");
        assertThat(keys(liver)).containsExactly("1.9.11", "1.9.13");
        List<KeyValue<String, DeadLetter>> reports = unmatched.readKeyValuesToList();
        assertThat(reports).extracting(kv -> kv.key).containsExactly("1.9.14", "1.9.15");
        DeadLetter knee = reports.get(1).value;
        assertThat(knee.getComponent()).isEqualTo("window-and-route");
        assertThat(knee.getSourceTopic()).isEqualTo(Topics.SLICES);
        assertThat(knee.getOffset()).isEqualTo(5L);
        assertThat(knee.getReason()).isEqualTo("no routing rule matches series 1.9.15 (modality=CT, bodyPart=KNEE,"
                + " description='routine') and no default task group is set; rules: "
                + RoutingRules.DEFAULT.compact());
        assertThat(knee.getFailedAt()).isEqualTo(TestData.START);
        assertThat(knee.getValue()).isNull();
    }

    @Test
    void unmatchedSeriesIsReportedOnceAndItsMarkerClearsTheStore() {
        start();
        for (int i = 1; i <= 3; i++) {
            slices.pipeInput("1.9.20", event(slice("1.9.20", i, "KNEE", words(0, 0, 0, 0, 0, 0)).build()));
        }
        KeyValueStore<String, Long> reported = driver.getKeyValueStore(WindowAndRoute.UNMATCHED_STORE);
        assertThat(reported.get("1.9.20")).isEqualTo(TestData.START.toEpochMilli());
        slices.pipeInput("1.9.20", event(marker("1.9.20", "KNEE", 3)));

        assertThat(keys(unmatched)).containsExactly("1.9.20");
        assertThat(reported.get("1.9.20")).isNull();
        assertThat(chest.isEmpty()).isTrue();
        assertThat(liver.isEmpty()).isTrue();
        assertThat(TestData.counter(driver.metrics(), WindowAndRoute.TOPOLOGY, "series-unmatched")).isEqualTo(1.0);
        assertThat(TestData.counter(driver.metrics(), WindowAndRoute.TOPOLOGY, "records-unmatched")).isEqualTo(4.0);

        // a marker alone (all its slices were dead-lettered) still reports the series
        slices.pipeInput("1.9.21", event(marker("1.9.21", "KNEE", 2)));
        assertThat(keys(unmatched)).containsExactly("1.9.21");
    }

    @Test
    void markerFollowsItsSlicesWithTheTaskSet() {
        start();
        slices.pipeInput("1.9.30", event(slice("1.9.30", 2, "CHEST", words(0, 0, 0, 0, 0, 0)).build()));
        slices.pipeInput("1.9.31", event(slice("1.9.31", 1, "ABDOMEN", words(0, 0, 0, 0, 0, 0)).build()));
        slices.pipeInput("1.9.30", event(slice("1.9.30", 1, "CHEST", words(0, 0, 0, 0, 0, 0)).build()));
        slices.pipeInput("1.9.30", event(marker("1.9.30", "CHEST", 2)));
        slices.pipeInput("1.9.31", event(marker("1.9.31", "ABDOMEN", 1)));

        List<TaskSliceEvent> c = chest.readValuesToList();
        assertThat(c).extracting(e -> e.getBody() instanceof WindowedSlice w ? "slice " + w.getInstanceNumber() : "marker")
                .containsExactly("slice 2", "slice 1", "marker");
        assertThat(c.get(2).getBody()).isEqualTo(SeriesComplete.newBuilder(marker("1.9.30", "CHEST", 2)).setTask("chest").build());
        List<TaskSliceEvent> l = liver.readValuesToList();
        assertThat(l).extracting(e -> e.getBody() instanceof WindowedSlice ? "slice" : "marker").containsExactly("slice", "marker");
        assertThat(((SeriesComplete) l.get(1).getBody()).getTask()).isEqualTo("liver");
        assertThat(TestData.counter(driver.metrics(), WindowAndRoute.TOPOLOGY, "markers-routed")).isEqualTo(2.0);
    }

    @Test
    void configuredRulesAndDefaultTaskGroup() {
        start(TestData.settings(stateDir).withRouting(RoutingRules.parse(
                "modality~CT,description~.*hepatic.*->liver; default->chest")));
        slices.pipeInput("1.9.40", event(slice("1.9.40", 1, "KNEE", words(0, 0, 0, 0, 0, 0))
                .setSeriesDescription("Hepatic arterial phase").build()));
        slices.pipeInput("1.9.41", event(slice("1.9.41", 1, "KNEE", words(0, 0, 0, 0, 0, 0)).build()));
        assertThat(keys(liver)).containsExactly("1.9.40");
        assertThat(keys(chest)).containsExactly("1.9.41");
        assertThat(unmatched.isEmpty()).isTrue();
    }

    @Test
    void badSlicesGoToTheDeadLetterTopicWithTheirReasonAndProcessingContinues() {
        start();
        DicomSliceEvent shortPixels = event(slice("1.9.50", 1, "CHEST", words(1, 2, 3)).build());
        DicomSliceEvent noRows = event(slice("1.9.50", 2, "CHEST", words()).setRows(0).build());
        DicomSliceEvent nanSpacing = event(slice("1.9.50", 3, "CHEST", words(0, 0, 0, 0, 0, 0))
                .setPixelSpacingColumn(Double.NaN).build());
        DicomSliceEvent fiveOrientation = event(slice("1.9.50", 4, "CHEST", words(0, 0, 0, 0, 0, 0))
                .setImageOrientationPatient(List.of(1.0, 0.0, 0.0, 0.0, 1.0)).build());
        DicomSliceEvent good = event(slice("1.9.50", 5, "CHEST", words(600, 600, 600, 600, 600, 600)).build());
        slices.pipeInput("1.9.50", shortPixels);
        slices.pipeInput("1.9.50", noRows);
        slices.pipeInput("1.9.50", nanSpacing);
        slices.pipeInput("1.9.50", fiveOrientation);
        slices.pipeInput("1.9.50", good);

        List<KeyValue<String, DeadLetter>> dead = deadLetters.readKeyValuesToList();
        assertThat(dead).extracting(kv -> kv.key).containsOnly("1.9.50");
        assertThat(dead).extracting(kv -> kv.value.getReason()).containsExactly(
                "slice 1.9.50.1 of series 1.9.50: pixel data has 6 bytes, 2x3x16 bits needs 12",
                "slice 1.9.50.2 of series 1.9.50: impossible size 0x3",
                "slice 1.9.50.3 of series 1.9.50: impossible pixel spacing 0.7\\NaN mm",
                "slice 1.9.50.4 of series 1.9.50: image orientation must be 6 finite values: [1.0, 0.0, 0.0, 0.0, 1.0]");
        assertThat(dead).extracting(kv -> kv.value.getOffset()).containsExactly(0L, 1L, 2L, 3L);
        DeadLetter first = dead.get(0).value;
        assertThat(first.getComponent()).isEqualTo("stream-processors/" + WindowAndRoute.PROCESSOR);
        assertThat(first.getSourceTopic()).isEqualTo(Topics.SLICES);
        assertThat(first.getPartition()).isEqualTo(0);
        assertThat(array(first.getValue()))
                .containsExactly(topics.slices().valueSerde().serializer().serialize(Topics.SLICES, shortPixels));
        // the application kept going: the good slice after the bad ones is routed
        List<TaskSliceEvent> routed = chest.readValuesToList();
        assertThat(routed).hasSize(1);
        assertThat(((WindowedSlice) routed.get(0).getBody()).getInstanceNumber()).isEqualTo(5);
        assertThat(TestData.dropped(driver.metrics())).isEqualTo(4.0);
    }

    @Test
    void undecodableBytesGoToTheDeadLetterTopicAndProcessingContinues() {
        // TopologyTestDriver under exactly-once drops the dead-letter records of the deserialization
        // handler (it surfaces them under at-least-once); StreamsAppIT checks them on a broker under EOS.
        start(TestData.settings(stateDir).withProcessingGuarantee(StreamsConfig.AT_LEAST_ONCE));
        TestInputTopic<String, byte[]> raw = driver.createInputTopic(Topics.SLICES, new StringSerializer(),
                new ByteArraySerializer());
        byte[] garbage = {0, 0, 0, 0, 99, 1, 2, 3};
        raw.pipeInput("1.9.60", garbage);
        slices.pipeInput("1.9.60", event(slice("1.9.60", 1, "CHEST", words(0, 0, 0, 0, 0, 0)).build()));

        DeadLetter d = deadLetters.readValue();
        assertThat(d.getComponent()).isEqualTo("stream-processors/deserialization");
        assertThat(d.getKey()).isEqualTo("1.9.60");
        assertThat(d.getSourceTopic()).isEqualTo(Topics.SLICES);
        assertThat(d.getOffset()).isEqualTo(0L);
        assertThat(d.getReason()).startsWith("undecodable record: ");
        assertThat(array(d.getValue())).containsExactly(garbage);
        assertThat(deadLetters.isEmpty()).isTrue();
        assertThat(keys(chest)).containsExactly("1.9.60");
    }
}
