package org.radstream.streams;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Joined;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.radstream.avro.CorrectedLabel;
import org.radstream.avro.DeadLetter;
import org.radstream.avro.InferenceResult;
import org.radstream.avro.Mask;
import org.radstream.avro.ReceivedSegmentation;
import org.radstream.avro.SeriesGeometry;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Rle;
import org.radstream.imaging.dicom.DicomSeg;
import org.radstream.schemas.Topic;
import org.radstream.schemas.Topics;

/**
 * Radiologists' corrections that arrive as DICOM Segmentations (stored by a viewer to the PACS,
 * forwarded to ingest) become corrected labels: each segment that names a task (by its SNOMED CT
 * type, or a label such as "Lung" or "infection") is laid onto the series' voxels and published on
 * the label topic as that series' and task's label, from the radiologist who made it.
 *
 * <p>The series' grid comes from the newest inference result with geometry of the series (every task
 * of a series shares its grid), kept in a table keyed by series. A segmentation that cannot be laid
 * onto it (another series or frame of reference, frames between slices, another matrix), one of a
 * series with no result yet, and a segment that names no task go to the dead-letter topic with the
 * reason and the record, so nothing is lost.
 */
public final class SegmentationLabels {
    static final String TOPOLOGY = "segmentation-labels";
    static final String GRIDS_STORE = "segmentation-series-grids";

    private SegmentationLabels() {}

    /** What a segmentation needs of a result: whose series it is, and where its voxels lie. */
    record Grid(String seriesUid, String patientId, String studyUid, String frameOfReferenceUid, String sopClassUid,
                List<String> sopInstanceUids, double[] origin, double[] row, double[] column, double spacingX,
                double spacingY, double spacingZ, int width, int height, int depth) {

        static Grid of(InferenceResult r) {
            SeriesGeometry g = r.getGeometry();
            Mask m = r.getMask();
            return new Grid(r.getSeriesUid(), r.getPatientId(), r.getStudyUid(), g.getFrameOfReferenceUid(),
                    g.getSopClassUid(), List.copyOf(g.getSopInstanceUids()), doubles(g.getOrigin()), doubles(g.getRow()),
                    doubles(g.getColumn()), g.getSpacingX(), g.getSpacingY(), g.getSpacingZ(), m.getWidth(), m.getHeight(),
                    m.getDepth());
        }

        DicomSeg.Series series() {
            return new DicomSeg.Series(patientId, null, studyUid, null, seriesUid, frameOfReferenceUid, sopClassUid,
                    sopInstanceUids, origin, row, column, spacingX, spacingY, spacingZ, width, height, depth);
        }

        private static double[] doubles(List<Double> v) {
            return v.stream().mapToDouble(Double::doubleValue).toArray();
        }
    }

    /** A segmentation and its series' grid (null when no result of the series is known). */
    record Pending(ReceivedSegmentation segmentation, Grid grid) {}

    /** A label for one of a segmentation's segments, or why a segment (or the whole file) gave none. */
    record Outcome(CorrectedLabel label, DeadLetter deadLetter) {}

    public static void build(StreamsBuilder builder, Topics topics, StreamsSettings settings) {
        Topic<String, InferenceResult> results = topics.results();
        Topic<String, ReceivedSegmentation> segmentations = topics.segmentations();
        KTable<String, Grid> grids = builder
                .stream(results.name(), Consumed.with(results.keySerde(), results.valueSerde())
                        .withName(TOPOLOGY + "-results-source"))
                .filter((k, r) -> r != null && r.getGeometry() != null, Named.as(TOPOLOGY + "-results-with-geometry"))
                .map((k, r) -> KeyValue.pair(r.getSeriesUid(), Grid.of(r)), Named.as(TOPOLOGY + "-grid-by-series"))
                .toTable(Named.as(TOPOLOGY + "-grids"), Materialized.<String, Grid, org.apache.kafka.streams.state.KeyValueStore<
                        org.apache.kafka.common.utils.Bytes, byte[]>>as(GRIDS_STORE)
                        .withKeySerde(Serdes.String()).withValueSerde(new JsonSerde<>(Grid.class)));
        KStream<String, Outcome> outcomes = builder
                .stream(segmentations.name(), Consumed.with(segmentations.keySerde(), segmentations.valueSerde())
                        .withName(TOPOLOGY + "-segmentations-source"))
                .leftJoin(grids, Pending::new, Joined.<String, ReceivedSegmentation, Grid>with(Serdes.String(),
                        segmentations.valueSerde(), new JsonSerde<>(Grid.class)).withName(TOPOLOGY + "-join-grid"))
                .process(() -> new Labeller(topics), Named.as(TOPOLOGY + "-lay-onto-grid"));
        outcomes.split(Named.as(TOPOLOGY + "-"))
                .branch((k, o) -> o.label() != null, Branched.withConsumer(s -> s
                        .mapValues(Outcome::label, Named.as(TOPOLOGY + "-label-value"))
                        .to(topics.labels().name(), Produced.with(topics.labels().keySerde(), topics.labels().valueSerde())
                                .withName(TOPOLOGY + "-labels-sink")), "label"))
                .defaultBranch(Branched.withConsumer(s -> s
                        .mapValues(Outcome::deadLetter, Named.as(TOPOLOGY + "-dead-letter-value"))
                        .to(topics.streamsDeadLetters().name(), Produced.with(topics.streamsDeadLetters().keySerde(),
                                topics.streamsDeadLetters().valueSerde()).withName(TOPOLOGY + "-dead-letters-sink")),
                        "dead-letter"));
    }

    /** Lays each segment that names a task onto the series' grid. */
    static final class Labeller implements Processor<String, Pending, String, Outcome> {
        private final Topics topics;
        private ProcessorContext<String, Outcome> context;
        private Sensor labels;
        private Sensor refused;

        Labeller(Topics topics) {
            this.topics = topics;
        }

        @Override
        public void init(ProcessorContext<String, Outcome> context) {
            this.context = context;
            labels = Sensors.counter(context, TOPOLOGY, "labels-emitted");
            refused = Sensors.counter(context, TOPOLOGY, "segments-refused");
        }

        @Override
        public void process(Record<String, Pending> record) {
            ReceivedSegmentation seg = record.value().segmentation();
            if (seg == null) {
                return;
            }
            String series = record.key();
            Grid grid = record.value().grid();
            if (grid == null) {
                refuse(record, series, "no inference result of series " + series + " with its geometry: the segmentation "
                        + seg.getSopInstanceUid() + " cannot be laid onto the series' voxels. Send the series first; "
                        + "the segmentation is kept in this dead letter for replay");
                return;
            }
            byte[] file;
            DicomSeg.Summary summary;
            try {
                file = gunzip(seg.getFileGzip());
                summary = DicomSeg.summary(file);
            } catch (IOException e) {
                refuse(record, series, "segmentation " + seg.getSopInstanceUid() + " cannot be read: " + e.getMessage());
                return;
            }
            for (DicomSeg.SegmentInfo segment : summary.segments()) {
                String task = segment.task();
                String what = "segment " + segment.number() + " '" + segment.label() + "' of segmentation "
                        + seg.getSopInstanceUid();
                if (task == null) {
                    refuse(record, series, what + " names no radstream task (lung, infection, liver, vessel) by its "
                            + "type (" + (segment.typeCode().isEmpty() ? "none" : segment.typeCode() + " "
                            + segment.typeMeaning()) + ") or its label");
                    continue;
                }
                DicomSeg.Read read;
                try {
                    read = DicomSeg.read(file, grid.series(), task, Integer.toString(segment.number()));
                } catch (IOException | IllegalArgumentException e) {
                    refuse(record, series, what + " cannot be series " + series + "'s " + task + " label: " + e.getMessage());
                    continue;
                }
                labels.record();
                context.forward(record.withKey(Topics.seriesTaskKey(series, task))
                        .withValue(new Outcome(label(seg, series, task, read), null)));
            }
        }

        private static CorrectedLabel label(ReceivedSegmentation seg, String series, String task, DicomSeg.Read read) {
            Mask3D m = read.mask();
            String creator = seg.getContentCreator() == null ? "" : seg.getContentCreator().strip();
            return CorrectedLabel.newBuilder()
                    .setSeriesUid(series)
                    .setTask(task)
                    .setMask(Mask.newBuilder().setWidth(m.width()).setHeight(m.height()).setDepth(m.depth())
                            .setRle(ByteBuffer.wrap(Rle.encode(m))).build())
                    .setAnnotator(creator.isEmpty() ? "AE " + seg.getCallingAe() : creator)
                    .setSource("radiologist")
                    .setSubmittedAt(seg.getReceivedAt())
                    .setNote("DICOM SEG " + seg.getSopInstanceUid() + " segment " + read.segmentNumber() + " '"
                            + read.segmentLabel() + "' (" + read.frames() + " frames) from AE " + seg.getCallingAe()
                            + " via " + seg.getReceivedVia())
                    .build();
        }

        private void refuse(Record<String, Pending> record, String series, String reason) {
            refused.record();
            Optional<RecordMetadata> meta = context.recordMetadata();
            Topic<String, ReceivedSegmentation> t = topics.segmentations();
            DeadLetter dead = DeadLetter.newBuilder()
                    .setComponent(TOPOLOGY)
                    .setSourceTopic(meta.map(RecordMetadata::topic).orElse(null))
                    .setPartition(meta.map(RecordMetadata::partition).orElse(-1))
                    .setOffset(meta.map(RecordMetadata::offset).orElse(-1L))
                    .setKey(series)
                    .setReason(reason)
                    .setAttempts(1)
                    .setFailedAt(Instant.ofEpochMilli(context.currentSystemTimeMs()))
                    .setValue(ByteBuffer.wrap(t.valueSerde().serializer().serialize(t.name(), record.value().segmentation())))
                    .build();
            context.forward(record.withValue(new Outcome(null, dead)));
        }

        private static byte[] gunzip(ByteBuffer gz) throws IOException {
            ByteBuffer d = gz.duplicate();
            byte[] bytes = new byte[d.remaining()];
            d.get(bytes);
            try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
                return in.readAllBytes();
            }
        }
    }
}
