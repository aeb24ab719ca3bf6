package org.radstream.ingest;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.radstream.schemas.AuditLog;
import org.radstream.schemas.Topics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest service: the C-STORE/C-ECHO SCP, the HTTP server (STOW-RS, /metrics, /health), the
 * folder importer and the series sweeper over one Kafka producer. {@link #start} opens the ports;
 * {@link #close} stops receiving, sends the markers of open series and closes the producer.
 */
public final class IngestService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IngestService.class);
    /** How long the start waits for the rejection notes to be read before it opens the ports. */
    private static final Duration REJECTIONS_READ_TIMEOUT = Duration.ofSeconds(5);

    private final IngestSettings settings;
    private final Publisher publisher;
    private final IngestMetrics metrics = new IngestMetrics();
    private final SeriesTracker tracker;
    private final InstanceIngest ingest;
    private final RejectedInstances rejected;
    private final FolderImporter importer;
    private final ScheduledExecutorService sweeper;
    private final AuditLog auditLog;
    private final IngestAudit audit;
    private StoreScp scp;
    private StoreScp tlsScp;
    private IngestHttpServer http;
    private boolean closed;

    private IngestService(IngestSettings settings, Publisher publisher, RejectedInstances rejected) {
        this.settings = settings;
        this.publisher = publisher;
        this.rejected = rejected;
        this.tracker = new SeriesTracker(publisher, settings.stabilityTime(), settings.seriesRetention(), System::nanoTime);
        this.ingest = new InstanceIngest(tracker, publisher, metrics, settings::takesCorrectionsFrom,
                settings::takesRejectionNotesFrom, rejected);
        this.importer = new FolderImporter(ingest);
        this.metrics.openSeriesGauge(tracker::openSeries);
        this.auditLog = AuditLog.syslog(settings.auditRepository(), "radstream-ingest");
        this.metrics.auditLog(auditLog);
        this.audit = new IngestAudit(auditLog, settings.aeTitle());
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ingest-series-sweeper");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts the receivers configured in {@code settings} (port -1 = that receiver off). */
    public static IngestService start(IngestSettings settings, Topics topics) throws IOException {
        // with --accept-rejected-again nothing need be followed: no instance is answered as rejected
        IngestService service = new IngestService(settings, new KafkaPublisher(settings, topics),
                settings.acceptRejectedAgain() ? RejectedInstances.none()
                        : RejectedInstances.following(settings, topics.rejectionNotes()));
        try {
            service.open();
        } catch (IOException | RuntimeException e) {
            service.close();
            throw e;
        }
        return service;
    }

    private void open() throws IOException {
        try {
            if (!rejected.awaitCaughtUp(REJECTIONS_READ_TIMEOUT)) {
                log.warn("the rejection notes were not read to their end within {}: an instance the PACS rejected, sent "
                        + "again in the meantime, is processed again", REJECTIONS_READ_TIMEOUT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading the rejection notes", e);
        }
        long period = Math.max(50, Math.min(1000, settings.stabilityTime().toMillis() / 4));
        sweeper.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.MILLISECONDS);
        Semaphore associations = new Semaphore(settings.maxAssociations()); // both DICOM ports together
        if (settings.dicomPort() >= 0) {
            scp = new StoreScp(settings, ingest, metrics, audit, associations);
        }
        if (settings.dicomTlsPort() >= 0) {
            tlsScp = new StoreScp(settings, ingest, metrics, audit, settings.tls().bind(settings.dicomTlsPort(),
                    StoreScp.BACKLOG), associations);
            log.info("DICOM TLS port {}: {}", tlsScp.port(), settings.tls());
        }
        if (settings.httpPort() >= 0) {
            http = new IngestHttpServer(settings.httpPort(), settings.httpTls() ? settings.tls() : null, ingest, metrics,
                    audit, this::unhealthy, settings.stowToken(), settings.stowAtOnce(), settings.stowMaxBytes());
        }
        auditLog.applicationActivity("ingest", true);
        log.info("ingest started: {} (DICOM port {}, DICOM TLS port {}, HTTP port {})", settings, dicomPort(),
                dicomTlsPort(), httpPort());
    }

    private void sweep() {
        try {
            metrics.markers(tracker.sweep(false).size());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("series sweep failed; retrying on the next one", e);
        }
    }

    /** The DICOM port in use (the free port chosen for 0), -1 when the SCP is off. */
    /**
     * Why the service cannot take instances now, for {@code /health}: the last publish was not
     * acknowledged, or Kafka refuses its credentials; null when nothing is known to be wrong.
     */
    String unhealthy() {
        if (ingest.kafkaFailing()) {
            return "Kafka did not acknowledge the last instance; senders are answered to retry";
        }
        return publisher.problem().orElse(null);
    }

    public int dicomPort() {
        return scp == null ? -1 : scp.port();
    }

    /** The DICOM TLS port in use (the free port chosen for 0), -1 when off. */
    public int dicomTlsPort() {
        return tlsScp == null ? -1 : tlsScp.port();
    }

    /** The HTTP port in use, -1 when off. */
    public int httpPort() {
        return http == null ? -1 : http.port();
    }

    public IngestSettings settings() {
        return settings;
    }

    public IngestMetrics metrics() {
        return metrics;
    }

    /** Imports every file below {@code dir}; see {@link FolderImporter}. */
    public ImportReport importFolder(java.nio.file.Path dir) throws IOException, InterruptedException {
        ImportReport report = importer.importFolder(dir);
        // audited as a transfer from the operator who ran the import, on this host
        IngestAudit.Transfer transfer = audit.transfer("import by " + System.getProperty("user.name", "unknown"), null);
        report.files().forEach(f -> transfer.add(f.outcome()));
        transfer.end();
        return report;
    }

    /** Sends the marker of every open series now, without waiting for the stability time. */
    public List<String> completeOpenSeries() throws InterruptedException {
        List<String> done = tracker.sweep(true);
        metrics.markers(done.size());
        return done;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (scp != null) {
            scp.close();
        }
        if (tlsScp != null) {
            tlsScp.close();
        }
        if (http != null) {
            http.close();
        }
        sweeper.shutdownNow();
        try {
            sweeper.awaitTermination(10, TimeUnit.SECONDS);
            List<String> done = tracker.sweep(true);
            if (!done.isEmpty()) {
                log.info("closing: sent markers of {} open series", done.size());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.warn("interrupted while sending the markers of open series at shutdown");
        } finally {
            publisher.close();
            rejected.close();
            auditLog.applicationActivity("ingest", false);
            auditLog.close();
        }
        log.info("ingest stopped");
    }

    /** The stability time after which a quiet series is complete. */
    public Duration stabilityTime() {
        return settings.stabilityTime();
    }
}
