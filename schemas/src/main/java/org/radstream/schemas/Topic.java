package org.radstream.schemas;

import org.apache.kafka.common.serialization.Serde;

/**
 * A topic paired with its key and value serdes: the only way code in radstream names a topic.
 *
 * @param spec       name and creation config
 * @param keySerde   serde for keys
 * @param valueSerde serde for values
 */
public record Topic<K, V>(TopicSpec spec, Serde<K> keySerde, Serde<V> valueSerde) {
    public String name() {
        return spec.name();
    }

    @Override
    public String toString() {
        return spec.name();
    }
}
