package org.radstream.workers;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.avro.DeadLetter;
import org.radstream.avro.InferenceResult;
import org.radstream.avro.ModelPublished;
import org.radstream.avro.WindowedSlice;
import org.radstream.models.Architectures;
import org.radstream.models.ModelArtifact;
import org.radstream.models.ModelDescriptor;
import org.radstream.models.ModelStore;
import org.radstream.models.NetworkSpec;
import org.radstream.schemas.Topics;

/**
 * A liver worker running stored U-Nets (random weights: what is tested is which version made each
 * result, not its accuracy) while new versions are announced on radstream.models.
 */
class ModelHotSwapIT {
    private static final int W = 64;
    private static final int DEPTH = 8;
    private static final int MODEL_SIZE = 32;

    static TestBroker broker;

    @TempDir
    Path storeDir;

    @BeforeAll
    static void broker() throws Exception {
        broker = TestBroker.get();
    }

    private static ModelArtifact save(ModelStore store, String task, double low, double high) throws Exception {
        try (Model model = Architectures.newModel(NetworkSpec.unet2d(2, 4), Device.cpu())) {
            model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 1, MODEL_SIZE, MODEL_SIZE));
            return store.save(model, new ModelDescriptor(task, MODEL_SIZE, MODEL_SIZE, low, high, Map.of("dice", 0.5)));
        }
    }

    private static void publish(Harness h, String task, String version, String location, String sha) {
        ModelPublished p = ModelPublished.newBuilder()
                .setTask(task).setVersion(version).setArchitecture("unet").setInputSize(MODEL_SIZE)
                .setWindowLowHu(-150).setWindowHighHu(250).setLocation(location).setSha256(sha)
                .setPublishedAt(Instant.now()).build();
        var t = broker.topics.models();
        h.producer.send(new ProducerRecord<>(t.name(), task, t.valueSerde().serializer().serialize(t.name(), p)));
        h.producer.flush();
    }

    private static List<WindowedSlice> liverSeries(String uid) {
        List<WindowedSlice> out = new ArrayList<>();
        for (int z = 0; z < DEPTH; z++) {
            float[] hu = new float[W * W];
            for (int y = 0; y < W; y++) {
                for (int x = 0; x < W; x++) {
                    boolean liver = (x - 28) * (x - 28) + (y - 30) * (y - 30) < 18 * 18;
                    hu[y * W + x] = x < 2 || y < 2 || x >= W - 2 || y >= W - 2 ? -1000 : liver ? (y == 30 ? 190 : 110) : 40;
                }
            }
            out.add(Scans.slice(TaskGroup.LIVER, uid, z + 1, z, hu, W, W));
        }
        return out;
    }

    @Test
    void newVersionsApplyBetweenSeriesAndACorruptArtifactIsRefused() throws Exception {
        broker.truncate(Topics.TASKS_LIVER);
        ModelStore store = new ModelStore(storeDir);
        ModelArtifact liver1 = save(store, "liver", -150, 250);
        ModelArtifact vessel1 = save(store, "vessel", -150, 150);
        ModelArtifact liver2 = save(store, "liver", -150, 250);
        // a copy of version 2 whose weights were altered after publication
        Path corrupt = storeDir.resolve("tampered");
        Files.createDirectories(corrupt);
        try (Stream<Path> files = Files.list(Path.of(liver2.location()))) {
            for (Path f : files.toList()) {
                Files.copy(f, corrupt.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Path params = corrupt.resolve(liver2.metadata().parametersFile());
        byte[] bytes = Files.readAllBytes(params);
        bytes[bytes.length - 3] ^= 0x5a;
        Files.write(params, bytes);

        String group = "it-swap-" + UUID.randomUUID();
        try (Harness h = new Harness(broker)) {
            publish(h, "liver", "1", liver1.location().toString(), liver1.metadata().sha256());
            publish(h, "vessel", "1", vessel1.location().toString(), vessel1.metadata().sha256());
            InferenceWorker w = new InferenceWorker(h.settings(TaskGroup.LIVER, group, "swap").withBatchSize(4),
                    broker.topics);
            try (w) {
                Harness.start(w);
                for (int i = 0; i < 3; i++) {
                    h.sendInterleaved(TaskGroup.LIVER, List.of(liverSeries("first-" + i)), true);
                }
                List<InferenceResult> first = h.read(broker.topics.results(), k -> k.startsWith("first-"), 6,
                        Duration.ofSeconds(120), Duration.ofSeconds(1));
                assertThat(first).hasSize(6).allMatch(r -> r.getMethod().equals("model") && "1".equals(r.getModelVersion()));
                assertThat(first).allMatch(r -> r.getMask().getWidth() == W && r.getMask().getHeight() == W
                        && r.getMask().getDepth() == DEPTH);
                // each model-made mask says how firmly it was decided, and /metrics counts it per task
                assertThat(first).allSatisfy(r -> assertThat(r.getMaskStability()).isBetween(0.0, 1.0));
                assertThat(w.metrics().stabilityAtMost("liver", Double.POSITIVE_INFINITY)).isEqualTo(3);
                assertThat(w.metrics().stabilityAtMost("vessel", Double.POSITIVE_INFINITY)).isEqualTo(3);
                assertThat(w.metrics().render()).contains(
                        "radstream_worker_mask_stability_count{group=\"liver\",task=\"liver\"} 3");

                // a tampered artifact is refused and version 1 stays
                publish(h, "liver", "2-tampered", corrupt.toUri().toString(), liver2.metadata().sha256());
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (w.metrics().modelLoadFailures("liver") == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertThat(w.metrics().modelLoadFailures("liver")).isEqualTo(1);
                List<DeadLetter> refused = h.read(broker.topics.inferenceDeadLetters(), k -> k.equals("liver"), 1,
                        Duration.ofSeconds(30), Duration.ofMillis(500));
                assertThat(refused).hasSize(1);
                assertThat(refused.get(0).getComponent()).isEqualTo("gpu-workers/model-watcher");
                assertThat(refused.get(0).getReason())
                        .startsWith("model liver version 2-tampered refused (integrity): checksum mismatch")
                        .endsWith("; keeping version 1");

                // series flow while version 2 is announced
                int n = 12;
                for (int i = 0; i < n; i++) {
                    if (i == 4) {
                        publish(h, "liver", "2", liver2.location().toString(), liver2.metadata().sha256());
                    }
                    h.sendInterleaved(TaskGroup.LIVER, List.of(liverSeries("flow-" + i)), true);
                    Thread.sleep(250);
                }
                List<InferenceResult> flow = h.read(broker.topics.results(), k -> k.startsWith("flow-"), 2 * n,
                        Duration.ofSeconds(120), Duration.ofSeconds(2));
                Map<String, Long> perKey = flow.stream().collect(Collectors.groupingBy(
                        r -> Topics.seriesTaskKey(r.getSeriesUid(), r.getTask()), Collectors.counting()));
                assertThat(perKey).hasSize(2 * n);
                assertThat(perKey.values()).containsOnly(1L);
                List<String> liverVersions = flow.stream().filter(r -> r.getTask().equals("liver"))
                        .sorted(Comparator.comparing(InferenceResult::getProducedAt))
                        .map(InferenceResult::getModelVersion).toList();
                assertThat(liverVersions).hasSize(n).isSortedAccordingTo(Comparator.naturalOrder());
                assertThat(liverVersions.get(0)).isEqualTo("1");
                assertThat(liverVersions.get(n - 1)).isEqualTo("2");
                assertThat(flow).filteredOn(r -> r.getTask().equals("vessel"))
                        .allMatch(r -> "1".equals(r.getModelVersion()) && r.getMethod().equals("model"));
                assertThat(h.read(broker.topics.inferenceDeadLetters(), k -> k.startsWith("flow-"), 0,
                        Duration.ofSeconds(1), Duration.ZERO)).isEmpty();
                assertThat(w.metrics().modelVersion("liver")).isEqualTo("2");
                assertThat(w.metrics().render()).contains(
                        "radstream_worker_model_info{group=\"liver\",task=\"liver\",version=\"2\"} 1\n");
            }
        }
    }
}
