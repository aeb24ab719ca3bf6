package org.radstream.ingest;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs dcmtk's network tools (storescu, echoscu) with TCP_NODELAY=1 and collects their output. */
final class Dcmtk {
    record Result(int exitCode, String output) {}

    private Dcmtk() {}

    static Result storescu(String callingAe, String calledAe, int port, List<Path> files, String... options) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("storescu", "-v", "-aet", callingAe, "-aec", calledAe));
        cmd.addAll(List.of(options));
        cmd.add("127.0.0.1");
        cmd.add(Integer.toString(port));
        files.forEach(f -> cmd.add(f.toString()));
        return run(cmd);
    }

    static Result echoscu(String callingAe, String calledAe, int port) throws Exception {
        return run(List.of("echoscu", "-v", "-aet", callingAe, "-aec", calledAe, "127.0.0.1", Integer.toString(port)));
    }

    static Result run(List<String> cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(Map.of("TCP_NODELAY", "1"));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(cmd.get(0) + " did not finish: " + out);
        }
        return new Result(p.exitValue(), out);
    }

    /** The DIMSE statuses storescu -v reports, in order ("Success" or the status text it prints). */
    static List<String> storeResponses(String output) {
        List<String> out = new ArrayList<>();
        for (String line : output.split("\n")) {
            int i = line.indexOf("Received Store Response");
            if (i >= 0) {
                out.add(line.substring(i + "Received Store Response".length()).trim());
            }
        }
        return out;
    }
}
