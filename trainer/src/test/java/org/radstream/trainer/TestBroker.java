package org.radstream.trainer;

import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.common.TopicPartition;
import org.radstream.platform.EmbeddedKafka;
import org.radstream.schemas.SchemaStore;
import org.radstream.schemas.Topics;

/**
 * One in-process KRaft broker per test JVM, with radstream's topics, and an in-process schema
 * store, on the platform module's {@link EmbeddedKafka}; abandoned transactions are aborted within about a second here, so a crashed
 * worker's transaction does not hold its partitions for long.
 */
final class TestBroker {
    private static TestBroker instance;

    final String bootstrap;
    final SchemaStore registry = new SchemaStore();
    final Topics topics = new Topics(registry, Topics.DEFAULT_PARTITIONS);
    private final EmbeddedKafka kafka;

    static synchronized TestBroker get() throws Exception {
        if (instance == null) {
            instance = new TestBroker();
            Runtime.getRuntime().addShutdownHook(new Thread(instance::stop));
        }
        return instance;
    }

    private TestBroker() throws Exception {
        kafka = EmbeddedKafka.start(Files.createTempDirectory("trainer-kraft"));
        bootstrap = kafka.bootstrap();
        kafka.createTopics(topics.specs());
    }

    Admin admin() {
        Map<String, Object> c = new HashMap<>();
        c.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return Admin.create(c);
    }

    /** Deletes every record of a topic so that a new consumer group starts on an empty log. */
    void truncate(String topic) throws Exception {
        try (Admin admin = admin()) {
            int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int i = 0; i < partitions; i++) {
                latest.put(new TopicPartition(topic, i), OffsetSpec.latest());
            }
            Map<TopicPartition, RecordsToDelete> delete = new HashMap<>();
            admin.listOffsets(latest).all().get().forEach((tp, info) ->
                    delete.put(tp, RecordsToDelete.beforeOffset(info.offset())));
            admin.deleteRecords(delete).all().get();
        }
    }

    private void stop() {
        kafka.close();
    }
}
