package org.radstream.streams;

import java.time.Instant;
import java.util.Optional;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.radstream.avro.DeadLetter;
import org.radstream.avro.DicomSlice;
import org.radstream.avro.DicomSliceEvent;
import org.radstream.avro.SeriesComplete;
import org.radstream.avro.TaskSliceEvent;
import org.radstream.avro.WindowedSlice;
import org.radstream.schemas.Topic;
import org.radstream.schemas.Topics;

/**
 * Slices from {@code radstream.dicom.slices} → Hounsfield units → the windows of their task group
 * → {@code radstream.tasks.chest} / {@code radstream.tasks.liver}; series no routing rule claims
 * are reported once on {@code radstream.series.unmatched}.
 *
 * <p><b>Encoding.</b> Planes are 8-bit by default ({@link StreamsSettings#windowBits()}), as the
 * COVID-19 paper fed its networks ([0, 255]). The quantisation step is 1800/255 ≈ 7.1 HU in the
 * lung window, 400/255 ≈ 1.6 HU in the liver window and 300/255 ≈ 1.2 HU in the vessel window;
 * rounding adds an error of step/√12 ≈ 2.0, 0.45 and 0.34 HU RMS, well under CT noise (10–20 HU
 * SD in the cohort and in clinical scans), and the threshold baseline's cut-offs (−750 and −200 HU)
 * move by at most half a step (3.5 HU). Halving the bytes matters more: a chest slice travels as
 * 256 KiB instead of 512 KiB, a liver slice's two planes as 512 KiB instead of 1 MiB. A task that
 * needs finer steps sets 16 bits (0.03 HU in the lung window); the plane records its bit depth,
 * so workers read both.
 *
 * <p><b>Order.</b> Slices and their series-complete marker share the series UID key, hence a
 * partition; this topology maps each record one-to-one in arrival order, so the marker (with its
 * task group set) follows its slices on the task topic. Routing is stateless per record: the
 * marker carries modality, body part and description. The only state is the set of series already
 * reported as unmatched, so a 300-slice series yields one report, not 300; an entry is removed
 * when the series' marker passes.
 *
 * <p><b>Bad input.</b> A slice with impossible geometry or pixel data that does not match its
 * header throws {@link InvalidInputException}; the configured {@link DeadLetterHandlers} send it,
 * with its reason and raw bytes, to {@code radstream.streams.dead-letters} and processing goes on.
 */
public final class WindowAndRoute {
    public static final String TOPOLOGY = "window-and-route";
    public static final String SOURCE = "window-route-slices-source";
    public static final String PROCESSOR = "window-and-route";
    public static final String UNMATCHED_STORE = "window-route-unmatched-series";

    private WindowAndRoute() {}

    /** One routed record: a task-topic event, or an unmatched report. */
    record Routed(String taskGroup, TaskSliceEvent event, DeadLetter unmatched) {}

    public static void build(StreamsBuilder builder, Topics topics, StreamsSettings settings) {
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(UNMATCHED_STORE),
                Serdes.String(), Serdes.Long()));
        Topic<String, DicomSliceEvent> slices = topics.slices();
        KStream<String, Routed> routed = builder
                .stream(slices.name(), Consumed.with(slices.keySerde(), slices.valueSerde()).withName(SOURCE))
                .process(() -> new Router(settings), Named.as(PROCESSOR), UNMATCHED_STORE);
        routed.split(Named.as("window-route-"))
                .branch((k, r) -> TaskGroups.CHEST.equals(r.taskGroup()),
                        Branched.withConsumer(s -> toTasks(s, topics.tasksChest(), TaskGroups.CHEST), TaskGroups.CHEST))
                .branch((k, r) -> TaskGroups.LIVER.equals(r.taskGroup()),
                        Branched.withConsumer(s -> toTasks(s, topics.tasksLiver(), TaskGroups.LIVER), TaskGroups.LIVER))
                .defaultBranch(Branched.withConsumer(s -> s
                        .mapValues(Routed::unmatched, Named.as("window-route-unmatched-value"))
                        .to(topics.seriesUnmatched().name(), Produced.with(topics.seriesUnmatched().keySerde(),
                                topics.seriesUnmatched().valueSerde()).withName("window-route-unmatched-sink")),
                        "unmatched"));
    }

    private static void toTasks(KStream<String, Routed> s, Topic<String, TaskSliceEvent> topic, String group) {
        s.mapValues(Routed::event, Named.as("window-route-" + group + "-value"))
                .to(topic.name(), Produced.with(topic.keySerde(), topic.valueSerde()).withName("window-route-" + group + "-sink"));
    }

    static final class Router implements Processor<String, DicomSliceEvent, String, Routed> {
        private final RoutingRules rules;
        private final SliceWindowing windowing;
        private ProcessorContext<String, Routed> context;
        private KeyValueStore<String, Long> reported;
        private Sensor chestSlices;
        private Sensor liverSlices;
        private Sensor markers;
        private Sensor unmatchedSeries;
        private Sensor unmatchedRecords;

        Router(StreamsSettings settings) {
            this.rules = settings.routing();
            this.windowing = new SliceWindowing(settings.windowBits());
        }

        @Override
        public void init(ProcessorContext<String, Routed> context) {
            this.context = context;
            this.reported = context.getStateStore(UNMATCHED_STORE);
            chestSlices = Sensors.counter(context, TOPOLOGY, "slices-routed-chest");
            liverSlices = Sensors.counter(context, TOPOLOGY, "slices-routed-liver");
            markers = Sensors.counter(context, TOPOLOGY, "markers-routed");
            unmatchedSeries = Sensors.counter(context, TOPOLOGY, "series-unmatched");
            unmatchedRecords = Sensors.counter(context, TOPOLOGY, "records-unmatched");
        }

        @Override
        public void process(Record<String, DicomSliceEvent> record) {
            DicomSliceEvent event = record.value();
            if (event == null) {
                throw new InvalidInputException("slices record with key " + record.key() + " has no value");
            }
            String seriesUid = event.getSeriesUid();
            if (record.key() == null || !record.key().equals(seriesUid)) {
                throw new InvalidInputException("slices record key " + record.key() + " is not its series UID "
                        + seriesUid + " (order per series depends on it)");
            }
            if (event.getBody() instanceof DicomSlice slice) {
                processSlice(record, seriesUid, slice);
            } else if (event.getBody() instanceof SeriesComplete marker) {
                processMarker(record, seriesUid, marker);
            } else {
                throw new InvalidInputException("slices record of series " + seriesUid + " has body "
                        + event.getBody());
            }
        }

        private void processSlice(Record<String, DicomSliceEvent> record, String seriesUid, DicomSlice s) {
            Optional<String> group = rules.route(s.getModality(), s.getBodyPartExamined(), s.getSeriesDescription());
            if (group.isEmpty()) {
                unmatchedRecords.record();
                if (reported.get(seriesUid) == null) {
                    reported.put(seriesUid, record.timestamp());
                    report(record, seriesUid, s.getModality(), s.getBodyPartExamined(), s.getSeriesDescription());
                }
                return;
            }
            SliceWindowing.validate(seriesUid, s);
            String task = group.get();
            WindowedSlice w = WindowedSlice.newBuilder()
                    .setTask(task)
                    .setPatientId(s.getPatientId())
                    .setPatientName(s.getPatientName())
                    .setStudyUid(s.getStudyUid())
                    .setSeriesUid(seriesUid)
                    .setSopInstanceUid(s.getSopInstanceUid())
                    .setSopClassUid(s.getSopClassUid())
                    .setFrameOfReferenceUid(s.getFrameOfReferenceUid())
                    .setAccessionNumber(s.getAccessionNumber())
                    .setAcquisitionTime(s.getAcquisitionTime())
                    .setInstanceNumber(s.getInstanceNumber())
                    .setRows(s.getRows())
                    .setColumns(s.getColumns())
                    .setPixelSpacingRow(s.getPixelSpacingRow())
                    .setPixelSpacingColumn(s.getPixelSpacingColumn())
                    .setSliceThickness(s.getSliceThickness())
                    .setImagePositionPatient(s.getImagePositionPatient())
                    .setImageOrientationPatient(s.getImageOrientationPatient())
                    .setWindows(windowing.planes(s, TaskGroups.windows(task)))
                    .build();
            (TaskGroups.CHEST.equals(task) ? chestSlices : liverSlices).record();
            context.forward(record.withValue(new Routed(task,
                    TaskSliceEvent.newBuilder().setSeriesUid(seriesUid).setBody(w).build(), null)));
        }

        private void processMarker(Record<String, DicomSliceEvent> record, String seriesUid, SeriesComplete m) {
            Optional<String> group = rules.route(m.getModality(), m.getBodyPartExamined(), m.getSeriesDescription());
            if (group.isEmpty()) {
                unmatchedRecords.record();
                if (reported.delete(seriesUid) == null) {
                    report(record, seriesUid, m.getModality(), m.getBodyPartExamined(), m.getSeriesDescription());
                }
                return;
            }
            SeriesComplete routed = SeriesComplete.newBuilder(m).setTask(group.get()).build();
            markers.record();
            context.forward(record.withValue(new Routed(group.get(),
                    TaskSliceEvent.newBuilder().setSeriesUid(seriesUid).setBody(routed).build(), null)));
        }

        private void report(Record<String, DicomSliceEvent> record, String seriesUid, String modality,
                            String bodyPart, String description) {
            unmatchedSeries.record();
            Optional<RecordMetadata> meta = context.recordMetadata();
            DeadLetter report = DeadLetter.newBuilder()
                    .setComponent(TOPOLOGY)
                    .setSourceTopic(meta.map(RecordMetadata::topic).orElse(null))
                    .setPartition(meta.map(RecordMetadata::partition).orElse(-1))
                    .setOffset(meta.map(RecordMetadata::offset).orElse(-1L))
                    .setKey(seriesUid)
                    .setReason("no routing rule matches series " + seriesUid + " (modality=" + modality
                            + ", bodyPart=" + bodyPart + ", description=" + quoted(description)
                            + ") and no default task group is set; rules: " + rules.compact())
                    .setAttempts(1)
                    .setFailedAt(Instant.ofEpochMilli(context.currentSystemTimeMs()))
                    .setValue(null)
                    .build();
            context.forward(record.withValue(new Routed(null, null, report)));
        }

        private static String quoted(String s) {
            return s == null ? "null" : "'" + s + "'";
        }
    }
}
