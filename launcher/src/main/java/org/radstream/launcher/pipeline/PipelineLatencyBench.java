package org.radstream.launcher.pipeline;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.radstream.avro.InferenceResult;
import org.radstream.imaging.cohort.Cohort;
import org.radstream.imaging.cohort.CohortGenerator;
import org.radstream.imaging.cohort.CohortManifest;
import org.radstream.imaging.cohort.CohortSpec;
import org.radstream.platform.Platform;
import org.radstream.schemas.RestSchemaRegistryClient;
import org.radstream.schemas.Topics;

/**
 * End-to-end latency of a chest series against the models' own forward time for it, in one run:
 * every service in this process on an embedded Kafka (as the demo runs it), chest series pushed one
 * at a time over C-STORE; latency runs from the last instance's C-STORE response (Kafka has it)
 * to the PoIR measurement being readable on its topic; the reference is the sum of the forward-pass
 * times the lung and infection results report for that series. The first series is a warm-up.
 *
 * <p>{@code order}: {@code in-order} (default) sends each series' files in the order of their names,
 * slice by slice as a modality does; {@code set} in PixelMed's set (hash) order, as the push did
 * before; {@code alternate} sends the measured series in order and in set order by turns, and
 * reports the median ratio of each.
 *
 * <pre>java -cp launcher/target/radstream.jar org.radstream.launcher.pipeline.PipelineLatencyBench [series] [size] [stabilitySeconds] [modelStore] [order]</pre>
 */
public final class PipelineLatencyBench {

    public static void main(String[] args) throws Exception {
        int series = args.length > 0 ? Integer.parseInt(args[0]) : 6;
        int size = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        double stability = args.length > 2 ? Double.parseDouble(args[2]) : 1.0;
        Path store = Path.of(args.length > 3 ? args[3] : "models-default");
        String order = args.length > 4 ? args[4] : "in-order";
        if (!List.of("in-order", "set", "alternate").contains(order)) {
            throw new IllegalArgumentException("order must be in-order, set or alternate, got " + order);
        }
        Path dir = Files.createTempDirectory("radstream-latency-bench-");
        int patients = (series + 2) / 2;
        List<String> scenarios = new ArrayList<>();
        for (int i = 0; i < patients; i++) {
            scenarios.add(i % 2 == 0 ? "rapid-growth" : "stable");
        }
        CohortGenerator.generate(CohortSpec.patients(3, scenarios, 2, 0, size), dir.resolve("cohort"));
        Cohort cohort = Cohort.open(dir.resolve("cohort"));
        List<CohortManifest.Scan> scans = CohortPush.inAcquisitionOrder(cohort);
        try (Platform platform = Platform.start(dir.resolve("kafka"), 0)) {
            Topics topics = new Topics(new RestSchemaRegistryClient(platform.registryUrl()));
            try (LocalPipeline pipeline = LocalPipeline.start(new LocalPipeline.Options(platform.bootstrap(),
                    platform.registryUrl(), dir.resolve("services"), store,
                    Duration.ofMillis(Math.round(stability * 1000)), false, null));
                 PipelineWatch watch = new PipelineWatch(platform.bootstrap(), topics, e -> { }).start()) {
                List<double[]> rows = new ArrayList<>();
                List<double[]> inOrderRows = new ArrayList<>();
                List<double[]> setRows = new ArrayList<>();
                for (int i = 0; i <= series && i < scans.size(); i++) {
                    CohortManifest.Scan s = scans.get(i);
                    boolean inOrder = order.equals("in-order") || order.equals("alternate") && i % 2 == 1;
                    DicomPush.Outcome o = DicomPush.send(cohort.dicomDir(s), "localhost", pipeline.ingest().dicomPort(),
                            pipeline.ingest().settings().aeTitle(), CohortPush.CALLING_AE, inOrder);
                    Instant acked = Instant.now();
                    if (!o.allStored()) {
                        throw new IllegalStateException("scan " + s.scanId() + " not stored: " + o);
                    }
                    if (!watch.await(() -> CohortPush.finished(watch, s), Duration.ofMinutes(5))) {
                        throw new IllegalStateException("no PoIR measurement for " + s.scanId() + " within 5 min; dead letters "
                                + watch.deadLetters());
                    }
                    PipelineWatch.SeriesTrack t = watch.series(s.seriesUid());
                    double latency = Duration.between(acked, t.measuredAt).toMillis();
                    double forward = forward(t.results.get("lung")) + forward(t.results.get("infection"));
                    double stable = timing(t.results.get("lung"), "stability") + timing(t.results.get("infection"), "stability");
                    String note = i == 0 ? " (warm-up, not counted)" : "";
                    System.out.printf(Locale.ROOT, "%s %d slices, sent %s: latency %.0f ms, forward %.0f ms, ratio %.2f;"
                                    + " stability measured in %.0f ms%s%n",
                            s.scanId(), s.depth(), inOrder ? "in order" : "in set order", latency, forward, latency / forward,
                            stable, note);
                    if (i > 0) {
                        rows.add(new double[] {latency, forward, stable});
                        (inOrder ? inOrderRows : setRows).add(new double[] {latency / forward});
                    }
                }
                if (order.equals("alternate")) {
                    System.out.printf(Locale.ROOT, "median ratio latency/forward: sent in order %.2f (%d series), in set order "
                            + "%.2f (%d series)%n", median(inOrderRows, 0), inOrderRows.size(), median(setRows, 0), setRows.size());
                }
                double medLatency = median(rows, 0);
                double medForward = median(rows, 1);
                double medRatio = median(rows.stream().map(r -> new double[] {r[0] / r[1]}).toList(), 0);
                double stabilityMs = stability * 1000;
                System.out.printf(Locale.ROOT, "chest series %d² (%d measured), stability time %.1f s%n", size, rows.size(), stability);
                System.out.printf(Locale.ROOT, "median latency (last slice acknowledged -> PoIR readable): %.0f ms%n", medLatency);
                System.out.printf(Locale.ROOT, "median forward time of the series' models (lung + infection): %.0f ms%n", medForward);
                System.out.printf(Locale.ROOT, "median per-series ratio latency/forward: %.2f; without the stability wait: %.2f%n",
                        medRatio, median(rows.stream().map(r -> new double[] {(r[0] - stabilityMs) / r[1]}).toList(), 0));
                System.out.printf(Locale.ROOT, "median per-series ratio of the masks' stability measurement (lung + infection)"
                        + " to the forward passes: %.4f%n", median(rows.stream().map(r -> new double[] {r[2] / r[1]}).toList(), 0));
            }
        } finally {
            LocalPipeline.deleteTree(dir);
        }
    }

    private static double forward(InferenceResult r) {
        return timing(r, "forward");
    }

    private static double timing(InferenceResult r, String name) {
        Double f = r.getTimingsMs().get(name);
        return f == null ? Double.NaN : f;
    }

    private static double median(List<double[]> rows, int col) {
        double[] v = rows.stream().mapToDouble(r -> r[col]).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private PipelineLatencyBench() {}
}
