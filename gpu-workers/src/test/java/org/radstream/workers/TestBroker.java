package org.radstream.workers;

import java.nio.file.Files;
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
        kafka = EmbeddedKafka.start(Files.createTempDirectory("gw-kraft"));
        bootstrap = kafka.bootstrap();
        kafka.createTopics(topics.specs());
    }

    /** Deletes every record of a topic so that a new consumer group starts on an empty log. */
    void truncate(String topic) throws Exception {
        kafka.truncate(topic);
    }

    private void stop() {
        kafka.close();
    }
}
