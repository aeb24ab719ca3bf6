package org.radstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code radstream models} refuses an unknown task or a missing store with the reason. */
class ModelsCommandTest {
    @TempDir
    Path dir;

    @Test
    void anUnknownTaskOrAMissingStoreIsRefused() {
        assertThat(refusal("--store", dir.toString(), "--task", "kidney")).contains("unknown task 'kidney'");
        assertThat(refusal("--store", dir.resolve("nothing").toString())).contains("no model store at " + dir.resolve("nothing"));
    }

    private static String refusal(String... args) {
        StringWriter err = new StringWriter();
        assertThat(new CommandLine(new ModelsCommand()).setErr(new PrintWriter(err)).execute(args)).isEqualTo(2);
        return err.toString();
    }
}
