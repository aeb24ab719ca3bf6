package org.radstream.streams;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.TopologyTestDriver;
import org.radstream.avro.DicomSlice;
import org.radstream.avro.DicomSliceEvent;
import org.radstream.avro.SeriesComplete;
import org.radstream.schemas.SchemaStore;
import org.radstream.schemas.Topics;
import org.radstream.streams.StreamsSettings.TopologyName;

/** Builders of input records and the TopologyTestDriver set-up shared by the topology tests. */
final class TestData {
    static final Instant START = Instant.parse("2024-03-01T08:00:00Z");
    static final Instant ACQUIRED = Instant.parse("2024-02-29T21:15:00Z");

    private TestData() {}

    static StreamsSettings settings(Path stateDir) {
        return StreamsSettings.defaults("localhost:9", "http://localhost:9", stateDir);
    }

    static TopologyTestDriver driver(TopologyName which, Topics topics, StreamsSettings settings) {
        Properties p = StreamsApp.properties(settings, which, topics, null);
        return new TopologyTestDriver(StreamsApp.topology(which, topics, settings), p, START);
    }

    static Topics topics() {
        return new Topics(new SchemaStore());
    }

    /** Little-endian 16-bit stored words. */
    static ByteBuffer words(int... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            b.putShort((short) v);
        }
        b.flip();
        return b;
    }

    static ByteBuffer bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return ByteBuffer.wrap(b);
    }

    /** A signed 16-bit, slope 1, intercept 0 chest slice of 2 rows × 3 columns. */
    static DicomSlice.Builder slice(String series, int instance, String bodyPart, ByteBuffer pixels) {
        return DicomSlice.newBuilder()
                .setPatientId("P0001").setPatientName("Doe^Jane").setStudyUid("1.2.3").setSeriesUid(series)
                .setSopInstanceUid(series + "." + instance).setSopClassUid("1.2.840.10008.5.1.4.1.1.2")
                .setAccessionNumber("ACC1").setModality("CT").setBodyPartExamined(bodyPart)
                .setSeriesDescription("routine").setAcquisitionTime(ACQUIRED).setInstanceNumber(instance)
                .setRows(2).setColumns(3).setPixelSpacingRow(0.7).setPixelSpacingColumn(0.8).setSliceThickness(2.5)
                .setImagePositionPatient(List.of(-100.0, -120.0, 2.5 * instance))
                .setImageOrientationPatient(List.of(1.0, 0.0, 0.0, 0.0, 1.0, 0.0)).setFrameOfReferenceUid("1.2.3.9")
                .setRescaleSlope(1.0).setRescaleIntercept(0.0).setBitsAllocated(16).setPixelRepresentation(1)
                .setPixels(pixels).setTransferSyntaxUid("1.2.840.10008.1.2.1").setCallingAe("SCANNER1")
                .setReceivedAt(START);
    }

    static DicomSliceEvent event(DicomSlice s) {
        return DicomSliceEvent.newBuilder().setSeriesUid(s.getSeriesUid()).setBody(s).build();
    }

    static SeriesComplete marker(String series, String bodyPart, int count) {
        return SeriesComplete.newBuilder().setSeriesUid(series).setStudyUid("1.2.3").setPatientId("P0001")
                .setModality("CT").setBodyPartExamined(bodyPart).setSeriesDescription("routine")
                .setInstanceCount(count).setCompletedAt(START).setTask(null).build();
    }

    static DicomSliceEvent event(SeriesComplete m) {
        return DicomSliceEvent.newBuilder().setSeriesUid(m.getSeriesUid()).setBody(m).build();
    }

    static byte[] array(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }

    /** Sum over stream threads of a radstream counter ({@code <operation>-total}) of one topology. */
    static double counter(Map<MetricName, ? extends Metric> metrics, String topology, String operation) {
        return metrics.entrySet().stream()
                .filter(e -> e.getKey().group().equals(Sensors.GROUP) && e.getKey().name().equals(operation + "-total")
                        && topology.equals(e.getKey().tags().get(Sensors.ENTITY_TAG)))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue()).sum();
    }

    /** Records Kafka Streams counted as dropped: what the exception handlers dead-lettered. */
    static double dropped(Map<MetricName, ? extends Metric> metrics) {
        return metrics.entrySet().stream()
                .filter(e -> e.getKey().group().equals("stream-task-metrics")
                        && e.getKey().name().equals("dropped-records-total"))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue()).sum();
    }
}
