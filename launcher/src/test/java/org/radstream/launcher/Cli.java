package org.radstream.launcher;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/** Runs a {@code radstream} command line in this JVM, as the launcher would, and keeps what it printed on stderr. */
final class Cli {
    record Result(int exitCode, String stderr) {}

    private Cli() {}

    /** {@code command} followed by {@code args}. */
    static Result run(List<String> command, String... args) {
        List<String> all = new ArrayList<>(command);
        all.addAll(List.of(args));
        StringWriter err = new StringWriter();
        int code = new CommandLine(new Radstream()).setErr(new PrintWriter(err)).execute(all.toArray(String[]::new));
        return new Result(code, err.toString());
    }

    /** {@code a} then {@code b}: a command's arguments before the cluster's. */
    static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
