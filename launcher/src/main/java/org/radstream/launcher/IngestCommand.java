package org.radstream.launcher;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.radstream.ingest.ImportReport;
import org.radstream.ingest.IngestService;
import org.radstream.ingest.IngestSettings;
import org.radstream.schemas.BearerToken;
import org.radstream.schemas.Topics;
import org.radstream.schemas.RestSchemaRegistryClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code radstream ingest}: the DICOM receiver (C-STORE/C-ECHO), STOW-RS and /metrics until
 * SIGTERM; with {@code --import DIR}, imports the folder, sends the markers of its series and exits
 * (status 1 when a file was refused). Only wires options into {@link IngestSettings}.
 */
@Command(name = "ingest", mixinStandardHelpOptions = true,
        description = "Receive CT over DICOM C-STORE and STOW-RS (or import a folder) and publish slices to Kafka.")
final class IngestCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ClusterOptions cluster;

    @Mixin
    TlsOptions tls;

    @Option(names = "--tls-port", defaultValue = "${env:RADSTREAM_DICOM_TLS_PORT:--1}",
            description = "DICOM TLS port (secure transport, PS3.15 Annex B; IANA's is 2762), served beside --port "
                    + "(which -1 turns off), 0 = any free, -1 = none (env RADSTREAM_DICOM_TLS_PORT). "
                    + "Needs --tls-key-store; with --tls-trust-store, callers must present a trusted certificate. "
                    + "Default ${DEFAULT-VALUE}.")
    int tlsPort;

    @Option(names = "--import", paramLabel = "DIR", description = "Import every file below DIR (recursive, any names), then exit.")
    Path importDir;

    @Option(names = "--ae-title", defaultValue = IngestSettings.DEFAULT_AE_TITLE, description = "Our AE title. Default ${DEFAULT-VALUE}.")
    String aeTitle;

    @Option(names = "--port", defaultValue = "" + IngestSettings.DEFAULT_DICOM_PORT, description = "DICOM port, 0 = any free, -1 = none. Default ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--http-port", defaultValue = "" + IngestSettings.DEFAULT_HTTP_PORT, description = "STOW-RS, /metrics and /health port, 0 = any free, -1 = none. Default ${DEFAULT-VALUE}.")
    int httpPort;

    @Option(names = "--allow", split = ",", paramLabel = "AE", description = "Calling AE titles allowed to associate (default: any).")
    List<String> allow;

    @Option(names = "--corrections-from", split = ",", paramLabel = "AE", defaultValue = "${env:RADSTREAM_CORRECTIONS_FROM}",
            description = "Calling AE titles whose corrections are taken over C-STORE, e.g. the PACS that forwards them: "
                    + "DICOM Segmentations (radiologists' corrections, which become training labels), and IHE IOCM "
                    + "rejection notes unless --rejections-from is set (env RADSTREAM_CORRECTIONS_FROM, "
                    + "comma-separated). Others are answered 0x0122. Default: every allowed caller.")
    List<String> correctionsFrom;

    @Option(names = "--rejections-from", split = ",", paramLabel = "AE", defaultValue = "${env:RADSTREAM_REJECTIONS_FROM}",
            description = "Calling AE titles whose IHE IOCM rejection notes are taken over C-STORE: they withdraw series "
                    + "from patients' timelines and retract their alerts, so name the PACS (an Image Manager), not the "
                    + "viewers that send corrections (env RADSTREAM_REJECTIONS_FROM, comma-separated). Others are "
                    + "answered 0x0122. Default: those of --corrections-from.")
    List<String> rejectionsFrom;

    @Option(names = "--accept-rejected-again", defaultValue = "${env:RADSTREAM_ACCEPT_REJECTED_AGAIN:-false}",
            description = "Process an instance the PACS rejected (named by an IHE IOCM rejection note) when it is sent "
                    + "again, as a new one (env RADSTREAM_ACCEPT_REJECTED_AGAIN=true). Default: it is answered as "
                    + "stored and recorded on radstream.dicom.rejected with the note that rejected it, not published, so "
                    + "withdrawn images (a study filed under the wrong patient) do not come back when a modality or "
                    + "router sends them again.")
    boolean acceptRejectedAgain;

    @Option(names = "--stow-token", defaultValue = "${env:" + IngestSettings.STOW_TOKEN_VARIABLE + "}",
            description = "Token (at least 16 characters) STOW-RS senders must carry: Authorization: Bearer TOKEN "
                    + "(env RADSTREAM_STOW_TOKEN). Without one, anyone who reaches the HTTP port may store instances.")
    String stowToken;

    @Option(names = "--stow-at-once", defaultValue = "${env:RADSTREAM_STOW_AT_ONCE:-" + IngestSettings.DEFAULT_STOW_AT_ONCE + "}",
            description = "STOW-RS requests stored at the same time, 1-64 (env RADSTREAM_STOW_AT_ONCE); one more is "
                    + "answered 503 with Retry-After. Each one's body is held in memory while it is stored: size it "
                    + "with the heap. Default ${DEFAULT-VALUE}.")
    int stowAtOnce;

    @Option(names = "--stow-max-mib", defaultValue = "${env:RADSTREAM_STOW_MAX_MIB:-" + (IngestSettings.DEFAULT_STOW_MAX_BYTES >> 20) + "}",
            description = "Largest STOW-RS request body taken, in MiB, 1-2047 (env RADSTREAM_STOW_MAX_MIB); a larger one is "
                    + "answered 413 and nothing of it is stored. Each body is held in memory while stored: with "
                    + "--stow-at-once, size it with the heap. Default ${DEFAULT-VALUE}.")
    int stowMaxMib;

    @Mixin
    AuditOptions audit;

    @Option(names = "--max-associations", defaultValue = "" + IngestSettings.DEFAULT_MAX_ASSOCIATIONS,
            description = "Associations open at once on the DICOM ports together; one more is answered A-ASSOCIATE-RJ "
                    + "transient (local limit exceeded) and retries. A connection must send its request within "
                    + "--request-timeout. Default ${DEFAULT-VALUE}.")
    int maxAssociations;

    @Option(names = "--request-timeout", defaultValue = "30",
            description = "Seconds a DICOM connection may take to send its A-ASSOCIATE-RQ (PS3.8's ARTIM timer) before "
                    + "it is closed. Default ${DEFAULT-VALUE}.")
    double requestTimeoutSeconds;

    @Option(names = "--stability", defaultValue = "10", description = "Seconds without an instance after which a series is complete. Default ${DEFAULT-VALUE}.")
    double stabilitySeconds;

    @Option(names = "--delivery-timeout", defaultValue = "5", description = "Seconds Kafka may take to acknowledge a slice before the sender is told to retry. Default ${DEFAULT-VALUE}.")
    double deliverySeconds;

    /** AE titles of a comma-separated option, blanks dropped; none when unset. */
    private static Set<String> aeTitles(List<String> titles) {
        return titles == null ? Set.of() : titles.stream().map(String::strip).filter(ae -> !ae.isEmpty())
                .collect(java.util.stream.Collectors.toCollection(LinkedHashSet::new));
    }

    @Override
    public Integer call() throws Exception {
        if (importDir == null && tls.configured() && tlsPort < 0 && !tls.httpTls) {
            throw new ParameterException(spec.commandLine(), "--tls-key-store (" + TlsOptions.ENV_KEY_STORE + ") is given "
                    + "but nothing uses it: add --tls-port (DICOM TLS) or --http-tls (HTTPS)");
        }
        IngestSettings settings;
        try {
            settings = IngestSettings.defaults(cluster.bootstrap(), cluster.registry())
                    .withAeTitle(aeTitle)
                    .withDicomPort(importDir != null ? -1 : port)
                    .withHttpPort(importDir != null ? -1 : httpPort)
                    .withAllowedAes(allow == null ? Set.of() : new LinkedHashSet<>(allow))
                    .withCorrectionAes(aeTitles(correctionsFrom))
                    .withRejectionAes(aeTitles(rejectionsFrom))
                    .withAcceptRejectedAgain(acceptRejectedAgain)
                    .withStabilityTime(Duration.ofMillis(Math.round(stabilitySeconds * 1000)))
                    .withDeliveryTimeout(Duration.ofMillis(Math.round(deliverySeconds * 1000)))
                    .withStowToken(BearerToken.of(stowToken, IngestSettings.STOW_TOKEN_VARIABLE))
                    .withStowAtOnce(stowAtOnce)
                    .withStowMaxBytes((long) stowMaxMib << 20)
                    .withAuditRepository(audit.repository)
                    .withKafkaClient(cluster.kafkaClient())
                    .withDicomTls(importDir != null ? -1 : tlsPort, tls.load())
                    .withHttpTls(importDir == null && tls.httpTls)
                    .withAssociationLimits(maxAssociations, Duration.ofMillis(Math.round(requestTimeoutSeconds * 1000)));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        Topics topics = new Topics(new RestSchemaRegistryClient(settings.registryUrl()));
        if (importDir != null) {
            try (IngestService service = IngestService.start(settings, topics)) {
                ImportReport report = service.importFolder(importDir);
                List<String> completed = service.completeOpenSeries();
                System.out.printf("imported %d files from %s: %d published, %d duplicates, %d refused, %d series completed%n",
                        report.files().size(), importDir, report.published(), report.duplicates(), report.refused().size(),
                        completed.size());
                report.refused().forEach(f -> System.out.printf("  refused %s: 0x%04X %s%n",
                        f.file(), f.outcome().status(), f.outcome().reason()));
                return report.refused().isEmpty() ? 0 : 1;
            }
        }
        IngestService service = IngestService.start(settings, topics);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.close();
            stopped.countDown();
        }, "radstream-ingest-shutdown"));
        System.out.println("ingest " + settings.aeTitle() + " on DICOM port " + service.dicomPort()
                + (service.dicomTlsPort() >= 0 ? ", DICOM TLS port " + service.dicomTlsPort() + " (" + settings.tls() + ")" : "")
                + ", " + (settings.auditRepository() == null || settings.auditRepository().isBlank() ? "no audit repository"
                        : "audit to " + settings.auditRepository()) + ", kafka "
                + ClusterOptions.describe(settings.bootstrap(), settings.kafkaClient())
                + (service.httpPort() > 0 ? "; STOW-RS " + (settings.httpTls() ? "https" : "http") + "://localhost:" + service.httpPort() + "/studies"
                        + (settings.stowToken().required() ? " (token required)" : " (open: no RADSTREAM_STOW_TOKEN)")
                        + ", metrics /metrics" : ""));
        stopped.await();
        return 0;
    }
}
