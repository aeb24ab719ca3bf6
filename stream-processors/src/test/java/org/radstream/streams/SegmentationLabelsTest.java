package org.radstream.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.avro.CorrectedLabel;
import org.radstream.avro.DeadLetter;
import org.radstream.avro.InferenceResult;
import org.radstream.avro.Mask;
import org.radstream.avro.ReceivedSegmentation;
import org.radstream.avro.SeriesGeometry;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Rle;
import org.radstream.imaging.dicom.DicomSeg;
import org.radstream.schemas.Topics;
import org.radstream.streams.StreamsSettings.TopologyName;

/** DICOM Segmentations from a PACS laid onto their series' grid as corrected labels, or dead-lettered with why. */
class SegmentationLabelsTest {
    static final int W = 8;
    static final int H = 6;
    static final int D = 3;
    static final SeriesGeometry GEOMETRY = SeriesGeometry.newBuilder().setOrigin(List.of(-50.0, -60.0, 100.0))
            .setRow(List.of(1.0, 0.0, 0.0)).setColumn(List.of(0.0, 1.0, 0.0)).setSpacingX(0.7).setSpacingY(0.7)
            .setSpacingZ(2.0).setFrameOfReferenceUid("1.2.9").setSopClassUid("1.2.840.10008.5.1.4.1.1.2")
            .setSopInstanceUids(List.of("1.5.1", "1.5.2", "1.5.3")).build();
    private static final Instant RECEIVED = Instant.parse("2026-12-06T09:30:00Z");

    @TempDir
    Path stateDir;

    private final Topics topics = TestData.topics();
    private TopologyTestDriver driver;
    private TestInputTopic<String, InferenceResult> results;
    private TestInputTopic<String, ReceivedSegmentation> segmentations;
    private TestOutputTopic<String, CorrectedLabel> labels;
    private TestOutputTopic<String, DeadLetter> deadLetters;

    @BeforeEach
    void start() {
        driver = TestData.driver(TopologyName.SEGMENTATION_LABELS, topics, TestData.settings(stateDir));
        results = driver.createInputTopic(Topics.RESULTS, new StringSerializer(), topics.results().valueSerde().serializer());
        segmentations = driver.createInputTopic(Topics.SEGMENTATIONS, new StringSerializer(),
                topics.segmentations().valueSerde().serializer());
        labels = driver.createOutputTopic(Topics.LABELS, new StringDeserializer(), topics.labels().valueSerde().deserializer());
        deadLetters = driver.createOutputTopic(Topics.STREAMS_DEAD_LETTERS, new StringDeserializer(),
                topics.streamsDeadLetters().valueSerde().deserializer());
    }

    @AfterEach
    void close() {
        driver.close();
    }

    static InferenceResult result(String series, String task, SeriesGeometry geometry) {
        Mask3D empty = new Mask3D(W, H, D);
        return InferenceResult.newBuilder().setSeriesUid(series).setTask(task).setTaskGroup("chest").setPatientId("P1")
                .setStudyUid("1.2.3").setAcquisitionTime(Instant.parse("2026-12-01T08:00:00Z")).setSliceCount(D)
                .setVoxelVolumeMm3(0.98).setVolumeMl(0)
                .setMask(Mask.newBuilder().setWidth(W).setHeight(H).setDepth(D).setRle(ByteBuffer.wrap(Rle.encode(empty))).build())
                .setMethod("model").setModelVersion("9").setProducedAt(Instant.parse("2026-12-01T08:05:00Z"))
                .setGeometry(geometry).build();
    }

    static DicomSeg.Series series(String uid) {
        return new DicomSeg.Series("P1", null, "1.2.3", null, uid, "1.2.9", null, List.of("1.5.1", "1.5.2", "1.5.3"),
                new double[] {-50, -60, 100}, new double[] {1, 0, 0}, new double[] {0, 1, 0}, 0.7, 0.7, 2.0, W, H, D);
    }

    static Mask3D mask(int... voxels) {
        Mask3D m = new Mask3D(W, H, D);
        for (int v : voxels) {
            m.set(v, true);
        }
        return m;
    }

    static ReceivedSegmentation received(String series, String creator, byte[] file) throws IOException {
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(file);
        }
        String sop = DicomSeg.summary(file).sopInstanceUid();
        return ReceivedSegmentation.newBuilder().setSopInstanceUid(sop).setReferencedSeriesUid(series).setStudyUid("1.2.3")
                .setPatientId("P1").setContentCreator(creator).setCallingAe("PACS1").setReceivedVia("c-store")
                .setReceivedAt(RECEIVED).setFileGzip(ByteBuffer.wrap(gz.toByteArray())).build();
    }

    @Test
    void eachSegmentNamingATaskBecomesThatTasksLabelAndTheRestAreDeadLettered() throws IOException {
        results.pipeInput(Topics.seriesTaskKey("S1", "lung"), result("S1", "lung", GEOMETRY));
        results.pipeInput(Topics.seriesTaskKey("S1", "infection"), result("S1", "infection", GEOMETRY));
        Mask3D lung = mask(0, 9, 50, 143);
        Mask3D infection = mask(9, 60);
        byte[] file = DicomSeg.write(List.of(new DicomSeg.Layer(new DicomSeg.Segment("lung", null, null), lung),
                new DicomSeg.Layer(new DicomSeg.Segment("infection", null, null), infection),
                new DicomSeg.Layer(new DicomSeg.Segment("heart", null, null), mask(1))), series("S1"), RECEIVED, new Random(1));
        ReceivedSegmentation seg = received("S1", "Grey^Meredith", file);
        segmentations.pipeInput("S1", seg);

        Map<String, CorrectedLabel> out = labels.readKeyValuesToMap();
        assertThat(out).containsOnlyKeys("S1:lung", "S1:infection");
        CorrectedLabel l = out.get("S1:infection");
        assertThat(Rle.decode(l.getMask().getRle().array(), W, H, D)).isEqualTo(infection);
        assertThat(Rle.decode(out.get("S1:lung").getMask().getRle().array(), W, H, D)).isEqualTo(lung);
        assertThat(l.getSeriesUid()).isEqualTo("S1");
        assertThat(l.getAnnotator()).isEqualTo("Grey^Meredith");
        assertThat(l.getSource()).isEqualTo("radiologist");
        assertThat(l.getSubmittedAt()).isEqualTo(RECEIVED);
        assertThat(l.getNote()).isEqualTo("DICOM SEG " + seg.getSopInstanceUid()
                + " segment 2 'infection' (3 frames) from AE PACS1 via c-store");
        // what a rejection note of the PACS names, should the segmentation be withdrawn there
        assertThat(l.getSourceInstanceUid()).isEqualTo(seg.getSopInstanceUid());
        assertThat(out.get("S1:lung").getSourceInstanceUid()).isEqualTo(seg.getSopInstanceUid());

        List<DeadLetter> dead = deadLetters.readValuesToList();
        assertThat(dead).hasSize(1);
        assertThat(dead.get(0).getReason()).isEqualTo("segment 3 'heart' of segmentation " + seg.getSopInstanceUid()
                + " names no radstream task (lung, infection, liver, vessel) by its type (85756007 Tissue) or its label");
        assertThat(dead.get(0).getComponent()).isEqualTo(SegmentationLabels.TOPOLOGY);
        assertThat(dead.get(0).getSourceTopic()).isEqualTo(Topics.SEGMENTATIONS);
        // the dead letter keeps the record: it can be replayed once the cause is mended
        assertThat(topics.segmentations().valueSerde().deserializer().deserialize(Topics.SEGMENTATIONS,
                dead.get(0).getValue().array())).isEqualTo(seg);
    }

    @Test
    void withoutAResultOfTheSeriesTheSegmentationIsDeadLetteredNotDropped() throws IOException {
        results.pipeInput(Topics.seriesTaskKey("S2", "lung"), result("S2", "lung", null)); // no geometry: no grid
        byte[] file = DicomSeg.write(mask(3), series("S1"), new DicomSeg.Segment("infection", null, null), RECEIVED,
                new Random(2));
        segmentations.pipeInput("S1", received("S1", null, file));
        assertThat(labels.isEmpty()).isTrue();
        DeadLetter dead = deadLetters.readValue();
        assertThat(dead.getKey()).isEqualTo("S1");
        assertThat(dead.getReason()).startsWith("no inference result of series S1 and task infection with its geometry: "
                + "segment 1 'infection' of segmentation ");
        // a result of another task of the series is not the infection's grid
        results.pipeInput(Topics.seriesTaskKey("S1", "lung"), result("S1", "lung", GEOMETRY));
        segmentations.pipeInput("S1", received("S1", null, file));
        assertThat(deadLetters.readValue().getReason()).startsWith("no inference result of series S1 and task infection");

        // once the series' infection has been segmented, the same file is taken (the annotator is then the sending AE)
        results.pipeInput(Topics.seriesTaskKey("S1", "infection"), result("S1", "infection", GEOMETRY));
        segmentations.pipeInput("S1", received("S1", " ", file));
        KeyValue<String, CorrectedLabel> label = labels.readKeyValue();
        assertThat(label.key).isEqualTo("S1:infection");
        assertThat(label.value.getAnnotator()).isEqualTo("AE PACS1");
        assertThat(deadLetters.isEmpty()).isTrue();
    }

    @Test
    void aSegmentationThatDoesNotFallOntoTheSeriesIsRefusedWithTheReason() throws IOException {
        results.pipeInput(Topics.seriesTaskKey("S1", "lung"), result("S1", "lung", GEOMETRY));
        results.pipeInput(Topics.seriesTaskKey("S1", "infection"), result("S1", "infection", GEOMETRY));
        // made on a grid half a slice higher
        DicomSeg.Series shifted = new DicomSeg.Series("P1", null, "1.2.3", null, "S1", "1.2.9", null, List.of(),
                new double[] {-50, -60, 101}, new double[] {1, 0, 0}, new double[] {0, 1, 0}, 0.7, 0.7, 2.0, W, H, D);
        byte[] between = DicomSeg.write(mask(3), shifted, new DicomSeg.Segment("infection", null, null), RECEIVED,
                new Random(3));
        segmentations.pipeInput("S1", received("S1", "Dr", between));
        // of another series, routed here
        byte[] other = DicomSeg.write(mask(3), series("S9"), new DicomSeg.Segment("lung", null, null), RECEIVED,
                new Random(4));
        segmentations.pipeInput("S1", received("S1", "Dr", other));
        assertThat(labels.isEmpty()).isTrue();
        assertThat(deadLetters.readValuesToList()).extracting(d -> d.getReason().toString()).satisfiesExactly(
                r -> assertThat(r).contains("segment 1 'infection'").contains("cannot be series S1's infection label: "
                        + "frame 1 lies 0.500 slices from the series' first: between two of its slices"),
                r -> assertThat(r).contains("cannot be series S1's lung label: the segmentation was made on series S9, not on S1"));
    }

    @Test
    void radstreamsOwnDraftStoredBackUnreviewedIsNotALabelButOneNamingItsReviewerIs() throws Exception {
        results.pipeInput(Topics.seriesTaskKey("S1", "infection"), result("S1", "infection", GEOMETRY));
        byte[] draft = DicomSeg.write(mask(3, 4), series("S1"), new DicomSeg.Segment("infection",
                "radstream infection v9 (model)", "radstream infection v9"), RECEIVED, new Random(5));
        segmentations.pipeInput("S1", received("S1", null, draft));
        assertThat(labels.isEmpty()).isTrue();
        assertThat(deadLetters.readValue().getReason()).contains("segment 1 'infection' of segmentation ")
                .contains(" was made by radstream infection v9 (AUTOMATIC) and names no one who reviewed it");

        // the same file, saved by a viewer that names the radiologist who reviewed it
        com.pixelmed.dicom.AttributeList list = new com.pixelmed.dicom.AttributeList();
        try (var in = new com.pixelmed.dicom.DicomInputStream(new java.io.ByteArrayInputStream(draft))) {
            list.read(in);
        }
        list.get(com.pixelmed.dicom.TagFromName.ContentCreatorName).setValue("Yang^Cristina");
        ByteArrayOutputStream reviewed = new ByteArrayOutputStream();
        list.write(reviewed, com.pixelmed.dicom.TransferSyntax.ExplicitVRLittleEndian, true, true);
        segmentations.pipeInput("S1", received("S1", "Yang^Cristina", reviewed.toByteArray()));
        CorrectedLabel label = labels.readValue();
        assertThat(label.getAnnotator()).isEqualTo("Yang^Cristina");
        assertThat(Rle.decode(label.getMask().getRle().array(), W, H, D)).isEqualTo(mask(3, 4));
        assertThat(deadLetters.isEmpty()).isTrue();
    }
}
