package org.radstream.delivery;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import org.radstream.schemas.KafkaClientConfig;

/**
 * Settings of alert delivery.
 *
 * @param bootstrapServers Kafka bootstrap servers
 * @param groupId          consumer group of the delivery service (one delivery per group)
 * @param webhook          where alerts are POSTed as JSON; null for console only
 * @param maxAttempts      attempts per alert before it goes to the undelivered topic
 * @param initialBackoff   wait after the first failed attempt; doubles each attempt
 * @param maxBackoff       upper bound of the wait between attempts
 * @param requestTimeout   timeout of one HTTP request
 * @param retryLaterAfter  how long an undelivered alert waits before it is tried again
 * @param kafkaClient TLS and SASL settings its Kafka clients add ({@code --kafka-config}); null: none
 * @param auditRepository where audit messages of each alert sent go ({@code udp://HOST:PORT}); null: none
 */
public record DeliverySettings(String bootstrapServers, String groupId, URI webhook, int maxAttempts,
                               Duration initialBackoff, Duration maxBackoff, Duration requestTimeout,
                               Duration retryLaterAfter, KafkaClientConfig kafkaClient, String auditRepository) {
    public static final String DEFAULT_GROUP = "radstream-alert-delivery";

    public DeliverySettings {
        kafkaClient = kafkaClient == null ? KafkaClientConfig.NONE : kafkaClient;
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(groupId, "groupId");
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be >= 1: " + maxAttempts);
        }
        requirePositive("initialBackoff", initialBackoff);
        requirePositive("maxBackoff", maxBackoff);
        requirePositive("requestTimeout", requestTimeout);
        requirePositive("retryLaterAfter", retryLaterAfter);
        if (auditRepository != null && !auditRepository.isBlank()) {
            org.radstream.schemas.AuditLog.target(auditRepository);
        }
        if (webhook != null && !("http".equals(webhook.getScheme()) || "https".equals(webhook.getScheme()))) {
            throw new IllegalArgumentException("webhook must be an http(s) URL: " + webhook);
        }
    }

    /** Defaults: 5 attempts, 0.5 s doubling to 8 s, 10 s requests, undelivered retried after 60 s. */
    public static DeliverySettings defaults(String bootstrapServers, URI webhook) {
        return new DeliverySettings(bootstrapServers, DEFAULT_GROUP, webhook, 5, Duration.ofMillis(500),
                Duration.ofSeconds(8), Duration.ofSeconds(10), Duration.ofSeconds(60), KafkaClientConfig.NONE, null);
    }

    public DeliverySettings withRetry(int attempts, Duration initial, Duration max, Duration later) {
        return new DeliverySettings(bootstrapServers, groupId, webhook, attempts, initial, max, requestTimeout,
                later, kafkaClient, auditRepository);
    }

    public DeliverySettings withGroupId(String group) {
        return new DeliverySettings(bootstrapServers, group, webhook, maxAttempts, initialBackoff, maxBackoff,
                requestTimeout, retryLaterAfter, kafkaClient, auditRepository);
    }

    private static void requirePositive(String name, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be a positive duration: " + d);
        }
    }

    /** The same settings, an audit message of each alert sent going to {@code v} ({@code udp://HOST:PORT}; null: none). */
    public DeliverySettings withAuditRepository(String v) {
        return new DeliverySettings(bootstrapServers, groupId, webhook, maxAttempts, initialBackoff, maxBackoff,
                requestTimeout, retryLaterAfter, kafkaClient, v);
    }

    /** The same settings, its Kafka clients connecting with {@code v} (TLS, SASL). */
    public DeliverySettings withKafkaClient(KafkaClientConfig v) {
        return new DeliverySettings(bootstrapServers, groupId, webhook, maxAttempts, initialBackoff, maxBackoff,
                requestTimeout, retryLaterAfter, v, auditRepository);
    }
}
