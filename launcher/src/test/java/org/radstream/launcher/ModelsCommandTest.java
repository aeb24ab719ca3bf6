package org.radstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code radstream models} and {@code models promote} refuse bad options with the reason. */
class ModelsCommandTest {
    @TempDir
    Path dir;

    @Test
    void anUnknownTaskOrAMissingStoreIsRefused() {
        assertThat(refusal("--store", dir.toString(), "--task", "kidney")).contains("unknown task 'kidney'");
        assertThat(refusal("--store", dir.resolve("nothing").toString())).contains("no model store at " + dir.resolve("nothing"));
    }

    @Test
    void aPromotionNamesExactlyOneArtifactAndAReasonAndAStoreThatIsThere() {
        String store = dir.toString();
        assertThat(refusal("promote", "--store", store, "--task", "lung", "--reason", "r"))
                .contains("Error: Missing required argument (specify one of these): (--version=<version> | --refused=<refused>)");
        assertThat(refusal("promote", "--store", store, "--task", "lung", "--version", "1", "--refused", "1", "--reason", "r"))
                .contains("--version=<version>, --refused=<refused> are mutually exclusive");
        assertThat(refusal("promote", "--store", store, "--task", "lung", "--version", "1"))
                .contains("Missing required option: '--reason=<reason>'");
        assertThat(refusal("promote", "--store", dir.resolve("nothing").toString(), "--task", "lung", "--version", "1",
                "--reason", "r")).contains("no model store at " + dir.resolve("nothing"));
    }

    private static String refusal(String... args) {
        StringWriter err = new StringWriter();
        assertThat(new CommandLine(new ModelsCommand()).setErr(new PrintWriter(err)).execute(args)).isEqualTo(2);
        return err.toString();
    }
}
