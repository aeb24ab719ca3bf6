package org.radstream.launcher;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.radstream.ingest.ExportHttpServer;
import org.radstream.ingest.ExportSettings;
import org.radstream.ingest.ResultExport;
import org.radstream.schemas.HealthMetricsServer;
import org.radstream.schemas.ClientTls;
import org.radstream.schemas.RestSchemaRegistryClient;
import org.radstream.schemas.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code radstream export}: stores the workers' results at the PACS as DICOM Segmentations until
 * SIGTERM. Only wires options into {@link ExportSettings}; the work is {@link ResultExport}'s.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Store the workers' results at the PACS as DICOM Segmentations (C-STORE), for radiologists to see "
                + "over the series and correct in their viewer, with PoIR and volume reports as DICOM SR; what the "
                + "PACS refuses goes to radstream.export.undelivered (see dead-letters, and --replay-from), a PACS that "
                + "cannot be reached is waited for, and what it stored of a series it withdraws is withdrawn there too.")
final class ExportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ClusterOptions cluster;

    @Mixin
    AuditOptions audit;

    @Option(names = "--pacs", paramLabel = "HOST:PORT", defaultValue = "${env:RADSTREAM_PACS}",
            description = "The PACS (or DICOM router) to store at (env RADSTREAM_PACS).")
    String pacs;

    @Option(names = "--pacs-ae", defaultValue = "${env:RADSTREAM_PACS_AE:-PACS}",
            description = "The PACS's AE title (env RADSTREAM_PACS_AE). Default ${DEFAULT-VALUE}.")
    String pacsAe;

    @Option(names = "--pacs-tls", defaultValue = "${env:RADSTREAM_PACS_TLS:-false}",
            description = "Store over DICOM TLS (PS3.15 Annex B): TLS 1.3/1.2, the PACS's certificate trusted by "
                    + "--pacs-trust-store (else the JVM's CAs) and checked against the host name of --pacs (env RADSTREAM_PACS_TLS).")
    boolean pacsTls;

    @Option(names = "--pacs-trust-store", defaultValue = "${env:RADSTREAM_PACS_TRUST_STORE}", paramLabel = "FILE",
            description = "PKCS12 (or JKS) store of the PACS's certificate or its CA (env RADSTREAM_PACS_TRUST_STORE; "
                    + "password in env RADSTREAM_PACS_TRUST_STORE_PASSWORD).")
    Path pacsTrustStore;

    @Option(names = "--pacs-trust-store-password", defaultValue = "${env:RADSTREAM_PACS_TRUST_STORE_PASSWORD}", hidden = true)
    String pacsTrustStorePassword;

    @Option(names = "--pacs-key-store", defaultValue = "${env:RADSTREAM_PACS_KEY_STORE}", paramLabel = "FILE",
            description = "PKCS12 (or JKS) store of the key and certificate radstream presents to a PACS that "
                    + "authenticates its callers (env RADSTREAM_PACS_KEY_STORE; password in env "
                    + "RADSTREAM_PACS_KEY_STORE_PASSWORD).")
    Path pacsKeyStore;

    @Option(names = "--pacs-key-store-password", defaultValue = "${env:RADSTREAM_PACS_KEY_STORE_PASSWORD}", hidden = true)
    String pacsKeyStorePassword;

    @Option(names = "--ae-title", defaultValue = "RADSTREAM", description = "Our AE title. Default ${DEFAULT-VALUE}.")
    String aeTitle;

    @Option(names = "--tasks", split = ",", defaultValue = "lung,infection,liver,vessel,poir,volumes",
            description = "What is stored: the results of the tasks named, as DICOM Segmentations; with poir each "
                    + "scan's PoIR measurement, and with volumes each liver and hepatic vessel result's volume, as a DICOM "
                    + "SR measurement report. Default ${DEFAULT-VALUE}.")
    List<String> tasks;

    @Option(names = "--attempts", defaultValue = "5",
            description = "C-STORE attempts per object the PACS refuses before its result goes to "
                    + "radstream.export.undelivered; a PACS that cannot be reached is waited for, not counted. "
                    + "Default ${DEFAULT-VALUE}.")
    int attempts;

    @Option(names = "--backoff", defaultValue = "2",
            description = "Seconds to wait after the first failed attempt; doubles each attempt. Also the first wait "
                    + "for a PACS that cannot be reached (then doubled up to a minute). Default ${DEFAULT-VALUE}.")
    double backoffSeconds;

    @Option(names = "--evidence-wait", defaultValue = "60",
            description = "Seconds a PoIR measurement read before any result of its series waits for one (its instances "
                    + "are the report's evidence) before its report is stored without them. Default ${DEFAULT-VALUE}.")
    double evidenceWaitSeconds;

    @Option(names = "--group-id", defaultValue = ExportSettings.DEFAULT_GROUP_ID,
            description = "Consumer group; each result is stored once per group. Default ${DEFAULT-VALUE}.")
    String groupId;

    @Option(names = "--from-earliest", description = "A new group starts with every result the topic still holds "
            + "(up to a year) instead of those that arrive after its first start.")
    boolean fromEarliest;

    @Option(names = "--replay-from", paramLabel = "TIME",
            description = "At its start, go back to the results and measurements that arrived from TIME on "
                    + "(ISO-8601, e.g. 2026-12-07T03:00:00Z, as dead-letters prints it) and store them again, as the "
                    + "same instances: what was dead-lettered, once the PACS takes it, or what a PACS lost.")
    String replayFrom;

    @Option(names = "--http-port", defaultValue = "8089",
            description = "Port of /health and /metrics; 0 = any free, -1 = none. Default ${DEFAULT-VALUE}.")
    int httpPort;

    /** {@code --replay-from} as an instant, null when unset. */
    private java.time.Instant replayFrom() {
        if (replayFrom == null || replayFrom.isBlank()) {
            return null;
        }
        try {
            return java.time.Instant.parse(replayFrom.strip());
        } catch (java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException("--replay-from must be an ISO-8601 instant such as 2026-12-07T03:00:00Z, "
                    + "got '" + replayFrom + "'");
        }
    }

    /** The TLS settings of the PACS connection, null for plain TCP; stores without --pacs-tls are refused. */
    private ClientTls pacsTls() {
        boolean trust = pacsTrustStore != null && !pacsTrustStore.toString().isBlank();
        boolean keys = pacsKeyStore != null && !pacsKeyStore.toString().isBlank();
        if (!pacsTls) {
            if (trust || keys) {
                throw new IllegalArgumentException("--pacs-trust-store and --pacs-key-store are for a TLS connection: "
                        + "add --pacs-tls (or set RADSTREAM_PACS_TLS=true)");
            }
            return null;
        }
        return ClientTls.load(trust ? pacsTrustStore : null, pacsTrustStorePassword, keys ? pacsKeyStore : null,
                pacsKeyStorePassword);
    }

    @Override
    public Integer call() throws Exception {
        ExportSettings settings;
        try {
            if (pacs == null || pacs.isBlank()) {
                throw new IllegalArgumentException("where to store: pass --pacs HOST:PORT (or set RADSTREAM_PACS)");
            }
            int colon = pacs.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("--pacs must be HOST:PORT, got '" + pacs + "'");
            }
            int port;
            try {
                port = Integer.parseInt(pacs.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--pacs must be HOST:PORT, got '" + pacs + "'");
            }
            settings = ExportSettings.defaults(cluster.bootstrap(), pacs.substring(0, colon), port, pacsAe)
                    .withAeTitle(aeTitle).withGroupId(groupId).withTasks(new LinkedHashSet<>(tasks))
                    .withRetries(attempts, Duration.ofMillis(Math.round(backoffSeconds * 1000))).fromEarliest(fromEarliest)
                    .withEvidenceWait(Duration.ofMillis(Math.round(evidenceWaitSeconds * 1000)))
                    .withKafkaClient(cluster.kafkaClient())
                    .withPacsTls(pacsTls())
                    .withAuditRepository(audit.repository)
                    .replayingFrom(replayFrom());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        Topics topics = new Topics(new RestSchemaRegistryClient(cluster.registry()));
        ResultExport export = ResultExport.start(settings, topics);
        HealthMetricsServer http = httpPort < 0 ? null : ExportHttpServer.start(httpPort, export);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (http != null) {
                http.close();
            }
            try {
                export.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            stopped.countDown();
        }, "radstream-export-shutdown"));
        System.err.println("export: " + settings.tasks() + " results to " + settings.pacsAe() + "@" + settings.pacsHost()
                + ":" + settings.pacsPort() + (settings.pacsTls() == null ? "" : " (" + settings.pacsTls() + ")") + " as " + settings.aeTitle() + ", group " + settings.groupId() + " on "
                + ClusterOptions.describe(settings.bootstrap(), settings.kafkaClient())
                + (http != null ? "; health and metrics on http://localhost:" + http.port() + "/metrics" : ""));
        stopped.await();
        return 0;
    }
}
