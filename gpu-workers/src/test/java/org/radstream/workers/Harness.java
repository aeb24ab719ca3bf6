package org.radstream.workers;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
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
import org.radstream.avro.TaskSliceEvent;
import org.radstream.avro.WindowedSlice;
import org.radstream.schemas.Topic;

/** Producing task records and reading what the workers published, read_committed. */
final class Harness implements AutoCloseable {
    final TestBroker broker;
    final KafkaProducer<String, byte[]> producer;

    Harness(TestBroker broker) {
        this.broker = broker;
        Map<String, Object> c = new HashMap<>();
        c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap);
        c.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 2 * 1024 * 1024);
        producer = new KafkaProducer<>(c, new StringSerializer(), new ByteArraySerializer());
    }

    WorkerSettings settings(TaskGroup group, String groupId, String instance) {
        return WorkerSettings.defaults(broker.bootstrap, null, group)
                .withGroupId(groupId)
                .withInstanceId(instance)
                .withHttpPort(0)
                .withTransactionTimeout(Duration.ofSeconds(3))
                .withModelsReadyTimeout(Duration.ofSeconds(30));
    }

    void send(TaskGroup group, TaskSliceEvent event) {
        Topic<String, TaskSliceEvent> t = broker.topics.tasks(group.id());
        producer.send(new ProducerRecord<>(t.name(), event.getSeriesUid(),
                t.valueSerde().serializer().serialize(t.name(), event)));
    }

    void sendRaw(TaskGroup group, String key, byte[] value) {
        producer.send(new ProducerRecord<>(broker.topics.tasks(group.id()).name(), key, value));
    }

    /** Slices of several series interleaved slice by slice, then their markers. */
    void sendInterleaved(TaskGroup group, List<List<WindowedSlice>> series, boolean markers) {
        int max = series.stream().mapToInt(List::size).max().orElse(0);
        for (int i = 0; i < max; i++) {
            for (List<WindowedSlice> s : series) {
                if (i < s.size()) {
                    send(group, Scans.event(s.get(i)));
                }
            }
        }
        if (markers) {
            for (List<WindowedSlice> s : series) {
                send(group, Scans.event(Scans.marker(s.get(0).getSeriesUid(), s.size())));
            }
        }
        producer.flush();
    }

    /**
     * Every committed record of {@code topic} whose key matches, once at least {@code expected}
     * arrived (or the timeout passed), plus whatever arrives in the following {@code settle}.
     */
    <V> List<V> read(Topic<String, V> topic, Predicate<String> key, int expected, Duration timeout, Duration settle) {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString());
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<V> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(topic.name()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            long deadline = System.nanoTime() + timeout.toNanos();
            long settleUntil = Long.MAX_VALUE;
            while (System.nanoTime() < Math.min(deadline, settleUntil)) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.key() != null && key.test(r.key())) {
                        out.add(topic.valueSerde().deserializer().deserialize(r.topic(), r.value()));
                    }
                }
                if (out.size() >= expected && settleUntil == Long.MAX_VALUE) {
                    settleUntil = System.nanoTime() + settle.toNanos();
                }
            }
        }
        return out;
    }

    static Thread start(InferenceWorker worker) {
        Thread t = new Thread(worker, "worker-" + worker.settings().instanceId());
        t.start();
        return t;
    }

    @Override
    public void close() {
        producer.close();
    }
}
