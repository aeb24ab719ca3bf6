package org.radstream.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.RandomData;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.radstream.schemas.AvroSerde;
import org.radstream.schemas.Topic;

/**
 * Every record type of the catalogue travels through a real topic with our serdes and comes
 * back equal; bad bytes fail with an error that says what is wrong.
 */
@ExtendWith(PlatformExtension.class)
class RecordsRoundTripIT {

    @Test
    void everyRecordTypeRoundTripsThroughItsTopic(Platform platform) throws Exception {
        for (Topic<?, ?> topic : platform.topics().all()) {
            roundTrip(platform, topic);
        }
    }

    @Test
    void corruptedRecordsFailWithAClearError(Platform platform) throws Exception {
        var deserializer = platform.topics().alerts().valueSerde().deserializer();
        String topic = platform.topics().alerts().name();
        assertThatThrownBy(() -> deserializer.deserialize(topic, new byte[] {1, 0, 0, 0, 1, 2}))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("unknown magic byte 0x01").hasMessageContaining(topic);
        assertThatThrownBy(() -> deserializer.deserialize(topic, new byte[] {0, 0, 0}))
                .isInstanceOf(SerializationException.class).hasMessageContaining("shorter than the 5-byte");
        assertThatThrownBy(() -> deserializer.deserialize(topic, new byte[] {0, 0, 1, (byte) 0x86, (byte) 0x9f, 2}))
                .isInstanceOf(SerializationException.class).hasMessageContaining("schema id 99999 unknown to the registry");
        byte[] good = serialized(platform);
        byte[] truncated = java.util.Arrays.copyOf(good, good.length - 3);
        assertThatThrownBy(() -> deserializer.deserialize(topic, truncated))
                .isInstanceOf(SerializationException.class).hasMessageContaining("Cannot deserialize ProgressionAlert");
        byte[] trailing = java.util.Arrays.copyOf(good, good.length + 2);
        assertThatThrownBy(() -> deserializer.deserialize(topic, trailing))
                .isInstanceOf(SerializationException.class).hasMessageContaining("trailing bytes");
    }

    private static byte[] serialized(Platform platform) throws Exception {
        var t = platform.topics().alerts();
        return t.valueSerde().serializer().serialize(t.name(), randomRecords(t, 1, 5).get(0));
    }

    private static <K, V> void roundTrip(Platform platform, Topic<K, V> topic) throws Exception {
        List<V> sent = randomRecords(topic, 3, topic.name().hashCode());
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, platform.bootstrap());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, V> producer = new KafkaProducer<>(p, new org.apache.kafka.common.serialization.StringSerializer(),
                topic.valueSerde().serializer())) {
            for (V v : sent) {
                producer.send(new ProducerRecord<>(topic.name(), "round-trip", v)).get();
            }
        }
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, platform.bootstrap());
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "round-trip-" + topic.name());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<V> received = new ArrayList<>();
        try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(c, new org.apache.kafka.common.serialization.StringDeserializer(),
                topic.valueSerde().deserializer())) {
            consumer.subscribe(List.of(topic.name()));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (received.size() < sent.size() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if ("round-trip".equals(r.key())) {
                        received.add(r.value());
                    }
                });
            }
        }
        assertThat(received).as(topic.name()).containsExactlyElementsOf(sent);
    }

    /** Random records of the topic's value type: generic random data re-read as the generated class. */
    @SuppressWarnings("unchecked")
    private static <V> List<V> randomRecords(Topic<?, V> topic, int count, long seed) throws Exception {
        Schema schema = ((AvroSerde<?>) topic.valueSerde()).schema();
        List<V> out = new ArrayList<>();
        for (Object generic : new RandomData(schema, count, seed)) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(bytes, null);
            new GenericDatumWriter<Object>(schema).write(generic, encoder);
            encoder.flush();
            SpecificDatumReader<SpecificRecord> reader = new SpecificDatumReader<>(schema);
            out.add((V) reader.read(null, DecoderFactory.get().binaryDecoder(bytes.toByteArray(), null)));
        }
        return out;
    }
}
