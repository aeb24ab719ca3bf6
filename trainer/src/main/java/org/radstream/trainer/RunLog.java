package org.radstream.trainer;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every finished training run of the trainer, one JSON object a line in its work directory, so that
 * {@code GET /runs} still shows what earlier processes trained, published, refused and failed after a
 * restart. A line that cannot be read (a crash while appending) is logged and skipped.
 */
final class RunLog {
    private static final Logger log = LoggerFactory.getLogger(RunLog.class);
    static final String FILE = "runs.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final List<Map<String, Object>> earlier;

    private RunLog(Path file, List<Map<String, Object>> earlier) {
        this.file = file;
        this.earlier = List.copyOf(earlier);
    }

    /** The log in {@code file}, with the runs it already holds. */
    static RunLog open(Path file) throws IOException {
        List<Map<String, Object>> runs = new ArrayList<>();
        if (Files.exists(file)) {
            int n = 0;
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                try {
                    runs.add(JSON.readValue(line, new TypeReference<Map<String, Object>>() {}));
                } catch (IOException e) {
                    log.warn("run log {} line {} is unreadable and skipped: {}", file, n, e.getMessage());
                }
            }
        }
        return new RunLog(file, runs);
    }

    /** The runs of earlier processes, oldest first. */
    List<Map<String, Object>> earlier() {
        return earlier;
    }

    /** Appends a finished run. */
    synchronized void append(Map<String, Object> run) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, JSON.writeValueAsString(run) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("could not append to the run log " + file, e);
        }
    }
}
