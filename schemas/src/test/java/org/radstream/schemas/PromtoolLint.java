package org.radstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Prometheus' own linter ({@code promtool check metrics}, Debian package prometheus) on a text exposition, for the
 * services' {@code /metrics} tests.
 */
public final class PromtoolLint {
    private static final Path PROMTOOL = Path.of("/usr/bin/promtool");

    private PromtoolLint() {}

    /** Fails unless promtool finds {@code what}'s exposition valid with nothing to lint (help, type, base units). */
    public static void assertClean(String what, String exposition) throws IOException, InterruptedException {
        assertThat(Files.isExecutable(PROMTOOL)).as("%s (Debian package prometheus) is not installed: bin/setup --test "
                + "installs it", PROMTOOL).isTrue();
        Process lint = new ProcessBuilder(PROMTOOL.toString(), "check", "metrics").redirectErrorStream(true).start();
        try (OutputStream in = lint.getOutputStream()) {
            in.write(exposition.getBytes(StandardCharsets.UTF_8));
        }
        String problems = new String(lint.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(lint.waitFor()).as("promtool check metrics of %s: %s", what, problems).isZero();
        assertThat(problems).as("promtool check metrics of %s", what).isBlank();
    }
}
