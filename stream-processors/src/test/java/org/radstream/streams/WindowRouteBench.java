package org.radstream.streams;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.radstream.avro.DicomSlice;
import org.radstream.schemas.TopicSpec;
import org.radstream.schemas.Topics;
import org.radstream.streams.StreamsSettings.TopologyName;

/**
 * Window-and-route throughput against a plain consume-and-produce pass-through of the same
 * records, in one run on the embedded broker. Both sides run under the same guarantee: the
 * pass-through is a read_committed consumer and a transactional producer committing offsets with
 * its output about every 100 ms (the Kafka Streams exactly-once commit interval), lz4, one thread.
 *
 * <p>Run: {@code java -cp <test classpath> org.radstream.streams.WindowRouteBench [slices] [series]}
 * (BENCHMARKS.md has the exact command).
 */
public final class WindowRouteBench {
    private static final int SIZE = 512;

    private WindowRouteBench() {}

    public static void main(String[] args) throws Exception {
        int slices = args.length > 0 ? Integer.parseInt(args[0]) : 600;
        int seriesCount = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        EmbeddedBroker broker = EmbeddedBroker.get();
        Topics topics = new Topics(EmbeddedBroker.registry(), 1);
        String passTopic = "bench.passthrough";
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap))) {
            List<NewTopic> create = new java.util.ArrayList<>();
            for (TopicSpec s : topics.specs()) {
                create.add(new NewTopic(s.name(), s.partitions(), (short) 1).configs(s.configs()));
            }
            create.add(new NewTopic(passTopic, 1, (short) 1).configs(topics.tasksChest().spec().configs()));
            admin.createTopics(create).all().get();
        }
        produceInput(broker.bootstrap, topics, slices, seriesCount);
        System.out.printf("input: %d slices of %dx%d int16 in %d series on %s (1 partition)%n", slices, SIZE, SIZE,
                seriesCount, Topics.SLICES);

        double pass = passThrough(broker.bootstrap, passTopic, slices);
        double route = windowAndRoute(broker.bootstrap, topics, slices);
        double pass2 = passThrough(broker.bootstrap, passTopic, slices);
        double passMean = (pass + pass2) / 2;
        System.out.printf("pass-through:     %.1f slices/s (runs %.1f and %.1f, before and after)%n", passMean, pass, pass2);
        System.out.printf("window-and-route: %.1f slices/s%n", route);
        System.out.printf("ratio:            %.2f%n", route / passMean);
        Runtime.getRuntime().halt(0);
    }

    private static void produceInput(String bootstrap, Topics topics, int slices, int seriesCount) {
        Map<String, Object> c = new HashMap<>();
        c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.PIXEL_MAX_MESSAGE_BYTES);
        c.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        c.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        Random r = new Random(42);
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(c, new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < slices; i++) {
                String series = "1.2.826.0.1.bench." + (i % seriesCount);
                ByteBuffer px = ByteBuffer.allocate(SIZE * SIZE * 2).order(ByteOrder.LITTLE_ENDIAN);
                for (int y = 0; y < SIZE; y++) {
                    for (int x = 0; x < SIZE; x++) {
                        double dx = (x - SIZE / 2.0) / (SIZE / 2.0);
                        double dy = (y - SIZE / 2.0) / (SIZE / 2.0);
                        double hu = dx * dx + dy * dy > 0.8 ? -1000 : (Math.abs(dx) > 0.15 && Math.abs(dx) < 0.65 ? -850 : 40);
                        px.putShort((short) Math.round(hu + 1024 + 15 * r.nextGaussian()));
                    }
                }
                px.flip();
                DicomSlice s = TestData.slice(series, i / seriesCount + 1, "CHEST", px).setRows(SIZE).setColumns(SIZE)
                        .setPixelRepresentation(0).setRescaleIntercept(-1024).build();
                p.send(new ProducerRecord<>(Topics.SLICES, series,
                        topics.slices().valueSerde().serializer().serialize(Topics.SLICES, TestData.event(s))));
            }
            p.flush();
        }
    }

    private static double passThrough(String bootstrap, String out, int slices) {
        Map<String, Object> cc = new HashMap<>();
        cc.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        cc.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-pass-" + System.nanoTime());
        cc.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        cc.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        cc.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        Map<String, Object> pc = new HashMap<>();
        pc.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        pc.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.PIXEL_MAX_MESSAGE_BYTES);
        pc.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        pc.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "bench-pass-" + System.nanoTime());
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(cc, new StringDeserializer(), new ByteArrayDeserializer());
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(pc, new StringSerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            consumer.subscribe(List.of(Topics.SLICES));
            int done = 0;
            long start = 0;
            long lastCommit = 0;
            boolean open = false;
            Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
            long deadline = System.nanoTime() + 300_000_000_000L;
            while (done < slices) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("pass-through stalled at " + done + " of " + slices + " slices");
                }
                ConsumerRecords<String, byte[]> batch = consumer.poll(Duration.ofMillis(100));
                for (ConsumerRecord<String, byte[]> rec : batch) {
                    if (start == 0) {
                        start = System.nanoTime();
                        lastCommit = start;
                    }
                    if (!open) {
                        producer.beginTransaction();
                        open = true;
                    }
                    producer.send(new ProducerRecord<>(out, rec.key(), rec.value()));
                    offsets.put(new TopicPartition(rec.topic(), rec.partition()), new OffsetAndMetadata(rec.offset() + 1));
                    done++;
                }
                if (open && (System.nanoTime() - lastCommit > 100_000_000L || done >= slices)) {
                    producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
                    producer.commitTransaction();
                    open = false;
                    lastCommit = System.nanoTime();
                }
            }
            return slices / ((System.nanoTime() - start) / 1e9);
        }
    }

    private static double windowAndRoute(String bootstrap, Topics topics, int slices) throws Exception {
        StreamsSettings settings = StreamsSettings.defaults(bootstrap, "http://unused", Files.createTempDirectory("bench-state"))
                .withApplicationId("bench-route-" + System.nanoTime())
                .withTopologies(EnumSet.of(TopologyName.WINDOW_AND_ROUTE)).withHttp("localhost", -1);
        try (StreamsApp app = new StreamsApp(settings, topics, Map.of())) {
            app.start();
            KafkaStreams ks = app.streams(TopologyName.WINDOW_AND_ROUTE);
            long start = 0;
            double routed = 0;
            long deadline = System.nanoTime() + 300_000_000_000L;
            while (routed < slices) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("window-and-route stalled at " + routed + " of " + slices
                            + " slices, state " + ks.state());
                }
                routed = TestData.counter(ks.metrics(), WindowAndRoute.TOPOLOGY, "slices-routed-chest");
                if (start == 0 && routed > 0) {
                    start = System.nanoTime();
                    routed = TestData.counter(ks.metrics(), WindowAndRoute.TOPOLOGY, "slices-routed-chest");
                    if (routed >= slices) {
                        break;
                    }
                }
                Thread.sleep(2);
            }
            // the first slice's processing is outside the timed span: count the rest
            return (slices - 1) / ((System.nanoTime() - start) / 1e9);
        }
    }
}
