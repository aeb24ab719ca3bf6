package org.radstream.streams;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.radstream.avro.DeadLetter;
import org.radstream.avro.InferenceResult;
import org.radstream.avro.PoirMeasurement;
import org.radstream.avro.SeriesGeometry;
import org.radstream.schemas.Topic;
import org.radstream.schemas.Topics;

/**
 * Lung and infection results of one series → one PoIR measurement (infected mL / lung mL × 100)
 * on {@code radstream.poir.measurements}, keyed by patient id.
 *
 * <p>Results are keyed {@code seriesUid:task}, so a series' two results may sit on different
 * partitions: they are reduced to the fields a measurement needs (the mask stays behind) and
 * repartitioned by series UID ({@value #REPARTITION}). A store ({@value #PAIRS_STORE}) keeps each
 * series' latest lung and infection halves and what was last emitted:
 * <ul>
 *   <li>either order: the first half waits; the second completes the pair and emits;</li>
 *   <li>a duplicate (same task, method, model version, volume) changes nothing and emits nothing,
 *       so a series yields exactly one measurement;</li>
 *   <li>a corrected re-run (a different model version or volume, produced no earlier than the
 *       stored half) replaces its half and emits the updated measurement for the same series;
 *       an older result arriving late does not overwrite a newer one;</li>
 *   <li>lung volume 0 (or below 0.001 mL): PoIR is undefined, so no measurement is emitted; a dead
 *       letter on {@code radstream.streams.dead-letters} says why, and a later corrected lung result
 *       still completes the pair. Infected above lung volume is emitted as computed (PoIR over
 *       100%): that is a model error a clinician should see, not something to clamp away.</li>
 * </ul>
 * {@code measuredAt} is the later of the two results' production times, so reprocessing yields
 * byte-identical measurements. A pair is forgotten {@link StreamsSettings#poirPairRetention()}
 * after its last result (wall-clock punctuator, hourly); a duplicate arriving after that emits the
 * same measurement again, which the progression alerts absorb (same series replaces itself, alert
 * ids are deterministic).
 */
public final class PoirJoin {
    public static final String TOPOLOGY = "poir-join";
    public static final String PAIRS_STORE = "poir-pairs";
    public static final String REPARTITION = "poir-by-series";
    /** Lung volumes below this are treated as "no lung found": PoIR undefined. */
    public static final double MIN_LUNG_ML = 0.001;

    private PoirJoin() {}

    /**
     * The part of an {@link InferenceResult} a measurement needs, with the series' images and frame
     * of reference from the result's geometry (the evidence of the measurement's DICOM SR report;
     * none in a half stored before they were kept, or from a result without geometry).
     *
     * @param geometry whether the result carried geometry (a segmentation can be made of it); null in
     *                 a half stored before this was kept
     */
    record Half(String seriesUid, String task, String patientId, String patientName, String studyUid,
                String accessionNumber, long acquisitionTime, double volumeMl, String method, String modelVersion,
                long producedAt, String sopClassUid, List<String> sopInstanceUids, String frameOfReferenceUid,
                Boolean geometry, Double stability) {
        static Half of(InferenceResult r) {
            SeriesGeometry g = r.getGeometry();
            return new Half(r.getSeriesUid(), r.getTask(), r.getPatientId(), r.getPatientName(), r.getStudyUid(),
                    r.getAccessionNumber(), r.getAcquisitionTime().toEpochMilli(), r.getVolumeMl(), r.getMethod(),
                    r.getModelVersion(), r.getProducedAt().toEpochMilli(), g == null ? null : g.getSopClassUid(),
                    g == null ? List.of() : List.copyOf(g.getSopInstanceUids()),
                    g == null ? null : g.getFrameOfReferenceUid(), g != null, r.getMaskStability());
        }

        /** The series' images this half knows; none when it knows none. */
        List<String> instances() {
            return sopInstanceUids == null ? List.of() : sopInstanceUids;
        }

        /** When its result was made, if a segmentation of it can be named; else null. */
        Instant segmentedAt() {
            return Boolean.TRUE.equals(geometry) ? Instant.ofEpochMilli(producedAt) : null;
        }

        boolean sameResult(Half o) {
            return o != null && volumeMl == o.volumeMl && method.equals(o.method)
                    && Objects.equals(modelVersion, o.modelVersion);
        }
    }

    /** Store value: the latest halves of a series and the fingerprint of the last emitted measurement. */
    record Pair(Half lung, Half infection, String emitted, long lastResultAt) {}

    /** Output of the join: a measurement, or a dead letter. */
    record Outcome(PoirMeasurement measurement, DeadLetter deadLetter) {}

    public static void build(StreamsBuilder builder, Topics topics, StreamsSettings settings) {
        JsonSerde<Half> halfSerde = new JsonSerde<>(Half.class);
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PAIRS_STORE),
                Serdes.String(), new JsonSerde<>(Pair.class)));
        Topic<String, InferenceResult> results = topics.results();
        KStream<String, Outcome> outcomes = builder
                .stream(results.name(), Consumed.with(results.keySerde(), results.valueSerde()).withName("poir-results-source"))
                .filter((k, r) -> r != null && ("lung".equals(r.getTask()) || "infection".equals(r.getTask())),
                        Named.as("poir-lung-and-infection"))
                .map((k, r) -> KeyValue.pair(r.getSeriesUid(), checked(k, r)), Named.as("poir-key-by-series"))
                .repartition(Repartitioned.with(Serdes.String(), halfSerde).withName(REPARTITION))
                .process(() -> new Joiner(settings.poirPairRetention()), Named.as("poir-join"), PAIRS_STORE);
        outcomes.split(Named.as("poir-"))
                .branch((k, o) -> o.measurement() != null, Branched.withConsumer(s -> s
                        .mapValues(Outcome::measurement, Named.as("poir-measurement-value"))
                        .to(topics.poir().name(), Produced.with(topics.poir().keySerde(), topics.poir().valueSerde())
                                .withName("poir-measurements-sink")), "measurement"))
                .defaultBranch(Branched.withConsumer(s -> s
                        .mapValues(Outcome::deadLetter, Named.as("poir-dead-letter-value"))
                        .to(topics.streamsDeadLetters().name(), Produced.with(topics.streamsDeadLetters().keySerde(),
                                topics.streamsDeadLetters().valueSerde()).withName("poir-dead-letters-sink")),
                        "dead-letter"));
    }

    private static Half checked(String key, InferenceResult r) {
        String expected = Topics.seriesTaskKey(r.getSeriesUid(), r.getTask());
        if (!expected.equals(key)) {
            throw new InvalidInputException("result key " + key + " does not match its series and task " + expected);
        }
        if (!(r.getVolumeMl() >= 0) || Double.isInfinite(r.getVolumeMl())) {
            throw new InvalidInputException("result " + key + " has volume " + r.getVolumeMl() + " mL");
        }
        return Half.of(r);
    }

    static final class Joiner implements Processor<String, Half, String, Outcome> {
        private final Duration retention;
        private ProcessorContext<String, Outcome> context;
        private KeyValueStore<String, Pair> pairs;
        private Sensor emitted;
        private Sensor duplicates;
        private Sensor undefined;

        Joiner(Duration retention) {
            this.retention = retention;
        }

        @Override
        public void init(ProcessorContext<String, Outcome> context) {
            this.context = context;
            this.pairs = context.getStateStore(PAIRS_STORE);
            emitted = Sensors.counter(context, TOPOLOGY, "measurements-emitted");
            duplicates = Sensors.counter(context, TOPOLOGY, "results-duplicate");
            undefined = Sensors.counter(context, TOPOLOGY, "poir-undefined");
            context.schedule(Duration.ofHours(1), PunctuationType.WALL_CLOCK_TIME, this::expire);
        }

        @Override
        public void process(Record<String, Half> record) {
            Half half = record.value();
            Pair pair = Optional.ofNullable(pairs.get(record.key())).orElse(new Pair(null, null, null, 0));
            boolean lung = "lung".equals(half.task());
            Half current = lung ? pair.lung() : pair.infection();
            if (half.sameResult(current) || (current != null && half.producedAt() < current.producedAt())) {
                duplicates.record();
                return;
            }
            Pair updated = new Pair(lung ? half : pair.lung(), lung ? pair.infection() : half, pair.emitted(),
                    Math.max(pair.lastResultAt(), half.producedAt()));
            if (updated.lung() == null || updated.infection() == null) {
                pairs.put(record.key(), updated);
                return;
            }
            Half l = updated.lung();
            Half i = updated.infection();
            String fingerprint = l.method() + "|" + l.modelVersion() + "|" + l.volumeMl() + "|"
                    + i.method() + "|" + i.modelVersion() + "|" + i.volumeMl();
            if (fingerprint.equals(pair.emitted())) {
                pairs.put(record.key(), updated);
                duplicates.record();
                return;
            }
            pairs.put(record.key(), new Pair(l, i, fingerprint, updated.lastResultAt()));
            if (l.volumeMl() < MIN_LUNG_ML) {
                undefined.record();
                context.forward(new Record<>(l.patientId(), new Outcome(null, undefinedPoir(record.key(), l, i)),
                        record.timestamp()));
                return;
            }
            PoirMeasurement m = PoirMeasurement.newBuilder()
                    .setPatientId(l.patientId())
                    .setPatientName(l.patientName() != null ? l.patientName() : i.patientName())
                    .setStudyUid(l.studyUid())
                    .setSeriesUid(l.seriesUid())
                    .setAccessionNumber(l.accessionNumber() != null ? l.accessionNumber() : i.accessionNumber())
                    .setAcquisitionTime(Instant.ofEpochMilli(l.acquisitionTime()))
                    .setLungMl(l.volumeMl())
                    .setInfectedMl(i.volumeMl())
                    .setPoir(i.volumeMl() / l.volumeMl() * 100.0)
                    .setLungMethod(l.method())
                    .setInfectionMethod(i.method())
                    .setLungModelVersion(l.modelVersion())
                    .setInfectionModelVersion(i.modelVersion())
                    .setMeasuredAt(Instant.ofEpochMilli(Math.max(l.producedAt(), i.producedAt())))
                    // the images the series was measured on, as either result named them
                    .setSopClassUid(l.instances().isEmpty() ? i.sopClassUid() : l.sopClassUid())
                    .setSopInstanceUids(l.instances().isEmpty() ? i.instances() : l.instances())
                    .setFrameOfReferenceUid(l.instances().isEmpty() ? i.frameOfReferenceUid() : l.frameOfReferenceUid())
                    // the results themselves, whose segmentations the report references
                    .setLungResultAt(l.segmentedAt())
                    .setInfectionResultAt(i.segmentedAt())
                    .setLungStability(l.stability())
                    .setInfectionStability(i.stability())
                    .build();
            emitted.record();
            context.forward(new Record<>(l.patientId(), new Outcome(m, null), record.timestamp()));
        }

        private DeadLetter undefinedPoir(String seriesUid, Half lung, Half infection) {
            Optional<RecordMetadata> meta = context.recordMetadata();
            return DeadLetter.newBuilder()
                    .setComponent(TOPOLOGY)
                    .setSourceTopic(meta.map(RecordMetadata::topic).orElse(null))
                    .setPartition(meta.map(RecordMetadata::partition).orElse(-1))
                    .setOffset(meta.map(RecordMetadata::offset).orElse(-1L))
                    .setKey(seriesUid)
                    .setReason("PoIR undefined for series " + seriesUid + " of patient " + lung.patientId()
                            + ": lung volume " + lung.volumeMl() + " mL (" + lung.method() + " "
                            + lung.modelVersion() + "), infected " + infection.volumeMl()
                            + " mL; no measurement emitted until a lung result with volume arrives")
                    .setAttempts(1)
                    .setFailedAt(Instant.ofEpochMilli(context.currentSystemTimeMs()))
                    .setValue(null)
                    .build();
        }

        private void expire(long now) {
            long cutoff = now - retention.toMillis();
            try (KeyValueIterator<String, Pair> it = pairs.all()) {
                while (it.hasNext()) {
                    KeyValue<String, Pair> kv = it.next();
                    if (kv.value.lastResultAt() < cutoff) {
                        pairs.delete(kv.key);
                    }
                }
            }
        }
    }
}
