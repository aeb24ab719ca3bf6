package org.radstream.streams;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.api.Record;
import org.radstream.avro.DeadLetter;
import org.radstream.schemas.Topic;
import org.radstream.schemas.Topics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exception handlers that turn a record the topologies cannot use into a {@link DeadLetter} on
 * {@code radstream.streams.dead-letters} (topic, partition, offset, key, the reason and the raw
 * value bytes, so it can be fixed and replayed) and let processing go on. They use the dead-letter
 * records of Kafka Streams' handler responses (KIP-1034), so the dead letter is produced in the
 * same transaction as the task's output and offsets under exactly-once.
 *
 * <p>Classification: undecodable values and {@link InvalidInputException}s are input problems:
 * dead-lettered, processing resumes. Any other exception thrown by a processor is a bug or an
 * unknown condition; it is dead-lettered too (one bad record must not halt the clinical feed),
 * logged at ERROR with its stack trace. Exceptions meaning this instance cannot go on (a
 * {@link StreamsException} from state or task management, fencing, authorization, and
 * {@link Error}s) fail the thread, so Kafka Streams' own recovery takes over.
 *
 * <p>Both handlers need the topic catalogue for the dead-letter serde: put it into the streams
 * configuration under {@link #TOPICS_CONFIG} (an object value; {@code StreamsApp} does).
 */
public final class DeadLetterHandlers {
    /** Configuration key whose value is the {@link Topics} catalogue instance. */
    public static final String TOPICS_CONFIG = "radstream.topics";

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterHandlers.class);

    private DeadLetterHandlers() {}

    /** Undecodable records (wrong magic byte, unknown schema, truncated Avro) → dead letter, continue. */
    public static final class Deserialization implements DeserializationExceptionHandler {
        private Topic<String, DeadLetter> deadLetters;

        @Override
        public void configure(Map<String, ?> configs) {
            deadLetters = topic(configs);
        }

        @Override
        public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception e) {
            String reason = "undecodable record: " + describe(e);
            LOG.warn("Dead-lettering undecodable record {}-{}@{}: {}", record.topic(), record.partition(),
                    record.offset(), reason);
            return Response.resume(List.of(deadLetter(deadLetters, "deserialization", record.topic(),
                    record.partition(), record.offset(), record.key(), record.value(), reason)));
        }
    }

    /** Processor exceptions: input problems and unknown bugs → dead letter, continue; fatal ones fail. */
    public static final class Processing implements ProcessingExceptionHandler {
        private Topic<String, DeadLetter> deadLetters;

        @Override
        public void configure(Map<String, ?> configs) {
            deadLetters = topic(configs);
        }

        @Override
        public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception e) {
            if (isFatal(e)) {
                LOG.error("Fatal error in processor {} at {}-{}@{}; failing the stream thread",
                        context.processorNodeId(), context.topic(), context.partition(), context.offset(), e);
                return Response.fail();
            }
            String reason = describe(e);
            if (e instanceof InvalidInputException) {
                LOG.warn("Dead-lettering record {}-{}@{} (processor {}): {}", context.topic(), context.partition(),
                        context.offset(), context.processorNodeId(), reason);
            } else {
                LOG.error("Unexpected error in processor {} at {}-{}@{}; record dead-lettered, processing goes on",
                        context.processorNodeId(), context.topic(), context.partition(), context.offset(), e);
            }
            return Response.resume(List.of(deadLetter(deadLetters, context.processorNodeId(), context.topic(),
                    context.partition(), context.offset(), context.sourceRawKey(), context.sourceRawValue(), reason)));
        }

        static boolean isFatal(Throwable e) {
            return e instanceof StreamsException || e instanceof ProducerFencedException
                    || e instanceof AuthorizationException;
        }
    }

    static String describe(Throwable e) {
        if (e instanceof InvalidInputException) {
            return e.getMessage();
        }
        StringBuilder b = new StringBuilder(e.getClass().getSimpleName()).append(": ").append(e.getMessage());
        Throwable cause = e.getCause();
        while (cause != null && cause != e) {
            b.append(" (caused by ").append(cause.getClass().getSimpleName()).append(": ").append(cause.getMessage()).append(')');
            e = cause;
            cause = cause.getCause();
        }
        return b.toString();
    }

    private static ProducerRecord<byte[], byte[]> deadLetter(Topic<String, DeadLetter> topic, String component,
                                                            String sourceTopic, int partition, long offset,
                                                            byte[] rawKey, byte[] rawValue, String reason) {
        String key = rawKey == null ? null : new String(rawKey, StandardCharsets.UTF_8);
        DeadLetter letter = DeadLetter.newBuilder()
                .setComponent("stream-processors/" + component)
                .setSourceTopic(sourceTopic)
                .setPartition(partition)
                .setOffset(offset)
                .setKey(key)
                .setReason(reason)
                .setAttempts(1)
                .setFailedAt(Instant.now())
                .setValue(rawValue == null ? null : java.nio.ByteBuffer.wrap(rawValue))
                .build();
        byte[] value = topic.valueSerde().serializer().serialize(topic.name(), letter);
        return new ProducerRecord<>(topic.name(), rawKey, value);
    }

    private static Topic<String, DeadLetter> topic(Map<String, ?> configs) {
        Object topics = configs.get(TOPICS_CONFIG);
        if (!(topics instanceof Topics t)) {
            throw new IllegalStateException("streams config " + TOPICS_CONFIG + " must hold the Topics catalogue, got "
                    + (topics == null ? "nothing" : topics.getClass().getName()));
        }
        return t.streamsDeadLetters();
    }
}
