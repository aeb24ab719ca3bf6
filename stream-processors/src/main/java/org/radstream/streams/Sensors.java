package org.radstream.streams;

import java.util.Map;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.processor.api.ProcessorContext;

/**
 * Counters of the topologies, registered as Kafka Streams sensors so they live in
 * {@code KafkaStreams.metrics()} next to the library's own metrics (and in
 * {@code TopologyTestDriver.metrics()} in tests). Each counter is a metric named
 * {@code <operation>-total} in group {@value #GROUP} with tag {@value #ENTITY_TAG} = the topology.
 * Each operation says what it counts in {@link #HELP}, which {@code /metrics} serves as the
 * counter's help text; a counter without one is refused where it is registered.
 */
final class Sensors {
    static final String SCOPE = "radstream";
    static final String GROUP = "stream-" + SCOPE + "-metrics";
    static final String ENTITY_TAG = SCOPE + "-id";

    /** What each operation's counter counts, by operation. */
    static final Map<String, String> HELP = Map.ofEntries(
            Map.entry("slices-routed-chest", "slices windowed and routed to the chest task topic"),
            Map.entry("slices-routed-liver", "slices windowed and routed to the liver task topic"),
            Map.entry("markers-routed", "series-complete markers routed to a task topic"),
            Map.entry("series-unmatched", "series no routing rule matches, reported on the dead-letter topic"),
            Map.entry("records-unmatched", "slices and markers of series no routing rule matches"),
            Map.entry("measurements-emitted", "PoIR measurements published, one per series and lung/infection result pair"),
            Map.entry("results-duplicate", "inference results already joined (redelivered or older), not measured again"),
            Map.entry("poir-undefined", "measurements whose lung volume is too small for a proportion (PoIR left undefined)"),
            Map.entry("alerts-raised", "progression alerts raised"),
            Map.entry("alerts-duplicate-suppressed", "progression alerts already raised for the same pair of series, not repeated"),
            Map.entry("measurements-of-withdrawn-series-dropped", "measurements of series the PACS withdrew, kept out of the timeline"),
            Map.entry("series-withdrawn", "series withdrawn by a rejection note or by hand"),
            Map.entry("alerts-retracted", "alerts retracted because a series they compared was withdrawn"),
            Map.entry("labels-emitted", "corrected labels made from received DICOM Segmentations"),
            Map.entry("segments-refused", "received DICOM Segmentations refused, with the reason on the dead-letter topic"),
            Map.entry("segments-not-laid", "segmentations whose frames could not be laid on their series' slices"));

    private Sensors() {}

    static Sensor counter(ProcessorContext<?, ?> context, String topology, String operation) {
        if (!HELP.containsKey(operation)) {
            throw new IllegalArgumentException("counter " + operation + " of " + topology + " has no help text in Sensors.HELP");
        }
        return context.metrics().addRateTotalSensor(SCOPE, topology, operation, Sensor.RecordingLevel.INFO);
    }
}
