package org.radstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.avro.DicomSlice;
import org.radstream.avro.DicomSliceEvent;
import org.radstream.avro.RejectedInstance;
import org.radstream.avro.SeriesComplete;
import org.radstream.schemas.BearerToken;
import org.radstream.schemas.ServerTls;
import org.radstream.schemas.TestCertificates;

/** STOW-RS with java.net.http and folder import, on the shared embedded broker. */
class StowAndImportIT {
    @TempDir
    static Path dir;
    static TestKafka kafka;
    static IngestService service;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        kafka = TestKafka.shared();
        service = IngestService.start(kafka.settings().withStowAtOnce(2), kafka.topics);
    }

    @AfterAll
    static void stop() {
        if (service != null) {
            service.close();
        }
    }

    /** A STOW-RS body of the series' files, in order. */
    private static byte[] multipart(TestDicom.Series s, String boundary) throws Exception {
        List<byte[]> parts = new ArrayList<>();
        for (Path f : s.files()) {
            parts.add(Files.readAllBytes(f));
        }
        return TestDicom.multipart(boundary, parts);
    }

    private HttpResponse<String> post(String contentType, byte[] body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.httpPort() + "/studies"))
                .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void stowSeriesIsStoredInOrderWithPixelsThenMarker() throws Exception {
        TestDicom.Series s = TestDicom.series(dir.resolve("stow"), 5, 64, 41);
        List<byte[]> parts = new ArrayList<>();
        for (Path f : s.files()) {
            parts.add(Files.readAllBytes(f));
        }
        try (KafkaConsumer<String, DicomSliceEvent> slices = kafka.consumerAtEnd(kafka.topics.slices())) {
            HttpResponse<String> r = post("multipart/related; type=\"application/dicom\"; boundary=b0undary",
                    TestDicom.multipart("b0undary", parts));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type")).hasValue("application/dicom+json");
            assertThat(r.body()).contains("\"00081199\"").doesNotContain("\"00081198\"")
                    .contains("\"" + TestDicom.sopUid(s.files().get(4)) + "\"");
            List<DicomSliceEvent> events = StoreScpIT.ofSeries(TestKafka.poll(slices, Duration.ofSeconds(20),
                    l -> StoreScpIT.ofSeries(l, s.seriesUid()).size() >= 6), s.seriesUid());
            assertThat(events).hasSize(6);
            for (int i = 0; i < 5; i++) {
                DicomSlice slice = (DicomSlice) events.get(i).getBody();
                assertThat(slice.getSopInstanceUid()).isEqualTo(TestDicom.sopUid(s.files().get(i)));
                assertThat(slice.getCallingAe()).isEqualTo("STOW-RS");
                assertThat(StoreScpIT.pixels(slice)).containsExactly(TestDicom.storedPixels(s.files().get(i)));
            }
            assertThat(((SeriesComplete) events.get(5).getBody()).getInstanceCount()).isEqualTo(5);
        }
    }

    @Test
    void aSegmentationStoredOverStowIsPublishedForLabellingAsSent() throws Exception {
        org.radstream.imaging.Mask3D mask = new org.radstream.imaging.Mask3D(32, 32, 2);
        mask.set(5, 6, 1, true);
        var series = new org.radstream.imaging.dicom.DicomSeg.Series("P42", null, "1.2.42", null, "1.2.42.1", "1.2.42.9",
                null, List.of("1.2.42.1.1", "1.2.42.1.2"), new double[] {0, 0, 0}, new double[] {1, 0, 0},
                new double[] {0, 1, 0}, 1, 1, 2, 32, 32, 2);
        byte[] seg = org.radstream.imaging.dicom.DicomSeg.write(mask, series,
                new org.radstream.imaging.dicom.DicomSeg.Segment("lung", null, null), java.time.Instant.EPOCH,
                new java.util.Random(42));
        String sop = org.radstream.imaging.dicom.DicomSeg.summary(seg).sopInstanceUid();
        try (KafkaConsumer<String, org.radstream.avro.ReceivedSegmentation> segs = kafka.consumerAtEnd(kafka.topics.segmentations())) {
            HttpResponse<String> r = post("multipart/related; type=\"application/dicom\"; boundary=sg",
                    TestDicom.multipart("sg", List.of(seg)));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.body()).contains("\"1.2.840.10008.5.1.4.1.1.66.4\"").contains("\"" + sop + "\"");
            var got = TestKafka.poll(segs, Duration.ofSeconds(20), l -> !l.isEmpty());
            assertThat(got).hasSize(1);
            assertThat(got.get(0).key()).isEqualTo("1.2.42.1");
            assertThat(got.get(0).value().getReceivedVia()).isEqualTo("stow-rs");
            try (var in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(
                    got.get(0).value().getFileGzip().array()))) {
                assertThat(in.readAllBytes()).isEqualTo(seg);
            }
        }
    }

    @Test
    void stowWithGarbageAndTruncatedPartsAnswers202WithFailedSopSequenceAndDeadLetters() throws Exception {
        TestDicom.Series s = TestDicom.series(dir.resolve("stow-bad"), 2, 64, 42);
        byte[] good = Files.readAllBytes(s.files().get(0));
        byte[] truncatedSource = Files.readAllBytes(s.files().get(1));
        byte[] truncated = Arrays.copyOf(truncatedSource, truncatedSource.length - 3000);
        byte[] garbage = "this is not DICOM at all, just text posing as a part".getBytes();
        try (KafkaConsumer<String, RejectedInstance> rejected = kafka.consumerAtEnd(kafka.topics.rejected())) {
            HttpResponse<String> r = post("multipart/related; type=\"application/dicom\"; boundary=xyz",
                    TestDicom.multipart("xyz", List.of(good, truncated, garbage)));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
            String truncatedSop = TestDicom.sopUid(s.files().get(1));
            assertThat(r.body()).contains("\"00081198\":{\"vr\":\"SQ\",\"Value\":[{\"00081150\":{\"vr\":\"UI\",\"Value\":[\"1.2.840.10008.5.1.4.1.1.2\"]},"
                    + "\"00081155\":{\"vr\":\"UI\",\"Value\":[\"" + truncatedSop + "\"]},\"00081197\":{\"vr\":\"US\",\"Value\":[49154]}},"
                    + "{\"00081197\":{\"vr\":\"US\",\"Value\":[49152]}}]}");
            assertThat(r.body()).contains("\"00081199\":{\"vr\":\"SQ\",\"Value\":[{\"00081150\":{\"vr\":\"UI\",\"Value\":[\"1.2.840.10008.5.1.4.1.1.2\"]},"
                    + "\"00081155\":{\"vr\":\"UI\",\"Value\":[\"" + TestDicom.sopUid(s.files().get(0)) + "\"]}}]}");
            Map<String, RejectedInstance> letters = TestKafka.poll(rejected, Duration.ofSeconds(20), l -> l.size() >= 2)
                    .stream().collect(Collectors.toMap(ConsumerRecord::key, ConsumerRecord::value));
            assertThat(letters.get(truncatedSop).getReason()).startsWith("no PixelData (7FE0,0010)");
            assertThat(letters.get(truncatedSop).getReceivedVia()).isEqualTo("stow-rs");
            RejectedInstance junk = letters.get("unidentified");
            assertThat(junk.getReason()).startsWith("not a DICOM Part 10 file");
            assertThat(junk.getDicomStatus()).isEqualTo(DimseStatus.CANNOT_UNDERSTAND);
            assertThat(junk.getOriginal()).isEqualTo(java.nio.ByteBuffer.wrap(garbage));
        }
        HttpResponse<String> allFailed = post("multipart/related; type=\"application/dicom\"; boundary=q",
                TestDicom.multipart("q", List.of(garbage)));
        assertThat(allFailed.statusCode()).isEqualTo(409);
    }

    @Test
    void withATokenStowStoresOnlyForSendersThatCarryIt() throws Exception {
        String token = "stow-token-for-this-it-0123";
        TestDicom.Series s = TestDicom.series(dir.resolve("stow-token"), 2, 64, 44);
        byte[] body = multipart(s, "tk");
        String type = "multipart/related; type=\"application/dicom\"; boundary=tk";
        try (IngestService guarded = IngestService.start(kafka.settings().withDicomPort(-1)
                .withStowToken(BearerToken.of(token, IngestSettings.STOW_TOKEN_VARIABLE)), kafka.topics);
             KafkaConsumer<String, DicomSliceEvent> slices = kafka.consumerAtEnd(kafka.topics.slices())) {
            URI studies = URI.create("http://127.0.0.1:" + guarded.httpPort() + "/studies");
            for (String authorization : new String[] {null, "Bearer " + token.toUpperCase(), token}) {
                HttpRequest.Builder b = HttpRequest.newBuilder(studies).header("Content-Type", type)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
                if (authorization != null) {
                    b.header("Authorization", authorization);
                }
                HttpResponse<String> refused = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
                assertThat(refused.statusCode()).as("authorization %s", authorization).isEqualTo(401);
                assertThat(refused.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"radstream-stow\"");
                assertThat(refused.body()).contains("RADSTREAM_STOW_TOKEN").doesNotContain(token);
            }
            assertThat(guarded.metrics().stowUnauthorisedCount()).isEqualTo(3);
            assertThat(guarded.metrics().publishedCount(IngestHttpServer.STOW_CALLER)).isZero();

            HttpResponse<String> stored = http.send(HttpRequest.newBuilder(studies).header("Content-Type", type)
                    .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(stored.statusCode()).as(stored.body()).isEqualTo(200);
            List<DicomSliceEvent> events = StoreScpIT.ofSeries(TestKafka.poll(slices, Duration.ofSeconds(20),
                    l -> StoreScpIT.ofSeries(l, s.seriesUid()).size() >= 3), s.seriesUid());
            // the two instances once (none from the refused requests) and the series marker
            assertThat(events).hasSize(3);
            assertThat(guarded.metrics().publishedCount(IngestHttpServer.STOW_CALLER)).isEqualTo(2);
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + guarded.httpPort()
                    + "/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).as("/health needs no token").isEqualTo(200);
            HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + guarded.httpPort()
                    + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.body()).contains("radstream_ingest_stow_unauthorised_total 3");
        }
    }

    @Test
    void overHttpsStowStoresForAClientThatTrustsTheKeyAndPlainHttpGetsNoAnswer() throws Exception {
        String token = "stow-token-for-this-it-4567";
        TestDicom.Series s = TestDicom.series(dir.resolve("stow-https"), 2, 64, 45);
        byte[] body = multipart(s, "tls");
        ServerTls tls = ServerTls.load(TestCertificates.keyStore(dir, "ingest-https", "localhost", "tls-password"),
                "tls-password", null, null);
        HttpClient trusting = HttpClient.newBuilder().sslContext(tls.peerContext()).build();
        try (IngestService secured = IngestService.start(kafka.settings().withDicomPort(-1)
                .withStowToken(BearerToken.of(token, IngestSettings.STOW_TOKEN_VARIABLE)).withDicomTls(-1, tls)
                .withHttpTls(true), kafka.topics);
             KafkaConsumer<String, DicomSliceEvent> slices = kafka.consumerAtEnd(kafka.topics.slices())) {
            String base = "://127.0.0.1:" + secured.httpPort();
            HttpResponse<String> stored = trusting.send(HttpRequest.newBuilder(URI.create("https" + base + "/studies"))
                    .header("Content-Type", "multipart/related; type=\"application/dicom\"; boundary=tls")
                    .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(stored.statusCode()).as(stored.body()).isEqualTo(200);
            assertThat(StoreScpIT.ofSeries(TestKafka.poll(slices, Duration.ofSeconds(20),
                    l -> StoreScpIT.ofSeries(l, s.seriesUid()).size() >= 3), s.seriesUid())).hasSize(3);
            assertThat(trusting.send(HttpRequest.newBuilder(URI.create("https" + base + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            assertThatThrownBy(() -> http.send(HttpRequest.newBuilder(URI.create("http" + base + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString())).isInstanceOf(java.io.IOException.class);
            assertThatThrownBy(() -> http.send(HttpRequest.newBuilder(URI.create("https" + base + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString())).as("a client that does not trust the key")
                    .isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
        }
    }

    @Test
    void aBodyLargerThanWhatIsTakenIsAnswered413DeclaredOrChunkedAndNothingIsStored() throws Exception {
        try (IngestService small = IngestService.start(kafka.settings().withDicomPort(-1).withStowMaxBytes(1 << 20),
                kafka.topics)) {
            String type = "multipart/related; type=\"application/dicom\"; boundary=big";
            // declared: refused from the headers, before a byte of the body is read
            String declared = request(small.httpPort(), "POST /studies HTTP/1.1\r\nHost: localhost\r\nContent-Type: " + type
                    + "\r\nContent-Length: 5000000\r\n\r\n", null);
            assertThat(declared).startsWith("HTTP/1.1 413").contains("the request body is 5000000 bytes; this receiver takes "
                    + "at most 1048576 bytes per STOW-RS request");
            // chunked: refused once more than the most has been read
            byte[] chunk = new byte[(1 << 20) + 2];
            String chunked = request(small.httpPort(), "POST /studies HTTP/1.1\r\nHost: localhost\r\nContent-Type: " + type
                    + "\r\nTransfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(chunk.length) + "\r\n", chunk);
            assertThat(chunked).startsWith("HTTP/1.1 413").contains("the request body is more than 1048576 bytes");
            assertThat(small.metrics().stowTooLargeCount()).isEqualTo(2);
            assertThat(small.metrics().publishedCount(IngestHttpServer.STOW_CALLER)).isZero();
            assertThat(small.metrics().render()).contains("radstream_ingest_stow_too_large_total 2");
        }
    }

    /** Sends {@code head} (and {@code chunk} as one chunk, then the last chunk) on a raw socket; returns the whole answer. */
    private static String request(int port, String head, byte[] chunk) throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setSoTimeout(20_000);
            java.io.OutputStream out = socket.getOutputStream();
            out.write(head.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            if (chunk != null) {
                out.write(chunk);
                out.write("\r\n0\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            }
            out.flush();
            java.io.ByteArrayOutputStream answer = new java.io.ByteArrayOutputStream();
            java.io.InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            try {
                // until the answer's body is in: the server then waits for the rest of the declared body, or closes
                for (int n; !answer.toString(java.nio.charset.StandardCharsets.UTF_8).contains("(e.g. one per series)")
                        && (n = in.read(buffer)) >= 0; ) {
                    answer.write(buffer, 0, n);
                }
            } catch (java.net.SocketException e) {
                // the server closes instead of draining the rest: what arrived before is the answer
            }
            return answer.toString(java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    @Test
    void uploadsBeyondWhatIsStoredAtOnceAreToldToRetryAndHealthNeverWaitsBehindThem() throws Exception {
        List<java.net.Socket> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < service.settings().stowAtOnce(); i++) {
                java.net.Socket s = new java.net.Socket("127.0.0.1", service.httpPort());
                s.getOutputStream().write(("POST /studies HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/related; "
                        + "type=\"application/dicom\"; boundary=s\r\nContent-Length: 100000\r\n\r\n--s\r\n")
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                stalled.add(s);
            }
            long busyBefore = service.metrics().stowBusyCount();
            HttpResponse<String> busy = null;
            for (int attempt = 0; attempt < 50 && (busy == null || busy.statusCode() != 503); attempt++) {
                Thread.sleep(100); // until the stalled uploads hold every slot
                busy = post("multipart/related; type=\"application/dicom\"; boundary=b", "--b--".getBytes());
            }
            assertThat(busy.statusCode()).as(busy.body()).isEqualTo(503);
            assertThat(busy.headers().firstValue("Retry-After")).hasValue(Integer.toString(IngestHttpServer.STOW_RETRY_AFTER_SECONDS));
            assertThat(service.metrics().stowBusyCount()).isGreaterThan(busyBefore);
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.httpPort()
                    + "/health")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
        } finally {
            for (java.net.Socket s : stalled) {
                s.close(); // the stalled uploads end, and give their slots back
            }
        }
        HttpResponse<String> after = null;
        for (int attempt = 0; attempt < 50 && (after == null || after.statusCode() == 503); attempt++) {
            Thread.sleep(100);
            after = post("multipart/related; type=\"application/dicom\"; boundary=a", "no boundary here".getBytes());
        }
        assertThat(after.statusCode()).as("a request once the slots are free: read and judged").isEqualTo(400);
    }

    @Test
    void malformedStowRequestsAre400Or415() throws Exception {
        assertThat(post("application/json", "{}".getBytes()).statusCode()).isEqualTo(415);
        assertThat(post("multipart/related; type=\"application/dicom+xml\"; boundary=a", "--a--".getBytes()).statusCode()).isEqualTo(415);
        assertThat(post("multipart/related; type=\"application/dicom\"", "--a--".getBytes()).statusCode()).isEqualTo(400);
        assertThat(post("multipart/related; type=\"application/dicom\"; boundary=a", "no boundary here".getBytes()).statusCode()).isEqualTo(400);
    }

    @Test
    void healthAndMetrics() throws Exception {
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.httpPort() + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).isEqualTo("{\"status\":\"UP\"}");
        HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.httpPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.body()).contains("# TYPE radstream_ingest_publish_latency_seconds histogram")
                .contains("radstream_ingest_publish_latency_seconds_bucket{le=\"+Inf\"}");
    }

    @Test
    void folderImportPublishesEveryDicomFileAndReportsTheRest() throws Exception {
        Path root = dir.resolve("import");
        TestDicom.Series s = TestDicom.series(root.resolve("nested/deeper"), 4, 64, 43);
        // any file names: rename one, add a non-DICOM file and a duplicate copy
        Files.move(s.files().get(2), root.resolve("nested/slice-without-extension"));
        Files.writeString(root.resolve("README.txt"), "not an image");
        Files.copy(s.files().get(0), root.resolve("copy-of-first.dcm"));
        try (KafkaConsumer<String, DicomSliceEvent> slices = kafka.consumerAtEnd(kafka.topics.slices());
             KafkaConsumer<String, RejectedInstance> rejected = kafka.consumerAtEnd(kafka.topics.rejected())) {
            ImportReport report = service.importFolder(root);
            assertThat(report.files()).hasSize(6);
            assertThat(report.published()).isEqualTo(4);
            assertThat(report.duplicates()).isEqualTo(1);
            assertThat(report.notDicom()).extracting(ImportReport.FileOutcome::file).containsExactly(root.resolve("README.txt"));
            assertThat(service.completeOpenSeries()).contains(s.seriesUid());
            List<DicomSliceEvent> events = StoreScpIT.ofSeries(TestKafka.poll(slices, Duration.ofSeconds(20),
                    l -> StoreScpIT.ofSeries(l, s.seriesUid()).size() >= 5), s.seriesUid());
            assertThat(events).hasSize(5);
            assertThat(events.subList(0, 4)).allMatch(e -> ((DicomSlice) e.getBody()).getCallingAe().equals("IMPORT"));
            assertThat(((SeriesComplete) events.get(4).getBody()).getInstanceCount()).isEqualTo(4);
            List<RejectedInstance> letters = TestKafka.poll(rejected, Duration.ofSeconds(20), l -> l.size() >= 2)
                    .stream().map(ConsumerRecord::value).toList();
            assertThat(letters).extracting(RejectedInstance::getReceivedVia).containsOnly("import");
            assertThat(letters).extracting(RejectedInstance::getDicomStatus)
                    .containsExactlyInAnyOrder(DimseStatus.SUCCESS, DimseStatus.CANNOT_UNDERSTAND);
        }
    }
}
