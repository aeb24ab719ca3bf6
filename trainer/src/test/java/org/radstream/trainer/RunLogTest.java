package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunLogTest {
    @TempDir
    Path dir;

    @Test
    void runsSurviveAReopenAndALineTornByACrashIsSkippedNotFatal() throws Exception {
        Path file = dir.resolve(RunLog.FILE);
        RunLog log = RunLog.open(file);
        assertThat(log.earlier()).isEmpty();
        log.append(Map.of("task", "lung", "result", "published", "version", 1));
        Files.writeString(file, "{\"task\": \"liver\", \"res", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        Files.writeString(file, "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        RunLog.open(file).append(Map.of("task", "liver", "result", "failed", "failure", "no training scans for liver"));

        RunLog reopened = RunLog.open(file);
        assertThat(reopened.earlier()).extracting(m -> m.get("task") + " " + m.get("result"))
                .containsExactly("lung published", "liver failed");
        assertThat(reopened.earlier().get(0).get("version")).isEqualTo(1);
    }
}
