package org.radstream.launcher;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.radstream.delivery.AlertDelivery;
import org.radstream.delivery.AlertSink;
import org.radstream.delivery.AlertText;
import org.radstream.delivery.ConsoleSink;
import org.radstream.delivery.DeliveryHttpServer;
import org.radstream.schemas.HealthMetricsServer;
import org.radstream.delivery.DeliverySettings;
import org.radstream.delivery.WebhookSigner;
import org.radstream.delivery.WebhookSink;
import org.radstream.schemas.RestSchemaRegistryClient;
import org.radstream.schemas.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code radstream deliver}: delivers progression alerts to clinicians (webhook and/or console)
 * until SIGTERM, with /health and /metrics. Only wires options into {@link DeliverySettings};
 * retries, backoff and the undelivered topic live in {@link AlertDelivery}.
 */
@Command(name = "deliver", mixinStandardHelpOptions = true,
        description = "Deliver progression alerts to a webhook (JSON POST, retries, undelivered topic) and/or the console.")
final class DeliverCommand implements Callable<Integer> {
    static final String ENV_WEBHOOK = "RADSTREAM_WEBHOOK_URL";
    static final int DEFAULT_HTTP_PORT = 8088;

    @Spec
    CommandSpec spec;

    @Mixin
    ClusterOptions cluster;

    @Mixin
    AuditOptions audit;

    @Option(names = "--webhook", paramLabel = "URL", defaultValue = "${env:" + ENV_WEBHOOK + "}",
            description = "POST each alert as JSON to this http(s) URL (env " + ENV_WEBHOOK + "). Default: none.")
    String webhook;

    @Option(names = "--webhook-secret", defaultValue = "${env:" + WebhookSigner.SECRET_VARIABLE + "}",
            description = "Sign each webhook POST with this secret (at least 16 characters; env RADSTREAM_WEBHOOK_SECRET): "
                    + "HMAC-SHA256 of \"<timestamp>.<body>\" in X-Radstream-Signature: v1=<hex>, the timestamp in "
                    + "X-Radstream-Timestamp. Default: unsigned.")
    String webhookSecret;

    @Option(names = "--console", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Print each alert's one-line text on stdout (--no-console: webhook only). Default ${DEFAULT-VALUE}.")
    boolean console;

    @Option(names = "--review-below", defaultValue = "${env:RADSTREAM_REVIEW_BELOW:-0.8}",
            description = "An alert asks for a look at the images (\"Check the images: ... not firm\", reviewAdvised in "
                    + "its JSON) where a scan's infection mask stability is below this; 0: never (env "
                    + "RADSTREAM_REVIEW_BELOW). Default ${DEFAULT-VALUE}: on the held-out cohort the infected scans below it "
                    + "were the less well outlined; set a site's own from its corrected labels.")
    double reviewBelow;

    @Option(names = "--group-id", defaultValue = DeliverySettings.DEFAULT_GROUP,
            description = "Consumer group; alerts are delivered once per group. Default ${DEFAULT-VALUE}.")
    String groupId;

    @Option(names = "--max-attempts", defaultValue = "5",
            description = "Attempts per alert and sink before it goes to radstream.alerts.undelivered. Default ${DEFAULT-VALUE}.")
    int maxAttempts;

    @Option(names = "--initial-backoff", defaultValue = "0.5",
            description = "Seconds to wait after the first failed attempt; doubles each attempt. Default ${DEFAULT-VALUE}.")
    double initialBackoffSeconds;

    @Option(names = "--max-backoff", defaultValue = "8",
            description = "Upper bound in seconds of the wait between attempts. Default ${DEFAULT-VALUE}.")
    double maxBackoffSeconds;

    @Option(names = "--request-timeout", defaultValue = "10",
            description = "Seconds one webhook request may take. Default ${DEFAULT-VALUE}.")
    double requestTimeoutSeconds;

    @Option(names = "--retry-later", defaultValue = "60",
            description = "Seconds an undelivered alert waits before it is tried again. Default ${DEFAULT-VALUE}.")
    double retryLaterSeconds;

    @Option(names = "--http-port", defaultValue = "" + DEFAULT_HTTP_PORT,
            description = "Port of /health and /metrics; 0 = any free, -1 = none. Default ${DEFAULT-VALUE}.")
    int httpPort;

    @Override
    public Integer call() throws Exception {
        DeliverySettings settings;
        WebhookSigner signer;
        try {
            URI url = webhook == null || webhook.isBlank() ? null : URI.create(webhook);
            if (url == null && !console) {
                throw new IllegalArgumentException("nowhere to deliver: pass --webhook URL (or set " + ENV_WEBHOOK
                        + ") or leave --console on");
            }
            settings = new DeliverySettings(cluster.bootstrap(), groupId, url, maxAttempts, seconds(initialBackoffSeconds),
                    seconds(maxBackoffSeconds), seconds(requestTimeoutSeconds), seconds(retryLaterSeconds),
                    cluster.kafkaClient(), audit.repository);
            signer = WebhookSigner.of(webhookSecret);
            AlertText.checkReviewBelow(reviewBelow);
            if (signer != null && url == null) {
                throw new IllegalArgumentException("a webhook secret without a webhook: pass --webhook URL (or set "
                        + ENV_WEBHOOK + ")");
            }
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        List<AlertSink> sinks = new ArrayList<>();
        if (settings.webhook() != null) {
            sinks.add(new WebhookSink(settings.webhook(), settings.requestTimeout(), signer, reviewBelow));
        }
        if (console) {
            sinks.add(new ConsoleSink(System.out, reviewBelow));
        }
        Topics topics = new Topics(new RestSchemaRegistryClient(cluster.registry()));
        AlertDelivery delivery = new AlertDelivery(settings, topics, sinks);
        HealthMetricsServer http = httpPort < 0 ? null : DeliveryHttpServer.start(httpPort, delivery);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (http != null) {
                http.close();
            }
            delivery.close();
            stopped.countDown();
        }, "radstream-deliver-shutdown"));
        delivery.start();
        System.err.println("deliver: group " + settings.groupId() + " on "
                + ClusterOptions.describe(settings.bootstrapServers(), settings.kafkaClient()) + " to "
                + String.join(" and ", sinks.stream().map(AlertSink::name).toList())
                + (settings.webhook() != null ? " (" + settings.webhook() + (signer != null ? ", signed" : ", unsigned") + ")" : "")
                + (reviewBelow == AlertText.REVIEW_BELOW ? "" : "; a look at the images advised below infection stability "
                        + reviewBelow)
                + (http != null ? "; health and metrics on http://localhost:" + http.port() + "/metrics" : ""));
        stopped.await();
        return 0;
    }

    private static Duration seconds(double s) {
        return Duration.ofMillis(Math.round(s * 1000));
    }
}
