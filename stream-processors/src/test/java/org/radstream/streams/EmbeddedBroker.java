package org.radstream.streams;

import java.nio.file.Files;
import org.radstream.platform.EmbeddedKafka;
import org.radstream.schemas.AvroSerde;
import org.radstream.schemas.SchemaStore;
import org.radstream.schemas.Topic;
import org.radstream.schemas.Topics;

/**
 * One in-process KRaft broker per test JVM ({@link EmbeddedKafka}); the tests here keep their own
 * schema store with ids fixed in catalogue order (below). Topics are created by {@link StreamsApp#start()}.
 */
final class EmbeddedBroker {
    private static EmbeddedBroker instance;

    final String bootstrap;
    private final EmbeddedKafka kafka;

    static synchronized EmbeddedBroker get() throws Exception {
        if (instance == null) {
            instance = new EmbeddedBroker();
            EmbeddedBroker b = instance;
            Runtime.getRuntime().addShutdownHook(new Thread(b.kafka::close));
        }
        return instance;
    }

    /**
     * A schema store whose ids are the same in every JVM: each catalogue topic's value schema is
     * registered in catalogue order before anything else, so a child process and the test agree.
     */
    static SchemaStore registry() {
        SchemaStore store = new SchemaStore();
        for (Topic<?, ?> t : new Topics(new SchemaStore()).all()) {
            store.register(t.name() + "-value", ((AvroSerde<?>) t.valueSerde()).schema());
        }
        return store;
    }

    private EmbeddedBroker() throws Exception {
        kafka = EmbeddedKafka.start(Files.createTempDirectory("sp-kraft"));
        bootstrap = kafka.bootstrap();
    }
}
