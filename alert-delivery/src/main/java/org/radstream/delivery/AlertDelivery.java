package org.radstream.delivery;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.radstream.avro.DeadLetter;
import org.radstream.avro.ProgressionAlert;
import org.radstream.schemas.AuditLog;
import org.radstream.schemas.AuditMessage;
import org.radstream.schemas.AvroSerde;
import org.radstream.schemas.Topic;
import org.radstream.schemas.Topics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers every progression alert to every sink, and loses none.
 *
 * <p>The live loop reads {@code radstream.alerts.progression} (read_committed, so only alerts of
 * committed stream transactions) and tries each sink with exponential backoff. An alert a sink
 * did not accept after the bounded attempts goes to {@code radstream.alerts.undelivered} as a
 * dead letter holding the original bytes and the sink's name; only once that record is
 * acknowledged is the alert's offset committed. The retry loop reads the undelivered topic and
 * tries again after {@link DeliverySettings#retryLaterAfter()}, writing a new dead letter with the
 * attempts so far when it fails again. So an alert is either accepted by the sink or sits on
 * the undelivered topic; offsets are committed after the outcome, so a crash repeats a delivery
 * rather than dropping one (the alert id goes as an idempotency key for receivers to drop the
 * repeat).
 */
public final class AlertDelivery implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AlertDelivery.class);
    private static final String COMPONENT_PREFIX = "alert-delivery/";

    private final DeliverySettings settings;
    private final Topic<String, ProgressionAlert> alerts;
    private final Topic<String, DeadLetter> undelivered;
    private final AvroSerde<ProgressionAlert> alertSerde;
    private final AvroSerde<DeadLetter> deadLetterSerde;
    private final List<AlertSink> sinks;
    private final KafkaProducer<String, DeadLetter> producer;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private final AtomicLong redelivered = new AtomicLong();
    private volatile KafkaConsumer<String, byte[]> liveConsumer;
    private volatile KafkaConsumer<String, byte[]> retryConsumer;
    private volatile String failure;
    private Thread liveThread;
    private Thread retryThread;
    /** Where each alert sent (or given up on) is recorded: it names a patient and leaves radstream. */
    private final AuditLog auditLog;

    public AlertDelivery(DeliverySettings settings, Topics topics, List<AlertSink> sinks) {
        if (sinks.isEmpty()) {
            throw new IllegalArgumentException("at least one alert sink is needed");
        }
        this.settings = settings;
        this.alerts = topics.alerts();
        this.undelivered = topics.alertsUndelivered();
        this.alertSerde = (AvroSerde<ProgressionAlert>) alerts.valueSerde();
        this.deadLetterSerde = (AvroSerde<DeadLetter>) undelivered.valueSerde();
        this.sinks = List.copyOf(sinks);
        this.auditLog = AuditLog.syslog(settings.auditRepository(), "radstream-deliver");
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        settings.kafkaClient().addTo(p);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, settings.groupId() + "-dead-letters");
        this.producer = new KafkaProducer<>(p, undelivered.keySerde().serializer(), undelivered.valueSerde().serializer());
    }

    /** Starts the live and the retry loop on their own threads. */
    public void start() {
        auditLog.applicationActivity("deliver", true);
        liveThread = new Thread(this::runLive, "alert-delivery-live");
        retryThread = new Thread(this::runRetries, "alert-delivery-retry");
        liveThread.start();
        retryThread.start();
    }

    /** Alerts accepted by a sink (first try or later). */
    public long delivered() {
        return delivered.get();
    }

    /** Alerts written to the undelivered topic (each failed round counts once). */
    public long deadLettered() {
        return deadLettered.get();
    }

    /** Alerts accepted on a retry from the undelivered topic. */
    public long redelivered() {
        return redelivered.get();
    }

    /** True while both loops run; false once either stopped on an error or the service was closed. */
    public boolean isRunning() {
        return running.get() && failure == null && alive(liveThread) && alive(retryThread);
    }

    /** Why a loop stopped, if one stopped on an error. */
    public java.util.Optional<String> failure() {
        return java.util.Optional.ofNullable(failure);
    }

    private static boolean alive(Thread t) {
        return t != null && t.isAlive();
    }

    private void runLive() {
        consume(settings.groupId(), alerts.name(), c -> liveConsumer = c, this::handleLive, "live loop", "alert delivery");
    }

    /**
     * One consumer loop: polls, hands each record to {@code handle} and commits it; returns when
     * {@code handle} says it is shutting down, on the shutdown's wakeup, or on an error, which
     * {@link #failure} then reports.
     */
    private void consume(String groupId, String topic, java.util.function.Consumer<KafkaConsumer<String, byte[]>> register,
                         java.util.function.Predicate<ConsumerRecord<String, byte[]>> handle, String loop, String what) {
        try (KafkaConsumer<String, byte[]> consumer = consumer(groupId)) {
            register.accept(consumer);
            consumer.subscribe(List.of(topic));
            while (running.get()) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (!handle.test(r)) {
                        return;
                    }
                    commit(consumer, r);
                }
            }
        } catch (WakeupException e) {
            if (running.get()) {
                throw e;
            }
        } catch (RuntimeException e) {
            failure = loop + ": " + e;
            log.error("{} stopped: {}", what, e.toString(), e);
        }
    }

    /** Delivers one alert record to every sink; false when shutting down mid-way (not committed). */
    private boolean handleLive(ConsumerRecord<String, byte[]> r) {
        ProgressionAlert alert;
        try {
            alert = alertSerde.decode(r.topic(), r.partition(), r.offset(), r.value());
        } catch (RuntimeException e) {
            deadLetter(r.topic(), r.partition(), r.offset(), r.key(), "undecodable alert: " + e.getMessage(),
                    "none", 0, r.value());
            return true;
        }
        for (AlertSink sink : sinks) {
            Outcome outcome = deliverWithBackoff(sink, alert);
            if (outcome == Outcome.SHUTDOWN) {
                return false;
            }
            if (outcome.failed()) {
                deadLetter(r.topic(), r.partition(), r.offset(), r.key(), outcome.reason, sink.name(),
                        outcome.attempts, r.value());
            } else {
                delivered.incrementAndGet();
            }
        }
        return true;
    }

    private void runRetries() {
        consume(settings.groupId() + "-retry", undelivered.name(), c -> retryConsumer = c, this::handleRetry, "retry loop",
                "alert redelivery");
    }

    private boolean handleRetry(ConsumerRecord<String, byte[]> r) {
        DeadLetter letter;
        ProgressionAlert alert;
        try {
            letter = deadLetterSerde.decode(r.topic(), r.partition(), r.offset(), r.value());
            alert = alertSerde.decode(letter.getSourceTopic(), letter.getPartition(), letter.getOffset(),
                    letter.getValue() == null ? null : toArray(letter.getValue()));
        } catch (RuntimeException e) {
            log.error("undelivered alert at {}-{}@{} cannot be decoded and stays there for an operator: {}",
                    r.topic(), r.partition(), r.offset(), e.getMessage());
            return true;
        }
        if (alert == null) {
            log.error("undelivered record at {}-{}@{} ({}) holds no alert and stays there for an operator",
                    r.topic(), r.partition(), r.offset(), letter.getReason());
            return true;
        }
        Instant due = letter.getFailedAt().plus(settings.retryLaterAfter());
        if (!sleepUntil(due)) {
            return false;
        }
        String sinkName = letter.getComponent().startsWith(COMPONENT_PREFIX)
                ? letter.getComponent().substring(COMPONENT_PREFIX.length()) : "";
        for (AlertSink sink : sinks) {
            if (!sink.name().equals(sinkName)) {
                continue;
            }
            Outcome outcome = deliverWithBackoff(sink, alert);
            if (outcome == Outcome.SHUTDOWN) {
                return false;
            }
            if (outcome.failed()) {
                deadLetter(letter.getSourceTopic(), letter.getPartition(), letter.getOffset(), letter.getKey(),
                        outcome.reason, sink.name(), letter.getAttempts() + outcome.attempts, toArray(letter.getValue()));
            } else {
                delivered.incrementAndGet();
                redelivered.incrementAndGet();
                log.info("alert {} delivered to {} after {} earlier attempts", alert.getAlertId(), sink.name(),
                        letter.getAttempts());
            }
            return true;
        }
        log.error("undelivered alert {} names sink '{}', which this service does not have; it stays on {}",
                alert.getAlertId(), sinkName, r.topic());
        return true;
    }

    private Outcome deliverWithBackoff(AlertSink sink, ProgressionAlert alert) {
        Duration wait = settings.initialBackoff();
        for (int attempt = 1; ; attempt++) {
            if (!running.get()) {
                return Outcome.SHUTDOWN;
            }
            try {
                sink.deliver(alert);
                audit(sink, alert, null);
                return Outcome.DELIVERED;
            } catch (DeliveryException e) {
                if (!running.get()) {
                    return Outcome.SHUTDOWN;
                }
                if (!e.retriable() || attempt >= settings.maxAttempts()) {
                    log.warn("alert {} for patient {} not delivered to {} after {} attempt(s): {}",
                            alert.getAlertId(), alert.getPatientId(), sink.name(), attempt, e.getMessage());
                    audit(sink, alert, "not delivered after " + attempt + " attempt(s): " + e.getMessage());
                    return Outcome.failed(e.getMessage(), attempt);
                }
                log.debug("alert {} attempt {} to {} failed, retrying in {}: {}", alert.getAlertId(), attempt,
                        sink.name(), wait, e.getMessage());
                if (!sleepUntil(Instant.now().plus(wait))) {
                    return Outcome.SHUTDOWN;
                }
                wait = wait.multipliedBy(2).compareTo(settings.maxBackoff()) > 0 ? settings.maxBackoff() : wait.multipliedBy(2);
            }
        }
    }

    /** An Export of the alert's patient to {@code sink}: done ({@code failure} null) or given up on this round. */
    private void audit(AlertSink sink, ProgressionAlert alert, String failure) {
        if (!auditLog.enabled()) {
            return;
        }
        String destination = sink.name().equals("webhook") && settings.webhook() != null ? settings.webhook().getHost() : null;
        auditLog.record(AuditMessage.of(AuditMessage.EXPORT, AuditMessage.Action.READ,
                        failure == null ? AuditMessage.Outcome.SUCCESS : AuditMessage.Outcome.SERIOUS_FAILURE,
                        java.time.Instant.now(), (alert.getRetraction() == null ? "progression alert "
                                : "retraction of progression alert ") + alert.getAlertId() + (failure == null ? "" : " " + failure))
                .participant("radstream-deliver", Long.toString(ProcessHandle.current().pid()), true, AuditLog.hostName(),
                        AuditMessage.SOURCE)
                .participant(sink.name(), null, false, destination, AuditMessage.DESTINATION)
                .source(AuditLog.source("deliver"))
                .patient(alert.getPatientId(), alert.getPatientName()));
    }

    /** Where the delivery's audit messages go. */
    AuditLog auditLog() {
        return auditLog;
    }

    private void deadLetter(String topic, int partition, long offset, String key, String reason, String sink,
                            int attempts, byte[] value) {
        DeadLetter letter = DeadLetter.newBuilder()
                .setComponent(COMPONENT_PREFIX + sink)
                .setSourceTopic(topic)
                .setPartition(partition)
                .setOffset(offset)
                .setKey(key)
                .setReason(reason)
                .setAttempts(attempts)
                .setFailedAt(Instant.now())
                .setValue(value == null ? null : java.nio.ByteBuffer.wrap(value))
                .build();
        try {
            producer.send(new ProducerRecord<>(undelivered.name(), key, letter)).get();
            deadLettered.incrementAndGet();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing an undelivered alert; its offset is not committed", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot write undelivered alert of " + topic + "-" + partition + "@" + offset
                    + " to " + undelivered.name() + "; its offset is not committed", e.getCause());
        }
    }

    private boolean sleepUntil(Instant due) {
        while (running.get()) {
            long ms = Duration.between(Instant.now(), due).toMillis();
            if (ms <= 0) {
                return true;
            }
            try {
                Thread.sleep(Math.min(ms, 200));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    private static void commit(KafkaConsumer<String, byte[]> consumer, ConsumerRecord<String, byte[]> r) {
        consumer.commitSync(Map.of(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1)));
    }

    private KafkaConsumer<String, byte[]> consumer(String group) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        settings.kafkaClient().addTo(p);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString().toLowerCase(java.util.Locale.ROOT));
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 20);
        p.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 15 * 60 * 1000);
        return new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
    }

    private static byte[] toArray(java.nio.ByteBuffer b) {
        java.nio.ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }

    @Override
    public void close() {
        running.set(false);
        KafkaConsumer<String, byte[]> live = liveConsumer;
        KafkaConsumer<String, byte[]> retry = retryConsumer;
        if (live != null) {
            live.wakeup();
        }
        if (retry != null) {
            retry.wakeup();
        }
        join(liveThread);
        join(retryThread);
        producer.close(Duration.ofSeconds(5));
        auditLog.applicationActivity("deliver", false);
        auditLog.close();
    }

    private static void join(Thread t) {
        if (t == null) {
            return;
        }
        try {
            t.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private record Outcome(String reason, int attempts) {
        static final Outcome DELIVERED = new Outcome(null, 0);
        static final Outcome SHUTDOWN = new Outcome("shutdown", 0);

        static Outcome failed(String reason, int attempts) {
            return new Outcome(reason, attempts);
        }

        boolean failed() {
            return reason != null && this != SHUTDOWN;
        }
    }
}
