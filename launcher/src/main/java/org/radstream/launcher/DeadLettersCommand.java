package org.radstream.launcher;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.radstream.avro.DeadLetter;
import org.radstream.avro.RejectedInstance;
import org.radstream.schemas.RestSchemaRegistryClient;
import org.radstream.schemas.Topic;
import org.radstream.schemas.TopicScan;
import org.radstream.schemas.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code radstream dead-letters}: what radstream could not process and why, read from its dead-letter
 * topics and decoded (their values are Avro in the registry's wire format, which Kafka's own console
 * tools do not read), so an operator sees at once which instances, series, records, labels, alerts
 * and results were set aside, by which component, and why.
 */
@Command(name = "dead-letters", mixinStandardHelpOptions = true,
        description = "List what radstream set aside and why, newest last per topic: DICOM instances the ingest "
                + "refused (rejected), series no routing rule matched (unmatched), records the stream processors "
                + "(streams) or workers (inference) could not process, labels the trainer refused (labels), alerts "
                + "not delivered (alerts), results not stored at the PACS (export).",
        footer = {"", "Exit codes: 0 listed (none set aside included), 3 with --check: something was set aside within "
                + "--hours (for a monitoring check), 1 Kafka or the registry could not be read, 2 a usage error."})
final class DeadLettersCommand implements Callable<Integer> {
    /** The dead-letter topics, by the short name --topic takes. */
    static final Map<String, String> TOPICS = new LinkedHashMap<>();

    static {
        TOPICS.put("rejected", Topics.REJECTED);
        TOPICS.put("unmatched", Topics.SERIES_UNMATCHED);
        TOPICS.put("streams", Topics.STREAMS_DEAD_LETTERS);
        TOPICS.put("inference", Topics.INFERENCE_DEAD_LETTERS);
        TOPICS.put("labels", Topics.LABELS_REJECTED);
        TOPICS.put("alerts", Topics.ALERTS_UNDELIVERED);
        TOPICS.put("export", Topics.EXPORT_UNDELIVERED);
    }

    @Spec
    CommandSpec spec;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--topic", split = ",", paramLabel = "NAME",
            description = "Only these: rejected, unmatched, streams, inference, labels, alerts, export. Default: all.")
    List<String> only;

    @Option(names = "--hours", defaultValue = "24",
            description = "Those set aside within this many hours. Default ${DEFAULT-VALUE}.")
    double hours;

    @Option(names = "--check", description = "Exit 3 when anything was set aside within --hours: a monitoring "
            + "check (cron, Nagios) that an operator is told.")
    boolean check;

    /** The exit code of {@code --check} when something was set aside. */
    static final int EXIT_SET_ASIDE = 3;

    @Option(names = "--limit", defaultValue = "50",
            description = "At most this many per topic, the newest. Default ${DEFAULT-VALUE}.")
    int limit;

    @Override
    public Integer call() {
        List<String> names = only == null || only.isEmpty() ? List.copyOf(TOPICS.keySet()) : only;
        for (String n : names) {
            if (!TOPICS.containsKey(n)) {
                throw new ParameterException(spec.commandLine(), "--topic must be among " + TOPICS.keySet() + ", got '"
                        + n + "'");
            }
        }
        if (!(hours > 0) || limit < 1) {
            throw new ParameterException(spec.commandLine(), "--hours must be above 0 and --limit at least 1");
        }
        Topics topics = new Topics(new RestSchemaRegistryClient(cluster.registry()));
        Map<String, Topic<String, ?>> byName = new HashMap<>();
        topics.all().forEach(t -> byName.put(t.name(), cast(t)));
        Instant since = Instant.now().minus(Math.round(hours * 3600_000), ChronoUnit.MILLIS);
        PrintWriter out = spec.commandLine().getOut();
        long setAside = 0;
        try (KafkaConsumer<String, byte[]> consumer = TopicScan.consumer(cluster.bootstrap(), cluster.kafkaClient())) {
            for (String n : names) {
                Topic<String, ?> t = byName.get(TOPICS.get(n));
                Deque<String> lines = read(consumer, t, since);
                setAside += lines.size();
                out.printf(Locale.ROOT, "%s (%s): %d set aside in the last %s h%s%n", t.name(), n, lines.size(),
                        hoursText(), lines.size() > limit ? ", the newest " + limit + " shown" : "");
                while (lines.size() > limit) {
                    lines.removeFirst();
                }
                lines.forEach(l -> out.println("  " + l));
            }
        } catch (org.apache.kafka.common.KafkaException e) {
            spec.commandLine().getErr().println("cannot read the dead-letter topics: " + e.getMessage());
            return 1;
        }
        out.flush();
        return check && setAside > 0 ? EXIT_SET_ASIDE : 0;
    }

    private String hoursText() {
        return hours == Math.rint(hours) ? Long.toString((long) hours) : Double.toString(hours);
    }

    @SuppressWarnings("unchecked")
    private static Topic<String, ?> cast(Topic<?, ?> t) {
        return (Topic<String, ?>) t;
    }

    /** The records of {@code t} written since {@code since}, one line each, oldest first. */
    private static Deque<String> read(KafkaConsumer<String, byte[]> consumer, Topic<String, ?> t, Instant since) {
        // decoded as read: a refused instance carries its bytes, which are not kept
        record Line(long timestamp, String text) {}
        List<Line> read = new ArrayList<>();
        TopicScan.scan(consumer, t.name(), since, Duration.ofMinutes(1), r -> read.add(new Line(r.timestamp(), line(t, r))));
        read.sort(java.util.Comparator.comparingLong(Line::timestamp));
        Deque<String> lines = new ArrayDeque<>();
        read.forEach(l -> lines.add(l.text()));
        return lines;
    }

    /** One record, as an operator reads it; one that cannot be decoded says so and where it is. */
    static String line(Topic<String, ?> t, ConsumerRecord<String, byte[]> r) {
        String where = r.topic() + "-" + r.partition() + "@" + r.offset();
        Object value;
        try {
            value = r.value() == null ? null : t.valueSerde().deserializer().deserialize(r.topic(), r.value());
        } catch (RuntimeException e) {
            return Instant.ofEpochMilli(r.timestamp()) + "  " + where + "  key=" + r.key() + "  (cannot be decoded: "
                    + e.getMessage() + ")";
        }
        if (value instanceof DeadLetter d) {
            String source = d.getSourceTopic() == null ? "" : "  from " + d.getSourceTopic() + "-" + d.getPartition() + "@"
                    + d.getOffset();
            return d.getFailedAt() + "  " + d.getComponent() + source + "  key=" + d.getKey() + "  attempts="
                    + d.getAttempts() + "  " + d.getReason();
        }
        if (value instanceof RejectedInstance i) {
            return i.getRejectedAt() + "  ingest  " + i.getReceivedVia() + " from " + i.getCallingAe() + "  status 0x"
                    + String.format(Locale.ROOT, "%04X", i.getDicomStatus()) + "  sop=" + i.getSopInstanceUid()
                    + "  series=" + i.getSeriesUid() + "  " + i.getReason();
        }
        return Instant.ofEpochMilli(r.timestamp()) + "  " + where + "  key=" + r.key() + "  " + value;
    }
}
