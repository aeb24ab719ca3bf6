package org.radstream.schemas;

import java.util.Map;
import java.util.Objects;

/**
 * A topic's name and the configuration it is created with. Serdes live in {@link Topic};
 * this part is what an admin needs to create the topic.
 *
 * @param name       topic name, the contract of DESIGN.md
 * @param partitions partitions at creation
 * @param configs    topic-level configs (retention, compaction, message size, compression)
 */
public record TopicSpec(String name, int partitions, Map<String, String> configs) {
    public TopicSpec {
        Objects.requireNonNull(name, "name");
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1 for " + name + ": " + partitions);
        }
        configs = Map.copyOf(configs);
    }
}
