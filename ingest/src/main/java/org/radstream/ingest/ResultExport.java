package org.radstream.ingest;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.radstream.avro.DeadLetter;
import org.radstream.avro.InferenceResult;
import org.radstream.avro.PoirMeasurement;
import org.radstream.avro.SeriesGeometry;
import org.radstream.schemas.Topic;
import org.radstream.schemas.AuditLog;
import org.radstream.schemas.Topics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The workers' results, stored at the hospital's PACS as DICOM Segmentations, so radiologists see
 * them over the series in their own viewer (and a correction they save there comes back as a
 * label; see the streams' segmentation-labels topology).
 *
 * <p>Reads {@code radstream.inference.results} (read_committed) from its group's committed offsets
 * and stores each result of the chosen tasks with C-STORE ({@link ResultSegmentation}: the same
 * result is always the same SOP instance, so a repeat after a crash is one instance at the PACS),
 * the objects of one poll over one association, each that failed there again on its own. A
 * result's offset is committed once the PACS has stored it, or once it has been written to
 * {@code radstream.export.undelivered} after the bounded attempts, with the reason and the record;
 * a record that cannot be read goes there too. A result without geometry (a worker older than the
 * geometry field) cannot be laid over the series and is skipped, counted.
 *
 * <p>With {@value ExportSettings#POIR} among its tasks it also reads {@code radstream.poir.measurements}
 * and stores each scan's PoIR as a DICOM SR measurement report of its series ({@link ResultReport}:
 * lung volume, infected volume, PoIR, and how they were measured), so the figure the alerts are
 * made of is in the PACS beside the masks it came from. The report names the series' instances as
 * its evidence: those the measurement carries (the PoIR join copies them from the results). A
 * measurement made before measurements carried them takes them from a result of its series (the
 * export keeps the geometry of the last {@value #GEOMETRIES_KEPT} series whose results passed it);
 * results and measurements are two topics with no order between them, so such a measurement read
 * before any result of its series holds its
 * partition (paused, not committed, so a crash loses nothing) while the results go on, until one
 * of the series passes or {@link ExportSettings#evidenceWait} is over, and is then stored with
 * the evidence or, counted, without it. The PoIR join measures a series from results already on
 * their topic, so a measurement older than the wait whose series this export has not seen once it
 * has read every result (a restart lost what it had kept) does not wait. The same rules of
 * attempts, dead letters and commits apply.
 *
 * <p>It also reads {@code radstream.dicom.rejection-notes} (every note, from the start, before the
 * first result and then between polls): a result or measurement of a series the PACS withdrew (IHE
 * IOCM) is not stored back at the PACS, which would put the withdrawn images' findings, under what
 * may be the wrong patient, into the PACS again; it is committed as done, and counted. What it had
 * stored of such a series before (its segmentations and reports, each kept with the series it was
 * made from on {@code radstream.export.stored}, see {@link ExportLedger}) it withdraws from the PACS
 * as an IHE IOCM Change Requester: a rejection note of its own per study, with the title of the
 * PACS's note, stored like a result (the same attempts, dead-lettered after them). The ledger is read
 * for the series of each new note, and at each start for every series withdrawn, so a crash between
 * an object stored and its rejection note loses neither.
 *
 * <p>A PACS that cannot be reached or rejects the association is waited for (the partitions paused,
 * the group kept), not dead-lettered object by object. With {@link ExportSettings#replayFrom} it goes
 * back, at its start, to what arrived from that time on and stores it again as the same instances:
 * what was dead-lettered once the PACS takes it.
 */
public final class ResultExport implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ResultExport.class);
    static final String COMPONENT = "export";
    static final int GEOMETRIES_KEPT = 1000;

    private final ExportSettings settings;
    private final Topic<String, InferenceResult> results;
    private final Topic<String, PoirMeasurement> poir;
    private final Topic<String, DeadLetter> undelivered;
    private final CStoreSender sender;
    private final AuditLog auditLog;
    private final IngestAudit audit;
    private final KafkaConsumer<String, byte[]> consumer;
    private final KafkaProducer<String, byte[]> producer;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong exported = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private final AtomicLong withoutGeometry = new AtomicLong();
    private final AtomicLong withdrawnSkipped = new AtomicLong();
    private final Topic<String, org.radstream.avro.RejectionNote> rejectionNotes;
    private final ExportLedger ledger;
    private final ExportWithdrawals withdrawals;
    /** Whether the PACS could be reached at the last try; false while the export holds its place for it. */
    private final AtomicBoolean pacsReachable = new AtomicBoolean(true);
    private final AtomicLong pacsOutages = new AtomicLong();
    private long unreachableSince;
    /** The next wait before the PACS is tried again; null while it can be reached. */
    private Duration holdWait;
    static final Duration MIN_HOLD_WAIT = Duration.ofMillis(500);
    static final Duration MAX_HOLD_WAIT = Duration.ofMinutes(1);
    static final int NOT_STORED_KEPT = 100_000;
    /**
     * Segmentations the PACS did not take within the attempts (dead-lettered), the newest kept: a
     * report made after is made without referencing them.
     */
    private final java.util.Set<String> segmentationsNotStored = java.util.Collections.newSetFromMap(
            new LinkedHashMap<>(16, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                    return size() > NOT_STORED_KEPT;
                }
            });
    private final AtomicLong reports = new AtomicLong();
    private final AtomicLong reportsWithoutEvidence = new AtomicLong();
    /** A measurement that holds its partition until a result of its series passes or its wait is over. */
    private record Waiting(long offset, String seriesUid, long until, long producedAtMillis) {}
    private final Map<TopicPartition, Waiting> waiting = new java.util.HashMap<>();
    /** The geometry of the series whose results passed, newest last: the evidence of their reports. */
    private final Map<String, SeriesGeometry> geometries = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, SeriesGeometry> eldest) {
            return size() > GEOMETRIES_KEPT;
        }
    };
    private final java.util.Set<TopicPartition> assigned = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** The partitions positioned for {@link ExportSettings#replayFrom} (each once). */
    private final java.util.Set<TopicPartition> replayed = new java.util.HashSet<>();
    private final Thread thread;

    private ResultExport(ExportSettings settings, Topics topics) {
        this.settings = settings;
        this.results = topics.results();
        this.poir = topics.poir();
        this.undelivered = topics.exportUndelivered();
        this.rejectionNotes = topics.rejectionNotes();
        this.auditLog = AuditLog.syslog(settings.auditRepository(), "radstream-export");
        this.audit = new IngestAudit(auditLog, settings.aeTitle());
        this.sender = new CStoreSender(settings.pacsHost(), settings.pacsPort(), settings.pacsTls(), settings.pacsAe(),
                settings.aeTitle());
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrap());
        settings.kafkaClient().addTo(c);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, settings.groupId());
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, settings.fromEarliest() ? "earliest" : "latest");
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10);
        c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.PIXEL_MAX_MESSAGE_BYTES);
        this.consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrap());
        settings.kafkaClient().addTo(p);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.PIXEL_MAX_MESSAGE_BYTES);
        this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        this.ledger = new ExportLedger(settings, topics.exportStored(), producer);
        this.withdrawals = new ExportWithdrawals(settings, rejectionNotes, ledger, running::get);
        this.thread = new Thread(this::run, "radstream-export");
    }

    /** Starts exporting on a thread of its own. */
    public static ResultExport start(ExportSettings settings, Topics topics) {
        ResultExport export = new ResultExport(settings, topics);
        export.thread.start();
        export.auditLog.applicationActivity("export", true);
        log.info("exporting {} results to the PACS: {}", settings.tasks(), settings);
        return export;
    }

    /** Results stored at the PACS so far. */
    public long exported() { return exported.get(); }

    /** Results (or unreadable records) written to the undelivered topic so far. */
    public long deadLettered() { return deadLettered.get(); }

    /** Measurement reports (PoIR, and liver and vessel volumes) stored at the PACS so far. */
    public long reportsStored() { return reports.get(); }

    /**
     * Measurement reports stored without the series' instances as evidence so far: PoIR measurements
     * no result of whose series passed within the wait, volumes of results without geometry.
     */
    public long reportsWithoutEvidence() { return reportsWithoutEvidence.get(); }

    /** Results and measurements not stored because the PACS withdrew their series, so far. */
    public long withdrawnSkipped() { return withdrawnSkipped.get(); }

    /**
     * Objects this export had stored at the PACS that it withdrew there (IOCM rejection notes of its
     * own the PACS stored) because the PACS withdrew the series they were made from, so far.
     */
    public long derivedWithdrawn() { return withdrawals.derivedWithdrawn(); }

    /** Whether the PACS could be reached at the last try (false: the export waits for it, dead-lettering nothing). */
    public boolean pacsReachable() { return pacsReachable.get(); }

    /** Times the PACS could not be reached after it could (each outage once), so far. */
    public long pacsOutages() { return pacsOutages.get(); }

    /** Results skipped for want of geometry so far. */
    public long withoutGeometry() { return withoutGeometry.get(); }

    /** Partitions this export holds (results, and PoIR measurements when it exports them), each positioned. */
    public int assignedPartitions() { return assigned.size(); }

    /** Whether the export thread is still running (it stops on close, or on an error it cannot go on from). */
    public boolean isRunning() { return thread.isAlive(); }

    private void run() {
        try {
            List<String> topics = settings.tasks().contains(ExportSettings.POIR) ? List.of(results.name(), poir.name())
                    : List.of(results.name());
            consumer.subscribe(topics, new org.apache.kafka.clients.consumer.ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(java.util.Collection<TopicPartition> partitions) {
                    assigned.removeAll(partitions);
                    partitions.forEach(waiting::remove); // uncommitted: the partition's next owner reads them again
                }

                @Override
                public void onPartitionsAssigned(java.util.Collection<TopicPartition> partitions) {
                    replay(partitions);
                    partitions.forEach(consumer::position); // resolve where each starts now, not at the next fetch
                    assigned.addAll(partitions);
                }
            });
            ledger.ensureTopic();
            while (running.get()) {
                // every note at the first read: what a crash left at the PACS of a withdrawn series is looked up too
                withdrawals.read();
                Progress withdrawing = withdrawDerived();
                if (withdrawing == Progress.STOPPING) {
                    return;
                }
                if (withdrawing == Progress.UNREACHABLE) {
                    holdForPacs();
                    continue;
                }
                resumeWhereEvidenceCame();
                List<Prepared> batch = new java.util.ArrayList<>();
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    TopicPartition partition = new TopicPartition(record.topic(), record.partition());
                    if (consumer.paused().contains(partition)) {
                        continue; // behind a measurement that waits: read again from it once it is resumed
                    }
                    List<Prepared> prepared = prepare(record);
                    if (prepared.contains(Prepared.WAITING)) {
                        consumer.pause(List.of(partition));
                        consumer.seek(partition, record.offset());
                        continue;
                    }
                    batch.addAll(prepared);
                }
                Progress progress = storeAndCommit(batch);
                if (progress == Progress.STOPPING) {
                    return; // stopping mid-batch: what was not done is not committed, so it is exported after a restart
                }
                if (progress == Progress.UNREACHABLE) {
                    holdForPacs(); // what was not done is read again from where it was, once the PACS can be reached
                }
            }
        } catch (WakeupException e) {
            if (running.get()) {
                log.error("export woken up while running", e);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("export stopped: {}", e.toString(), e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
            withdrawals.close();
        }
    }

    /** Whether the PACS withdrew {@code series}: then nothing of it is stored there again; counted and logged. */
    private boolean withdrawnSeries(ConsumerRecord<String, byte[]> record, String series) {
        if (!withdrawals.contains(series)) {
            return false;
        }
        withdrawnSkipped.incrementAndGet();
        log.info("{} (offset {} of {}-{}) is of series {}, which the PACS withdrew: not stored there", record.key(),
                record.offset(), record.topic(), record.partition(), series);
        return true;
    }

    /**
     * Withdraws from the PACS what this export stored there of series the PACS withdrew: stores the
     * rejection notes of its own that {@link ExportWithdrawals#due} makes, each within the attempts or
     * dead-lettered, and writes the withdrawn objects' tombstones; what is left is tried again when
     * stopping or the PACS cannot be reached.
     */
    private Progress withdrawDerived() throws InterruptedException {
        List<ExportWithdrawals.Note> due = withdrawals.due();
        if (due.isEmpty()) {
            return Progress.DONE;
        }
        IngestAudit.Transfer transfer = audit.sending(settings.pacsAe(), settings.pacsHost());
        try {
            for (ExportWithdrawals.Note note : due) {
                Stored stored;
                String failure = null;
                try {
                    sender.store(note.dicom(), note.what());
                    log.info("stored {} ({}) at {}@{}:{}", note.what(), note.detail(), settings.pacsAe(),
                            settings.pacsHost(), settings.pacsPort());
                    stored = Stored.YES;
                } catch (CStoreSender.PacsUnreachableException e) {
                    unreachable(e.getMessage());
                    stored = Stored.UNREACHABLE;
                } catch (CStoreSender.StoreFailedException e) {
                    failure = e.getMessage();
                    log.warn("attempt 1 of {}: {}", settings.attempts(), failure);
                    stored = storeAgain(note.dicom(), note.what(), note.detail(), failure, reason -> deadLetter(
                            rejectionNotes.name(), note.partition(), note.offset(), note.patientId(), note.dicom(),
                            note.what() + " (" + note.detail() + "): " + reason, settings.attempts()));
                }
                if (stored == Stored.STOPPING || stored == Stored.UNREACHABLE) {
                    withdrawals.awaitTombstones(); // of the notes stored before it
                    return stored == Stored.STOPPING ? Progress.STOPPING : Progress.UNREACHABLE;
                }
                reachable();
                transfer.sent(note.dicom(), stored == Stored.YES ? null : failure);
                withdrawals.done(note, stored == Stored.YES);
            }
        } finally {
            transfer.end();
        }
        withdrawals.awaitTombstones();
        return Progress.DONE;
    }

    /**
     * Whether measurement {@code m} (read from {@code record}) names no images, no result of its
     * series has passed yet, and its wait is not over: it then holds its partition. The first time it
     * is seen its wait starts.
     */
    private boolean waitsForEvidence(ConsumerRecord<String, byte[]> record, PoirMeasurement m) {
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        String series = m.getSeriesUid().toString();
        if (settings.evidenceWait().isZero() || ResultReport.hasEvidence(m) || geometries.containsKey(series)) {
            return false;
        }
        Waiting w = waiting.get(partition);
        if (w != null && w.offset() == record.offset()) {
            return !waitIsOver(w, System.nanoTime());
        }
        w = new Waiting(record.offset(), series, System.nanoTime() + settings.evidenceWait().toNanos(), record.timestamp());
        if (waitIsOver(w, System.nanoTime())) {
            return false;
        }
        waiting.put(partition, w);
        log.info("the PoIR measurement of series {} (offset {} of {}-{}) waits up to {} for a result of its series, whose "
                + "instances are the report's evidence; {}-{} waits behind it", series, record.offset(), record.topic(),
                record.partition(), settings.evidenceWait(), record.topic(), record.partition());
        return true;
    }

    /** Resumes the partitions whose waiting measurement's series has had a result pass, or whose wait is over. */
    private void resumeWhereEvidenceCame() {
        if (waiting.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        List<TopicPartition> resume = new java.util.ArrayList<>();
        for (Map.Entry<TopicPartition, Waiting> e : waiting.entrySet()) {
            if (consumer.paused().contains(e.getKey())
                    && (geometries.containsKey(e.getValue().seriesUid()) || waitIsOver(e.getValue(), now))) {
                resume.add(e.getKey());
            }
        }
        consumer.resume(resume);
    }

    /**
     * Whether a measurement's wait for its series' result is over: its time is up, or it was measured
     * longer than the wait ago and every result is read (the result it waits for passed before a
     * restart, or carried no geometry; it will not come).
     */
    private boolean waitIsOver(Waiting w, long nowNanos) {
        if (nowNanos >= w.until()) {
            return true;
        }
        boolean old = System.currentTimeMillis() - w.producedAtMillis() >= settings.evidenceWait().toMillis();
        return old && resultsReadToTheEnd();
    }

    /** Whether this export has read every result its results partitions hold (their lag is known and 0). */
    private boolean resultsReadToTheEnd() {
        for (TopicPartition p : assigned) {
            if (p.topic().equals(results.name())) {
                java.util.OptionalLong lag = consumer.currentLag(p);
                if (lag.isEmpty() || lag.getAsLong() > 0) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * A record read and made ready: what to store at the PACS for it ({@code dicom} null when nothing:
     * a tombstone, a task not exported, a result without geometry, a record dead-lettered unread).
     */
    private record Prepared(ConsumerRecord<String, byte[]> record, String source, byte[] dicom, String what, String detail,
                            boolean report, boolean withoutEvidence, String segmentation, List<String> references,
                            java.util.function.Function<java.util.Set<String>, byte[]> rebuild) {
        /** A measurement that waits for its series' images: its partition is held, nothing is done. */
        static final Prepared WAITING = new Prepared(null, null, null, null, null, false, false, null, List.of(), null);

        static Prepared nothing(ConsumerRecord<String, byte[]> record) {
            return new Prepared(record, null, null, null, null, false, false, null, List.of(), null);
        }

        /** A segmentation made from series {@code source}, its SOP instance UID known (a report may reference it). */
        static Prepared segmentation(ConsumerRecord<String, byte[]> record, String source, byte[] dicom, String what,
                                     String detail, String sopInstanceUid) {
            return new Prepared(record, source, dicom, what, detail, false, false, sopInstanceUid, List.of(), null);
        }

        /**
         * A report referencing the segmentations {@code references}; {@code rebuild} makes it again
         * without those of a set the PACS never took.
         */
        static Prepared report(ConsumerRecord<String, byte[]> record, String source, String what, String detail,
                               boolean withoutEvidence, List<String> references,
                               java.util.function.Function<java.util.Set<String>, byte[]> rebuild) {
            return new Prepared(record, source, rebuild.apply(java.util.Set.of()), what, detail, true, withoutEvidence,
                    null, references, rebuild);
        }

        /** The same report made again without the segmentations the PACS did not take, if it referenced any. */
        Prepared without(java.util.Set<String> notStored) {
            if (!report || references.stream().noneMatch(notStored::contains)) {
                return this;
            }
            return new Prepared(record, source, rebuild.apply(notStored), what, detail + ", without the segmentation the PACS "
                    + "did not take", true, withoutEvidence, null, references, rebuild);
        }
    }

    /**
     * Reads one record and makes what it stores, in order (a result's segmentation, then its volume
     * report); a record that cannot be read is dead-lettered here; {@link Prepared#WAITING} for a
     * measurement that waits for its series' images.
     */
    private List<Prepared> prepare(ConsumerRecord<String, byte[]> record) {
        if (record.value() == null) {
            return List.of(Prepared.nothing(record));
        }
        if (record.topic().equals(poir.name())) {
            return List.of(prepareMeasurement(record));
        }
        InferenceResult r;
        try {
            r = results.valueSerde().deserializer().deserialize(record.topic(), record.value());
        } catch (RuntimeException e) {
            deadLetter(record, "the result cannot be read: " + e.getMessage(), 0);
            return List.of(Prepared.nothing(record));
        }
        if (withdrawnSeries(record, r.getSeriesUid().toString())) {
            return List.of(Prepared.nothing(record));
        }
        if (r.getGeometry() != null) {
            geometries.put(r.getSeriesUid().toString(), r.getGeometry());
        }
        String task = r.getTask().toString();
        List<Prepared> out = new java.util.ArrayList<>(2);
        if (settings.tasks().contains(task)) {
            if (r.getGeometry() == null) {
                withoutGeometry.incrementAndGet();
                log.info("result {} (offset {} of {}-{}) carries no geometry: no segmentation of it is exported",
                        record.key(), record.offset(), record.topic(), record.partition());
            } else {
                out.add(Prepared.segmentation(record, r.getSeriesUid().toString(), ResultSegmentation.write(r), "the "
                        + task + " segmentation of series " + r.getSeriesUid(), ResultSegmentation.algorithm(r),
                        ResultSegmentation.segment(r.getSeriesUid(), task, r.getMethod(), r.getModelVersion(),
                                r.getProducedAt(), r.getGeometry().getFrameOfReferenceUid()).sopInstanceUid()));
            }
        }
        if (settings.tasks().contains(ExportSettings.VOLUMES) && ExportSettings.VOLUME_TASKS.contains(task)) {
            var segment = ResultReport.volumeSegment(r, settings.tasks());
            out.add(Prepared.report(record, r.getSeriesUid().toString(), "the " + task + " volume report of series "
                    + r.getSeriesUid(),
                    String.format(java.util.Locale.ROOT, "%.1f ml, %s", r.getVolumeMl(), r.getGeometry() == null
                            ? "without the series' instances as evidence"
                            : r.getGeometry().getSopInstanceUids().size() + " instances as evidence"),
                    r.getGeometry() == null, segment == null ? List.of() : List.of(segment.sopInstanceUid()),
                    notStored -> ResultReport.writeVolume(r, settings.tasks(), notStored)));
        }
        return out.isEmpty() ? List.of(Prepared.nothing(record)) : out;
    }

    /** A PoIR measurement made its series' measurement report. */
    private Prepared prepareMeasurement(ConsumerRecord<String, byte[]> record) {
        PoirMeasurement m;
        try {
            m = poir.valueSerde().deserializer().deserialize(record.topic(), record.value());
        } catch (RuntimeException e) {
            deadLetter(record, "the PoIR measurement cannot be read: " + e.getMessage(), 0);
            return Prepared.nothing(record);
        }
        if (withdrawnSeries(record, m.getSeriesUid().toString())) {
            waiting.remove(new TopicPartition(record.topic(), record.partition()));
            return Prepared.nothing(record);
        }
        if (waitsForEvidence(record, m)) {
            return Prepared.WAITING;
        }
        boolean own = ResultReport.hasEvidence(m);
        SeriesGeometry geometry = own ? null : geometries.get(m.getSeriesUid().toString());
        waiting.remove(new TopicPartition(record.topic(), record.partition()));
        if (!own && geometry == null) {
            log.warn("no result of series {} passed within {}: its PoIR report (offset {} of {}-{}) is stored without "
                    + "the series' instances as evidence", m.getSeriesUid(), settings.evidenceWait(), record.offset(),
                    record.topic(), record.partition());
        }
        return Prepared.report(record, m.getSeriesUid().toString(), "the PoIR report of series " + m.getSeriesUid(),
                String.format(java.util.Locale.ROOT, "PoIR %.1f%%, %s", m.getPoir(), own
                        ? m.getSopInstanceUids().size() + " instances as evidence"
                        : geometry == null ? "without the series' instances as evidence"
                        : geometry.getSopInstanceUids().size() + " instances as evidence, from a result"),
                !own && geometry == null, ResultReport.segmentations(m, settings.tasks()),
                notStored -> ResultReport.write(m, geometry, settings.tasks(), notStored));
    }

    /**
     * Stores what {@code batch} makes over one association, then each that was not stored on its own
     * within the attempts (or dead-letters it), and commits every record done, in order. Where it
     * stops before the batch is done (stopping, or the PACS cannot be reached) the rest is not
     * committed; where the PACS cannot be reached each partition is also positioned at its first
     * record not done, to be read again.
     */
    private Progress storeAndCommit(List<Prepared> batch) throws InterruptedException {
        Map<TopicPartition, OffsetAndMetadata> done = new LinkedHashMap<>();
        // per record, its objects not done yet (a result makes a segmentation and a volume report)
        Map<ConsumerRecord<String, byte[]>, Integer> left = new java.util.IdentityHashMap<>();
        batch.forEach(b -> left.merge(b.record(), 1, Integer::sum));
        List<java.util.concurrent.Future<?>> entries = new java.util.ArrayList<>();
        Progress progress;
        // audited as one transfer to the PACS: each object stored (at the first attempt or later) or not
        IngestAudit.Transfer transfer = audit.sending(settings.pacsAe(), settings.pacsHost());
        try {
            // the segmentations first: a report is then made again without one the PACS did not take
            progress = storeOver(batch.stream().filter(b -> !b.report()).toList(), done, left, entries, transfer);
            if (progress == Progress.DONE) {
                progress = storeOver(batch.stream().filter(Prepared::report).map(b -> b.without(segmentationsNotStored))
                        .toList(), done, left, entries, transfer);
            }
        } finally {
            transfer.end();
        }
        // a record not done (stopping, the PACS unreachable) holds its partition's commit at it, whatever came
        // after it was done
        Map<TopicPartition, Long> notDone = new java.util.HashMap<>();
        left.forEach((record, n) -> {
            if (n > 0) {
                notDone.merge(new TopicPartition(record.topic(), record.partition()), record.offset(), Math::min);
            }
        });
        notDone.forEach((partition, offset) -> done.put(partition, new OffsetAndMetadata(offset)));
        if (!done.isEmpty()) {
            ledger.await(entries); // an object stored is in the ledger before its record is committed; else it stops
            consumer.commitSync(done);
        }
        if (progress == Progress.UNREACHABLE) {
            notDone.forEach(consumer::seek);
        }
        return progress;
    }

    /**
     * With {@link ExportSettings#replayFrom}: positions each partition, the first time this export is
     * assigned it, at the first record that arrived from that time on (at its end where none did), so
     * what came since is stored again, as the same instances.
     */
    private void replay(java.util.Collection<TopicPartition> partitions) {
        if (settings.replayFrom() == null) {
            return;
        }
        Map<TopicPartition, Long> first = new java.util.HashMap<>();
        for (TopicPartition p : partitions) {
            if (replayed.add(p)) {
                first.put(p, settings.replayFrom().toEpochMilli());
            }
        }
        if (first.isEmpty()) {
            return;
        }
        Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndTimestamp> at = consumer.offsetsForTimes(first);
        Map<TopicPartition, Long> end = consumer.endOffsets(first.keySet());
        for (TopicPartition p : first.keySet()) {
            var o = at.get(p);
            long offset = o == null ? end.get(p) : o.offset();
            consumer.seek(p, offset);
            log.info("{}-{} replayed from {}: offset {}", p.topic(), p.partition(), settings.replayFrom(), offset);
        }
    }

    /** How far a batch (or the export's own rejection notes) got. */
    private enum Progress { DONE, STOPPING, UNREACHABLE }

    /** The PACS could not be reached: counted and logged once an outage, then held for ({@link #holdForPacs}). */
    private void unreachable(String why) {
        if (pacsReachable.getAndSet(false)) {
            pacsOutages.incrementAndGet();
            unreachableSince = System.nanoTime();
            log.warn("{}: the export holds its place, dead-letters nothing for it, and tries again (at most {} apart)",
                    why, MAX_HOLD_WAIT);
        } else {
            log.info("{} (for {} s now)", why, Duration.ofNanos(System.nanoTime() - unreachableSince).toSeconds());
        }
    }

    /** The PACS took an association: an outage, if there was one, is over. */
    private void reachable() {
        holdWait = null;
        if (!pacsReachable.getAndSet(true)) {
            log.warn("{}@{}:{} can be reached again after {} s: the export goes on from where it stopped",
                    settings.pacsAe(), settings.pacsHost(), settings.pacsPort(),
                    Duration.ofNanos(System.nanoTime() - unreachableSince).toSeconds());
        }
    }

    /**
     * Waits before the PACS is tried again (from the backoff, at least half a second, doubled each time
     * up to {@link #MAX_HOLD_WAIT}), every partition paused; it keeps polling meanwhile, so the group
     * does not take the partitions away, and a partition assigned meanwhile is positioned back at
     * the first record read from it and paused too.
     */
    private void holdForPacs() {
        Duration floor = settings.backoff().compareTo(MIN_HOLD_WAIT) < 0 ? MIN_HOLD_WAIT : settings.backoff();
        Duration wait = holdWait == null ? floor : holdWait;
        holdWait = wait.multipliedBy(2).compareTo(MAX_HOLD_WAIT) > 0 ? MAX_HOLD_WAIT : wait.multipliedBy(2);
        java.util.Set<TopicPartition> held = new java.util.HashSet<>(consumer.assignment());
        held.removeAll(consumer.paused()); // those paused for a measurement's evidence stay so
        consumer.pause(held);
        long until = System.nanoTime() + wait.toNanos();
        while (running.get() && System.nanoTime() < until) {
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                TopicPartition partition = new TopicPartition(r.topic(), r.partition());
                if (!consumer.paused().contains(partition)) { // assigned meanwhile: read again from here later
                    consumer.seek(partition, r.offset());
                    consumer.pause(List.of(partition));
                    held.add(partition);
                }
            }
        }
        held.retainAll(consumer.assignment());
        consumer.resume(held);
    }

    /** Stores what {@code part} makes over one association, then each that failed on its own. */
    private Progress storeOver(List<Prepared> part, Map<TopicPartition, OffsetAndMetadata> done,
                              Map<ConsumerRecord<String, byte[]>, Integer> left, List<java.util.concurrent.Future<?>> entries,
                              IngestAudit.Transfer transfer)
            throws InterruptedException {
        List<Prepared> storing = part.stream().filter(b -> b.dicom() != null).toList();
        List<String> failures;
        try {
            failures = storing.isEmpty() ? List.of() : sender.storeAll(storing.stream()
                    .map(b -> new CStoreSender.Instance(b.dicom(), b.what())).toList());
        } catch (CStoreSender.PacsUnreachableException e) {
            unreachable(e.getMessage());
            return Progress.UNREACHABLE;
        }
        if (!storing.isEmpty()) {
            reachable();
        }
        if (storing.size() > 1) {
            long stored = failures.stream().filter(java.util.Objects::isNull).count();
            log.info("stored {} of {} over one association at {}@{}:{}", stored, storing.size(), settings.pacsAe(),
                    settings.pacsHost(), settings.pacsPort());
        }
        return storeEach(part, failures, done, left, entries, transfer);
    }

    /** The rest of {@link #storeAndCommit}: retries, counts, the offsets done. */
    private Progress storeEach(List<Prepared> batch, List<String> failures, Map<TopicPartition, OffsetAndMetadata> done,
                              Map<ConsumerRecord<String, byte[]>, Integer> left, List<java.util.concurrent.Future<?>> entries,
                              IngestAudit.Transfer transfer)
            throws InterruptedException {
        Progress progress = Progress.DONE;
        int next = 0;
        for (Prepared b : batch) {
            if (b.dicom() != null) {
                String failure = failures.get(next++);
                Stored stored;
                if (failure == null) {
                    log.info("stored {} ({}) at {}@{}:{}", b.what(), b.detail(), settings.pacsAe(), settings.pacsHost(),
                            settings.pacsPort());
                    stored = Stored.YES;
                } else {
                    log.warn("attempt 1 of {}: {}", settings.attempts(), failure);
                    stored = storeAgain(b.dicom(), b.what(), b.detail(), failure,
                            reason -> deadLetter(b.record(), reason, settings.attempts()));
                }
                if (stored == Stored.STOPPING || stored == Stored.UNREACHABLE) {
                    // not this record, even where an object of it was stored: all of it again later
                    progress = stored == Stored.STOPPING ? Progress.STOPPING : Progress.UNREACHABLE;
                    break;
                }
                transfer.sent(b.dicom(), stored == Stored.YES ? null : failure);
                if (stored == Stored.DEAD_LETTERED && b.segmentation() != null) {
                    segmentationsNotStored.add(b.segmentation());
                }
                if (stored == Stored.YES) {
                    var entry = ledger.entry(b.source(), b.dicom(), b.what(), Instant.now());
                    entries.add(ledger.stored(entry));
                    withdrawals.stored(entry); // withdrawn while it was being stored: withdrawn at the PACS too
                    (b.report() ? reports : exported).incrementAndGet();
                    if (b.withoutEvidence()) {
                        reportsWithoutEvidence.incrementAndGet();
                    }
                }
            }
            // the reports come after the segmentations: a partition's offset done only ever moves forward here
            left.merge(b.record(), -1, Integer::sum);
            done.merge(new TopicPartition(b.record().topic(), b.record().partition()),
                    new OffsetAndMetadata(b.record().offset() + 1), (a, n) -> n.offset() > a.offset() ? n : a);
        }
        return progress;
    }

    /**
     * How a store ended: stored, dead-lettered after the attempts (done too), cut short by stopping,
     * or the PACS could not be reached (not done; no attempt counted against it).
     */
    private enum Stored { YES, DEAD_LETTERED, STOPPING, UNREACHABLE }

    /**
     * Stores {@code dicom} at the PACS within the attempts left after the first one failed with
     * {@code failure}, or hands {@code deadLetter} the last failure.
     */
    private Stored storeAgain(byte[] dicom, String what, String detail, String failure,
                              java.util.function.Consumer<String> deadLetter) throws InterruptedException {
        Duration wait = settings.backoff();
        for (int attempt = 2; attempt <= settings.attempts(); attempt++) {
            sleep(wait);
            wait = wait.multipliedBy(2);
            if (!running.get()) {
                return Stored.STOPPING;
            }
            try {
                sender.store(dicom, what);
                log.info("stored {} ({}) at {}@{}:{}", what, detail, settings.pacsAe(), settings.pacsHost(),
                        settings.pacsPort());
                return Stored.YES;
            } catch (CStoreSender.PacsUnreachableException e) {
                unreachable(e.getMessage());
                return Stored.UNREACHABLE;
            } catch (CStoreSender.StoreFailedException e) {
                failure = e.getMessage();
                log.warn("attempt {} of {}: {}", attempt, settings.attempts(), failure);
            }
        }
        deadLetter.accept("not stored at the PACS after " + settings.attempts() + " attempts: " + failure);
        return Stored.DEAD_LETTERED;
    }

    private void sleep(Duration d) throws InterruptedException {
        long end = System.nanoTime() + d.toNanos();
        while (running.get() && System.nanoTime() < end) {
            Thread.sleep(Math.max(1, Math.min(100, (end - System.nanoTime()) / 1_000_000)));
        }
    }

    private void deadLetter(ConsumerRecord<String, byte[]> record, String reason, int attempts) {
        deadLetter(record.topic(), record.partition(), record.offset(), record.key(), record.value(), reason, attempts);
    }

    /** Writes a dead letter of what came from {@code topic}-{@code partition}@{@code offset} ({@code value}: what to replay). */
    private void deadLetter(String topic, int partition, long offset, String key, byte[] value, String reason,
                            int attempts) {
        DeadLetter letter = DeadLetter.newBuilder()
                .setComponent(COMPONENT)
                .setSourceTopic(topic)
                .setPartition(partition)
                .setOffset(offset)
                .setKey(key)
                .setReason(reason)
                .setAttempts(attempts)
                .setFailedAt(Instant.now())
                .setValue(ByteBuffer.wrap(value))
                .build();
        try {
            producer.send(new ProducerRecord<>(undelivered.name(), key,
                    undelivered.valueSerde().serializer().serialize(undelivered.name(), letter))).get();
        } catch (ExecutionException e) {
            // not committed either: the record is tried again after a restart
            throw new IllegalStateException("cannot write the dead letter of " + key + " to " + undelivered.name()
                    + ": " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted writing the dead letter of " + key, e);
        }
        deadLettered.incrementAndGet();
        log.warn("{} (offset {} of {}-{}) to {}: {}", key, offset, topic, partition, undelivered.name(), reason);
    }

    /** Where the export's audit messages go. */
    AuditLog auditLog() {
        return auditLog;
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        consumer.wakeup();
        withdrawals.wakeup();
        thread.join(Duration.ofSeconds(30).toMillis());
        producer.close(Duration.ofSeconds(5));
        auditLog.applicationActivity("export", false);
        auditLog.close();
    }
}
