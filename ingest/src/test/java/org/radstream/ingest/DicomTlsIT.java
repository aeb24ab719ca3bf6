package org.radstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.avro.DicomSlice;
import org.radstream.avro.DicomSliceEvent;
import org.radstream.avro.SeriesComplete;
import org.radstream.schemas.ServerTls;
import org.radstream.schemas.TestCertificates;

/**
 * dcmtk's storescu and echoscu over DICOM TLS (PS3.15 Annex B, dcmtk's default BCP 195 profile)
 * to an ingest whose only DICOM port is TLS and which requires a trusted client certificate.
 */
class DicomTlsIT {
    private static final String PASSWORD = "tls-test-password";
    @TempDir
    static Path dir;
    static TestKafka kafka;
    static IngestService service;
    static Path serverCertificate;
    static String[] modality;
    static String[] stranger;

    @BeforeAll
    static void start() throws Exception {
        Path serverKeys = TestCertificates.keyStore(dir, "ingest", "localhost", PASSWORD);
        Path modalityKeys = TestCertificates.keyStore(dir, "ct1", "CT1 scanner", PASSWORD);
        Path strangerKeys = TestCertificates.keyStore(dir, "stranger", "not trusted", PASSWORD);
        Path trusted = TestCertificates.trustStore(dir, "modalities", PASSWORD, modalityKeys);
        serverCertificate = TestCertificates.certificatePem(serverKeys, PASSWORD, dir.resolve("ingest.crt"));
        modality = pem(modalityKeys, "ct1");
        stranger = pem(strangerKeys, "stranger");
        kafka = TestKafka.shared();
        service = IngestService.start(kafka.settings().withAeTitle("RADSTREAM").withAllowedAes(Set.of("MODALITY1"))
                .withDicomPort(-1).withDicomTls(0, ServerTls.load(serverKeys, PASSWORD, trusted, PASSWORD)), kafka.topics);
    }

    @AfterAll
    static void stop() {
        if (service != null) {
            service.close();
        }
    }

    /** dcmtk's {@code +tls KEY CERT +cf SERVER-CERT}: present this key, trust only the ingest's certificate. */
    private static String[] tls(String[] keyAndCertificate) {
        return new String[] {"+tls", keyAndCertificate[0], keyAndCertificate[1], "+cf", serverCertificate.toString()};
    }

    private static String[] pem(Path keyStore, String name) throws Exception {
        return new String[] {
            TestCertificates.privateKeyPem(keyStore, PASSWORD, dir.resolve(name + ".key")).toString(),
            TestCertificates.certificatePem(keyStore, PASSWORD, dir.resolve(name + ".crt")).toString()};
    }

    @Test
    void aModalityWithATrustedCertificateStoresASeriesOverTls() throws Exception {
        assertThat(service.dicomPort()).isEqualTo(-1);
        assertThat(service.dicomTlsPort()).isPositive();
        TestDicom.Series s = TestDicom.series(dir.resolve("a"), 4, 64, 31);
        try (KafkaConsumer<String, DicomSliceEvent> slices = kafka.consumerAtEnd(kafka.topics.slices())) {
            Dcmtk.Result echo = Dcmtk.run(List.of("echoscu", "-v", "-aet", "MODALITY1", "-aec", "RADSTREAM",
                    "+tls", modality[0], modality[1], "+cf", serverCertificate.toString(),
                    "127.0.0.1", Integer.toString(service.dicomTlsPort())));
            assertThat(echo.exitCode()).as(echo.output()).isZero();
            assertThat(echo.output()).contains("Received Echo Response (Success)");

            Dcmtk.Result r = Dcmtk.storescu("MODALITY1", "RADSTREAM", service.dicomTlsPort(), s.files(), tls(modality));
            assertThat(r.exitCode()).as(r.output()).isZero();
            assertThat(Dcmtk.storeResponses(r.output())).hasSize(4).containsOnly("(Success)");

            List<DicomSliceEvent> events = StoreScpIT.ofSeries(TestKafka.poll(slices, Duration.ofSeconds(20),
                    l -> StoreScpIT.ofSeries(l, s.seriesUid()).size() >= 5), s.seriesUid());
            assertThat(events).hasSize(5);
            for (int i = 0; i < 4; i++) {
                DicomSlice slice = (DicomSlice) events.get(i).getBody();
                assertThat(slice.getSopInstanceUid()).isEqualTo(TestDicom.sopUid(s.files().get(i)));
                assertThat(slice.getCallingAe()).isEqualTo("MODALITY1");
                assertThat(StoreScpIT.pixels(slice)).containsExactly(TestDicom.storedPixels(s.files().get(i)));
            }
            assertThat(((SeriesComplete) events.get(4).getBody()).getInstanceCount()).isEqualTo(4);
        }
    }

    @Test
    void anUntrustedCertificateAndPlainTcpAreClosedAtTheHandshakeAndNothingIsStored() throws Exception {
        long failedBefore = service.metrics().tlsHandshakeFailures();
        TestDicom.Series s = TestDicom.series(dir.resolve("b"), 1, 64, 32);
        try (KafkaConsumer<String, DicomSliceEvent> slices = kafka.consumerAtEnd(kafka.topics.slices())) {
            Dcmtk.Result untrusted = Dcmtk.storescu("MODALITY1", "RADSTREAM", service.dicomTlsPort(), s.files(),
                    tls(stranger));
            assertThat(untrusted.exitCode()).as(untrusted.output()).isNotZero();
            assertThat(untrusted.output()).contains("Association Request Failed");
            assertThat(Dcmtk.storeResponses(untrusted.output())).isEmpty();

            Dcmtk.Result plain = Dcmtk.storescu("MODALITY1", "RADSTREAM", service.dicomTlsPort(), s.files(), "-to", "10");
            assertThat(plain.exitCode()).as(plain.output()).isNotZero();
            assertThat(Dcmtk.storeResponses(plain.output())).isEmpty();

            assertThat(StoreScpIT.ofSeries(TestKafka.poll(slices, Duration.ofSeconds(3), l -> false), s.seriesUid())).isEmpty();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos(); // counted on the association's thread
        while (service.metrics().tlsHandshakeFailures() < failedBefore + 2 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(service.metrics().tlsHandshakeFailures()).isEqualTo(failedBefore + 2);
        assertThat(service.metrics().render()).contains("radstream_ingest_tls_handshake_failures_total " + (failedBefore + 2));
    }
}
