package org.radstream.workers.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.radstream.avro.ModelPublished;
import org.radstream.avro.SeriesComplete;
import org.radstream.avro.TaskSliceEvent;
import org.radstream.avro.WindowedPlane;
import org.radstream.avro.WindowedSlice;
import org.radstream.models.Architectures;
import org.radstream.models.Devices;
import org.radstream.models.ModelArtifact;
import org.radstream.models.ModelDescriptor;
import org.radstream.models.ModelStore;
import org.radstream.models.NetworkSpec;
import org.radstream.models.SegmentationModel;
import org.radstream.schemas.SchemaStore;
import org.radstream.schemas.Topic;
import org.radstream.schemas.TopicSpec;
import org.radstream.schemas.Topics;
import org.radstream.workers.InferenceWorker;
import org.radstream.workers.TaskGroup;
import org.radstream.workers.WorkerSettings;

/**
 * Chest-worker throughput end to end through Kafka against the raw forward pass of the same
 * network, batch and input size (its forward pass through the same
 * {@code SegmentationModel.predict} the worker calls, on a prepared batch, measured before and
 * after), in one run; and the peak resident memory of a worker holding one
 * large series.
 *
 * <p>The worker runs the given network for both chest tasks (lung and infection; no classifier),
 * so every slice costs two forward passes: the ratio compares network passes per second,
 * {@code 2 × end-to-end slices/s ÷ raw slices/s}. Weights are random (speed does not depend on
 * them). Slices are 16-bit lung-window planes of {@code --image}² pixels, resampled to
 * {@code --size}² for the network and back. Run against a scratch broker: the bench deletes the
 * records of the chest task topic before it starts. The schema registry is in process (producer
 * and worker share this JVM).
 *
 * <pre>
 * java -cp … org.radstream.workers.bench.WorkerBench --bootstrap 127.0.0.1:9092 --mode throughput \
 *     --arch unet --in 3 --levels 4 --width 16 --size 256 --image 512 --batch 8 --series 4 --slices 64
 * java -Xmx2g -cp … org.radstream.workers.bench.WorkerBench --bootstrap … --mode rss --image 512 --slices 300
 * </pre>
 */
public final class WorkerBench {

    private WorkerBench() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new HashMap<>(Map.of("--mode", "throughput", "--arch", Architectures.UNET, "--in", "3",
                "--levels", "4", "--width", "16", "--size", "256", "--image", "512", "--batch", "8", "--series", "4",
                "--slices", "64"));
        o.put("--device", "cpu");
        for (int i = 0; i + 1 < args.length; i += 2) {
            o.put(args[i], args[i + 1]);
        }
        if (args.length % 2 != 0 || !o.containsKey("--bootstrap")) {
            throw new IllegalArgumentException("usage: --bootstrap host:port [--mode throughput|rss] [--arch unet]"
                    + " [--in 3] [--levels 4] [--width 16] [--size 256] [--image 512] [--batch 8] [--series 4]"
                    + " [--slices 64] [--device cpu]");
        }
        String bootstrap = o.get("--bootstrap");
        NetworkSpec spec = new NetworkSpec(o.get("--arch"), Integer.parseInt(o.get("--in")), 1,
                Integer.parseInt(o.get("--levels")), Integer.parseInt(o.get("--width")));
        int size = Integer.parseInt(o.get("--size"));
        int image = Integer.parseInt(o.get("--image"));
        int batch = Integer.parseInt(o.get("--batch"));
        int series = Integer.parseInt(o.get("--series"));
        int slices = Integer.parseInt(o.get("--slices"));
        Device device = Devices.requireAvailable(Devices.parse(o.get("--device")));

        SchemaStore registry = new SchemaStore();
        Topics topics = new Topics(registry);
        prepareTopics(bootstrap, topics);
        Path storeDir = Files.createTempDirectory("worker-bench-models");
        String run = UUID.randomUUID().toString().substring(0, 8);
        ModelArtifact lung;
        try (KafkaProducer<String, byte[]> producer = producer(bootstrap)) {
            lung = publishModels(producer, topics, new ModelStore(storeDir), spec, size, run);
        }
        if (o.get("--mode").equals("rss")) {
            rss(bootstrap, topics, image, slices, batch, device, run);
        } else {
            throughput(bootstrap, topics, lung, spec, size, image, batch, series, slices, device, run);
        }
    }

    /**
     * Slices per second of the stored network's forward pass on a prepared batch, through the
     * same {@link SegmentationModel#predict} the worker calls (median of 20 after 3 warm-ups).
     */
    static double rawSlicesPerSecond(ModelArtifact artifact, int batch, Device device) throws Exception {
        try (SegmentationModel model = SegmentationModel.load(artifact.location(), device)) {
            Random r = new Random(7);
            float[][] input = new float[batch][model.channels() * model.height() * model.width()];
            for (float[] sample : input) {
                for (int i = 0; i < sample.length; i++) {
                    sample[i] = r.nextFloat();
                }
            }
            long[] nanos = new long[20];
            for (int i = 0; i < 23; i++) {
                long t = System.nanoTime();
                model.predict(input);
                if (i >= 3) {
                    nanos[i - 3] = System.nanoTime() - t;
                }
            }
            java.util.Arrays.sort(nanos);
            return batch / (nanos[nanos.length / 2] / 1e9);
        }
    }

    private static void throughput(String bootstrap, Topics topics, ModelArtifact artifact, NetworkSpec spec, int size,
            int image, int batch, int series, int slices, Device device, String run) throws Exception {
        double raw = rawSlicesPerSecond(artifact, batch, device);
        System.out.printf(Locale.ROOT, "raw forward pass (SegmentationModel.predict on a prepared batch): %s in=%d"
                + " levels=%d width=%d input=%dx%d batch=%d: %.2f slices/s%n", spec.architecture(), spec.inChannels(),
                spec.levels(), spec.baseWidth(), size, size, batch, raw);

        WorkerSettings settings = settings(bootstrap, batch, device, run);
        try (KafkaProducer<String, byte[]> producer = producer(bootstrap);
                KafkaConsumer<String, byte[]> results = resultsConsumer(bootstrap, topics);
                InferenceWorker worker = new InferenceWorker(settings, topics)) {
            Thread t = new Thread(worker, "bench-worker");
            t.start();
            // warm-up: one series, so that engine start, JIT and group join are not timed
            sendSeries(producer, topics, run + "-warm", image, slices);
            awaitResults(results, run + "-warm", 2, Duration.ofMinutes(10), worker);
            double forward0 = worker.metrics().forwardMs();
            long t0 = System.nanoTime();
            for (int s = 0; s < series; s++) {
                sendSeries(producer, topics, run + "-s" + s, image, slices);
            }
            awaitResults(results, run + "-s", 2 * series, Duration.ofMinutes(30), worker);
            double seconds = (System.nanoTime() - t0) / 1e9;
            double forwardSeconds = (worker.metrics().forwardMs() - forward0) / 1000;
            double e2e = series * slices / seconds;
            System.out.printf(Locale.ROOT, "end to end: %d series x %d slices of %dx%d in %.1f s = %.2f slices/s"
                            + " (2 networks per slice = %.2f network passes/s)%n",
                    series, slices, image, image, seconds, e2e, 2 * e2e);
            // the machine may be shared: measure the raw pass again after the run and compare with both
            double after = rawSlicesPerSecond(artifact, batch, device);
            System.out.printf(Locale.ROOT, "raw forward pass, after: %.2f slices/s%n", after);
            double rawMean = (raw + after) / 2;
            System.out.printf(Locale.ROOT, "ratio end-to-end / raw forward pass: %.3f (before %.3f, after %.3f)%n",
                    2 * e2e / rawMean, 2 * e2e / raw, 2 * e2e / after);
            // the same question asked inside the run, immune to load that changes between measurements:
            // which share of the worker's wall time was spent in the forward passes themselves
            System.out.printf(Locale.ROOT, "share of wall time inside forward passes: %.3f (%.1f s of %.1f s;"
                    + " %.2f network passes/s while inside them)%n", forwardSeconds / seconds, forwardSeconds, seconds,
                    2.0 * series * slices / forwardSeconds);
            System.out.println(worker.metrics().render().lines()
                    .filter(l -> l.startsWith("radstream_worker_slice_inference_seconds") || l.startsWith("radstream_worker_series_latency"))
                    .reduce("", (a, b) -> a + b + "\n"));
        }
    }

    private static void rss(String bootstrap, Topics topics, int image, int slices, int batch, Device device,
            String run) throws Exception {
        try (KafkaProducer<String, byte[]> producer = producer(bootstrap)) {
            sendSeries(producer, topics, run + "-big", image, slices);
        }
        System.gc();
        long baseline = statusKb("VmRSS");
        // reset the high-water mark so that what follows is the worker's own peak
        Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        try (KafkaConsumer<String, byte[]> results = resultsConsumer(bootstrap, topics);
                InferenceWorker worker = new InferenceWorker(settings(bootstrap, batch, device, run), topics)) {
            Thread t = new Thread(worker, "bench-worker");
            t.start();
            long t0 = System.nanoTime();
            awaitResults(results, run + "-big", 2, Duration.ofMinutes(30), worker);
            System.out.printf(Locale.ROOT, "one %dx%dx%d series: result after %.1f s; RSS before the worker %d MiB,"
                            + " peak RSS with the series in flight %d MiB (max heap %d MiB)%n",
                    image, image, slices, (System.nanoTime() - t0) / 1e9, baseline / 1024, statusKb("VmHWM") / 1024,
                    Runtime.getRuntime().maxMemory() / (1024 * 1024));
        }
    }

    private static WorkerSettings settings(String bootstrap, int batch, Device device, String run) {
        return WorkerSettings.defaults(bootstrap, null, TaskGroup.CHEST)
                .withGroupId("radstream-bench-" + run)
                .withInstanceId("bench-" + run)
                .withDevice(device.isGpu() ? "gpu:" + device.getDeviceId() : "cpu")
                .withBatchSize(batch)
                .withHttpPort(-1)
                .withMaxInFlightBytes(4L * 1024 * 1024 * 1024);
    }

    private static long statusKb(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    private static void prepareTopics(String bootstrap, Topics topics) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            var existing = admin.listTopics().names().get();
            List<NewTopic> create = new ArrayList<>();
            for (TopicSpec s : topics.specs()) {
                if (!existing.contains(s.name())) {
                    create.add(new NewTopic(s.name(), s.partitions(), (short) 1).configs(s.configs()));
                }
            }
            if (!create.isEmpty()) {
                admin.createTopics(create).all().get();
            }
            String chest = topics.tasksChest().name();
            int partitions = admin.describeTopics(List.of(chest)).allTopicNames().get().get(chest).partitions().size();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < partitions; p++) {
                latest.put(new TopicPartition(chest, p), OffsetSpec.latest());
            }
            Map<TopicPartition, RecordsToDelete> delete = new HashMap<>();
            admin.listOffsets(latest).all().get().forEach((tp, i) -> delete.put(tp, RecordsToDelete.beforeOffset(i.offset())));
            admin.deleteRecords(delete).all().get();
        }
    }

    /**
     * Random weights segment noise into speckle whose RLE can exceed the record limit (such a
     * result is dead-lettered). The 1×1 output head gets zero weights and a bias of -20, so every
     * mask is empty; every layer before it still computes, so a forward pass costs what it would.
     */
    private static void silenceHead(Model model) {
        for (var p : model.getBlock().getParameters()) {
            if (p.getKey().endsWith("head_weight")) {
                p.getValue().getArray().muli(0f);
            } else if (p.getKey().endsWith("head_bias")) {
                p.getValue().getArray().muli(0f).addi(-20f);
            }
        }
    }

    /** Stores and announces the network for lung and infection; returns the lung artifact. */
    private static ModelArtifact publishModels(KafkaProducer<String, byte[]> producer, Topics topics, ModelStore store,
            NetworkSpec spec, int size, String run) throws Exception {
        Topic<String, ModelPublished> t = topics.models();
        ModelArtifact first = null;
        for (String task : List.of(TaskGroup.Tasks.LUNG, TaskGroup.Tasks.INFECTION)) {
            ModelArtifact a;
            try (Model model = Architectures.newModel(spec, Device.cpu())) {
                model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, spec.inChannels(), size, size));
                silenceHead(model);
                a = store.save(model, new ModelDescriptor(task, size, size, -1200, 600, Map.of()));
            }
            ModelPublished p = ModelPublished.newBuilder().setTask(task).setVersion("bench-" + run)
                    .setArchitecture(spec.architecture()).setInputSize(size).setWindowLowHu(-1200).setWindowHighHu(600)
                    .setLocation(a.location().toString()).setSha256(a.metadata().sha256()).setPublishedAt(Instant.now())
                    .build();
            producer.send(new ProducerRecord<>(t.name(), task, t.valueSerde().serializer().serialize(t.name(), p))).get();
            if (first == null) {
                first = a;
            }
        }
        return first;
    }

    /** A chest-like series: lung-window planes (body, two dark lungs), 2.5 mm apart. */
    private static void sendSeries(KafkaProducer<String, byte[]> producer, Topics topics, String uid, int n, int depth) {
        Topic<String, TaskSliceEvent> t = topics.tasksChest();
        for (int z = 0; z < depth; z++) {
            ByteBuffer b = ByteBuffer.allocate(n * n * 2).order(ByteOrder.LITTLE_ENDIAN);
            for (int y = 0; y < n; y++) {
                for (int x = 0; x < n; x++) {
                    double dx = (x - n / 2.0) / (n / 2.0);
                    double dy = (y - n / 2.0) / (n / 2.0);
                    double hu = dx * dx + dy * dy > 0.8 ? -1000 : 40;
                    if ((Math.abs(dx) > 0.15 && Math.abs(dx) < 0.65) && Math.abs(dy) < 0.55) {
                        hu = -860;
                    }
                    // no noise: random weights turn noise into speckle, whose RLE no real mask has
                    double v = Math.max(0, Math.min(1, (hu + 1200) / 1800));
                    b.putShort((short) Math.round(v * 65535));
                }
            }
            b.flip();
            WindowedSlice s = WindowedSlice.newBuilder().setTask("chest").setPatientId("bench").setStudyUid("1.2." + uid)
                    .setSeriesUid(uid).setSopInstanceUid(uid + "." + (z + 1)).setAcquisitionTime(Instant.now())
                    .setInstanceNumber(z + 1).setRows(n).setColumns(n).setPixelSpacingRow(0.7).setPixelSpacingColumn(0.7)
                    .setSliceThickness(2.5).setImagePositionPatient(List.of(0.0, 0.0, z * 2.5))
                    .setImageOrientationPatient(List.of(1.0, 0.0, 0.0, 0.0, 1.0, 0.0))
                    .setWindows(List.of(WindowedPlane.newBuilder().setName("lung").setLowHu(-1200).setHighHu(600)
                            .setBits(16).setValues(b).build()))
                    .build();
            TaskSliceEvent e = TaskSliceEvent.newBuilder().setSeriesUid(uid).setBody(s).build();
            producer.send(new ProducerRecord<>(t.name(), uid, t.valueSerde().serializer().serialize(t.name(), e)));
        }
        SeriesComplete m = SeriesComplete.newBuilder().setSeriesUid(uid).setStudyUid("1.2." + uid).setPatientId("bench")
                .setModality("CT").setInstanceCount(depth).setCompletedAt(Instant.now()).setTask("chest").build();
        producer.send(new ProducerRecord<>(t.name(), uid,
                t.valueSerde().serializer().serialize(t.name(), TaskSliceEvent.newBuilder().setSeriesUid(uid).setBody(m).build())));
        producer.flush();
    }

    private static KafkaProducer<String, byte[]> producer(String bootstrap) {
        Map<String, Object> c = new HashMap<>();
        c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.PIXEL_MAX_MESSAGE_BYTES);
        c.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        c.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        return new KafkaProducer<>(c, new StringSerializer(), new ByteArraySerializer());
    }

    private static KafkaConsumer<String, byte[]> resultsConsumer(String bootstrap, Topics topics) {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString());
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> parts = consumer.partitionsFor(topics.results().name()).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(parts);
        consumer.seekToEnd(parts);
        parts.forEach(consumer::position);
        return consumer;
    }

    private static void awaitResults(KafkaConsumer<String, byte[]> consumer, String keyPrefix, int expected,
            Duration timeout, InferenceWorker worker) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int seen = 0;
        while (seen < expected) {
            long dead = 0;
            for (String kind : List.of("invalid-series", "inference-failed", "publish-failed")) {
                dead += worker.metrics().deadLetters(kind);
            }
            if (dead > 0) {
                throw new IllegalStateException(dead + " series dead-lettered (see radstream.inference.dead-letters)");
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + seen + " of " + expected + " results for " + keyPrefix
                        + " within " + timeout);
            }
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                if (r.key() != null && r.key().startsWith(keyPrefix)) {
                    seen++;
                }
            }
        }
    }
}
