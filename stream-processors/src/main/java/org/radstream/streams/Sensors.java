package org.radstream.streams;

import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.processor.api.ProcessorContext;

/**
 * Counters of the topologies, registered as Kafka Streams sensors so they live in
 * {@code KafkaStreams.metrics()} next to the library's own metrics (and in
 * {@code TopologyTestDriver.metrics()} in tests). Each counter is a metric named
 * {@code <operation>-total} in group {@value #GROUP} with tag {@value #ENTITY_TAG} = the topology.
 */
final class Sensors {
    static final String SCOPE = "radstream";
    static final String GROUP = "stream-" + SCOPE + "-metrics";
    static final String ENTITY_TAG = SCOPE + "-id";

    private Sensors() {}

    static Sensor counter(ProcessorContext<?, ?> context, String topology, String operation) {
        return context.metrics().addRateTotalSensor(SCOPE, topology, operation, Sensor.RecordingLevel.INFO);
    }
}
