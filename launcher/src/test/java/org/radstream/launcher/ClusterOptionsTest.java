package org.radstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** A service given Kafka client settings it cannot use stops at once with the reason (exit 2), before it connects. */
class ClusterOptionsTest {
    @TempDir
    Path dir;

    private String[] run(String... args) {
        StringWriter err = new StringWriter();
        int code = new CommandLine(new Radstream()).setErr(new PrintWriter(err)).execute(args);
        return new String[] {Integer.toString(code), err.toString()};
    }

    @Test
    void aKafkaConfigWithASettingRadstreamOwnsOrNoFileIsAUsageError() throws Exception {
        Path owned = Files.writeString(dir.resolve("client.properties"),
                "security.protocol=SASL_SSL\nisolation.level=read_uncommitted\n");
        for (List<String> service : List.of(List.of("export", "--pacs", "127.0.0.1:104"),
                List.of("deliver"), List.of("worker", "--task", "chest"))) {
            List<String> args = new ArrayList<>(service);
            args.addAll(List.of("--bootstrap", "127.0.0.1:1", "--registry", "http://127.0.0.1:1", "--kafka-config",
                    owned.toString()));
            String[] out = run(args.toArray(String[]::new));
            assertThat(out[0]).as(service + ": " + out[1]).isEqualTo("2");
            assertThat(out[1]).contains(owned + ": Kafka client setting isolation.level is not one radstream takes");
        }
        Path missing = dir.resolve("missing.properties");
        String[] out = run("export", "--bootstrap", "127.0.0.1:1", "--registry", "http://127.0.0.1:1", "--kafka-config",
                missing.toString(), "--pacs", "127.0.0.1:104");
        assertThat(out[0]).isEqualTo("2");
        assertThat(out[1]).contains("cannot read the Kafka client settings " + missing);
    }

    @Test
    void anExportReplayFromATimeThatIsNoInstantIsAUsageError() {
        String[] out = run("export", "--bootstrap", "127.0.0.1:1", "--registry", "http://127.0.0.1:1", "--pacs",
                "127.0.0.1:104", "--replay-from", "yesterday");
        assertThat(out[0]).isEqualTo("2");
        assertThat(out[1]).contains("--replay-from must be an ISO-8601 instant such as 2026-12-07T03:00:00Z, got "
                + "'yesterday'");
    }
}
