package org.radstream.ingest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.radstream.schemas.BearerToken;
import org.radstream.schemas.ServerTls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP side: DICOMweb STOW-RS ({@code POST /studies}, {@code POST /studies/{StudyInstanceUID}}),
 * {@code GET /metrics} (Prometheus text) and {@code GET /health}. Each STOW part goes through
 * the same {@link InstanceIngest} as a C-STORE, one after the other, so the response is sent
 * once every stored instance is acknowledged by Kafka. With a STOW token
 * ({@link IngestSettings#stowToken}), a POST without it is answered 401 and nothing of it is read.
 */
final class IngestHttpServer implements AutoCloseable {
    static final String STOW_CALLER = "STOW-RS";
    static final int STOW_RETRY_AFTER_SECONDS = 5;
    private static final Logger log = LoggerFactory.getLogger(IngestHttpServer.class);

    private final HttpServer server;
    private final ExecutorService executor;
    private final InstanceIngest ingest;
    private final IngestMetrics metrics;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Why the service is unhealthy; null when it is healthy. */
    private final Supplier<String> unhealthy;
    private final BearerToken stowToken;
    private final IngestAudit audit;
    /**
     * STOW-RS requests stored at once; one more is answered 503 with Retry-After (senders retry). A
     * request's body is held in memory while its parts are stored, so this also bounds memory.
     */
    private final int stowAtOnce;
    private final Semaphore stowSlots;
    /** The largest request body taken: it is held in memory while its parts are stored. */
    private final long stowMaxBytes;

    /** @param tls null: plain HTTP; else HTTPS presenting its key */
    IngestHttpServer(int port, ServerTls tls, InstanceIngest ingest, IngestMetrics metrics, IngestAudit audit,
                     Supplier<String> unhealthy, BearerToken stowToken, int stowAtOnce, long stowMaxBytes) throws IOException {
        this.audit = audit;
        this.stowMaxBytes = stowMaxBytes;
        this.stowAtOnce = stowAtOnce;
        this.stowSlots = new Semaphore(stowAtOnce);
        this.ingest = ingest;
        this.stowToken = stowToken;
        this.metrics = metrics;
        this.unhealthy = unhealthy;
        this.server = ServerTls.http(new InetSocketAddress(port), 64, tls);
        // room beyond the STOW-RS requests, so that /health and /metrics never wait behind uploads
        this.executor = Executors.newFixedThreadPool(stowAtOnce + 4, r -> {
            Thread t = new Thread(r, "ingest-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/studies", this::stow);
        server.createContext("/metrics", this::metrics);
        server.createContext("/health", this::health);
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    private void stow(HttpExchange ex) throws IOException {
        try (ex) {
            if (!"POST".equals(ex.getRequestMethod())) {
                ex.getResponseHeaders().add("Allow", "POST");
                send(ex, 405, "text/plain", "STOW-RS takes POST");
                return;
            }
            if (!stowToken.admits(ex)) {
                log.warn("STOW-RS request from {} refused: no or another token", ex.getRemoteAddress());
                metrics.stowUnauthorised();
                audit.userRefused(ex.getRemoteAddress().getAddress().getHostAddress(),
                        "STOW-RS request without the receiver's token");
                BearerToken.challenge(ex, "radstream-stow");
                send(ex, 401, "text/plain", "this receiver stores instances only from senders with its token "
                        + "(Authorization: Bearer …; " + stowToken.variable() + ")");
                return;
            }
            String path = ex.getRequestURI().getPath();
            String study = path.length() > "/studies/".length() ? path.substring("/studies/".length()) : null;
            if (study != null && (study.contains("/") || study.isBlank())) {
                send(ex, 404, "text/plain", "no such resource: " + path);
                return;
            }
            String length = ex.getRequestHeaders().getFirst("Content-Length");
            if (length != null && length.strip().matches("\\d{1,18}") && Long.parseLong(length.strip()) > stowMaxBytes) {
                tooLarge(ex, length.strip() + " bytes");
                return;
            }
            if (!stowSlots.tryAcquire()) {
                metrics.stowBusy();
                log.info("STOW-RS from {} answered 503: {} requests are being stored", ex.getRemoteAddress(), stowAtOnce);
                ex.getResponseHeaders().set("Retry-After", Integer.toString(STOW_RETRY_AFTER_SECONDS));
                send(ex, 503, "text/plain", "this receiver is storing " + stowAtOnce + " STOW-RS requests already; "
                        + "retry in " + STOW_RETRY_AFTER_SECONDS + " s");
                return;
            }
            try {
                store(ex, study);
            } finally {
                stowSlots.release();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.info("STOW-RS from {} interrupted by shutdown", ex.getRemoteAddress());
        }
    }

    /** Reads the request's parts and stores each, then answers with what became of them. */
    private void store(HttpExchange ex, String study) throws IOException, InterruptedException {
        byte[] body;
        try (InputStream in = ex.getRequestBody()) {
            body = in.readNBytes((int) stowMaxBytes + 1);
        }
        if (body.length > stowMaxBytes) { // a chunked body, its length not declared
            tooLarge(ex, "more than " + stowMaxBytes + " bytes");
            return;
        }
        List<MultipartRelated.Part> parts;
        try {
            parts = MultipartRelated.parse(ex.getRequestHeaders().getFirst("Content-Type"), body);
        } catch (MultipartRelated.MalformedException e) {
            log.info("STOW-RS from {} refused with HTTP {}: {}", ex.getRemoteAddress(), e.httpStatus, e.getMessage());
            send(ex, e.httpStatus, "text/plain", e.getMessage());
            return;
        }
        List<Outcome> outcomes = new ArrayList<>(parts.size());
        IngestAudit.Transfer transfer = audit.transfer(STOW_CALLER, ex.getRemoteAddress().getAddress().getHostAddress());
        try {
            for (MultipartRelated.Part part : parts) {
                Outcome outcome = ingest(part, study);
                transfer.add(outcome);
                outcomes.add(outcome);
            }
        } finally {
            transfer.end();
        }
        send(ex, StowResponse.httpStatus(outcomes), "application/dicom+json", StowResponse.json(outcomes));
    }

    /**
     * Answers 413 to a request whose body is larger than what is taken, before reading it on (the
     * server then closes the connection rather than drain it). Nothing of it is stored.
     */
    private void tooLarge(HttpExchange ex, String size) throws IOException {
        metrics.stowTooLarge();
        log.warn("STOW-RS from {} refused with HTTP 413: its body is {}, more than the {} bytes taken (--stow-max-mib)",
                ex.getRemoteAddress(), size, stowMaxBytes);
        ex.getResponseHeaders().set("Connection", "close");
        send(ex, 413, "text/plain", "the request body is " + size + "; this receiver takes at most " + stowMaxBytes
                + " bytes per STOW-RS request: send the study in several requests (e.g. one per series)");
    }

    private Outcome ingest(MultipartRelated.Part part, String study) throws InterruptedException {
        String type = MultipartRelated.MediaType.parse(part.contentType()).type();
        if (part.contentType() != null && !type.equals("application/dicom")) {
            // still dead-lettered with its bytes: the reader refuses what is not a Part 10 file
            log.info("STOW-RS part of type {} is not application/dicom", type);
        }
        Outcome outcome = ingest.ingest(part.body(), STOW_CALLER, Channel.STOW_RS);
        if (study != null && outcome.stored() && !study.equals(outcome.studyUid())) {
            // PS3.18: instances of another study than the URL's fail; this one is already published
            // (harmless: it is a valid slice of its own study), so report it, do not hide it
            return new Outcome(DimseStatus.DATA_SET_DOES_NOT_MATCH, "StudyInstanceUID " + outcome.studyUid()
                    + " differs from the request's " + study + " (the slice was stored under its own study)",
                    outcome.sopClassUid(), outcome.sopInstanceUid(), outcome.seriesUid(), outcome.studyUid(), false,
                    outcome.patientId());
        }
        return outcome;
    }

    private void metrics(HttpExchange ex) throws IOException {
        try (ex) {
            send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.render());
        }
    }

    private void health(HttpExchange ex) throws IOException {
        try (ex) {
            String reason = unhealthy.get();
            ObjectNode body = JSON.createObjectNode().put("status", reason == null ? "UP" : "DOWN");
            if (reason != null) {
                body.put("reason", reason);
            }
            send(ex, reason == null ? 200 : 503, "application/json", body.toString());
        }
    }

    static void send(HttpExchange ex, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(1);
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
