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

/**
 * Ingest throughput: instances per second of 512×512 CT pushed by one storescu association,
 * through radstream's SCP to Kafka's acknowledgement (in-process KRaft broker), against dcmtk's
 * storescp writing the same files to disk, in the same run. Both sides with TCP_NODELAY=1. Each
 * receiver gets {@code rounds} pushes, alternating; the best round of each is reported, and the
 * median of the per-round ratios after the first round (the JIT's warm-up).
 *
 * <p>Usage: {@code IngestBench [instances=200] [rounds=3]}
 */
public final class IngestBench {
    private IngestBench() {}

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path dir = Files.createTempDirectory("ingest-bench");
        TestDicom.Series series = TestDicom.series(dir.resolve("series"), n, 512, 99);
        long bytes = 0;
        for (Path f : series.files()) {
            bytes += Files.size(f);
        }
        System.out.printf(Locale.ROOT, "%d instances of 512x512 CT, %.1f MiB%n", n, bytes / 1048576.0);
        try (TestKafka kafka = TestKafka.create()) {
            IngestSettings settings = kafka.settings().withStabilityTime(Duration.ofSeconds(600)).withHttpPort(-1);
            double bestOurs = 0;
            double bestDcmtk = 0;
            List<Double> ratios = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                double dcmtk = storescp(dir.resolve("storescp-" + round), series.files());
                double ours;
                double insideMs;
                try (IngestService service = IngestService.start(settings, kafka.topics)) {
                    ours = push(service.dicomPort(), "RADSTREAM", series.files());
                    long published = service.metrics().publishedCount("BENCH");
                    if (published != n) {
                        throw new IllegalStateException("round " + round + ": " + published + " of " + n + " published");
                    }
                    insideMs = service.metrics().meanPublishMs();
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
            return push(port, "STORESCP", files);
        } finally {
            scp.destroy();
            scp.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Seconds of one storescu run over all files, as instances per second. */
    private static double push(int port, String calledAe, List<Path> files) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("storescu", "-aet", "BENCH", "-aec", calledAe, "127.0.0.1", Integer.toString(port)));
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
