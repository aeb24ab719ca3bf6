package org.radstream.ingest;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.radstream.avro.ExportedInstance;
import org.radstream.avro.RejectionNote;
import org.radstream.imaging.dicom.RejectionNoteDocument;
import org.radstream.schemas.Topic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The series the PACS withdrew (IHE IOCM rejection notes on {@code radstream.dicom.rejection-notes}),
 * as the export knows them, and what it had stored at the PACS of them: the export stores nothing more
 * of a withdrawn series, and withdraws what it stored before with rejection notes of its own (one per
 * patient, study and title, the PACS's title), found in the {@link ExportLedger}. Every note is read
 * from the start at the first read, so each start looks up every withdrawn series once: what a crash
 * left at the PACS between an object stored and its withdrawal is withdrawn then.
 */
final class ExportWithdrawals implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ExportWithdrawals.class);
    /** Withdrawn series remembered, the newest kept. */
    static final int KEPT = 100_000;
    /** How long after a failed read of the notes (or of the ledger) it is tried again. */
    static final Duration RETRY = Duration.ofSeconds(30);

    /** A rejection note of the PACS as it withdrew one series: its title and where it was read. */
    private record Withdrawal(String code, String meaning, String noteUid, int partition, long offset) {}

    /**
     * A rejection note of the export's own to store at the PACS: {@code dicom}, what it withdraws, and
     * where the PACS's note that caused it was read (a dead letter of it names that).
     */
    record Note(byte[] dicom, String what, String detail, String patientId, int partition, long offset,
                List<ExportedInstance> objects) {}

    private final Topic<String, RejectionNote> topic;
    private final ExportLedger ledger;
    private final BooleanSupplier running;
    private final KafkaConsumer<String, byte[]> notes;
    private final Map<String, Withdrawal> withdrawn = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Withdrawal> eldest) {
            return size() > KEPT;
        }
    };
    /** Withdrawn series whose objects stored at the PACS are still to be looked up in the ledger. */
    private final Set<String> toLookUp = new LinkedHashSet<>();
    /** Objects at the PACS made from withdrawn series, by SOP instance: to withdraw there. */
    private final Map<String, ExportedInstance> toWithdraw = new LinkedHashMap<>();
    private final List<Future<?>> tombstones = new ArrayList<>();
    private final AtomicLong derivedWithdrawn = new AtomicLong();
    private long notesRetryAt;
    private long ledgerRetryAt;

    ExportWithdrawals(ExportSettings settings, Topic<String, RejectionNote> topic, ExportLedger ledger,
                      BooleanSupplier running) {
        this.topic = topic;
        this.ledger = ledger;
        this.running = running;
        Properties n = new Properties();
        n.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrap());
        settings.kafkaClient().addTo(n);
        n.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        n.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        this.notes = new KafkaConsumer<>(n, new StringDeserializer(), new ByteArrayDeserializer());
    }

    /** Whether the PACS withdrew {@code series}. */
    boolean contains(String series) {
        return withdrawn.containsKey(series);
    }

    /** Objects withdrawn at the PACS (their notes stored), so far. */
    long derivedWithdrawn() {
        return derivedWithdrawn.get();
    }

    /**
     * Reads the notes: all of them from the start, to their end (bounded, a minute), at the first
     * call, and again so where the topic could not be read (Kafka not up, the topic not created) once
     * {@link #RETRY} is over; after it, what is there without waiting. A note that cannot be read
     * withdraws nothing and is logged.
     */
    void read() {
        if (!notes.assignment().isEmpty()) {
            notes.poll(Duration.ZERO).forEach(this::note);
            return;
        }
        if (System.nanoTime() < notesRetryAt) {
            return;
        }
        notesRetryAt = System.nanoTime() + RETRY.toNanos();
        List<TopicPartition> parts;
        try {
            parts = notes.partitionsFor(topic.name()).stream()
                    .map(pi -> new TopicPartition(pi.topic(), pi.partition())).toList();
        } catch (org.apache.kafka.common.errors.WakeupException e) {
            throw e;
        } catch (org.apache.kafka.common.KafkaException e) {
            log.warn("{} not readable yet ({}): tried again in {}", topic.name(), e.toString(), RETRY);
            return;
        }
        if (parts.isEmpty()) {
            log.warn("{} does not exist: series the PACS withdraws are not known to this export; looked for again in {}",
                    topic.name(), RETRY);
            return;
        }
        notes.assign(parts);
        notes.seekToBeginning(parts);
        Map<TopicPartition, Long> end = notes.endOffsets(parts);
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (running.getAsBoolean() && parts.stream().anyMatch(tp -> notes.position(tp) < end.get(tp))) {
            if (System.nanoTime() > deadline) {
                log.warn("{} not read to its end within a minute: results of series withdrawn before may still be "
                        + "stored at the PACS", topic.name());
                return;
            }
            notes.poll(Duration.ofMillis(200)).forEach(this::note);
        }
    }

    private void note(ConsumerRecord<String, byte[]> r) {
        try {
            RejectionNote note = topic.valueSerde().deserializer().deserialize(r.topic(), r.value());
            if (note != null) {
                Withdrawal w = new Withdrawal(note.getReasonCode().toString(), note.getReasonMeaning().toString(),
                        note.getSopInstanceUid().toString(), r.partition(), r.offset());
                note.getSeries().forEach(s -> {
                    withdrawn.put(s.getSeriesUid().toString(), w);
                    toLookUp.add(s.getSeriesUid().toString());
                });
            }
        } catch (RuntimeException e) {
            log.warn("rejection note {}-{}@{} unreadable, nothing withdrawn: {}", r.topic(), r.partition(), r.offset(),
                    e.toString());
        }
    }

    /** An object just stored at the PACS: to withdraw there at once where its series was withdrawn meanwhile. */
    void stored(ExportedInstance e) {
        if (contains(e.getSourceSeriesUid().toString())) {
            toWithdraw.put(e.getSopInstanceUid().toString(), e);
        }
    }

    /**
     * The rejection notes of its own to store now: the series of new notes looked up in the ledger
     * first (again after {@link #RETRY} where it cannot be read), then one note per patient, study and
     * title over what was found and what was stored while withdrawn.
     */
    List<Note> due() {
        if (!toLookUp.isEmpty() && System.nanoTime() >= ledgerRetryAt) {
            List<ExportedInstance> made = ledger.madeFrom(Set.copyOf(toLookUp), running);
            if (made == null) {
                ledgerRetryAt = System.nanoTime() + RETRY.toNanos();
            } else {
                toLookUp.clear();
                made.forEach(e -> toWithdraw.putIfAbsent(e.getSopInstanceUid().toString(), e));
            }
        }
        Map<List<String>, List<ExportedInstance>> byNote = new LinkedHashMap<>(); // patient, study, title
        for (ExportedInstance e : List.copyOf(toWithdraw.values())) {
            Withdrawal w = withdrawn.get(e.getSourceSeriesUid().toString());
            if (w == null) { // withdrawn more than KEPT series ago: no longer known
                toWithdraw.remove(e.getSopInstanceUid().toString());
                continue;
            }
            byNote.computeIfAbsent(List.of(e.getPatientId().toString(), e.getStudyUid().toString(), w.code()),
                    k -> new ArrayList<>()).add(e);
        }
        List<Note> out = new ArrayList<>();
        for (List<ExportedInstance> objects : byNote.values()) {
            ExportedInstance first = objects.get(0);
            Withdrawal w = withdrawn.get(first.getSourceSeriesUid().toString());
            List<String> sops = objects.stream().map(e -> e.getSopInstanceUid().toString()).sorted().toList();
            byte[] dicom = RejectionNoteDocument.write(first.getPatientId().toString(),
                    first.getPatientName() == null ? null : first.getPatientName().toString(),
                    first.getStudyUid().toString(), w.code(), w.meaning(), objects.stream()
                            .map(e -> new RejectionNoteDocument.Reference(e.getSeriesUid().toString(),
                                    e.getSopClassUid().toString(), e.getSopInstanceUid().toString())).toList(),
                    "radstream", Instant.now(), ResultSegmentation.seeded("iocm|" + w.code() + "|" + String.join(",", sops)));
            String sources = objects.stream().map(e -> e.getSourceSeriesUid().toString()).distinct()
                    .collect(Collectors.joining(", "));
            out.add(new Note(dicom, "the rejection note withdrawing " + objects.size() + " object(s) made of series "
                    + sources, w.code() + " " + w.meaning() + ", as the PACS's note " + w.noteUid(),
                    first.getPatientId().toString(), w.partition(), w.offset(), objects));
        }
        return out;
    }

    /**
     * {@code note} stored at the PACS ({@code stored}: its objects' tombstones written, counted), or
     * dead-lettered: not tried again in this run, and again at the next start (their entries stay), so
     * the withdrawal is not lost while the PACS refuses it.
     */
    void done(Note note, boolean stored) {
        for (ExportedInstance e : note.objects()) {
            if (stored) {
                tombstones.add(ledger.withdrawn(e));
            }
            toWithdraw.remove(e.getSopInstanceUid().toString());
        }
        if (stored) {
            derivedWithdrawn.addAndGet(note.objects().size());
        }
    }

    /** Waits until the tombstones written are acknowledged. */
    void awaitTombstones() throws InterruptedException {
        List<Future<?>> written = List.copyOf(tombstones);
        tombstones.clear();
        ledger.await(written);
    }

    /** Wakes a read blocked in Kafka (closing the export). */
    void wakeup() {
        notes.wakeup();
    }

    @Override
    public void close() {
        notes.close(Duration.ofSeconds(5));
    }
}
