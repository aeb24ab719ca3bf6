package org.radstream.schemas;

import java.util.List;
import java.util.Optional;
import org.apache.avro.Schema;

/**
 * The subset of the Confluent Schema Registry that radstream uses. Implemented over HTTP by
 * {@link RestSchemaRegistryClient} (against the embedded registry or a real Confluent one)
 * and in process by {@link SchemaStore}, the store behind the embedded registry.
 *
 * <p>Failures are {@link SchemaRegistryException}s carrying the Confluent error code
 * (40401 subject not found, 40403 schema not found, 409 incompatible, 42201 invalid schema).
 */
public interface SchemaRegistryClient {

    /** Registers {@code schema} under {@code subject} (idempotent) and returns its global id. */
    int register(String subject, Schema schema);

    /** The schema with global id {@code id}. */
    Schema schemaById(int id);

    /** The latest version registered under {@code subject}, if any. */
    Optional<RegisteredSchema> latest(String subject);

    /** Every version number registered under {@code subject}, ascending. */
    List<Integer> versions(String subject);

    /** All subjects, sorted. */
    List<String> subjects();

    /** Whether {@code schema} may be registered under {@code subject} under its compatibility level. */
    boolean isCompatible(String subject, Schema schema);

    /** The subject of a topic's values under the topic-name strategy. */
    static String valueSubject(String topic) {
        return topic + "-value";
    }

    /** The subject of a topic's keys under the topic-name strategy. */
    static String keySubject(String topic) {
        return topic + "-key";
    }
}
