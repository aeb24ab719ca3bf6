package org.radstream.schemas;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.radstream.avro.CorrectedLabel;
import org.radstream.avro.DeadLetter;
import org.radstream.avro.DicomSliceEvent;
import org.radstream.avro.ExportedInstance;
import org.radstream.avro.InferenceResult;
import org.radstream.avro.ModelPublished;
import org.radstream.avro.PoirMeasurement;
import org.radstream.avro.ProgressionAlert;
import org.radstream.avro.ReceivedSegmentation;
import org.radstream.avro.RejectedInstance;
import org.radstream.avro.RejectionNote;
import org.radstream.avro.TaskSliceEvent;

/**
 * The topic catalogue: every topic of radstream with its key and value serdes and the
 * configuration it is created with. Nobody else types a topic name or builds a serde.
 *
 * <p>Pixel topics carry one 512×512 int16 slice per record (512 KiB), so they allow 2 MiB
 * messages, compress with lz4 and keep a short retention; results, labels and models live
 * long or are compacted (labels and models are stores keyed by series/task and task).
 */
public final class Topics {
    public static final String SLICES = "radstream.dicom.slices";
    public static final String REJECTED = "radstream.dicom.rejected";
    public static final String REJECTION_NOTES = "radstream.dicom.rejection-notes";
    public static final String TASKS_CHEST = "radstream.tasks.chest";
    public static final String TASKS_LIVER = "radstream.tasks.liver";
    public static final String SERIES_UNMATCHED = "radstream.series.unmatched";
    public static final String RESULTS = "radstream.inference.results";
    public static final String POIR = "radstream.poir.measurements";
    public static final String ALERTS = "radstream.alerts.progression";
    public static final String LABELS = "radstream.labels.corrected";
    public static final String SEGMENTATIONS = "radstream.labels.segmentations";
    public static final String MODELS = "radstream.models";
    public static final String STREAMS_DEAD_LETTERS = "radstream.streams.dead-letters";
    public static final String INFERENCE_DEAD_LETTERS = "radstream.inference.dead-letters";
    public static final String LABELS_REJECTED = "radstream.labels.rejected";
    public static final String ALERTS_UNDELIVERED = "radstream.alerts.undelivered";
    public static final String EXPORT_UNDELIVERED = "radstream.export.undelivered";
    public static final String EXPORT_STORED = "radstream.export.stored";

    /** Largest record a pixel topic accepts: one uncompressed 512² int16 slice plus headers, with room. */
    public static final int PIXEL_MAX_MESSAGE_BYTES = 2 * 1024 * 1024;
    /** Default partition count; task topics' partitions bound the number of workers of a group. */
    public static final int DEFAULT_PARTITIONS = 4;

    private static final String PIXEL_RETENTION_MS = Long.toString(24L * 3600 * 1000);
    private static final String LONG_RETENTION_MS = Long.toString(365L * 24 * 3600 * 1000);

    private final Topic<String, DicomSliceEvent> slices;
    private final Topic<String, RejectedInstance> rejected;
    private final Topic<String, RejectionNote> rejectionNotes;
    private final Topic<String, TaskSliceEvent> tasksChest;
    private final Topic<String, TaskSliceEvent> tasksLiver;
    private final Topic<String, DeadLetter> seriesUnmatched;
    private final Topic<String, InferenceResult> results;
    private final Topic<String, PoirMeasurement> poir;
    private final Topic<String, ProgressionAlert> alerts;
    private final Topic<String, CorrectedLabel> labels;
    private final Topic<String, ReceivedSegmentation> segmentations;
    private final Topic<String, ModelPublished> models;
    private final Topic<String, DeadLetter> streamsDeadLetters;
    private final Topic<String, DeadLetter> inferenceDeadLetters;
    private final Topic<String, DeadLetter> labelsRejected;
    private final Topic<String, DeadLetter> alertsUndelivered;
    private final Topic<String, DeadLetter> exportUndelivered;
    private final Topic<String, ExportedInstance> exportStored;

    /** A catalogue whose value serdes register and look up schemas in {@code registry}. */
    public Topics(SchemaRegistryClient registry) {
        this(registry, DEFAULT_PARTITIONS);
    }

    public Topics(SchemaRegistryClient registry, int partitions) {
        slices = topic(registry, pixel(SLICES, partitions), DicomSliceEvent.class);
        rejected = topic(registry, pixel(REJECTED, 1, LONG_RETENTION_MS), RejectedInstance.class);
        // keyed by patient and partitioned as the measurements, so the progression topology reads both in one task
        rejectionNotes = topic(registry, longLived(REJECTION_NOTES, partitions), RejectionNote.class);
        tasksChest = topic(registry, pixel(TASKS_CHEST, partitions), TaskSliceEvent.class);
        tasksLiver = topic(registry, pixel(TASKS_LIVER, partitions), TaskSliceEvent.class);
        seriesUnmatched = topic(registry, longLived(SERIES_UNMATCHED, 1), DeadLetter.class);
        results = topic(registry, pixel(RESULTS, partitions, LONG_RETENTION_MS), InferenceResult.class);
        poir = topic(registry, longLived(POIR, partitions), PoirMeasurement.class);
        alerts = topic(registry, longLived(ALERTS, partitions), ProgressionAlert.class);
        labels = topic(registry, compacted(LABELS, partitions, PIXEL_MAX_MESSAGE_BYTES), CorrectedLabel.class);
        segmentations = topic(registry, pixel(SEGMENTATIONS, partitions, LONG_RETENTION_MS), ReceivedSegmentation.class);
        models = topic(registry, compacted(MODELS, 1, 1024 * 1024), ModelPublished.class);
        streamsDeadLetters = topic(registry, pixel(STREAMS_DEAD_LETTERS, 1, LONG_RETENTION_MS), DeadLetter.class);
        inferenceDeadLetters = topic(registry, pixel(INFERENCE_DEAD_LETTERS, 1, LONG_RETENTION_MS), DeadLetter.class);
        labelsRejected = topic(registry, pixel(LABELS_REJECTED, 1, LONG_RETENTION_MS), DeadLetter.class);
        alertsUndelivered = topic(registry, longLived(ALERTS_UNDELIVERED, 1), DeadLetter.class);
        exportUndelivered = topic(registry, pixel(EXPORT_UNDELIVERED, 1, LONG_RETENTION_MS), DeadLetter.class);
        // one partition: the export reads all of it when the PACS withdraws a series
        exportStored = topic(registry, compacted(EXPORT_STORED, 1, 1024 * 1024), ExportedInstance.class);
    }

    public Topic<String, DicomSliceEvent> slices() { return slices; }
    public Topic<String, RejectedInstance> rejected() { return rejected; }
    /** IHE IOCM rejection notes from the PACS, keyed by patient id: series withdrawn, their alerts retracted. */
    public Topic<String, RejectionNote> rejectionNotes() { return rejectionNotes; }
    public Topic<String, TaskSliceEvent> tasksChest() { return tasksChest; }
    public Topic<String, TaskSliceEvent> tasksLiver() { return tasksLiver; }
    /** Series that matched no routing rule: reported here, never dropped. */
    public Topic<String, DeadLetter> seriesUnmatched() { return seriesUnmatched; }
    public Topic<String, InferenceResult> results() { return results; }
    public Topic<String, PoirMeasurement> poir() { return poir; }
    public Topic<String, ProgressionAlert> alerts() { return alerts; }
    public Topic<String, CorrectedLabel> labels() { return labels; }
    /** DICOM Segmentations received from PACS and viewers, keyed by the series they were made on. */
    public Topic<String, ReceivedSegmentation> segmentations() { return segmentations; }
    public Topic<String, ModelPublished> models() { return models; }
    public Topic<String, DeadLetter> streamsDeadLetters() { return streamsDeadLetters; }
    public Topic<String, DeadLetter> inferenceDeadLetters() { return inferenceDeadLetters; }
    public Topic<String, DeadLetter> labelsRejected() { return labelsRejected; }
    public Topic<String, DeadLetter> alertsUndelivered() { return alertsUndelivered; }
    /** Results the PACS export could not store after its attempts, with why and the result. */
    public Topic<String, DeadLetter> exportUndelivered() { return exportUndelivered; }
    /**
     * What the PACS export stored there, keyed by {@code group|SOP instance UID}, each with the series
     * it was made from; a tombstone once the export withdrew it (IHE IOCM).
     */
    public Topic<String, ExportedInstance> exportStored() { return exportStored; }

    /** The task topic of a task group ({@code chest} or {@code liver}). */
    public Topic<String, TaskSliceEvent> tasks(String taskGroup) {
        return switch (taskGroup) {
            case "chest" -> tasksChest;
            case "liver" -> tasksLiver;
            default -> throw new IllegalArgumentException("unknown task group '" + taskGroup + "' (chest or liver)");
        };
    }

    /** Every topic, in creation order. */
    public List<Topic<?, ?>> all() {
        return List.of(slices, rejected, tasksChest, tasksLiver, seriesUnmatched, results, poir, alerts,
                labels, segmentations, models, streamsDeadLetters, inferenceDeadLetters, labelsRejected, alertsUndelivered,
                exportUndelivered, rejectionNotes, exportStored);
    }

    /** Every topic's creation spec, in creation order. */
    public List<TopicSpec> specs() {
        return all().stream().map(Topic::spec).toList();
    }

    /** Key of a per-series-and-task record (results, labels): {@code seriesUid:task}. */
    public static String seriesTaskKey(String seriesUid, String task) {
        return seriesUid + ":" + task;
    }

    private static <V extends SpecificRecord> Topic<String, V> topic(
            SchemaRegistryClient registry, TopicSpec spec, Class<V> type) {
        Serde<V> values = new AvroSerde<>(registry, type, false);
        return new Topic<>(spec, Serdes.String(), values);
    }

    private static TopicSpec pixel(String name, int partitions) {
        return pixel(name, partitions, PIXEL_RETENTION_MS);
    }

    private static TopicSpec pixel(String name, int partitions, String retentionMs) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(PIXEL_MAX_MESSAGE_BYTES));
        c.put(TopicConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        c.put(TopicConfig.RETENTION_MS_CONFIG, retentionMs);
        return new TopicSpec(name, partitions, c);
    }

    private static TopicSpec longLived(String name, int partitions) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put(TopicConfig.RETENTION_MS_CONFIG, LONG_RETENTION_MS);
        c.put(TopicConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        return new TopicSpec(name, partitions, c);
    }

    private static TopicSpec compacted(String name, int partitions, int maxMessageBytes) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
        c.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(maxMessageBytes));
        c.put(TopicConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        return new TopicSpec(name, partitions, c);
    }
}
