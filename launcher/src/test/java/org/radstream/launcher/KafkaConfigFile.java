package org.radstream.launcher;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.radstream.schemas.KafkaClientConfig;

/** A {@code --kafka-config} file as an operator writes it, for the tests that run services against a secured listener. */
final class KafkaConfigFile {
    private KafkaConfigFile() {}

    /** Writes {@code client}'s settings to {@code file} as a Java properties file (escaped as Properties escapes). */
    static Path write(Path file, KafkaClientConfig client) throws IOException {
        Properties p = new Properties();
        p.putAll(client.properties());
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            p.store(out, "Kafka client settings of the radstream services under test");
        }
        return file;
    }
}
