package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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

/** A trainer stopped in the middle of a series archives the whole series after its restart. */
class ArchiveRestartIT {
    @TempDir
    Path dir;

    @Test
    void aSeriesHalfReadBeforeARestartIsArchivedWhole() throws Exception {
        TestBroker broker = TestBroker.get();
        TrainerSettings settings = TrainerSettings.defaults(broker.bootstrap, dir.resolve("work"), dir.resolve("store"),
                "integration-test-secret-0123456789").withHttpPort(-1).withGroupId("archive-restart-it");
        Topic<String, TaskSliceEvent> chest = broker.topics.tasksChest();
        List<TaskSliceEvent> events = Fixtures.series("8.1", "chest", 32, 6); // 6 slices, then the marker
        Map<String, Object> p = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap, ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            try (TrainerService first = TrainerService.start(settings, broker.topics)) {
                for (TaskSliceEvent e : events.subList(0, 3)) {
                    send(producer, chest, e);
                }
                // the first trainer reads (and, before this fix, committed) the first half, then stops
                Thread.sleep(3000);
                assertThat(first.archive().contains("8.1")).isFalse();
            }
            try (TrainerService second = TrainerService.start(settings, broker.topics)) {
                for (TaskSliceEvent e : events.subList(3, events.size())) {
                    send(producer, chest, e);
                }
                TrainerIT.waitFor(() -> second.archive().contains("8.1"), Duration.ofSeconds(30));
                assertThat(second.archive().read("8.1").orElseThrow().depth()).isEqualTo(6);
            }
        }
    }

    private static void send(KafkaProducer<String, byte[]> producer, Topic<String, TaskSliceEvent> t, TaskSliceEvent e)
            throws Exception {
        producer.send(new ProducerRecord<>(t.name(), "8.1", t.valueSerde().serializer().serialize(t.name(), e)))
                .get(30, TimeUnit.SECONDS);
    }
}
