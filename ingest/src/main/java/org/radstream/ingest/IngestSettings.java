package org.radstream.ingest;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.radstream.schemas.BearerToken;
import org.radstream.schemas.KafkaClientConfig;
import org.radstream.schemas.ServerTls;

/**
 * Everything the ingest service needs, validated once. The launcher builds one from the command
 * line and environment; nothing else reads either.
 *
 * @param aeTitle          our AE title; associations calling another title are rejected by PixelMed
 * @param dicomPort        C-STORE/C-ECHO port; 0 = any free port, -1 = no DICOM receiver
 * @param httpPort         STOW-RS, /metrics and /health port; 0 = any free port, -1 = no HTTP server
 * @param allowedAes       calling AE titles allowed to associate; empty = every caller
 * @param stabilityTime    a series is complete when no instance has arrived for this long
 * @param bootstrap        Kafka bootstrap servers, host:port[,host:port]
 * @param registryUrl      schema registry URL (informational here: the service receives built
 *                         {@code Topics}); may be null in embedded setups
 * @param deliveryTimeout  how long a record may take to be acknowledged before the sender is told
 *                         to retry (producer {@code delivery.timeout.ms})
 * @param maxBlock         how long a send may wait for metadata or buffer space (producer
 *                         {@code max.block.ms}); part of the same bound
 * @param seriesRetention  how long a completed series' SOP instance UIDs are kept to recognise a
 *                         late duplicate (a new instance after that still reopens the series)
 * @param stowToken        the token STOW-RS senders must carry ({@code Authorization: Bearer TOKEN});
 *                         {@link BearerToken#NONE}: any sender that reaches the port may store
 * @param correctionAes    calling AE titles whose corrections are taken over C-STORE: DICOM Segmentations
 *                         (radiologists' corrections, which become training labels), and IOCM rejection notes
 *                         where {@code rejectionAes} is empty; empty = every allowed caller. STOW-RS
 *                         corrections are guarded by the STOW token, imports by the operator
 * @param stowAtOnce       STOW-RS requests stored at the same time (each one's body is held in
 *                         memory while its parts are stored); one more is answered 503 with Retry-After
 * @param kafkaClient TLS and SASL settings its Kafka clients add ({@code --kafka-config}); null: none
 * @param dicomTlsPort     DICOM TLS port (PS3.15 Annex B secure transport; IANA's is 2762); 0 = any free
 *                         port, -1 = none. Served beside {@code dicomPort}, which -1 turns off
 * @param tls              the key, certificate and trusted client certificates of the DICOM TLS port,
 *                         whose key the HTTPS port presents too; required when either is on
 * @param httpTls          whether the HTTP port (STOW-RS, /health, /metrics) speaks HTTPS; it never
 *                         asks for a client certificate (STOW-RS senders carry the token)
 * @param maxAssociations  associations open at once on the DICOM ports together; one more is answered
 *                         A-ASSOCIATE-RJ rejected-transient, local limit exceeded (senders retry), so
 *                         that a flood of callers cannot exhaust threads and memory
 * @param requestTimeout   how long a connection may take to send its A-ASSOCIATE-RQ before it is
 *                         closed (PS3.8's ARTIM timer): an idle connection holds no thread for ever
 * @param stowMaxBytes     the largest STOW-RS request body taken (it is held in memory while its
 *                         parts are stored); a larger one is answered 413
 * @param auditRepository  where audit messages go ({@code udp://HOST:PORT}, an IHE ATNA audit record
 *                         repository; {@link org.radstream.schemas.AuditLog}); null: none are sent
 * @param rejectionAes     calling AE titles whose IOCM rejection notes are taken over C-STORE (they withdraw
 *                         series from patients' timelines and retract their alerts: the PACS, not a viewer
 *                         that sends corrections); empty = those of {@code correctionAes}
 * @param acceptRejectedAgain whether an instance the PACS rejected (named by a rejection note on
 *                         radstream.dicom.rejection-notes), sent again, is processed as new; false (the
 *                         default): it is answered as stored and recorded on the rejected topic with the
 *                         note that rejected it, so that images withdrawn (a wrong patient, say) do not
 *                         re-enter the pipeline when a modality or router sends them again
 */
public record IngestSettings(
        String aeTitle,
        int dicomPort,
        int httpPort,
        Set<String> allowedAes,
        Duration stabilityTime,
        String bootstrap,
        String registryUrl,
        Duration deliveryTimeout,
        Duration maxBlock,
        Duration seriesRetention,
        BearerToken stowToken,
        int stowAtOnce,
        Set<String> correctionAes,
        KafkaClientConfig kafkaClient,
        int dicomTlsPort,
        ServerTls tls,
        boolean httpTls,
        int maxAssociations,
        Duration requestTimeout,
        long stowMaxBytes,
        String auditRepository,
        Set<String> rejectionAes,
        boolean acceptRejectedAgain) {

    public static final String DEFAULT_AE_TITLE = "RADSTREAM";
    public static final int DEFAULT_DICOM_PORT = 11112;
    public static final int DEFAULT_HTTP_PORT = 8042;
    public static final Duration DEFAULT_STABILITY_TIME = Duration.ofSeconds(10);
    public static final Duration DEFAULT_DELIVERY_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_MAX_BLOCK = Duration.ofSeconds(3);
    public static final Duration DEFAULT_SERIES_RETENTION = Duration.ofHours(1);
    public static final int DEFAULT_STOW_AT_ONCE = 4;
    public static final int DEFAULT_MAX_ASSOCIATIONS = 64;
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);
    /** 1 GiB: a study of 2,000 uncompressed 512² slices in one request. */
    public static final long DEFAULT_STOW_MAX_BYTES = 1L << 30;
    /** The variable the launcher reads the STOW-RS token from, named in messages. */
    public static final String STOW_TOKEN_VARIABLE = "RADSTREAM_STOW_TOKEN";

    public IngestSettings {
        kafkaClient = kafkaClient == null ? KafkaClientConfig.NONE : kafkaClient;
        requireAe(aeTitle, "aeTitle");
        require(dicomPort >= -1 && dicomPort <= 65535, "dicomPort must be -1, 0 or a port, got " + dicomPort);
        require(httpPort >= -1 && httpPort <= 65535, "httpPort must be -1, 0 or a port, got " + httpPort);
        allowedAes = aeTitles(allowedAes, "allowed AE title");
        requirePositive(stabilityTime, "stabilityTime");
        require(bootstrap != null && !bootstrap.isBlank(), "bootstrap must be given");
        requirePositive(deliveryTimeout, "deliveryTimeout");
        requirePositive(maxBlock, "maxBlock");
        requirePositive(seriesRetention, "seriesRetention");
        Objects.requireNonNull(stowToken, "stowToken (BearerToken.NONE for none)");
        require(stowAtOnce >= 1 && stowAtOnce <= 64, "stowAtOnce must be 1-64, got " + stowAtOnce);
        correctionAes = aeTitles(correctionAes, "correction AE title");
        rejectionAes = aeTitles(rejectionAes == null ? Set.of() : rejectionAes, "rejection-note AE title");
        require(dicomTlsPort >= -1 && dicomTlsPort <= 65535, "dicomTlsPort must be -1, 0 or a port, got " + dicomTlsPort);
        require(dicomTlsPort < 0 || tls != null, "the DICOM TLS port needs a key store (--tls-key-store)");
        require(!httpTls || tls != null, "HTTPS needs a key store (--tls-key-store)");
        require(maxAssociations >= 1 && maxAssociations <= 10_000, "maxAssociations must be 1-10000, got " + maxAssociations);
        requirePositive(requestTimeout, "requestTimeout");
        if (auditRepository != null && !auditRepository.isBlank()) {
            org.radstream.schemas.AuditLog.target(auditRepository);
        }
        require(stowMaxBytes >= 1 << 20 && stowMaxBytes <= Integer.MAX_VALUE - 8, "stowMaxBytes must be 1 MiB-2 GiB, got "
                + stowMaxBytes);
        require(dicomTlsPort <= 0 || dicomTlsPort != dicomPort,
                "the DICOM TLS port must differ from the DICOM port, both are " + dicomPort);
    }

    /** Defaults: AE RADSTREAM on 11112, HTTP on 8042, every caller allowed, 10 s stability. */
    public static IngestSettings defaults(String bootstrap, String registryUrl) {
        return new IngestSettings(DEFAULT_AE_TITLE, DEFAULT_DICOM_PORT, DEFAULT_HTTP_PORT, Set.of(),
                DEFAULT_STABILITY_TIME, bootstrap, registryUrl, DEFAULT_DELIVERY_TIMEOUT, DEFAULT_MAX_BLOCK,
                DEFAULT_SERIES_RETENTION, BearerToken.NONE, DEFAULT_STOW_AT_ONCE, Set.of(), KafkaClientConfig.NONE, -1, null, false, DEFAULT_MAX_ASSOCIATIONS, DEFAULT_REQUEST_TIMEOUT, DEFAULT_STOW_MAX_BYTES, null, Set.of(), false);
    }

    public IngestSettings withAeTitle(String v) {
        return new IngestSettings(v, dicomPort, httpPort, allowedAes, stabilityTime, bootstrap, registryUrl,
                deliveryTimeout, maxBlock, seriesRetention, stowToken, stowAtOnce, correctionAes, kafkaClient, dicomTlsPort, tls, httpTls, maxAssociations, requestTimeout, stowMaxBytes, auditRepository, rejectionAes, acceptRejectedAgain);
    }

    public IngestSettings withDicomPort(int v) {
        return new IngestSettings(aeTitle, v, httpPort, allowedAes, stabilityTime, bootstrap, registryUrl,
                deliveryTimeout, maxBlock, seriesRetention, stowToken, stowAtOnce, correctionAes, kafkaClient, dicomTlsPort, tls, httpTls, maxAssociations, requestTimeout, stowMaxBytes, auditRepository, rejectionAes, acceptRejectedAgain);
    }

    public IngestSettings withHttpPort(int v) {
        return new IngestSettings(aeTitle, dicomPort, v, allowedAes, stabilityTime, bootstrap, registryUrl,
                deliveryTimeout, maxBlock, seriesRetention, stowToken, stowAtOnce, correctionAes, kafkaClient, dicomTlsPort, tls, httpTls, maxAssociations, requestTimeout, stowMaxBytes, auditRepository, rejectionAes, acceptRejectedAgain);
    }

    public IngestSettings withAllowedAes(Set<String> v) {
        return new IngestSettings(aeTitle, dicomPort, httpPort, v, stabilityTime, bootstrap, registryUrl,
                deliveryTimeout, maxBlock, seriesRetention, stowToken, stowAtOnce, correctionAes, kafkaClient, dicomTlsPort, tls, httpTls, maxAssociations, requestTimeout, stowMaxBytes, auditRepository, rejectionAes, acceptRejectedAgain);
    }

    public IngestSettings withStabilityTime(Duration v) {
        return new IngestSettings(aeTitle, dicomPort, httpPort, allowedAes, v, bootstrap, registryUrl,
                deliveryTimeout, maxBlock, seriesRetention, stowToken, stowAtOnce, correctionAes, kafkaClient, dicomTlsPort, tls, httpTls, maxAssociations, requestTimeout, stowMaxBytes, auditRepository, rejectionAes, acceptRejectedAgain);
    }

    public IngestSettings withDeliveryTimeout(Duration v) {
        return new IngestSettings(aeTitle, dicomPort, httpPort, allowedAes, stabilityTime, bootstrap,
                registryUrl, v, maxBlock, seriesRetention, stowToken, stowAtOnce, correctionAes, kafkaClient, dicomTlsPort, tls, httpTls, maxAssociations, requestTimeout, stowMaxBytes, auditRepository, rejectionAes, acceptRejectedAgain);
    }

    public IngestSettings withMaxBlock(Duration v) {
        return new IngestSettings(aeTitle, dicomPort, httpPort, allowedAes, stabilityTime, bootstrap,
                registryUrl, deliveryTimeout, v, seriesRetention, stowToken, stowAtOnce, correctionAes, kafkaClient, dicomTlsPort, tls, httpTls, maxAssociations, requestTimeout, stowMaxBytes, auditRepository, rejectionAes, acceptRejectedAgain);
    }

    public IngestSettings withSeriesRetention(Duration v) {
        return new IngestSettings(aeTitle, dicomPort, httpPort, allowedAes, stabilityTime, bootstrap,
                registryUrl, deliveryTimeout, maxBlock, v, stowToken, stowAtOnce, correctionAes, kafkaClient, dicomTlsPort, tls, httpTls, maxAssociations, requestTimeout, stowMaxBytes, auditRepository, rejectionAes, acceptRejectedAgain);
    }

    public IngestSettings withStowToken(BearerToken v) {
        return new IngestSettings(aeTitle, dicomPort, httpPort, allowedAes, stabilityTime, bootstrap,
                registryUrl, deliveryTimeout, maxBlock, seriesRetention, v, stowAtOnce, correctionAes, kafkaClient, dicomTlsPort, tls, httpTls, maxAssociations, requestTimeout, stowMaxBytes, auditRepository, rejectionAes, acceptRejectedAgain);
    }

    public IngestSettings withStowAtOnce(int v) {
        return new IngestSettings(aeTitle, dicomPort, httpPort, allowedAes, stabilityTime, bootstrap,
                registryUrl, deliveryTimeout, maxBlock, seriesRetention, stowToken, v, correctionAes, kafkaClient, dicomTlsPort, tls, httpTls, maxAssociations, requestTimeout, stowMaxBytes, auditRepository, rejectionAes, acceptRejectedAgain);
    }

    public IngestSettings withCorrectionAes(Set<String> v) {
        return new IngestSettings(aeTitle, dicomPort, httpPort, allowedAes, stabilityTime, bootstrap,
                registryUrl, deliveryTimeout, maxBlock, seriesRetention, stowToken, stowAtOnce, v, kafkaClient, dicomTlsPort, tls, httpTls, maxAssociations, requestTimeout, stowMaxBytes, auditRepository, rejectionAes, acceptRejectedAgain);
    }

    /** The same settings, IOCM rejection notes taken over C-STORE only from {@code v} (empty: from the correction AEs). */
    public IngestSettings withAcceptRejectedAgain(boolean v) {
        return new IngestSettings(aeTitle, dicomPort, httpPort, allowedAes, stabilityTime, bootstrap, registryUrl,
                deliveryTimeout, maxBlock, seriesRetention, stowToken, stowAtOnce, correctionAes, kafkaClient, dicomTlsPort,
                tls, httpTls, maxAssociations, requestTimeout, stowMaxBytes, auditRepository, rejectionAes, v);
    }

    public IngestSettings withRejectionAes(Set<String> v) {
        return new IngestSettings(aeTitle, dicomPort, httpPort, allowedAes, stabilityTime, bootstrap, registryUrl,
                deliveryTimeout, maxBlock, seriesRetention, stowToken, stowAtOnce, correctionAes, kafkaClient, dicomTlsPort,
                tls, httpTls, maxAssociations, requestTimeout, stowMaxBytes, auditRepository, v, acceptRejectedAgain);
    }

    /** Whether an IOCM rejection note stored by {@code callingAe} over C-STORE may withdraw series. */
    public boolean takesRejectionNotesFrom(String callingAe) {
        if (rejectionAes.isEmpty()) {
            return takesCorrectionsFrom(callingAe);
        }
        return callingAe != null && rejectionAes.contains(callingAe.trim());
    }

    /** Whether a DICOM Segmentation stored by {@code callingAe} over C-STORE may become a label. */
    public boolean takesCorrectionsFrom(String callingAe) {
        return correctionAes.isEmpty() || (callingAe != null && correctionAes.contains(callingAe.trim()));
    }

    /** Whether {@code callingAe} may associate (trailing blanks of the PDU field ignored). */
    public boolean allows(String callingAe) {
        return allowedAes.isEmpty() || (callingAe != null && allowedAes.contains(callingAe.trim()));
    }

    /** Upper bound of one synchronous publish: waiting for metadata, then for the acknowledgement. */
    public Duration publishTimeout() {
        return deliveryTimeout.plus(maxBlock).plusSeconds(1);
    }

    /** The titles checked and trimmed, as an immutable set. */
    private static Set<String> aeTitles(Set<String> titles, String what) {
        Objects.requireNonNull(titles, what + "s");
        TreeSet<String> out = new TreeSet<>();
        for (String ae : titles) {
            requireAe(ae, what);
            out.add(ae.trim());
        }
        return Set.copyOf(out);
    }

    static void requireAe(String ae, String what) {
        require(ae != null && !ae.isBlank() && ae.trim().length() <= 16 && !ae.contains("\\")
                        && ae.chars().allMatch(c -> c >= 0x20 && c < 0x7f),
                what + " must be 1-16 printable ASCII characters without backslash, got '" + ae + "'");
    }

    private static void requirePositive(Duration d, String what) {
        require(d != null && !d.isNegative() && !d.isZero(), what + " must be positive, got " + d);
    }

    static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "IngestSettings[ae=%s dicomPort=%d dicomTlsPort=%d httpPort=%d%s allowed=%s stability=%s bootstrap=%s stow=%s stowAtOnce=%d corrections=%s rejectionNotes=%s maxAssociations=%d]",
                aeTitle, dicomPort, dicomTlsPort, httpPort, httpTls ? " (https)" : "", allowedAes.isEmpty() ? "*" : allowedAes, stabilityTime, bootstrap, stowToken,
                stowAtOnce, correctionAes.isEmpty() ? "*" : correctionAes, rejectionAes.isEmpty() ? "as corrections"
                        : rejectionAes, maxAssociations);
    }

    /** The same settings with a DICOM TLS port ({@code port} -1: none) presenting {@code tls}. */
    public IngestSettings withDicomTls(int port, ServerTls v) {
        return new IngestSettings(aeTitle, dicomPort, httpPort, allowedAes, stabilityTime, bootstrap, registryUrl,
                deliveryTimeout, maxBlock, seriesRetention, stowToken, stowAtOnce, correctionAes, kafkaClient, port, v, httpTls, maxAssociations, requestTimeout, stowMaxBytes, auditRepository, rejectionAes, acceptRejectedAgain);
    }

    /** The same settings, the HTTP port speaking HTTPS ({@code v}) with the key of {@link #tls}. */
    public IngestSettings withHttpTls(boolean v) {
        return new IngestSettings(aeTitle, dicomPort, httpPort, allowedAes, stabilityTime, bootstrap, registryUrl,
                deliveryTimeout, maxBlock, seriesRetention, stowToken, stowAtOnce, correctionAes, kafkaClient, dicomTlsPort,
                tls, v, maxAssociations, requestTimeout, stowMaxBytes, auditRepository, rejectionAes, acceptRejectedAgain);
    }

    /** The same settings, at most {@code max} associations open at once, each sending its request within {@code timeout}. */
    public IngestSettings withAssociationLimits(int max, Duration timeout) {
        return new IngestSettings(aeTitle, dicomPort, httpPort, allowedAes, stabilityTime, bootstrap, registryUrl,
                deliveryTimeout, maxBlock, seriesRetention, stowToken, stowAtOnce, correctionAes, kafkaClient, dicomTlsPort,
                tls, httpTls, max, timeout, stowMaxBytes, auditRepository, rejectionAes, acceptRejectedAgain);
    }

    /** The same settings, STOW-RS request bodies of at most {@code v} bytes. */
    public IngestSettings withStowMaxBytes(long v) {
        return new IngestSettings(aeTitle, dicomPort, httpPort, allowedAes, stabilityTime, bootstrap, registryUrl,
                deliveryTimeout, maxBlock, seriesRetention, stowToken, stowAtOnce, correctionAes, kafkaClient, dicomTlsPort,
                tls, httpTls, maxAssociations, requestTimeout, v, auditRepository, rejectionAes, acceptRejectedAgain);
    }

    /** The same settings, audit messages sent to {@code v} ({@code udp://HOST:PORT}; null: none). */
    public IngestSettings withAuditRepository(String v) {
        return new IngestSettings(aeTitle, dicomPort, httpPort, allowedAes, stabilityTime, bootstrap, registryUrl,
                deliveryTimeout, maxBlock, seriesRetention, stowToken, stowAtOnce, correctionAes, kafkaClient, dicomTlsPort,
                tls, httpTls, maxAssociations, requestTimeout, stowMaxBytes, v, rejectionAes, acceptRejectedAgain);
    }

    /** The same settings, its Kafka clients connecting with {@code v} (TLS, SASL). */
    public IngestSettings withKafkaClient(KafkaClientConfig v) {
        return new IngestSettings(aeTitle, dicomPort, httpPort, allowedAes, stabilityTime, bootstrap, registryUrl,
                deliveryTimeout, maxBlock, seriesRetention, stowToken, stowAtOnce, correctionAes, v, dicomTlsPort, tls, httpTls, maxAssociations, requestTimeout, stowMaxBytes, auditRepository, rejectionAes, acceptRejectedAgain);
    }
}
