package org.radstream.delivery;

import java.io.PrintStream;
import org.radstream.avro.ProgressionAlert;

/** Prints each alert's one-line text; for the demo and for operators tailing a service. */
public final class ConsoleSink implements AlertSink {
    private final PrintStream out;
    private final double reviewBelow;

    public ConsoleSink(PrintStream out) {
        this(out, AlertText.REVIEW_BELOW);
    }

    /** A sink whose lines ask for a look at the images below infection stability {@code reviewBelow} (0: never). */
    public ConsoleSink(PrintStream out, double reviewBelow) {
        this.out = out;
        this.reviewBelow = AlertText.checkReviewBelow(reviewBelow);
    }

    @Override
    public String name() {
        return "console";
    }

    @Override
    public void deliver(ProgressionAlert alert) {
        out.println(AlertText.line(alert, reviewBelow));
        out.flush();
    }
}
