package org.radstream.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.radstream.avro.DeadLetter;
import org.radstream.schemas.Topic;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * Our serdes against the real {@code apache/kafka} image (the compose deployment's broker).
 * Runs where a Docker engine exists; skipped with the reason where not (these build machines
 * have none).
 */
@ExtendWith(PlatformExtension.class)
class ApacheKafkaContainerIT {

    @Test
    void aRecordWrittenWithOurSerdesReadsBackFromTheApacheKafkaImage(Platform platform) throws Exception {
        assumeTrue(DockerClientFactory.instance().isDockerAvailable(),
                "no Docker engine on this machine: the apache/kafka Testcontainers test is skipped");
        Topic<String, DeadLetter> topic = platform.topics().alertsUndelivered();
        DeadLetter sent = DeadLetter.newBuilder().setComponent("container-it").setReason("probe")
                .setFailedAt(java.time.Instant.ofEpochMilli(1_700_000_000_000L)).build();
        try (KafkaContainer kafka = new KafkaContainer("apache/kafka:4.1.0")) {
            kafka.start();
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.getBootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic(topic.name(), 1, (short) 1))).all().get();
            }
            Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.getBootstrapServers());
            try (KafkaProducer<String, DeadLetter> producer = new KafkaProducer<>(p, new StringSerializer(),
                    topic.valueSerde().serializer())) {
                producer.send(new ProducerRecord<>(topic.name(), "k", sent)).get();
            }
            Properties c = new Properties();
            c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.getBootstrapServers());
            c.put(ConsumerConfig.GROUP_ID_CONFIG, "container-it");
            c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            try (KafkaConsumer<String, DeadLetter> consumer = new KafkaConsumer<>(c, new StringDeserializer(),
                    topic.valueSerde().deserializer())) {
                consumer.subscribe(List.of(topic.name()));
                DeadLetter got = null;
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (got == null && System.nanoTime() < deadline) {
                    for (var r : consumer.poll(Duration.ofMillis(500))) {
                        got = r.value();
                    }
                }
                assertThat(got).isEqualTo(sent);
            }
        }
    }
}
