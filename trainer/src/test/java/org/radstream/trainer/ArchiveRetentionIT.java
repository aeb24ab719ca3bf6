package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.avro.TaskSliceEvent;
import org.radstream.schemas.Topic;

/**
 * The running trainer removes an archived series no label names once it is older than the
 * retention, and says so in /metrics. (That labelled series stay is ArchiveRetentionTest's: the
 * label topic is shared with the JVM's other tests, so this one sends no label.)
 */
class ArchiveRetentionIT {
    @TempDir
    Path dir;

    @Test
    void anUnlabelledSeriesIsRemovedFromTheArchiveAfterTheRetention() throws Exception {
        TestBroker broker = TestBroker.get();
        TrainerSettings settings = TrainerSettings.defaults(broker.bootstrap, dir.resolve("work"), dir.resolve("store"),
                        "integration-test-secret-0123456789")
                .withHttpPort(0).withGroupId("archive-retention-it").withArchiveRetention(Duration.ofSeconds(3));
        Topic<String, TaskSliceEvent> chest = broker.topics.tasksChest();
        Map<String, Object> p = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap, ProducerConfig.ACKS_CONFIG, "all");
        try (TrainerService service = TrainerService.start(settings, broker.topics);
                KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            for (TaskSliceEvent e : Fixtures.series("7.1", "chest", 32, 4)) {
                producer.send(new ProducerRecord<>(chest.name(), "7.1", chest.valueSerde().serializer().serialize(chest.name(), e)))
                        .get(30, TimeUnit.SECONDS);
            }
            TrainerIT.waitFor(() -> service.archive().contains("7.1"), Duration.ofSeconds(30));
            assertThat(service.metricsText()).containsPattern("radstream_trainer_archive_series [1-9]");

            TrainerIT.waitFor(() -> !service.archive().contains("7.1"), Duration.ofSeconds(30));
            assertThat(service.metricsText()).containsPattern("radstream_trainer_archive_removed_total [1-9]");
        }
    }
}
