package org.radstream.delivery;

import java.io.PrintStream;
import org.radstream.avro.ProgressionAlert;

/** Prints each alert's one-line text; for the demo and for operators tailing a service. */
public final class ConsoleSink implements AlertSink {
    private final PrintStream out;

    public ConsoleSink(PrintStream out) {
        this.out = out;
    }

    @Override
    public String name() {
        return "console";
    }

    @Override
    public void deliver(ProgressionAlert alert) {
        out.println(AlertText.line(alert));
        out.flush();
    }
}
