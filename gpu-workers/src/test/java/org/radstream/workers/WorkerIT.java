package org.radstream.workers;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.radstream.avro.DeadLetter;
import org.radstream.avro.InferenceResult;
import org.radstream.avro.WindowedSlice;
import org.radstream.schemas.Topics;

/** Two chest workers in one group on the embedded broker (four partitions), crashes and bad input. */
class WorkerIT {
    private static final int W = 32;
    private static final int DEPTH = 8;
    /** Two 10×20 lungs on 8 slices of 0.8 × 0.8 × 2.5 mm voxels. */
    private static final double LUNG_ML = 2 * 10 * 20 * DEPTH * 0.8 * 0.8 * 2.5 / 1000;
    private static final double INFECTION_ML = 16 * 4 * 0.8 * 0.8 * 2.5 / 1000;

    static TestBroker broker;

    @BeforeAll
    static void broker() throws Exception {
        broker = TestBroker.get();
    }

    private static List<List<WindowedSlice>> series(String prefix, int n) {
        List<List<WindowedSlice>> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(Scans.chestSlices(prefix + i, W, W, DEPTH));
        }
        return out;
    }

    private static void assertOneCompleteResultPerSeriesAndTask(List<InferenceResult> results, String prefix, int n) {
        Map<String, Long> perKey = results.stream().collect(Collectors.groupingBy(
                r -> Topics.seriesTaskKey(r.getSeriesUid(), r.getTask()), Collectors.counting()));
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            expected.add(prefix + i + ":lung");
            expected.add(prefix + i + ":infection");
        }
        assertThat(perKey.keySet()).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(perKey.values()).containsOnly(1L);
        for (InferenceResult r : results) {
            assertThat(r.getSliceCount()).isEqualTo(DEPTH);
            assertThat(r.getMethod()).isEqualTo("hu-threshold");
            assertThat(r.getModelVersion()).isNull();
            assertThat(r.getMaskStability()).isNull(); // the baseline has no probabilities to measure it on
            assertThat(r.getTaskGroup()).isEqualTo("chest");
            assertThat(r.getMask().getWidth()).isEqualTo(W);
            assertThat(r.getMask().getDepth()).isEqualTo(DEPTH);
            assertThat(r.getVolumeMl()).isCloseTo(r.getTask().equals("lung") ? LUNG_ML : INFECTION_ML,
                    org.assertj.core.data.Offset.offset(1e-9));
            assertThat(r.getTimingsMs()).containsKeys("assemble", "inference", "postprocess", "forward", "stability", "total");
            // where the mask lies: the lowest slice's position, the orientation and the spacings
            assertThat(r.getGeometry().getOrigin()).containsExactly(0.0, 0.0, 0.0);
            assertThat(r.getGeometry().getRow()).containsExactly(1.0, 0.0, 0.0);
            assertThat(r.getGeometry().getColumn()).containsExactly(0.0, 1.0, 0.0);
            assertThat(List.of(r.getGeometry().getSpacingX(), r.getGeometry().getSpacingY(), r.getGeometry().getSpacingZ()))
                    .containsExactly(Scans.SPACING, Scans.SPACING, Scans.SLICE_STEP);
            // what a DICOM Segmentation of the series references: its space and its images, slice by slice
            String uid = r.getSeriesUid().toString();
            assertThat(r.getGeometry().getFrameOfReferenceUid()).isEqualTo("1.2.3." + uid + ".9");
            assertThat(r.getGeometry().getSopClassUid()).isEqualTo("1.2.840.10008.5.1.4.1.1.2");
            assertThat(r.getGeometry().getSopInstanceUids()).containsExactlyElementsOf(
                    java.util.stream.IntStream.rangeClosed(1, DEPTH).mapToObj(k -> uid + "." + k).toList());
        }
    }

    /** The default partitioner's choice for a key on the four-partition task topic. */
    static int partitionOf(String key) {
        byte[] bytes = key.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(bytes))
                % Topics.DEFAULT_PARTITIONS;
    }

    @Test
    void twoWorkersPublishOneResultPerSeriesAndSurviveCrashes() throws Exception {
        broker.truncate(Topics.TASKS_CHEST);
        String group = "it-crash-" + UUID.randomUUID();
        try (Harness h = new Harness(broker)) {
            InferenceWorker a = new InferenceWorker(h.settings(TaskGroup.CHEST, group, "a"), broker.topics);
            InferenceWorker b = new InferenceWorker(h.settings(TaskGroup.CHEST, group, "b"), broker.topics);
            // the crash: inside the transaction of the second series to complete on the partition
            // holding the most crash- series, when the first one's result is already committed with
            // its marker beyond the committed offset (the others are still open before it)
            int crashSeries = 12;
            Map<Integer, List<String>> byPartition = new java.util.TreeMap<>();
            for (int i = 0; i < crashSeries; i++) {
                byPartition.computeIfAbsent(partitionOf("crash-" + i), k -> new ArrayList<>()).add("crash-" + i);
            }
            List<String> crowded = byPartition.values().stream().max(java.util.Comparator.comparingInt(List::size)).orElseThrow();
            assertThat(crowded.size()).isGreaterThanOrEqualTo(3);
            String crashUid = crowded.get(1);
            AtomicBoolean crashed = new AtomicBoolean();
            AtomicReference<InferenceWorker> victim = new AtomicReference<>();
            for (InferenceWorker w : List.of(a, b)) {
                w.faultHook(uid -> {
                    if (uid.equals(crashUid) && crashed.compareAndSet(false, true)) {
                        victim.set(w);
                        w.halt();
                        throw new InferenceWorker.Halted();
                    }
                });
            }
            Harness.start(a);
            Harness.start(b);
            InferenceWorker c = null;
            try {
                // the crash scenario needs both workers in the group: one must survive with half the partitions
                long joinDeadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while ((a.metrics().assignedPartitions() == 0 || b.metrics().assignedPartitions() == 0
                        || a.metrics().assignedPartitions() + b.metrics().assignedPartitions() != Topics.DEFAULT_PARTITIONS)
                        && System.nanoTime() < joinDeadline) {
                    Thread.sleep(100);
                }
                assertThat(List.of(a.metrics().assignedPartitions(), b.metrics().assignedPartitions()))
                        .as("partitions owned by each of the two workers").doesNotContain(0L);
                // 1. a batch of interleaved series, shared by the two workers
                h.sendInterleaved(TaskGroup.CHEST, series("ok-", 8), true);
                List<InferenceResult> ok = h.read(broker.topics.results(), k -> k.startsWith("ok-"), 16,
                        Duration.ofSeconds(60), Duration.ofSeconds(2));
                assertOneCompleteResultPerSeriesAndTask(ok, "ok-", 8);

                // 2. one worker dies inside the transaction of crash-3, abandoning it
                Map<InferenceWorker, Long> completedBefore = Map.of(
                        a, a.metrics().seriesCompleted(), b, b.metrics().seriesCompleted());
                h.sendInterleaved(TaskGroup.CHEST, series("crash-", crashSeries), true);
                List<InferenceResult> crash = h.read(broker.topics.results(), k -> k.startsWith("crash-"),
                        2 * crashSeries, Duration.ofSeconds(90), Duration.ofSeconds(3));
                assertThat(crashed).isTrue();
                assertThat(victim.get().awaitStopped(Duration.ofSeconds(30))).isTrue();
                assertThat(victim.get().failure()).isNull();
                assertOneCompleteResultPerSeriesAndTask(crash, "crash-", crashSeries);
                InferenceWorker survivor = victim.get() == a ? b : a;
                // the survivor re-read slices of the series the victim completed before the crash (those at
                // or beyond the committed offset: at least the first one on the crowded partition, and any
                // completed on the victim's other partition) and skipped them instead of assembling them again
                long victimCompleted = victim.get().metrics().seriesCompleted() - completedBefore.get(victim.get());
                assertThat(victimCompleted).isGreaterThanOrEqualTo(1L);
                assertThat(survivor.metrics().slicesSkipped()).isBetween(1L, victimCompleted * DEPTH);

                // 3. a third worker joins; the one holding half-received series is killed mid-series
                c = new InferenceWorker(h.settings(TaskGroup.CHEST, group, "c"), broker.topics);
                Harness.start(c);
                Thread.sleep(3000); // let the group rebalance onto both
                List<List<WindowedSlice>> mid = series("mid-", 4);
                List<List<WindowedSlice>> firstHalf = mid.stream().map(s -> s.subList(0, DEPTH / 2)).toList();
                List<List<WindowedSlice>> secondHalf = mid.stream().map(s -> s.subList(DEPTH / 2, DEPTH)).toList();
                h.sendInterleaved(TaskGroup.CHEST, firstHalf, false);
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (survivor.metrics().openSeries() + c.metrics().openSeries() < 4 && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertThat(survivor.metrics().openSeries() + c.metrics().openSeries()).isEqualTo(4);
                InferenceWorker killed = c.metrics().openSeries() > 0 ? c : survivor;
                InferenceWorker remaining = killed == c ? survivor : c;
                killed.halt();
                assertThat(killed.awaitStopped(Duration.ofSeconds(30))).isTrue();
                h.sendInterleaved(TaskGroup.CHEST, secondHalf, false);
                for (List<WindowedSlice> s : mid) {
                    h.send(TaskGroup.CHEST, Scans.event(Scans.marker(s.get(0).getSeriesUid(), DEPTH)));
                }
                h.producer.flush();
                List<InferenceResult> midResults = h.read(broker.topics.results(), k -> k.startsWith("mid-"), 8,
                        Duration.ofSeconds(90), Duration.ofSeconds(3));
                assertOneCompleteResultPerSeriesAndTask(midResults, "mid-", 4);
                assertThat(remaining.failure()).isNull();

                // nothing was dead-lettered
                List<DeadLetter> dead = h.read(broker.topics.inferenceDeadLetters(),
                        k -> k.startsWith("ok-") || k.startsWith("crash-") || k.startsWith("mid-"), 0,
                        Duration.ofSeconds(2), Duration.ZERO);
                assertThat(dead).isEmpty();
            } finally {
                a.close();
                b.close();
                if (c != null) {
                    c.close();
                }
            }
        }
    }

    @Test
    void badInputIsReportedAndDoesNotBlockThePartition() throws Exception {
        broker.truncate(Topics.TASKS_CHEST);
        String group = "it-bad-" + UUID.randomUUID();
        try (Harness h = new Harness(broker);
                InferenceWorker w = new InferenceWorker(h.settings(TaskGroup.CHEST, group, "bad")
                        .withMarkerTimeout(Duration.ofSeconds(2)), broker.topics)) {
            Harness.start(w);
            // slices without a marker
            List<WindowedSlice> missing = Scans.chestSlices("bad-missing", W, W, 4);
            h.sendInterleaved(TaskGroup.CHEST, List.of(missing), false);
            // one slice of another size
            List<WindowedSlice> sizes = new ArrayList<>(Scans.chestSlices("bad-sizes", W, W, 3));
            sizes.add(Scans.slice(TaskGroup.CHEST, "bad-sizes", 4, 3, new float[16 * 16], 16, 16));
            h.sendInterleaved(TaskGroup.CHEST, List.of(sizes), true);
            // fewer slices than the marker announces
            h.sendInterleaved(TaskGroup.CHEST, List.of(Scans.chestSlices("bad-count", W, W, 3)), false);
            h.send(TaskGroup.CHEST, Scans.event(Scans.marker("bad-count", 5)));
            // bytes that are no TaskSliceEvent
            h.sendRaw(TaskGroup.CHEST, "bad-garbage", new byte[] {0, 0, 0, 0, 99, 1, 2});
            // and good series behind all of it
            h.sendInterleaved(TaskGroup.CHEST, series("good-", 4), true);

            List<InferenceResult> good = h.read(broker.topics.results(), k -> k.startsWith("good-"), 8,
                    Duration.ofSeconds(60), Duration.ofSeconds(1));
            assertOneCompleteResultPerSeriesAndTask(good, "good-", 4);
            List<DeadLetter> dead = h.read(broker.topics.inferenceDeadLetters(), k -> k.startsWith("bad-"), 4,
                    Duration.ofSeconds(60), Duration.ofSeconds(1));
            Map<String, String> reasons = dead.stream().collect(Collectors.toMap(DeadLetter::getKey, DeadLetter::getReason));
            assertThat(reasons).hasSize(4);
            assertThat(reasons.get("bad-missing")).startsWith("missing series-complete marker after 2 s (4 slices buffered, offsets ");
            assertThat(reasons.get("bad-sizes")).isEqualTo("inconsistent slice sizes: bad-sizes.1 is 32x32, bad-sizes.4 is 16x16");
            assertThat(reasons.get("bad-count")).isEqualTo("slice count mismatch: marker says 5 instances, received 3 distinct SOP instances");
            assertThat(reasons.get("bad-garbage")).startsWith("undecodable task event at radstream.tasks.chest-");
            assertThat(dead).allMatch(d -> d.getComponent().equals("gpu-workers/chest")
                    && d.getSourceTopic().equals(Topics.TASKS_CHEST));
            List<InferenceResult> noResults = h.read(broker.topics.results(), k -> k.startsWith("bad-"), 0,
                    Duration.ofSeconds(1), Duration.ZERO);
            assertThat(noResults).isEmpty();

            assertThat(w.metrics().markerTimeouts()).isEqualTo(1);
            assertThat(w.metrics().deadLetters("invalid-series")).isEqualTo(2);
            assertThat(w.metrics().deadLetters("undecodable")).isEqualTo(1);
            assertThat(w.metrics().results("lung", "hu-threshold")).isEqualTo(4);

            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + w.httpPort() + "/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).isEqualTo("{\"status\":\"UP\"}");
            String metrics = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + w.httpPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("radstream_worker_dead_letters_total{group=\"chest\",kind=\"missing-marker\"} 1\n");
            assertThat(metrics).contains("radstream_worker_results_total{group=\"chest\",task=\"infection\",method=\"hu-threshold\"} 4\n");
            assertThat(metrics).contains("radstream_worker_series_latency_seconds_count{group=\"chest\"} ");
            assertThat(metrics).containsPattern("radstream_worker_consumer_lag\\{group=\"chest\",partition=\"radstream.tasks.chest-[0-3]\"} 0");
        }
    }

    @Test
    void aResultTooLargeToPublishIsDeadLetteredAtOnce() throws Exception {
        broker.truncate(Topics.TASKS_CHEST);
        int n = 512;
        int depth = 24;
        List<WindowedSlice> slices = new ArrayList<>();
        for (int z = 0; z < depth; z++) {
            float[] hu = new float[n * n];
            for (int y = 0; y < n; y++) {
                for (int x = 0; x < n; x++) {
                    boolean lung = x >= 8 && y >= 8 && x < n - 8 && y < n - 8;
                    // a checkerboard of ground glass and aerated lung: an infection mask of single voxels
                    hu[y * n + x] = x < 2 || y < 2 || x >= n - 2 || y >= n - 2 ? -1000
                            : !lung ? 40 : (x + y + z) % 2 == 0 ? -500 : -860;
                }
            }
            slices.add(Scans.slice(TaskGroup.CHEST, "huge-0", z + 1, z, hu, n, n));
        }
        try (Harness h = new Harness(broker);
                InferenceWorker w = new InferenceWorker(h.settings(TaskGroup.CHEST, "it-huge-" + UUID.randomUUID(), "huge"),
                        broker.topics)) {
            Harness.start(w);
            h.sendInterleaved(TaskGroup.CHEST, List.of(slices), true);
            h.sendInterleaved(TaskGroup.CHEST, series("after-huge-", 1), true);
            List<DeadLetter> dead = h.read(broker.topics.inferenceDeadLetters(), k -> k.equals("huge-0"), 1,
                    Duration.ofSeconds(120), Duration.ofSeconds(1));
            assertThat(dead).hasSize(1);
            assertThat(dead.get(0).getReason()).startsWith("the infection result is ")
                    .endsWith("-byte record limit: the mask is too fragmented to publish");
            assertThat(dead.get(0).getAttempts()).isEqualTo(1);
            List<InferenceResult> after = h.read(broker.topics.results(), k -> k.startsWith("after-huge-"), 2,
                    Duration.ofSeconds(60), Duration.ofMillis(500));
            assertOneCompleteResultPerSeriesAndTask(after, "after-huge-", 1);
            assertThat(w.metrics().transactionsAborted()).isZero();
            assertThat(h.read(broker.topics.results(), k -> k.startsWith("huge-"), 0, Duration.ofSeconds(1),
                    Duration.ZERO)).isEmpty();
        }
    }
}
