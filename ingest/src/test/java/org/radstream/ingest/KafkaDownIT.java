package org.radstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.avro.DicomSlice;
import org.radstream.avro.DicomSliceEvent;
import org.radstream.avro.SeriesComplete;

/** Its own broker, stopped and restarted: the shared one stays up for the other tests. */
class KafkaDownIT {
    @TempDir
    Path dir;

    @Test
    void withTheBrokerStoppedCStoreAnswersFailureAndTheResendAfterRestartIsStoredOnce() throws Exception {
        try (TestKafka kafka = TestKafka.create();
             IngestService service = IngestService.start(kafka.settings(), kafka.topics)) {
            TestDicom.Series s = TestDicom.series(dir.resolve("s"), 3, 64, 31);
            // the first slice goes through while Kafka is up; sent again below, it is a duplicate answered Success
            assertThat(Dcmtk.storescu("MODALITY1", "RADSTREAM", service.dicomPort(), s.files().subList(0, 1)).exitCode()).isZero();

            kafka.stop();
            long start = System.nanoTime();
            Dcmtk.Result down = Dcmtk.storescu("MODALITY1", "RADSTREAM", service.dicomPort(), s.files(), "--no-halt");
            assertThat(Dcmtk.storeResponses(down.output())).as(down.output())
                    .containsExactly("(Success)", "(Refused: OutOfResources)", "(Refused: OutOfResources)");
            // bounded: each failure within delivery timeout + max block, not Kafka's default two minutes
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
            assertThat(service.metrics().render()).contains("radstream_ingest_instances_failed_total{calling_ae=\"MODALITY1\"} 2");

            kafka.start();
            try (KafkaConsumer<String, DicomSliceEvent> slices = kafka.consumerAtEnd(kafka.topics.slices())) {
                slices.seekToBeginning(slices.assignment());
                Dcmtk.Result resend = Dcmtk.storescu("MODALITY1", "RADSTREAM", service.dicomPort(), s.files());
                assertThat(Dcmtk.storeResponses(resend.output())).as(resend.output())
                        .containsExactly("(Success)", "(Success)", "(Success)");
                List<DicomSliceEvent> events = TestKafka.poll(slices, Duration.ofSeconds(30),
                                l -> l.stream().anyMatch(r -> r.value().getBody() instanceof SeriesComplete m
                                        && m.getInstanceCount() == 3))
                        .stream().filter(r -> r.key().equals(s.seriesUid())).map(ConsumerRecord::value).toList();
                List<String> sops = events.stream().filter(e -> e.getBody() instanceof DicomSlice)
                        .map(e -> ((DicomSlice) e.getBody()).getSopInstanceUid()).toList();
                assertThat(sops).containsExactly(TestDicom.sopUid(s.files().get(0)), TestDicom.sopUid(s.files().get(1)),
                        TestDicom.sopUid(s.files().get(2)));
                // the first slice stood alone for longer than the 1 s stability time while the broker was down,
                // so it may have had a marker of its own; the series reopened and its last marker counts all three
                assertThat(events.get(events.size() - 1).getBody()).isInstanceOfSatisfying(SeriesComplete.class,
                        m -> assertThat(m.getInstanceCount()).isEqualTo(3));
            }
        }
    }

    @Test
    void aKafkaThatRefusesTheCredentialsIsHealthDownWithTheReasonBeforeAnyInstanceArrives() throws Exception {
        TestKafka kafka = TestKafka.shared();
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        try (IngestService refused = IngestService.start(kafka.saslSettings(org.radstream.platform.EmbeddedKafka.saslClient(
                TestKafka.SASL_USER, "not-" + TestKafka.SASL_PASSWORD)), kafka.topics);
             IngestService admitted = IngestService.start(kafka.saslSettings(TestKafka.saslClient()), kafka.topics)) {
            java.net.URI refusedHealth = java.net.URI.create("http://localhost:" + refused.httpPort() + "/health");
            java.net.http.HttpResponse<String> r = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline && (r == null || r.statusCode() != 503)) {
                Thread.sleep(200);
                r = http.send(java.net.http.HttpRequest.newBuilder(refusedHealth).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
            }
            assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
            assertThat(r.body()).isEqualTo("{\"status\":\"DOWN\",\"reason\":\"Kafka refuses this service's credentials: "
                    + "authentication failing (check --kafka-config / RADSTREAM_KAFKA_CONFIG)\"}");
            // the same service with the right password stays up, and stores an instance
            TestDicom.Series s = TestDicom.series(dir.resolve("admitted"), 1, 64, 37);
            assertThat(Dcmtk.storescu("MODALITY1", "RADSTREAM", admitted.dicomPort(), s.files()).exitCode()).isZero();
            java.net.http.HttpResponse<String> ok = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                    "http://localhost:" + admitted.httpPort() + "/health")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        }
    }
}
