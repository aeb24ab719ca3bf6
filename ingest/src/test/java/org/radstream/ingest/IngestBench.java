package org.radstream.ingest;

import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.radstream.schemas.ServerTls;
import org.radstream.schemas.TestCertificates;

/**
 * Ingest throughput: instances per second of 512×512 CT pushed by one storescu association,
 * through radstream's SCP to Kafka's acknowledgement (in-process KRaft broker), against dcmtk's
 * storescp writing the same files to disk, in the same run. Both sides with TCP_NODELAY=1. Each
 * receiver gets {@code rounds} pushes, alternating; the best round of each is reported, and the
 * median of the per-round ratios after the first round (the JIT's warm-up).
 *
 * <p>With {@code tls}, each round also pushes the files to the same service's DICOM TLS port
 * (storescu {@code +tls}, dcmtk's default BCP 195 profile, both ends presenting certificates), and
 * reports its rate against the plain port's in the same round: what TLS costs.
 *
 * <p>Usage: {@code IngestBench [instances=200] [rounds=3] [tls]}
 */
public final class IngestBench {
    private IngestBench() {}

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        boolean tls = args.length > 2 && args[2].equals("tls");
        Path dir = Files.createTempDirectory("ingest-bench");
        List<String> storescuTls = List.of();
        ServerTls serverTls = null;
        if (tls) {
            String pw = "bench-password";
            Path server = TestCertificates.keyStore(dir, "ingest", "localhost", pw);
            Path client = TestCertificates.keyStore(dir, "bench", "BENCH", pw);
            serverTls = ServerTls.load(server, pw, TestCertificates.trustStore(dir, "clients", pw, client), pw);
            storescuTls = List.of("+tls", TestCertificates.privateKeyPem(client, pw, dir.resolve("bench.key")).toString(),
                    TestCertificates.certificatePem(client, pw, dir.resolve("bench.crt")).toString(), "+cf",
                    TestCertificates.certificatePem(server, pw, dir.resolve("ingest.crt")).toString());
        }
        TestDicom.Series series = TestDicom.series(dir.resolve("series"), n, 512, 99);
        long bytes = 0;
        for (Path f : series.files()) {
            bytes += Files.size(f);
        }
        System.out.printf(Locale.ROOT, "%d instances of 512x512 CT, %.1f MiB%n", n, bytes / 1048576.0);
        // the TLS port gets a series of its own: the same instances again would be recognised as duplicates
        TestDicom.Series tlsSeries = tls ? TestDicom.series(dir.resolve("series-tls"), n, 512, 98) : null;
        try (TestKafka kafka = TestKafka.create()) {
            IngestSettings settings = kafka.settings().withStabilityTime(Duration.ofSeconds(600)).withHttpPort(-1)
                    .withDicomTls(tls ? 0 : -1, serverTls);
            List<Double> tlsRatios = new ArrayList<>();
            double bestOurs = 0;
            double bestDcmtk = 0;
            List<Double> ratios = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                double dcmtk = storescp(dir.resolve("storescp-" + round), series.files());
                double ours;
                double insideMs;
                try (IngestService service = IngestService.start(settings, kafka.topics)) {
                    ours = push(service.dicomPort(), "RADSTREAM", series.files(), List.of());
                    insideMs = service.metrics().meanPublishMs();
                    if (tls) {
                        double overTls = push(service.dicomTlsPort(), "RADSTREAM", tlsSeries.files(), storescuTls);
                        System.out.printf(Locale.ROOT, "round %d: radstream SCP over TLS -> Kafka ack %.1f inst/s (%.2f ms "
                                + "per instance), %.2f of the plain port's%n", round, overTls, 1000 / overTls, overTls / ours);
                        if (round > 1) {
                            tlsRatios.add(overTls / ours);
                        }
                    }
                    long published = service.metrics().publishedCount("BENCH");
                    if (published != (tls ? 2L : 1L) * n) {
                        throw new IllegalStateException("round " + round + ": " + published + " of " + n + " published");
                    }
                }
                System.out.printf(Locale.ROOT, "round %d: radstream SCP -> Kafka ack %.1f inst/s (%.2f ms per instance, %.2f of"
                        + " them from validation to Kafka's ack), dcmtk storescp -> disk %.1f inst/s (%.2f ms)%n",
                        round, ours, 1000 / ours, insideMs, dcmtk, 1000 / dcmtk);
                if (round > 1) {
                    ratios.add(ours / dcmtk);
                }
                bestOurs = Math.max(bestOurs, ours);
                bestDcmtk = Math.max(bestDcmtk, dcmtk);
            }
            System.out.printf(Locale.ROOT, "best: radstream %.1f inst/s, storescp %.1f inst/s, ratio %.2f%n",
                    bestOurs, bestDcmtk, bestOurs / bestDcmtk);
            if (!ratios.isEmpty()) {
                ratios.sort(null);
                System.out.printf(Locale.ROOT, "median of the per-round ratios after the first (warm-up) round: %.2f%n",
                        ratios.get(ratios.size() / 2));
            }
            if (!tlsRatios.isEmpty()) {
                tlsRatios.sort(null);
                System.out.printf(Locale.ROOT, "TLS port against the plain port, median of the per-round ratios after the "
                        + "first: %.2f%n", tlsRatios.get(tlsRatios.size() / 2));
            }
        }
    }

    private static double storescp(Path out, List<Path> files) throws Exception {
        Files.createDirectories(out);
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ProcessBuilder pb = new ProcessBuilder("storescp", "-aet", "STORESCP", "-od", out.toString(), Integer.toString(port))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("TCP_NODELAY", "1");
        Process scp = pb.start();
        try {
            waitForPort(port);
            return push(port, "STORESCP", files, List.of());
        } finally {
            scp.destroy();
            scp.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Seconds of one storescu run over all files, as instances per second. */
    private static double push(int port, String calledAe, List<Path> files, List<String> options) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("storescu", "-aet", "BENCH", "-aec", calledAe));
        cmd.addAll(options);
        cmd.addAll(List.of("127.0.0.1", Integer.toString(port)));
        files.forEach(f -> cmd.add(f.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(Map.of("TCP_NODELAY", "1"));
        long start = System.nanoTime();
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("storescu to " + calledAe + " failed: " + output);
        }
        return files.size() / ((System.nanoTime() - start) / 1e9);
    }

    private static void waitForPort(int port) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (java.io.IOException e) {
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException("storescp did not open port " + port);
    }
}
