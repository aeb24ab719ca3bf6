package org.radstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's "models:" line says which model each task runs, and what the workers do where there is none. */
class DemoModelsLineTest {
    @TempDir
    Path store;

    @Test
    void eachTaskShowsItsLatestVersionOrWhatTheWorkersDoWithoutOne() throws IOException {
        Path shipped = Path.of("..", "models-default", "lung", "v0001");
        Path copy = Files.createDirectories(store.resolve("lung").resolve("v0001"));
        for (String file : List.of("metadata.json", "model-0000.params", "gate.json")) {
            Files.copy(shipped.resolve(file), copy.resolve(file));
        }

        assertThat(DemoCommand.describeModels(store)).isEqualTo("lung v1, infection none (HU threshold), "
                + "infection-classifier none (every infection component kept), liver none (HU threshold), "
                + "vessel none (HU threshold) from " + store);
    }
}
