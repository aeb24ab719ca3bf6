package org.radstream.ingest;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.radstream.avro.DicomSliceEvent;
import org.radstream.avro.ReceivedSegmentation;
import org.radstream.avro.RejectedInstance;
import org.radstream.avro.RejectionNote;
import org.radstream.schemas.Topic;
import org.radstream.schemas.Topics;

/**
 * The one idempotent producer of the ingest: acks=all, lz4, 2 MiB requests (a 512² slice is
 * 512 KiB), and bounded waits ({@code max.block.ms}, {@code delivery.timeout.ms}) so an unreachable
 * Kafka turns into a failure status within seconds instead of a sender blocked for minutes.
 * Records of one series share the key, so the producer keeps their order on one partition.
 */
final class KafkaPublisher implements Publisher {
    private final KafkaProducer<byte[], byte[]> producer;
    private final Topic<String, DicomSliceEvent> slices;
    private final Topic<String, RejectedInstance> rejected;
    private final Topic<String, ReceivedSegmentation> segmentations;
    private final Topic<String, RejectionNote> rejectionNotes;
    private final Duration publishTimeout;

    KafkaPublisher(IngestSettings settings, Topics topics) {
        this.slices = topics.slices();
        this.rejected = topics.rejected();
        this.segmentations = topics.segmentations();
        this.rejectionNotes = topics.rejectionNotes();
        this.publishTimeout = settings.publishTimeout();
        Map<String, Object> c = new HashMap<>();
        c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrap());
        settings.kafkaClient().addTo(c);
        c.put(ProducerConfig.CLIENT_ID_CONFIG, "radstream-ingest-" + settings.aeTitle());
        c.put(ProducerConfig.ACKS_CONFIG, "all");
        c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        c.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        c.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.PIXEL_MAX_MESSAGE_BYTES);
        c.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        // a 512² slice in one socket write, and in a pooled batch buffer instead of a fresh allocation each time
        c.put(ProducerConfig.SEND_BUFFER_CONFIG, 1 << 20);
        c.put(ProducerConfig.BATCH_SIZE_CONFIG, 1 << 20);
        int deliveryMs = (int) settings.deliveryTimeout().toMillis();
        c.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, deliveryMs);
        c.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, deliveryMs);
        c.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) settings.maxBlock().toMillis());
        c.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000);
        this.producer = new KafkaProducer<>(c, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /**
     * Kafka refusing this service's credentials (TLS or SASL, {@code --kafka-config}): the producer
     * failed to authenticate over the last sample window and never succeeded in it. The producer
     * keeps reconnecting while idle, so this shows before any instance is sent.
     */
    @Override
    public java.util.Optional<String> problem() {
        double failed = rate("failed-authentication-rate");
        double succeeded = rate("successful-authentication-rate");
        return failed > 0 && succeeded == 0
                ? java.util.Optional.of("Kafka refuses this service's credentials: authentication failing (check "
                        + "--kafka-config / RADSTREAM_KAFKA_CONFIG)")
                : java.util.Optional.empty();
    }

    private double rate(String name) {
        for (var e : producer.metrics().entrySet()) {
            if (e.getKey().name().equals(name) && e.getKey().group().equals("producer-metrics")
                    && e.getValue().metricValue() instanceof Double d) {
                return d.isNaN() ? 0 : d;
            }
        }
        return 0;
    }

    @Override
    public void publishSlice(DicomSliceEvent event) throws PublishException, InterruptedException {
        send(slices, event.getSeriesUid(), event);
    }

    @Override
    public void publishSegmentation(ReceivedSegmentation value) throws PublishException, InterruptedException {
        send(segmentations, value.getReferencedSeriesUid(), value);
    }

    @Override
    public void publishRejectionNote(RejectionNote value) throws PublishException, InterruptedException {
        send(rejectionNotes, value.getPatientId(), value);
    }

    @Override
    public void publishRejected(RejectedInstance value) throws PublishException, InterruptedException {
        String key = value.getSopInstanceUid() != null ? value.getSopInstanceUid() : "unidentified";
        send(rejected, key, value);
    }

    private <V> void send(Topic<String, V> topic, String key, V value) throws PublishException, InterruptedException {
        Future<RecordMetadata> ack;
        try {
            byte[] k = topic.keySerde().serializer().serialize(topic.name(), key);
            byte[] v = topic.valueSerde().serializer().serialize(topic.name(), value);
            ack = producer.send(new ProducerRecord<>(topic.name(), k, v));
        } catch (KafkaException | IllegalStateException e) {
            // serialization (schema registry unreachable), metadata wait beyond max.block.ms, closed producer
            throw new PublishException("cannot send to " + topic.name() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new PublishException("cannot send to " + topic.name() + ": " + e, e);
        }
        try {
            ack.get(publishTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new PublishException("not acknowledged by " + topic.name() + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new PublishException("no acknowledgement from " + topic.name() + " within " + publishTimeout, e);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
