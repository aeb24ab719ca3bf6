package org.radstream.streams;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
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
import org.apache.kafka.streams.state.KeyValueStore;
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
 * <p>A segment's grid comes from the newest inference result with geometry of its series and task,
 * kept in a table keyed as the results are (series and task), so a result is in the table before a
 * segmentation of its series that arrived after it: only the segments are re-keyed, never the
 * results. A segment that names no task, one that cannot be laid onto its grid (another series or
 * frame of reference, frames between slices, another matrix), one of a series and task with no
 * result yet, and a file that cannot be read go to the dead-letter topic with the reason and the
 * record, so nothing is lost.
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

    /**
     * One segment of a received segmentation that names a task, keyed by series and task on its way
     * to the grid table.
     *
     * @param record the received segmentation as it was read (Avro), for the label and for a dead letter
     */
    record Part(String task, int segmentNumber, String segmentLabel, byte[] record) {
        /** Binary, not JSON: the record is a compressed file of up to a pixel record's size, not worth base64. */
        static final org.apache.kafka.common.serialization.Serde<Part> SERDE = Serdes.serdeFrom(
                (topic, p) -> {
                    if (p == null) {
                        return null;
                    }
                    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(p.record().length + 64);
                    try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
                        out.writeUTF(p.task());
                        out.writeInt(p.segmentNumber());
                        out.writeUTF(p.segmentLabel());
                        out.writeInt(p.record().length);
                        out.write(p.record());
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e); // in memory: cannot happen
                    }
                    return bytes.toByteArray();
                },
                (topic, data) -> {
                    if (data == null) {
                        return null;
                    }
                    try (java.io.DataInputStream in = new java.io.DataInputStream(new ByteArrayInputStream(data))) {
                        String task = in.readUTF();
                        int number = in.readInt();
                        String label = in.readUTF();
                        byte[] record = new byte[in.readInt()];
                        in.readFully(record);
                        return new Part(task, number, label, record);
                    } catch (IOException e) {
                        throw new org.apache.kafka.common.errors.SerializationException("not a segment part", e);
                    }
                });
    }

    /** A part and its series' and task's grid (null when no result of them is known). */
    record Pending(Part part, Grid grid) {}

    /** A part, a label, or why a segment (or the whole file) gave none: exactly one is set. */
    record Outcome(Part part, CorrectedLabel label, DeadLetter deadLetter) {}

    public static void build(StreamsBuilder builder, Topics topics, StreamsSettings settings) {
        Topic<String, InferenceResult> results = topics.results();
        Topic<String, ReceivedSegmentation> segmentations = topics.segmentations();
        JsonSerde<Grid> gridSerde = new JsonSerde<>(Grid.class);
        KTable<String, Grid> grids = builder
                .stream(results.name(), Consumed.with(results.keySerde(), results.valueSerde())
                        .withName(TOPOLOGY + "-results-source"))
                .filter((k, r) -> r != null && r.getGeometry() != null, Named.as(TOPOLOGY + "-results-with-geometry"))
                .mapValues(Grid::of, Named.as(TOPOLOGY + "-grid"))
                .toTable(Named.as(TOPOLOGY + "-grids"), Materialized.<String, Grid, KeyValueStore<Bytes, byte[]>>as(GRIDS_STORE)
                        .withKeySerde(Serdes.String()).withValueSerde(gridSerde));
        Map<String, KStream<String, Outcome>> split = builder
                .stream(segmentations.name(), Consumed.with(segmentations.keySerde(), segmentations.valueSerde())
                        .withName(TOPOLOGY + "-segmentations-source"))
                .process(() -> new Splitter(topics), Named.as(TOPOLOGY + "-split-segments"))
                .split(Named.as(TOPOLOGY + "-split-"))
                .branch((k, o) -> o.part() != null, Branched.as("part"))
                .defaultBranch(Branched.as("refused"));
        KStream<String, Outcome> laid = split.get(TOPOLOGY + "-split-part")
                .mapValues(Outcome::part, Named.as(TOPOLOGY + "-part-value"))
                .leftJoin(grids, Pending::new, Joined.<String, Part, Grid>with(Serdes.String(),
                        Part.SERDE, gridSerde).withName(TOPOLOGY + "-join-grid"))
                .process(() -> new Labeller(topics), Named.as(TOPOLOGY + "-lay-onto-grid"));
        laid.split(Named.as(TOPOLOGY + "-"))
                .branch((k, o) -> o.label() != null, Branched.withConsumer(s -> s
                        .mapValues(Outcome::label, Named.as(TOPOLOGY + "-label-value"))
                        .to(topics.labels().name(), Produced.with(topics.labels().keySerde(), topics.labels().valueSerde())
                                .withName(TOPOLOGY + "-labels-sink")), "label"))
                .defaultBranch(Branched.withConsumer(s -> s.merge(split.get(TOPOLOGY + "-split-refused"),
                                Named.as(TOPOLOGY + "-refusals"))
                        .mapValues(Outcome::deadLetter, Named.as(TOPOLOGY + "-dead-letter-value"))
                        .to(topics.streamsDeadLetters().name(), Produced.with(topics.streamsDeadLetters().keySerde(),
                                topics.streamsDeadLetters().valueSerde()).withName(TOPOLOGY + "-dead-letters-sink")),
                        "dead-letter"));
    }

    /** A dead letter of a segmentation record, with where it was read from. */
    private static DeadLetter deadLetter(ProcessorContext<?, ?> context, String key, String reason, byte[] value) {
        Optional<RecordMetadata> meta = context.recordMetadata();
        return DeadLetter.newBuilder()
                .setComponent(TOPOLOGY)
                .setSourceTopic(meta.map(RecordMetadata::topic).orElse(null))
                .setPartition(meta.map(RecordMetadata::partition).orElse(-1))
                .setOffset(meta.map(RecordMetadata::offset).orElse(-1L))
                .setKey(key)
                .setReason(reason)
                .setAttempts(1)
                .setFailedAt(Instant.ofEpochMilli(context.currentSystemTimeMs()))
                .setValue(value == null ? null : ByteBuffer.wrap(value))
                .build();
    }

    private static String describe(ReceivedSegmentation seg, int number, String label) {
        return "segment " + number + " '" + label + "' of segmentation " + seg.getSopInstanceUid();
    }

    /** Splits a segmentation into its segments that name a task, keyed by series and task. */
    static final class Splitter implements Processor<String, ReceivedSegmentation, String, Outcome> {
        private final Topics topics;
        private ProcessorContext<String, Outcome> context;
        private Sensor refused;

        Splitter(Topics topics) {
            this.topics = topics;
        }

        @Override
        public void init(ProcessorContext<String, Outcome> context) {
            this.context = context;
            refused = Sensors.counter(context, TOPOLOGY, "segments-refused");
        }

        @Override
        public void process(Record<String, ReceivedSegmentation> record) {
            ReceivedSegmentation seg = record.value();
            if (seg == null) {
                return;
            }
            String series = record.key();
            Topic<String, ReceivedSegmentation> t = topics.segmentations();
            byte[] original = t.valueSerde().serializer().serialize(t.name(), seg);
            DicomSeg.Summary summary;
            try {
                summary = DicomSeg.summary(gunzip(seg.getFileGzip()));
            } catch (IOException e) {
                refuse(record, series, "segmentation " + seg.getSopInstanceUid() + " cannot be read: " + e.getMessage(),
                        original);
                return;
            }
            for (DicomSeg.SegmentInfo segment : summary.segments()) {
                String task = segment.task();
                String creator = summary.contentCreator() == null ? "" : summary.contentCreator().strip();
                if (segment.madeByRadstream() && creator.isEmpty()) {
                    refuse(record, series, describe(seg, segment.number(), segment.label()) + " was made by "
                            + segment.algorithmName() + " (AUTOMATIC) and names no one who reviewed it "
                            + "(ContentCreatorName): the model's own output is not a correction, and is not trained on. "
                            + "A reviewed file names its reviewer, or is submitted with label submit", original);
                    continue;
                }
                if (task == null) {
                    refuse(record, series, describe(seg, segment.number(), segment.label()) + " names no radstream task "
                            + "(lung, infection, liver, vessel) by its type (" + (segment.typeCode().isEmpty() ? "none"
                            : segment.typeCode() + " " + segment.typeMeaning()) + ") or its label", original);
                    continue;
                }
                context.forward(record.withKey(Topics.seriesTaskKey(series, task)).withValue(
                        new Outcome(new Part(task, segment.number(), segment.label(), original), null, null)));
            }
        }

        private void refuse(Record<String, ReceivedSegmentation> record, String series, String reason, byte[] original) {
            refused.record();
            context.forward(record.withKey(series).withValue(new Outcome(null, null,
                    deadLetter(context, series, reason, original))));
        }
    }

    /** Lays each segment onto its series' and task's grid. */
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
            refused = Sensors.counter(context, TOPOLOGY, "segments-not-laid");
        }

        @Override
        public void process(Record<String, Pending> record) {
            Part part = record.value().part();
            Grid grid = record.value().grid();
            Topic<String, ReceivedSegmentation> t = topics.segmentations();
            ReceivedSegmentation seg = t.valueSerde().deserializer().deserialize(t.name(), part.record());
            String series = seg.getReferencedSeriesUid();
            String what = describe(seg, part.segmentNumber(), part.segmentLabel());
            if (grid == null) {
                refuse(record, series, "no inference result of series " + series + " and task " + part.task()
                        + " with its geometry: " + what + " cannot be laid onto the series' voxels. Send the series "
                        + "first; the segmentation is kept in this dead letter for replay");
                return;
            }
            DicomSeg.Read read;
            try {
                read = DicomSeg.read(gunzip(seg.getFileGzip()), grid.series(), part.task(),
                        Integer.toString(part.segmentNumber()));
            } catch (IOException | IllegalArgumentException e) {
                refuse(record, series, what + " cannot be series " + series + "'s " + part.task() + " label: "
                        + e.getMessage());
                return;
            }
            labels.record();
            context.forward(record.withValue(new Outcome(null, label(seg, series, part.task(), read), null)));
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
                    .setSourceInstanceUid(seg.getSopInstanceUid())
                    .build();
        }

        private void refuse(Record<String, Pending> record, String series, String reason) {
            refused.record();
            context.forward(record.withValue(new Outcome(null, null,
                    deadLetter(context, series, reason, record.value().part().record()))));
        }
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
