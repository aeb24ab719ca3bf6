package org.radstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's "models:" line says which model each task runs, and what the workers do where there is none. */
class DemoModelsLineTest {
    @TempDir
    Path store;

    @Test
    void eachTaskShowsItsLatestVersionOrWhatTheWorkersDoWithoutOne() throws IOException {
        copyTree(Path.of("..", "models-default", "lung"), store.resolve("lung"));

        assertThat(DemoCommand.describeModels(store)).isEqualTo("lung v1, infection none (HU threshold), "
                + "infection-classifier none (every infection component kept), liver none (HU threshold), "
                + "vessel none (HU threshold) from " + store);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
