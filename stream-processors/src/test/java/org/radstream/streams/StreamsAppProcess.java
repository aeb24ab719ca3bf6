package org.radstream.streams;

import java.nio.file.Path;
import java.util.EnumSet;
import org.radstream.schemas.Topics;
import org.radstream.streams.StreamsSettings.TopologyName;

/**
 * The PoIR and progression topologies in a child JVM, so a test can kill it with SIGKILL
 * mid-stream. Arguments: bootstrap servers, application id, state directory.
 */
public final class StreamsAppProcess {
    private StreamsAppProcess() {}

    public static void main(String[] args) throws Exception {
        StreamsSettings settings = StreamsSettings.defaults(args[0], "http://unused", Path.of(args[2]))
                .withApplicationId(args[1])
                .withTopologies(EnumSet.of(TopologyName.POIR_JOIN, TopologyName.PROGRESSION_ALERTS))
                .withHttp("localhost", -1);
        StreamsApp app = new StreamsApp(settings, new Topics(EmbeddedBroker.registry()), StreamsAppIT.OVERRIDES);
        app.start();
        System.out.println("STARTED");
        Thread.sleep(Long.MAX_VALUE);
    }
}
