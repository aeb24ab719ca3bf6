package org.radstream.launcher;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "platform", description = "Run the embedded Kafka broker and schema registry.")
final class PlatformCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        return 0;
    }
}
