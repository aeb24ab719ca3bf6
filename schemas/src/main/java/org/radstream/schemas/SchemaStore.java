package org.radstream.schemas;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;

/**
 * The schema store of the embedded registry, usable in process as a {@link SchemaRegistryClient}
 * (one process, one store: every component of the process shares it through the HTTP registry
 * or directly). Ids are global and the same schema text gets the same id in every subject,
 * as in Confluent's registry. Compatibility is BACKWARD by default, checked against the
 * latest version of the subject (a new reader must read data written with the previous schema);
 * {@code NONE} and {@code BACKWARD_TRANSITIVE} are also understood.
 */
public final class SchemaStore implements SchemaRegistryClient {

    /** Compatibility levels this store enforces. */
    public enum Compatibility { NONE, BACKWARD, BACKWARD_TRANSITIVE }

    private final Map<Integer, Schema> byId = new ConcurrentHashMap<>();
    private final Map<String, Integer> idByCanonical = new ConcurrentHashMap<>();
    private final Map<String, List<RegisteredSchema>> bySubject = new TreeMap<>();
    private final Map<String, Compatibility> subjectLevels = new ConcurrentHashMap<>();
    private volatile Compatibility globalLevel = Compatibility.BACKWARD;
    private int nextId = 1;

    @Override
    public synchronized int register(String subject, Schema schema) {
        requireSubject(subject);
        Optional<RegisteredSchema> existing = lookup(subject, schema);
        if (existing.isPresent()) {
            return existing.get().id();
        }
        List<String> problems = incompatibilities(subject, schema);
        if (!problems.isEmpty()) {
            throw new SchemaRegistryException(409, SchemaRegistryException.INCOMPATIBLE,
                    "Schema being registered is incompatible with an earlier schema for subject \""
                            + subject + "\", details: " + problems);
        }
        String canonical = schema.toString();
        Integer id = idByCanonical.get(canonical);
        if (id == null) {
            id = nextId++;
            idByCanonical.put(canonical, id);
            byId.put(id, schema);
        }
        List<RegisteredSchema> versions = bySubject.computeIfAbsent(subject, s -> new ArrayList<>());
        int version = versions.isEmpty() ? 1 : versions.get(versions.size() - 1).version() + 1;
        versions.add(new RegisteredSchema(subject, version, id, schema));
        return id;
    }

    /** The registered version of exactly {@code schema} under {@code subject}, if any. */
    public synchronized Optional<RegisteredSchema> lookup(String subject, Schema schema) {
        String canonical = schema.toString();
        return bySubject.getOrDefault(subject, List.of()).stream()
                .filter(r -> r.schema().toString().equals(canonical)).findFirst();
    }

    @Override
    public Schema schemaById(int id) {
        Schema schema = byId.get(id);
        if (schema == null) {
            throw new SchemaRegistryException(404, SchemaRegistryException.SCHEMA_NOT_FOUND,
                    "Schema " + id + " not found");
        }
        return schema;
    }

    @Override
    public synchronized Optional<RegisteredSchema> latest(String subject) {
        List<RegisteredSchema> versions = bySubject.get(subject);
        return versions == null || versions.isEmpty()
                ? Optional.empty() : Optional.of(versions.get(versions.size() - 1));
    }

    /** Version {@code version} of {@code subject}. */
    public synchronized RegisteredSchema version(String subject, int version) {
        List<RegisteredSchema> versions = requireVersions(subject);
        return versions.stream().filter(r -> r.version() == version).findFirst()
                .orElseThrow(() -> new SchemaRegistryException(404, SchemaRegistryException.VERSION_NOT_FOUND,
                        "Version " + version + " not found."));
    }

    @Override
    public synchronized List<Integer> versions(String subject) {
        return requireVersions(subject).stream().map(RegisteredSchema::version).toList();
    }

    @Override
    public synchronized List<String> subjects() {
        return List.copyOf(bySubject.keySet());
    }

    @Override
    public synchronized boolean isCompatible(String subject, Schema schema) {
        return incompatibilities(subject, schema).isEmpty();
    }

    /** Why {@code schema} may not follow the subject's versions; empty when it may. */
    public synchronized List<String> incompatibilities(String subject, Schema schema) {
        Compatibility level = compatibility(subject);
        List<RegisteredSchema> versions = bySubject.getOrDefault(subject, List.of());
        if (level == Compatibility.NONE || versions.isEmpty()) {
            return List.of();
        }
        List<RegisteredSchema> against = level == Compatibility.BACKWARD
                ? List.of(versions.get(versions.size() - 1)) : versions;
        List<String> problems = new ArrayList<>();
        for (RegisteredSchema earlier : against) {
            var result = SchemaCompatibility.checkReaderWriterCompatibility(schema, earlier.schema());
            if (result.getType() != SchemaCompatibilityType.COMPATIBLE) {
                for (var incompatibility : result.getResult().getIncompatibilities()) {
                    problems.add("{errorType:'" + incompatibility.getType() + "', description:'"
                            + incompatibility.getMessage() + "', location:'" + incompatibility.getLocation()
                            + "', version:" + earlier.version() + "}");
                }
            }
        }
        return problems;
    }

    public Compatibility compatibility(String subject) {
        return subjectLevels.getOrDefault(subject, globalLevel);
    }

    public Compatibility globalCompatibility() {
        return globalLevel;
    }

    public void setGlobalCompatibility(Compatibility level) {
        globalLevel = level;
    }

    public void setCompatibility(String subject, Compatibility level) {
        subjectLevels.put(subject, level);
    }

    private List<RegisteredSchema> requireVersions(String subject) {
        List<RegisteredSchema> versions = bySubject.get(subject);
        if (versions == null || versions.isEmpty()) {
            throw new SchemaRegistryException(404, SchemaRegistryException.SUBJECT_NOT_FOUND,
                    "Subject '" + subject + "' not found.");
        }
        return versions;
    }

    private static void requireSubject(String subject) {
        if (subject == null || subject.isBlank()) {
            throw new SchemaRegistryException(422, SchemaRegistryException.INVALID_SCHEMA, "subject is empty");
        }
    }
}
