package org.radstream.schemas;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serde for generated Avro records in the Confluent wire format: magic byte 0, the schema's
 * 4-byte big-endian registry id, then Avro binary. A stock Confluent consumer reads what this
 * writes. Subjects follow the topic-name strategy ({@code <topic>-value} or {@code <topic>-key}).
 *
 * <p>Reading resolves the writer's schema (looked up by id, cached) against the generated
 * class's schema, so records written with an older compatible schema still decode. Bad bytes
 * never decode to something plausible: a wrong magic byte, an unknown schema id, truncated or
 * trailing bytes each fail with a {@link SerializationException} that names the topic and the
 * cause; {@link #decode(String, int, long, byte[])} adds partition and offset for callers that
 * hold them (the consumer wraps this exception in a {@code RecordDeserializationException} that
 * carries them).
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T> {
    /** First byte of every Confluent wire-format record. */
    public static final byte MAGIC_BYTE = 0;
    /** Magic byte plus the 4-byte schema id. */
    public static final int HEADER_BYTES = 5;

    private final SchemaRegistryClient registry;
    private final Class<T> type;
    private final Schema readerSchema;
    private final boolean isKey;
    private final SpecificDatumWriter<T> writer;
    private final Map<String, Integer> idByTopic = new ConcurrentHashMap<>();
    private final Map<Integer, SpecificDatumReader<T>> readers = new ConcurrentHashMap<>();
    /**
     * Encoding buffer kept per thread: a slice record is half a megabyte, and growing a fresh
     * buffer to that size for every record copied it several times over.
     */
    private static final ThreadLocal<ReusableBuffer> BUFFER = ThreadLocal.withInitial(ReusableBuffer::new);
    /** Larger buffers are not kept between records. */
    private static final int MAX_KEPT_BUFFER_BYTES = 8 << 20;

    public AvroSerde(SchemaRegistryClient registry, Class<T> type, boolean isKey) {
        this.registry = registry;
        this.type = type;
        this.readerSchema = SpecificData.get().getSchema(type);
        this.isKey = isKey;
        this.writer = new SpecificDatumWriter<>(readerSchema);
    }

    /** The schema of the generated class this serde writes. */
    public Schema schema() {
        return readerSchema;
    }

    /** Wire-format bytes of {@code value} for {@code topic}, registering the schema on first use. */
    public byte[] encode(String topic, T value) {
        if (value == null) {
            return null;
        }
        int id = idByTopic.computeIfAbsent(topic, t -> registry.register(subject(t), readerSchema));
        ReusableBuffer out = BUFFER.get();
        out.reset();
        out.write(MAGIC_BYTE);
        out.write(id >>> 24);
        out.write(id >>> 16);
        out.write(id >>> 8);
        out.write(id);
        try {
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
            writer.write(value, encoder);
            encoder.flush();
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("Cannot serialize " + type.getSimpleName() + " for topic "
                    + topic + ": " + e.getMessage(), e);
        } finally {
            if (out.capacity() > MAX_KEPT_BUFFER_BYTES) {
                BUFFER.remove();
            }
        }
        return out.toByteArray();
    }

    /** A byte stream whose capacity survives {@link #reset()}. */
    private static final class ReusableBuffer extends ByteArrayOutputStream {
        ReusableBuffer() {
            super(4096);
        }

        int capacity() {
            return buf.length;
        }
    }

    /** Decodes wire-format bytes read from {@code topic}; null bytes (a tombstone) decode to null. */
    public T decode(String topic, byte[] data) {
        return decode(data, "topic " + topic);
    }

    /** Decodes bytes read at {@code topic}-{@code partition}@{@code offset}, naming all three on failure. */
    public T decode(String topic, int partition, long offset, byte[] data) {
        return decode(data, "topic " + topic + " partition " + partition + " offset " + offset);
    }

    private T decode(byte[] data, String where) {
        if (data == null) {
            return null;
        }
        if (data.length < HEADER_BYTES) {
            throw new SerializationException("Cannot deserialize " + type.getSimpleName() + " at " + where
                    + ": " + data.length + " bytes is shorter than the 5-byte Confluent wire-format header");
        }
        if (data[0] != MAGIC_BYTE) {
            throw new SerializationException(String.format(
                    "Cannot deserialize %s at %s: unknown magic byte 0x%02x (expected 0x00, Confluent wire format)",
                    type.getSimpleName(), where, data[0] & 0xff));
        }
        int id = ByteBuffer.wrap(data, 1, 4).getInt();
        SpecificDatumReader<T> reader;
        try {
            reader = readers.computeIfAbsent(id, i -> new SpecificDatumReader<>(registry.schemaById(i), readerSchema));
        } catch (SchemaRegistryException e) {
            throw new SerializationException("Cannot deserialize " + type.getSimpleName() + " at " + where
                    + ": schema id " + id + " unknown to the registry (" + e.getMessage() + ")", e);
        }
        try {
            BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, HEADER_BYTES, data.length - HEADER_BYTES, null);
            T value = reader.read(null, decoder);
            if (!decoder.isEnd()) {
                throw new SerializationException("Cannot deserialize " + type.getSimpleName() + " at " + where
                        + ": trailing bytes after the record (schema id " + id + ")");
            }
            return value;
        } catch (IOException | RuntimeException e) {
            if (e instanceof SerializationException se) {
                throw se;
            }
            throw new SerializationException("Cannot deserialize " + type.getSimpleName() + " at " + where
                    + ": corrupt or truncated Avro body for schema id " + id + " (" + e + ")", e);
        }
    }

    private String subject(String topic) {
        return isKey ? SchemaRegistryClient.keySubject(topic) : SchemaRegistryClient.valueSubject(topic);
    }

    @Override
    public Serializer<T> serializer() {
        return this::encode;
    }

    @Override
    public Deserializer<T> deserializer() {
        return this::decode;
    }
}
