package org.radstream.launcher;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.radstream.schemas.BearerToken;
import org.radstream.schemas.RestSchemaRegistryClient;
import org.radstream.schemas.Topics;
import org.radstream.streams.StreamsApp;
import org.radstream.streams.StreamsSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code radstream streams}: the Kafka Streams topologies (window and route, PoIR, progression
 * alerts, segmentation labels) and the patient timeline API until SIGTERM. Several instances with the same
 * application id share the work; each serves the keys it holds and forwards the rest.
 */
@Command(name = "streams", mixinStandardHelpOptions = true,
        description = "Run the stream processors (windowing and routing, PoIR, 48-hour progression alerts, radiologists' "
                + "DICOM Segmentations as corrected labels) and the timeline API.")
final class StreamsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--state-dir", defaultValue = "${env:RADSTREAM_STATE_DIR:-/tmp/radstream-streams}",
            description = "Kafka Streams state directory (env RADSTREAM_STATE_DIR). Default ${DEFAULT-VALUE}.")
    Path stateDir;

    @Option(names = "--http-port", defaultValue = "${env:RADSTREAM_HTTP_PORT:-" + StreamsSettings.DEFAULT_HTTP_PORT + "}",
            description = "Timeline API, /health and /metrics port; 0 = any free, -1 = none (env RADSTREAM_HTTP_PORT). Default ${DEFAULT-VALUE}.")
    int httpPort;

    @Option(names = "--http-host", defaultValue = "${env:RADSTREAM_HTTP_HOST:-localhost}",
            description = "Host name other instances reach this one's API on (env RADSTREAM_HTTP_HOST). Default ${DEFAULT-VALUE}.")
    String httpHost;

    @Option(names = "--api-token", defaultValue = "${env:" + StreamsSettings.API_TOKEN_VARIABLE + "}",
            description = "Token (at least 16 characters) the timeline and alerts API asks for: Authorization: Bearer TOKEN "
                    + "(env RADSTREAM_API_TOKEN). Without one the API, which names patients, answers anyone who reaches it.")
    String apiToken;

    @Mixin
    TlsOptions tls;

    @Mixin
    AuditOptions audit;


    @Option(names = "--application-id", defaultValue = StreamsSettings.DEFAULT_APPLICATION_ID,
            description = "Kafka Streams application id; instances with the same id share the work. Default ${DEFAULT-VALUE}.")
    String applicationId;

    @Override
    public Integer call() throws Exception {
        StreamsSettings settings;
        try {
            settings = StreamsSettings.defaults(cluster.bootstrap(), cluster.registry(), stateDir)
                    .withApplicationId(applicationId).withHttp(httpHost, httpPort)
                    .withApiToken(BearerToken.of(apiToken, StreamsSettings.API_TOKEN_VARIABLE))
                    .withKafkaClient(cluster.kafkaClient())
                    .withHttpTls(tls.forHttps(true)) // its trust store: the other instances' certificates or their issuer
                    .withAuditRepository(audit.repository);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        StreamsApp app = new StreamsApp(settings, new Topics(new RestSchemaRegistryClient(settings.registryUrl())));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.close();
            stopped.countDown();
        }, "radstream-streams-shutdown"));
        app.start();
        System.out.println("streams " + applicationId + " running on "
                + ClusterOptions.describe(settings.bootstrapServers(), settings.kafkaClient())
                + app.httpPort().map(p -> "; timeline API " + (settings.httpTls() == null ? "http" : "https") + "://" + httpHost + ":" + p + "/patients/{id}/timeline"
                        + (settings.apiToken().required() ? " (token required)" : " (open: no RADSTREAM_API_TOKEN)"))
                        .orElse(""));
        stopped.await();
        return 0;
    }
}
