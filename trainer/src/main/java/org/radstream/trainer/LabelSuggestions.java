package org.radstream.trainer;

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
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.radstream.avro.CorrectedLabel;
import org.radstream.avro.InferenceResult;
import org.radstream.avro.RejectedSeries;
import org.radstream.schemas.Topic;
import org.radstream.schemas.TopicScan;
import org.radstream.schemas.Topics;

/**
 * Which series a radiologist should correct first for a task ({@code label suggest}): those whose
 * newest result the network decided least firmly (its {@code maskStability}), since on the held-out
 * cohort those are mostly the ones it segmented worst (ACCURACY.md), and a correction there teaches
 * the next model the most. A series already labelled by a radiologist (or the simulated one) is
 * left out, as is one the PACS withdrew (the trainer would refuse its label); a label bootstrapped
 * from the HU threshold is a draft to correct, not a correction, and a label read from a
 * segmentation the PACS rejected is refused by the trainer, so their series stay in.
 *
 * <p>{@code label suggest} reads the label store and the rejection notes itself ({@link #read});
 * the trainer's {@code GET /labels/suggestions} ranks with the labels it holds ({@link #rank}).
 */
public final class LabelSuggestions {
    /** Where a label's source says it is only the HU-threshold draft. */
    static final String BOOTSTRAP_SOURCE = "hu-bootstrap";

    /** One series to review: its newest result of the task. */
    public record Suggestion(String series, String patientId, String studyUid, double stability, String modelVersion,
                      double volumeMl, Instant producedAt) {}

    /**
     * The series to review, least stable first, and what was left out.
     *
     * @param labelled         series whose newest result was made since the window's start, left out as labelled
     * @param withdrawn        the same, left out as withdrawn by the PACS
     * @param withoutStability results without a stability (the HU baseline, or made before workers measured it)
     * @param undecodable      records of the three topics that could not be decoded, skipped
     */
    public record Listing(List<Suggestion> ranked, int labelled, int withdrawn, int withoutStability, int undecodable) {}

    private LabelSuggestions() {}

    /** What a listing needs of a result (its mask is not kept: the topic may hold a month of them). */
    public record Made(String series, String patientId, String studyUid, Double stability, String modelVersion,
                double volumeMl, Instant producedAt) {
        static Made of(InferenceResult r) {
            return new Made(r.getSeriesUid().toString(), r.getPatientId().toString(), r.getStudyUid().toString(),
                    r.getMaskStability(), r.getModelVersion() == null ? null : r.getModelVersion().toString(),
                    r.getVolumeMl(), r.getProducedAt());
        }
    }

    /** What a listing needs of a label: who made it ({@code source}), and from which instance. */
    public record Origin(String source, String sourceInstanceUid) {
        static Origin of(CorrectedLabel l) {
            return new Origin(l.getSource().toString(),
                    l.getSourceInstanceUid() == null ? null : l.getSourceInstanceUid().toString());
        }
    }

    /**
     * Ranks the newest result of each series.
     *
     * @param newest    the newest result of the task per series
     * @param labelOf   a series' label of the task, or null when it has none (or it was withdrawn)
     * @param withdrawn whether the PACS withdrew a series
     */
    public static Listing rank(java.util.Collection<Made> newest, Function<String, Origin> labelOf,
            Predicate<String> withdrawn, int undecodable) {
        List<Suggestion> ranked = new ArrayList<>();
        int labelled = 0;
        int gone = 0;
        int without = 0;
        for (Made r : newest) {
            Origin label = labelOf.apply(r.series());
            if (withdrawn.test(r.series())) {
                gone++;
            } else if (label != null && !BOOTSTRAP_SOURCE.equals(label.source())) {
                labelled++;
            } else if (r.stability() == null) {
                without++;
            } else {
                ranked.add(new Suggestion(r.series(), r.patientId(), r.studyUid(), r.stability(), r.modelVersion(),
                        r.volumeMl(), r.producedAt()));
            }
        }
        ranked.sort(Comparator.comparingDouble(Suggestion::stability).thenComparing(Suggestion::series));
        return new Listing(List.copyOf(ranked), labelled, gone, without, undecodable);
    }

    /**
     * The newest result of {@code task} per series among those made since {@code since}; records that
     * cannot be decoded are skipped and counted in {@code undecodable[0]}.
     */
    public static java.util.Collection<Made> newestResults(KafkaConsumer<String, byte[]> consumer, Topics topics,
            String task, Instant since, Duration timeout, int[] undecodable) {
        Map<String, Made> newest = new HashMap<>();
        read(consumer, topics.results(), since, timeout, undecodable, r -> {
            if (r.value() != null && task.contentEquals(r.value().getTask())) {
                newest.merge(r.value().getSeriesUid().toString(), Made.of(r.value()),
                        (a, b) -> b.producedAt().isBefore(a.producedAt()) ? a : b);
            }
        });
        return newest.values();
    }

    /** Reads the results made since {@code since}, the label store and the rejection notes, and ranks them. */
    public static Listing read(KafkaConsumer<String, byte[]> consumer, Topics topics, String task, Instant since,
            Duration timeout) {
        Map<String, Origin> labels = new HashMap<>();
        Set<String> withdrawn = new HashSet<>();
        int[] undecodable = {0};
        java.util.Collection<Made> newest = newestResults(consumer, topics, task, since, timeout, undecodable);
        read(consumer, topics.labels(), Instant.EPOCH, timeout, undecodable, r -> {
            if (r.value() == null) {
                labels.remove(r.key());
            } else {
                labels.put(r.key(), Origin.of(r.value()));
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
        labels.values().removeIf(l -> l.sourceInstanceUid() != null && rejectedInstances.contains(l.sourceInstanceUid()));
        return rank(newest, series -> labels.get(Topics.seriesTaskKey(series, task)), withdrawn::contains, undecodable[0]);
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
