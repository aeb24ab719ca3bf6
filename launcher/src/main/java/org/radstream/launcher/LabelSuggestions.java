package org.radstream.launcher;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.radstream.avro.CorrectedLabel;
import org.radstream.avro.InferenceResult;
import org.radstream.avro.RejectedSeries;
import org.radstream.avro.RejectionNote;
import org.radstream.schemas.RestSchemaRegistryClient;
import org.radstream.schemas.Topic;
import org.radstream.schemas.Topics;

/**
 * Which series a radiologist should correct first for a task ({@code label suggest}): those whose
 * newest result the network decided least firmly (its {@code maskStability}), since on the held-out
 * cohort those are mostly the ones it segmented worst (ACCURACY.md), and a correction there teaches
 * the next model the most. A series already labelled by a radiologist (or the simulated one) is
 * left out, as is one the PACS withdrew (the trainer would refuse its label); a label bootstrapped
 * from the HU threshold is a draft to correct, not a correction, and a label read from a
 * segmentation the PACS rejected is refused by the trainer, so their series stay in.
 */
final class LabelSuggestions {
    /** Where a label's source says it is only the HU-threshold draft. */
    static final String BOOTSTRAP_SOURCE = "hu-bootstrap";

    /** One series to review: its newest result of the task. */
    record Suggestion(String series, String patientId, String studyUid, double stability, String modelVersion,
                      double volumeMl, Instant producedAt) {}

    /**
     * The series to review, least stable first, and what was left out.
     *
     * @param labelled         series whose newest result was made since the window's start, left out as labelled
     * @param withdrawn        the same, left out as withdrawn by the PACS
     * @param withoutStability results without a stability (the HU baseline, or made before workers measured it)
     * @param undecodable      records of the three topics that could not be decoded, skipped
     */
    record Listing(List<Suggestion> ranked, int labelled, int withdrawn, int withoutStability, int undecodable) {}

    private LabelSuggestions() {}

    /**
     * Ranks the newest result per series of {@code task} among {@code results}.
     *
     * @param labels    the label store's newest value per key (series:task); a withdrawn label (tombstone) absent
     * @param withdrawn series the PACS withdrew
     */
    static Listing rank(String task, List<InferenceResult> results, Map<String, CorrectedLabel> labels,
            Set<String> withdrawn, int undecodable) {
        Map<String, InferenceResult> newest = new HashMap<>();
        for (InferenceResult r : results) {
            if (!task.contentEquals(r.getTask())) {
                continue;
            }
            newest.merge(r.getSeriesUid().toString(), r,
                    (a, b) -> b.getProducedAt().isBefore(a.getProducedAt()) ? a : b);
        }
        List<Suggestion> ranked = new ArrayList<>();
        int labelled = 0;
        int gone = 0;
        int without = 0;
        for (InferenceResult r : newest.values()) {
            String series = r.getSeriesUid().toString();
            CorrectedLabel label = labels.get(Topics.seriesTaskKey(series, task));
            if (withdrawn.contains(series)) {
                gone++;
            } else if (label != null && !BOOTSTRAP_SOURCE.contentEquals(label.getSource())) {
                labelled++;
            } else if (r.getMaskStability() == null) {
                without++;
            } else {
                ranked.add(new Suggestion(series, r.getPatientId().toString(), r.getStudyUid().toString(),
                        r.getMaskStability(), r.getModelVersion() == null ? null : r.getModelVersion().toString(),
                        r.getVolumeMl(), r.getProducedAt()));
            }
        }
        ranked.sort(Comparator.comparingDouble(Suggestion::stability).thenComparing(Suggestion::series));
        return new Listing(List.copyOf(ranked), labelled, gone, without, undecodable);
    }

    /** Reads the results made since {@code since}, the label store and the rejection notes, and ranks them. */
    static Listing read(ClusterOptions cluster, String task, Instant since, Duration timeout) {
        Topics topics = new Topics(new RestSchemaRegistryClient(cluster.registry()));
        List<InferenceResult> results = new ArrayList<>();
        Map<String, CorrectedLabel> labels = new HashMap<>();
        Set<String> withdrawn = new HashSet<>();
        int[] undecodable = {0};
        try (KafkaConsumer<String, byte[]> consumer = TopicScan.consumer(cluster)) {
            read(consumer, topics.results(), since, timeout, undecodable, r -> {
                if (r.value() != null) {
                    results.add(r.value());
                }
            });
            read(consumer, topics.labels(), Instant.EPOCH, timeout, undecodable, r -> {
                if (r.value() == null) {
                    labels.remove(r.key());
                } else {
                    labels.put(r.key(), r.value());
                }
            });
            Set<String> rejectedInstances = new HashSet<>();
            read(consumer, topics.rejectionNotes(), Instant.EPOCH, timeout, undecodable, r -> {
                if (r.value() != null) {
                    for (RejectedSeries s : r.value().getSeries()) {
                        withdrawn.add(s.getSeriesUid());
                        rejectedInstances.addAll(s.getSopInstanceUids());
                    }
                }
            });
            // a label read from a segmentation the PACS rejected is refused by the trainer: its series is unlabelled again
            labels.values().removeIf(l -> l.getSourceInstanceUid() != null
                    && rejectedInstances.contains(l.getSourceInstanceUid()));
        }
        return rank(task, results, labels, withdrawn, undecodable[0]);
    }

    /** A decoded record: its key and value (null for a tombstone). */
    record Decoded<V>(String key, V value) {}

    /** Every record of {@code t} from {@code since} to the end it had when asked, decoded, in offset order per partition. */
    private static <V> void read(KafkaConsumer<String, byte[]> consumer, Topic<String, V> t, Instant since,
            Duration timeout, int[] undecodable, Consumer<Decoded<V>> each) {
        boolean whole = TopicScan.scan(consumer, t.name(), since, timeout, r -> {
            V value;
            try {
                value = r.value() == null ? null : t.valueSerde().deserializer().deserialize(r.topic(), r.value());
            } catch (RuntimeException e) {
                undecodable[0]++;
                return;
            }
            each.accept(new Decoded<>(r.key(), value));
        });
        if (!whole) {
            throw new org.apache.kafka.common.errors.TimeoutException(
                    "read " + t.name() + " for " + timeout.toSeconds() + " s without reaching its end (--timeout)");
        }
    }
}
