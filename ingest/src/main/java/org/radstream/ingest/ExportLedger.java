package org.radstream.ingest;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.radstream.avro.ExportedInstance;
import org.radstream.schemas.Topic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the export stored at its PACS, kept on {@code radstream.export.stored} (compacted, keyed by
 * {@code group|SOP instance UID}) with the series each object was made from: when the PACS withdraws
 * a series, the export finds here what it made of it, withdraws it with a rejection note of its own,
 * and writes a tombstone. An entry is written before the record it was made from is committed, so a
 * crash in between leaves an entry for an object stored again (the same SOP instance), never an
 * object without its entry.
 */
final class ExportLedger {
    private static final Logger log = LoggerFactory.getLogger(ExportLedger.class);
    private static final AttributeTag PIXEL_DATA = new AttributeTag(0x7FE0, 0x0010);
    /** How long a read of the whole ledger may take before it is given up (and tried again later). */
    static final Duration READ_LIMIT = Duration.ofMinutes(2);

    private final ExportSettings settings;
    private final Topic<String, ExportedInstance> topic;
    private final KafkaProducer<String, byte[]> producer;

    ExportLedger(ExportSettings settings, Topic<String, ExportedInstance> topic, KafkaProducer<String, byte[]> producer) {
        this.settings = settings;
        this.topic = topic;
        this.producer = producer;
    }

    /**
     * Creates the ledger's topic where it is missing (a cluster whose streams application, which
     * creates the catalogue's topics, has not run since this topic was added; auto-creation off):
     * else the first object stored could not be recorded and the export would stop. One that cannot
     * be created is logged; the export then stops at its first store, nothing committed.
     */
    void ensureTopic() {
        Properties p = new Properties();
        p.put(org.apache.kafka.clients.admin.AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrap());
        settings.kafkaClient().addTo(p);
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(p)) {
            if (admin.listTopics().names().get(30, java.util.concurrent.TimeUnit.SECONDS).contains(topic.name())) {
                return;
            }
            admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(topic.name(),
                    java.util.Optional.of(topic.spec().partitions()), java.util.Optional.empty())
                    .configs(topic.spec().configs()))).all().get(30, java.util.concurrent.TimeUnit.SECONDS);
            log.info("created {}: what the export stores at the PACS is recorded there", topic.name());
        } catch (java.util.concurrent.ExecutionException e) {
            if (!(e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException)) {
                log.error("{} does not exist and cannot be created ({}): the export cannot record what it stores",
                        topic.name(), e.getCause().toString());
            }
        } catch (java.util.concurrent.TimeoutException | org.apache.kafka.common.KafkaException e) {
            log.warn("cannot check that {} exists ({}); it is written to all the same", topic.name(), e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The entry of a DICOM object the PACS stored, made from series {@code sourceSeries}. */
    ExportedInstance entry(String sourceSeries, byte[] part10, String what, Instant storedAt) {
        AttributeList list = new AttributeList();
        try (DicomInputStream in = new DicomInputStream(new ByteArrayInputStream(part10))) {
            list.read(in, PIXEL_DATA);
        } catch (IOException | DicomException e) {
            throw new IllegalStateException("cannot read back " + what + ", which the export wrote: " + e.getMessage(), e);
        }
        String name = Attribute.getSingleStringValueOrEmptyString(list, new AttributeTag(0x0010, 0x0010));
        return ExportedInstance.newBuilder()
                .setExportGroup(settings.groupId())
                .setPacsAe(settings.pacsAe())
                .setSourceSeriesUid(sourceSeries)
                .setPatientId(Attribute.getSingleStringValueOrEmptyString(list, new AttributeTag(0x0010, 0x0020)))
                .setPatientName(name.isEmpty() ? null : name)
                .setStudyUid(Attribute.getSingleStringValueOrEmptyString(list, new AttributeTag(0x0020, 0x000D)))
                .setSeriesUid(Attribute.getSingleStringValueOrEmptyString(list, new AttributeTag(0x0020, 0x000E)))
                .setSopClassUid(Attribute.getSingleStringValueOrEmptyString(list, new AttributeTag(0x0008, 0x0016)))
                .setSopInstanceUid(Attribute.getSingleStringValueOrEmptyString(list, new AttributeTag(0x0008, 0x0018)))
                .setWhat(what)
                .setStoredAt(storedAt)
                .build();
    }

    /** Writes {@code e}; the caller flushes the producer and checks the future before committing. */
    Future<RecordMetadata> stored(ExportedInstance e) {
        return producer.send(new ProducerRecord<>(topic.name(), key(e),
                topic.valueSerde().serializer().serialize(topic.name(), e)));
    }

    /** Waits until {@code written} entries and tombstones are acknowledged; one that is not is an error. */
    void await(List<? extends Future<?>> written) throws InterruptedException {
        producer.flush();
        for (Future<?> f : written) {
            try {
                f.get();
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException("cannot write to " + topic.name() + " (" + e.getCause()
                        + "): not committed, done again after a restart", e.getCause());
            }
        }
    }

    /** Writes the tombstone of {@code e}: withdrawn from the PACS, nothing left to withdraw. */
    Future<RecordMetadata> withdrawn(ExportedInstance e) {
        return producer.send(new ProducerRecord<>(topic.name(), key(e), null));
    }

    private String key(ExportedInstance e) {
        return settings.groupId() + "|" + e.getSopInstanceUid();
    }

    /**
     * This export's entries made from any of {@code sourceSeries} not withdrawn yet, read from the
     * ledger's start to its end; null where it could not be read to its end within {@link #READ_LIMIT}
     * or while {@code running} (then tried again later).
     */
    List<ExportedInstance> madeFrom(Set<String> sourceSeries, BooleanSupplier running) {
        producer.flush(); // what this export wrote is read back
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrap());
        settings.kafkaClient().addTo(c);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        String prefix = settings.groupId() + "|";
        Map<String, ExportedInstance> found = new LinkedHashMap<>();
        long read = 0;
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(topic.name(), Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            long deadline = System.nanoTime() + READ_LIMIT.toNanos();
            while (parts.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (!running.getAsBoolean() || System.nanoTime() > deadline) {
                    log.warn("{} not read to its end ({} records read): what was made of withdrawn series is withdrawn "
                            + "later", topic.name(), read);
                    return null;
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    read++;
                    if (r.key() == null || !r.key().startsWith(prefix)) {
                        continue;
                    }
                    if (r.value() == null) {
                        found.remove(r.key());
                        continue;
                    }
                    ExportedInstance e;
                    try {
                        e = topic.valueSerde().deserializer().deserialize(r.topic(), r.value());
                    } catch (RuntimeException ex) {
                        log.warn("{}-{}@{} unreadable, skipped: {}", r.topic(), r.partition(), r.offset(), ex.toString());
                        continue;
                    }
                    if (sourceSeries.contains(e.getSourceSeriesUid().toString())) {
                        found.put(r.key(), e);
                    } else {
                        found.remove(r.key()); // a key's latest entry decides
                    }
                }
            }
        } catch (org.apache.kafka.common.KafkaException e) {
            log.warn("{} cannot be read ({}): what was made of withdrawn series is withdrawn later", topic.name(),
                    e.toString());
            return null;
        }
        return new ArrayList<>(found.values());
    }
}
