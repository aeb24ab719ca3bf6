package org.radstream.streams;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.radstream.avro.MeasurementRef;
import org.radstream.avro.PoirMeasurement;
import org.radstream.avro.ProgressionAlert;
import org.radstream.avro.RejectedSeries;
import org.radstream.avro.RejectionNote;
import org.radstream.schemas.Topic;
import org.radstream.schemas.Topics;

/**
 * Per patient, every new PoIR measurement is compared with each earlier one acquired within the
 * previous 48 h, and a late-arriving older scan with each later one acquired within 48 h after it;
 * a pair whose infected volume grew by more than 50% raises a {@link ProgressionAlert} on
 * {@code radstream.alerts.progression} (criterion and the zero/tiny-baseline rule:
 * {@link ProgressionThresholds}). Acquisition time, not arrival order, decides which scan is
 * "earlier".
 *
 * <p><b>State.</b> {@value #HISTORY_STORE}: patient id → the patient's measurements, sorted by
 * acquisition time (a measurement for a series already there replaces it: a corrected re-run).
 * {@value #ALERTS_STORE}: {@code patientId + '\u001F' + alertId} → the alert raised, which is both
 * the record of what was emitted and the timeline's alert list. {@value #CLOCK_STORE}: the newest
 * acquisition time this task has seen.
 *
 * <p><b>Idempotency.</b> The alert id is a name-based UUID of patient, earlier and later series
 * UID, so the same pair always has the same id; an alert is emitted only when its id is not yet
 * in the alert store. Under exactly-once v2 the store's changelog and the alert commit in one
 * transaction, so a crash either loses both (the input is reprocessed and the alert raised then)
 * or keeps both (the id is there and reprocessing emits nothing). Duplicate measurements and
 * reprocessing therefore never emit an alert twice. A corrected measurement that no longer meets
 * the criterion does not retract an alert already raised.
 *
 * <p><b>Withdrawn series.</b> An IHE IOCM rejection note from the PACS ({@code
 * radstream.dicom.rejection-notes}, keyed and partitioned by patient as the measurements are, so one
 * task reads both) withdraws series: a wrong patient or worklist entry, a patient-safety or quality
 * rejection, an expired retention. Each series it names is taken out of the patient's history, and
 * each alert raised from it (as the earlier or the later scan) is retracted: kept in the alert store
 * with its {@link Retraction}, and emitted again under its id with the retraction set, so clinicians
 * are told to disregard it. {@value #REJECTED_STORE} remembers the withdrawn series of each patient for
 * {@link #REJECTION_KEPT}, so a measurement of one that arrives after the note (the pipeline was still
 * measuring it) is dropped, not measured into the timeline again. A note read twice retracts nothing
 * twice.
 *
 * <p><b>Expiry.</b> The clock is acquisition time, so replaying old scans behaves like live data.
 * Measurements acquired more than {@link ProgressionThresholds#historyRetention()} before the
 * newest acquisition this task has seen are dropped on write (and hourly, by a wall-clock
 * punctuator, for patients who have no new scans), together with the alerts whose later scan is
 * dropped. A scan arriving older than that is still compared with what is kept, but not stored.
 * The retention is at least the 48 h window, so every pair the criterion can form is still there
 * when its second scan arrives, within that retention of lateness.
 */
public final class ProgressionAlerts {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ProgressionAlerts.class);
    public static final String TOPOLOGY = "progression-alerts";
    public static final String HISTORY_STORE = "progression-history";
    public static final String ALERTS_STORE = "progression-alerts";
    public static final String CLOCK_STORE = "progression-clock";
    public static final String REJECTED_STORE = "progression-rejected";
    /** How long (wall clock) a withdrawn series is remembered, against measurements of it still in flight. */
    static final Duration REJECTION_KEPT = Duration.ofDays(30);
    static final char KEY_SEPARATOR = '\u001F';
    private static final String CLOCK_KEY = "newest-acquisition";

    private ProgressionAlerts() {}

    /** One measurement as kept in the history and shown on the timeline. */
    public record Measurement(String seriesUid, String studyUid, String accessionNumber, long acquisitionTime,
                              double lungMl, double infectedMl, double poir, String lungMethod,
                              String infectionMethod, String lungModelVersion, String infectionModelVersion,
                              long measuredAt, Double infectionStability) {
        static Measurement of(PoirMeasurement m) {
            return new Measurement(m.getSeriesUid(), m.getStudyUid(), m.getAccessionNumber(),
                    m.getAcquisitionTime().toEpochMilli(), m.getLungMl(), m.getInfectedMl(), m.getPoir(),
                    m.getLungMethod(), m.getInfectionMethod(), m.getLungModelVersion(), m.getInfectionModelVersion(),
                    m.getMeasuredAt().toEpochMilli(), m.getInfectionStability());
        }

        MeasurementRef ref() {
            return MeasurementRef.newBuilder().setSeriesUid(seriesUid).setStudyUid(studyUid)
                    .setAccessionNumber(accessionNumber).setAcquisitionTime(Instant.ofEpochMilli(acquisitionTime))
                    .setLungMl(lungMl).setInfectedMl(infectedMl).setPoir(poir).setInfectionStability(infectionStability)
                    .build();
        }
    }

    /** A patient's measurements, sorted by acquisition time then series UID. */
    public record History(String patientId, String patientName, List<Measurement> measurements) {
        public History {
            measurements = List.copyOf(measurements);
        }

        long newestAcquisition() {
            return measurements.isEmpty() ? Long.MIN_VALUE : measurements.get(measurements.size() - 1).acquisitionTime();
        }
    }

    /** An alert as kept in the alert store and shown on the timeline; {@code retraction} null while it stands. */
    public record Alert(String alertId, String patientId, String patientName, Measurement earlier,
                        Measurement later, Double growthPercent, double hoursApart, String rule, String message,
                        long raisedAt, Retraction retraction) {
        Alert retracted(Retraction r) {
            return new Alert(alertId, patientId, patientName, earlier, later, growthPercent, hoursApart, rule, message,
                    raisedAt, r);
        }
    }

    /**
     * Why an alert no longer stands: {@code seriesUid}, one of its scans, was withdrawn by the PACS's
     * rejection note {@code rejectionNoteUid} for {@code reason} (its title and DCM code).
     */
    public record Retraction(String seriesUid, String reason, String rejectionNoteUid, long retractedAt) {}

    public static void build(StreamsBuilder builder, Topics topics, StreamsSettings settings) {
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(HISTORY_STORE),
                Serdes.String(), new JsonSerde<>(History.class)));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ALERTS_STORE),
                Serdes.String(), new JsonSerde<>(Alert.class)));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(CLOCK_STORE),
                Serdes.String(), Serdes.Long()));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(REJECTED_STORE),
                Serdes.String(), new JsonSerde<>(Retraction.class)));
        Topic<String, PoirMeasurement> poir = topics.poir();
        Topic<String, ProgressionAlert> alerts = topics.alerts();
        builder.stream(poir.name(), Consumed.with(poir.keySerde(), poir.valueSerde()).withName("progression-measurements-source"))
                .process(() -> new Detector(settings.progression()), Named.as("progression-detect"),
                        HISTORY_STORE, ALERTS_STORE, CLOCK_STORE, REJECTED_STORE)
                .to(alerts.name(), Produced.with(alerts.keySerde(), alerts.valueSerde()).withName("progression-alerts-sink"));
        Topic<String, RejectionNote> notes = topics.rejectionNotes();
        builder.stream(notes.name(), Consumed.with(notes.keySerde(), notes.valueSerde())
                        .withName("progression-rejection-notes-source"))
                .process(Withdrawal::new, Named.as("progression-withdraw"), HISTORY_STORE, ALERTS_STORE, REJECTED_STORE)
                .to(alerts.name(), Produced.with(alerts.keySerde(), alerts.valueSerde())
                        .withName("progression-retractions-sink"));
    }

    /** The deterministic id of the alert for a pair of one patient's series. */
    public static String alertId(String patientId, String earlierSeriesUid, String laterSeriesUid) {
        String name = patientId + "\n" + earlierSeriesUid + "\n" + laterSeriesUid;
        return "progression-" + UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8));
    }

    /** Key of an alert in {@value #ALERTS_STORE}; all of a patient's alerts share the prefix {@link #alertKeyPrefix}. */
    static String alertKey(String patientId, String alertId) {
        return alertKeyPrefix(patientId) + alertId;
    }

    static String alertKeyPrefix(String patientId) {
        return patientId + KEY_SEPARATOR;
    }

    /** Key of a withdrawn series in {@value #REJECTED_STORE}. */
    static String rejectedKey(String patientId, String seriesUid) {
        return patientId + KEY_SEPARATOR + seriesUid;
    }

    static final class Detector implements Processor<String, PoirMeasurement, String, ProgressionAlert> {
        private final ProgressionThresholds rule;
        private ProcessorContext<String, ProgressionAlert> context;
        private KeyValueStore<String, History> histories;
        private KeyValueStore<String, Alert> alerts;
        private KeyValueStore<String, Long> clock;
        private KeyValueStore<String, Retraction> rejected;
        private Sensor raised;
        private Sensor suppressed;
        private Sensor withdrawnDropped;

        Detector(ProgressionThresholds rule) {
            this.rule = rule;
        }

        @Override
        public void init(ProcessorContext<String, ProgressionAlert> context) {
            this.context = context;
            histories = context.getStateStore(HISTORY_STORE);
            alerts = context.getStateStore(ALERTS_STORE);
            clock = context.getStateStore(CLOCK_STORE);
            rejected = context.getStateStore(REJECTED_STORE);
            raised = Sensors.counter(context, TOPOLOGY, "alerts-raised");
            suppressed = Sensors.counter(context, TOPOLOGY, "alerts-duplicate-suppressed");
            withdrawnDropped = Sensors.counter(context, TOPOLOGY, "measurements-of-withdrawn-series-dropped");
            context.schedule(Duration.ofHours(1), PunctuationType.WALL_CLOCK_TIME, now -> {
                expireIdlePatients();
                forgetOldRejections(now);
            });
        }

        @Override
        public void process(Record<String, PoirMeasurement> record) {
            PoirMeasurement m = record.value();
            if (m == null || !m.getPatientId().equals(record.key())) {
                throw new InvalidInputException("measurement keyed " + record.key() + " belongs to patient "
                        + (m == null ? null : m.getPatientId()));
            }
            if (!finiteNonNegative(m.getInfectedMl()) || !finiteNonNegative(m.getLungMl())) {
                throw new InvalidInputException("measurement of series " + m.getSeriesUid() + " has volumes lung "
                        + m.getLungMl() + " mL, infected " + m.getInfectedMl() + " mL");
            }
            String patient = m.getPatientId();
            Retraction withdrawn = rejected.get(rejectedKey(patient, m.getSeriesUid()));
            if (withdrawn != null) {
                withdrawnDropped.record();
                log.info("measurement of series {} of patient {} dropped: the series was withdrawn by rejection note {} ({})",
                        m.getSeriesUid(), patient, withdrawn.rejectionNoteUid(), withdrawn.reason());
                return;
            }
            Measurement current = Measurement.of(m);
            History history = histories.get(patient);
            List<Measurement> kept = new ArrayList<>();
            String name = m.getPatientName();
            if (history != null) {
                for (Measurement h : history.measurements()) {
                    if (!h.seriesUid().equals(current.seriesUid())) {
                        kept.add(h);
                    }
                }
                if (name == null) {
                    name = history.patientName();
                }
            }
            List<Alert> candidates = new ArrayList<>();
            for (Measurement other : kept) {
                if (other.acquisitionTime() < current.acquisitionTime()) {
                    consider(patient, name, other, current, candidates);
                } else if (other.acquisitionTime() > current.acquisitionTime()) {
                    consider(patient, name, current, other, candidates);
                }
            }
            candidates.sort(Comparator.comparingLong((Alert a) -> a.earlier().acquisitionTime())
                    .thenComparingLong(a -> a.later().acquisitionTime()));
            for (Alert a : candidates) {
                String key = alertKey(patient, a.alertId());
                if (alerts.get(key) != null) {
                    suppressed.record();
                    continue;
                }
                alerts.put(key, a);
                raised.record();
                context.forward(new Record<>(patient, toAvro(a), record.timestamp()));
            }
            long newest = advanceClock(current.acquisitionTime());
            long cutoff = cutoff(newest);
            kept.add(current);
            kept.removeIf(x -> x.acquisitionTime() < cutoff);
            kept.sort(Comparator.comparingLong(Measurement::acquisitionTime).thenComparing(Measurement::seriesUid));
            if (kept.isEmpty()) {
                histories.delete(patient);
            } else {
                histories.put(patient, new History(patient, name, kept));
            }
            pruneAlerts(patient, cutoff);
        }

        private void consider(String patient, String name, Measurement earlier, Measurement later, List<Alert> out) {
            long gap = later.acquisitionTime() - earlier.acquisitionTime();
            if (!rule.isAlert(earlier.infectedMl(), later.infectedMl(), gap)) {
                return;
            }
            boolean fresh = rule.isNewInfection(earlier.infectedMl());
            Double growth = fresh ? null : 100.0 * (later.infectedMl() - earlier.infectedMl()) / earlier.infectedMl();
            double hours = gap / 3_600_000.0;
            String who = (name == null ? "" : name + " ") + "(patient " + patient + ")";
            String message = String.format(Locale.ROOT, "%s %s: infected %.1f → %.1f mL%s, PoIR %.1f%% → %.1f%%, "
                            + "%.1f h apart. Rule: %s",
                    fresh ? "NEW INFECTION" : "PROGRESSION", who, earlier.infectedMl(), later.infectedMl(),
                    growth == null ? "" : String.format(Locale.ROOT, " (+%.0f%%)", growth), earlier.poir(),
                    later.poir(), hours, rule.describe());
            out.add(new Alert(alertId(patient, earlier.seriesUid(), later.seriesUid()), patient, name, earlier, later,
                    growth, hours, rule.describe(), message, context.currentSystemTimeMs(), null));
        }

        private long advanceClock(long acquisitionTime) {
            Long newest = clock.get(CLOCK_KEY);
            if (newest == null || acquisitionTime > newest) {
                clock.put(CLOCK_KEY, acquisitionTime);
                return acquisitionTime;
            }
            return newest;
        }

        private long cutoff(long newest) {
            return newest - rule.historyRetention().toMillis();
        }

        private void pruneAlerts(String patient, long cutoff) {
            keysWhere(alerts.prefixScan(alertKeyPrefix(patient), new StringSerializer()),
                    a -> a.later().acquisitionTime() < cutoff).forEach(alerts::delete);
        }

        private void expireIdlePatients() {
            Long newest = clock.get(CLOCK_KEY);
            if (newest == null) {
                return;
            }
            long cutoff = cutoff(newest);
            for (String patient : keysWhere(histories.all(), h -> h.newestAcquisition() < cutoff)) {
                histories.delete(patient);
                pruneAlerts(patient, cutoff);
            }
        }

        private void forgetOldRejections(long now) {
            long cutoff = now - REJECTION_KEPT.toMillis();
            keysWhere(rejected.all(), r -> r.retractedAt() < cutoff).forEach(rejected::delete);
        }

        private static boolean finiteNonNegative(double v) {
            return Double.isFinite(v) && v >= 0;
        }
    }

    /** The keys whose values match, read to the end and the iterator closed before any is deleted. */
    static <V> List<String> keysWhere(KeyValueIterator<String, V> iterator, java.util.function.Predicate<V> match) {
        List<String> keys = new ArrayList<>();
        try (iterator) {
            while (iterator.hasNext()) {
                KeyValue<String, V> kv = iterator.next();
                if (match.test(kv.value)) {
                    keys.add(kv.key);
                }
            }
        }
        return keys;
    }

    /**
     * Takes the series a rejection note names out of the patient's history and retracts the alerts
     * raised from them, once each ({@link ProgressionAlerts}, "Withdrawn series").
     */
    static final class Withdrawal implements Processor<String, RejectionNote, String, ProgressionAlert> {
        private ProcessorContext<String, ProgressionAlert> context;
        private KeyValueStore<String, History> histories;
        private KeyValueStore<String, Alert> alerts;
        private KeyValueStore<String, Retraction> rejected;
        private Sensor withdrawn;
        private Sensor retracted;

        @Override
        public void init(ProcessorContext<String, ProgressionAlert> context) {
            this.context = context;
            histories = context.getStateStore(HISTORY_STORE);
            alerts = context.getStateStore(ALERTS_STORE);
            rejected = context.getStateStore(REJECTED_STORE);
            withdrawn = Sensors.counter(context, TOPOLOGY, "series-withdrawn");
            retracted = Sensors.counter(context, TOPOLOGY, "alerts-retracted");
        }

        @Override
        public void process(Record<String, RejectionNote> record) {
            RejectionNote note = record.value();
            if (note == null || !note.getPatientId().equals(record.key())) {
                throw new InvalidInputException("rejection note keyed " + record.key() + " belongs to patient "
                        + (note == null ? null : note.getPatientId()));
            }
            String patient = note.getPatientId();
            String reason = note.getReasonMeaning() + " (DCM " + note.getReasonCode() + ")";
            for (RejectedSeries s : note.getSeries()) {
                String series = s.getSeriesUid();
                String key = rejectedKey(patient, series);
                if (rejected.get(key) != null) {
                    continue; // already withdrawn: this note was read before, or another named the series too
                }
                Retraction r = new Retraction(series, reason, note.getSopInstanceUid(), context.currentSystemTimeMs());
                rejected.put(key, r);
                withdrawn.record();
                History history = histories.get(patient);
                if (history != null) {
                    List<Measurement> kept = history.measurements().stream().filter(m -> !m.seriesUid().equals(series))
                            .toList();
                    if (kept.isEmpty()) {
                        histories.delete(patient);
                    } else if (kept.size() != history.measurements().size()) {
                        histories.put(patient, new History(patient, history.patientName(), kept));
                    }
                }
                List<Alert> voided = new ArrayList<>();
                try (KeyValueIterator<String, Alert> it = alerts.prefixScan(alertKeyPrefix(patient), new StringSerializer())) {
                    while (it.hasNext()) {
                        Alert a = it.next().value;
                        if (a.retraction() == null && (a.earlier().seriesUid().equals(series)
                                || a.later().seriesUid().equals(series))) {
                            voided.add(a.retracted(r));
                        }
                    }
                }
                for (Alert a : voided) {
                    alerts.put(alertKey(patient, a.alertId()), a);
                    retracted.record();
                    context.forward(new Record<>(patient, toAvro(a), record.timestamp()));
                }
                log.warn("series {} of patient {} withdrawn by rejection note {} from {} ({}): out of the timeline, {} alert(s) "
                        + "retracted", series, patient, note.getSopInstanceUid(), note.getCallingAe(), reason, voided.size());
            }
        }
    }

    /**
     * The id of one event on the alerts topic: the alert's id, and for its retraction the id with
     * {@code /retraction} (the two share the alertId and the key, as they concern one alert), so a
     * consumer that drops repeats by it still takes the retraction.
     */
    public static String eventId(String alertId, boolean retraction) {
        return retraction ? alertId + "/retraction" : alertId;
    }

    private static ProgressionAlert toAvro(Alert a) {
        ProgressionAlert.Builder b = ProgressionAlert.newBuilder()
                .setAlertId(a.alertId())
                .setPatientId(a.patientId())
                .setPatientName(a.patientName())
                .setEarlier(a.earlier().ref())
                .setLater(a.later().ref())
                .setGrowthPercent(a.growthPercent())
                .setHoursApart(a.hoursApart())
                .setRule(a.rule())
                .setMessage(a.message())
                .setRaisedAt(Instant.ofEpochMilli(a.raisedAt()));
        b.setEventId(eventId(a.alertId(), a.retraction() != null));
        if (a.retraction() != null) {
            Retraction r = a.retraction();
            b.setRetraction(org.radstream.avro.Retraction.newBuilder().setSeriesUid(r.seriesUid()).setReason(r.reason())
                    .setRejectionNoteUid(r.rejectionNoteUid()).setRetractedAt(Instant.ofEpochMilli(r.retractedAt())).build());
        }
        return b.build();
    }
}
