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

/**
 * The trainer's image archive on the embedded broker: a series half read before a restart is
 * archived whole after it; an unlabelled series is removed after the retention, or at once when it
 * takes the archive over its size cap; a series the PACS withdrew leaves it at once. (That labelled
 * series stay is ArchiveRetentionTest's: the label topic is shared with the JVM's other tests, so
 * these send no label.)
 */
class ArchiveIT {
    @TempDir
    Path dir;

    private TestBroker broker;
    private Topic<String, TaskSliceEvent> chest;
    private KafkaProducer<String, byte[]> producer;

    @Test
    void aSeriesHalfReadBeforeARestartIsArchivedWhole() throws Exception {
        TrainerSettings settings = settings("archive-restart-it");
        List<TaskSliceEvent> events = Fixtures.series("8.1", "chest", 32, 6); // 6 slices, then the marker
        try (KafkaProducer<String, byte[]> ignored = producer()) {
            try (TrainerService first = TrainerService.start(settings, broker.topics)) {
                send("8.1", events.subList(0, 3));
                // the first trainer reads (and, before offsets followed open series, committed) the first half, then stops
                Thread.sleep(3000);
                assertThat(first.archive().contains("8.1")).isFalse();
            }
            try (TrainerService second = TrainerService.start(settings, broker.topics)) {
                send("8.1", events.subList(3, events.size()));
                TrainerIT.waitFor(() -> second.archive().contains("8.1"), Duration.ofSeconds(30));
                assertThat(second.archive().read("8.1").orElseThrow().depth()).isEqualTo(6);
            }
        }
    }

    @Test
    void anUnlabelledSeriesIsRemovedFromTheArchiveAfterTheRetention() throws Exception {
        TrainerSettings settings = settings("archive-retention-it").withHttpPort(0).withArchiveRetention(Duration.ofSeconds(3));
        try (KafkaProducer<String, byte[]> ignored = producer();
                TrainerService service = TrainerService.start(settings, broker.topics)) {
            send("7.1", Fixtures.series("7.1", "chest", 32, 4));
            TrainerIT.waitFor(() -> service.archive().contains("7.1"), Duration.ofSeconds(30));
            assertThat(service.metricsText()).containsPattern("radstream_trainer_archive_series [1-9]");

            TrainerIT.waitFor(() -> !service.archive().contains("7.1"), Duration.ofSeconds(30));
            assertThat(service.metricsText()).containsPattern("radstream_trainer_archive_removed_total [1-9]");
        }
    }

    @Test
    void anArchiveOverItsSizeCapIsSweptAtOnceNotAtTheNextHourlySweep() throws Exception {
        TrainerSettings settings = settings("archive-cap-it").withHttpPort(0).withArchiveRetention(Duration.ZERO)
                .withArchiveMaxBytes(1);
        try (KafkaProducer<String, byte[]> ignored = producer();
                TrainerService service = TrainerService.start(settings, broker.topics)) {
            assertThat(service.metricsText()).contains("radstream_trainer_archive_max_bytes 1\n");
            // the first sweep, once the label store is read, empties the archive of what the group found on the topic
            TrainerIT.waitFor(() -> service.labelsRead() && isEmpty(service.archive()), Duration.ofSeconds(30));
            long stored = metric(service, "radstream_trainer_archive_stored_total");
            long removed = metric(service, "radstream_trainer_archive_removed_total");

            send("7.5", Fixtures.series("7.5", "chest", 32, 4));
            // archived, then removed by a sweep its size brought forward (the next regular one is an hour later)
            TrainerIT.waitFor(() -> metric(service, "radstream_trainer_archive_stored_total") > stored,
                    Duration.ofSeconds(30));
            TrainerIT.waitFor(() -> metric(service, "radstream_trainer_archive_removed_total") - removed
                    >= metric(service, "radstream_trainer_archive_stored_total") - stored, Duration.ofSeconds(30));
            assertThat(service.archive().contains("7.5")).isFalse();
            assertThat(service.archive().entries()).isEmpty();
        }
    }

    @Test
    void aSeriesThePacsWithdrewLeavesTheArchiveAndIsNotArchivedAgain() throws Exception {
        // no label (LabelIntakeTest refuses those of a withdrawn series): the label topic is shared with the JVM's other
        // tests, whose trainers would read it; the note names a series of this test alone
        String series = "8.9." + System.nanoTime();
        TrainerSettings settings = settings("archive-withdrawn-it").withHttpPort(0);
        try (KafkaProducer<String, byte[]> ignored = producer();
                TrainerService service = TrainerService.start(settings, broker.topics)) {
            send(series, Fixtures.series(series, "chest", 32, 4));
            TrainerIT.waitFor(() -> service.archive().contains(series), Duration.ofSeconds(30));

            org.radstream.avro.RejectionNote note = org.radstream.avro.RejectionNote.newBuilder().setSopInstanceUid("2.25.77")
                    .setPatientId("P-archive").setReasonCode("113039").setReasonMeaning("Data Retention Policy Expired")
                    .setSeries(List.of(org.radstream.avro.RejectedSeries.newBuilder().setStudyUid("1.2")
                            .setSeriesUid(series).setSopInstanceUids(List.of()).build()))
                    .setCallingAe("PACS").setReceivedVia("c-store").setReceivedAt(java.time.Instant.now()).build();
            Topic<String, org.radstream.avro.RejectionNote> notes = broker.topics.rejectionNotes();
            // a note that cannot be read first: it withdraws nothing, and the reading goes on
            producer.send(new ProducerRecord<>(notes.name(), "P-archive", new byte[] {0, 0, 0, 0, 7, 1}))
                    .get(30, TimeUnit.SECONDS);
            producer.send(new ProducerRecord<>(notes.name(), "P-archive", notes.valueSerde().serializer()
                    .serialize(notes.name(), note))).get(30, TimeUnit.SECONDS);

            TrainerIT.waitFor(() -> !service.archive().contains(series), Duration.ofSeconds(30));
            assertThat(metric(service, "radstream_trainer_series_withdrawn_total")).isEqualTo(1);

            // the series sent again (a replay of the task topic) is not archived again
            long stored = metric(service, "radstream_trainer_archive_stored_total");
            send(series, Fixtures.series(series, "chest", 32, 4));
            Thread.sleep(3000);
            assertThat(service.archive().contains(series)).isFalse();
            assertThat(metric(service, "radstream_trainer_archive_stored_total")).isEqualTo(stored);
        }
    }

    private static boolean isEmpty(ImageArchive archive) {
        try {
            return archive.entries().isEmpty();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static long metric(TrainerService service, String name) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^" + name + " (\\d+)$").matcher(service.metricsText());
        if (!m.find()) {
            throw new AssertionError(name + " not in /metrics");
        }
        return Long.parseLong(m.group(1));
    }

    private TrainerSettings settings(String group) throws Exception {
        broker = TestBroker.get();
        chest = broker.topics.tasksChest();
        return TrainerSettings.defaults(broker.bootstrap, dir.resolve("work"), dir.resolve("store"),
                "integration-test-secret-0123456789").withHttpPort(-1).withGroupId(group);
    }

    private KafkaProducer<String, byte[]> producer() {
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap,
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new ByteArraySerializer());
        return producer;
    }

    private void send(String uid, List<TaskSliceEvent> events) throws Exception {
        for (TaskSliceEvent e : events) {
            producer.send(new ProducerRecord<>(chest.name(), uid, chest.valueSerde().serializer().serialize(chest.name(), e)))
                    .get(30, TimeUnit.SECONDS);
        }
    }
}
