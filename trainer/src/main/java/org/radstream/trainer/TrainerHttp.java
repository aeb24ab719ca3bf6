package org.radstream.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Pattern;
import org.radstream.avro.CorrectedLabel;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Rle;
import org.radstream.schemas.AuditLog;
import org.radstream.schemas.AuditMessage;
import org.radstream.schemas.BearerToken;
import org.radstream.schemas.ServerTls;
import org.radstream.schemas.Topics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer's HTTP endpoint, for radiologists' tools and operators: {@code POST
 * /labels?series=UID&task=T[&annotator=NAME][&source=UID]} with a .rle mask file as body (the label
 * goes onto the labels topic), {@code GET /labels?series=UID&task=T} (what became of it: {@link
 * LabelStatus}) or {@code GET /labels?task=T[&state=S][&limit=N][&after=SERIES]} (every label of
 * the task, a page at a time), {@code GET /labels/suggestions?task=T[&since=INSTANT][&below=S][&limit=N]}
 * (the series to correct first: {@link #suggestions}), {@code DELETE /labels?series=UID&task=T} (a withdrawal), {@code POST
 * /train?task=T}, {@code GET /runs[?task=T][&since=INSTANT][&limit=N]} ({@link RunQuery}), {@code
 * POST /runs/cancel?task=T[&operator=NAME][&reason=TEXT]}, {@code GET /metrics} and {@code GET
 * /health} (503 with the reason once a consumer thread stopped on an error). Requests that change
 * state, and the suggestions, need the configured bearer token; labels sent, replaced, withdrawn or refused are audited.
 */
final class TrainerHttp implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TrainerHttp.class);
    /** A DICOM UID, as {@code source} of POST /labels names the segmentation a mask was read from. */
    private static final Pattern SOURCE_UID = Pattern.compile("[0-9]+(\\.[0-9]+)*");
    /** A label travels as one record: its file can be no larger. */
    private static final int MAX_LABEL_BYTES = Topics.PIXEL_MAX_MESSAGE_BYTES;
    /** 2^29 voxels (512 × 512 × 2048 slices): decoding takes one byte a voxel, so a bigger claim is refused unread. */
    private static final long MAX_LABEL_VOXELS = 1024L * 1024 * 512;
    private static final ObjectWriter JSON = new ObjectMapper().writerWithDefaultPrettyPrinter();

    private final TrainerService service;
    private final HttpServer http;
    private final ExecutorService threads = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "trainer-http");
        t.setDaemon(true);
        return t;
    });
    private final BearerToken token;
    private final AuditLog audit;

    private TrainerHttp(TrainerService service, HttpServer http, BearerToken token, AuditLog audit) {
        this.service = service;
        this.http = http;
        this.token = token;
        this.audit = audit;
    }

    /** Binds the endpoint {@code settings} ask for (not started); empty when they turn it off. */
    static Optional<TrainerHttp> bind(TrainerService service, TrainerSettings settings, AuditLog audit) throws IOException {
        if (settings.httpPort() < 0) {
            return Optional.empty();
        }
        HttpServer http = ServerTls.http(new InetSocketAddress(settings.httpPort()), 0, settings.httpTls());
        return Optional.of(new TrainerHttp(service, http, settings.bearerToken(), audit));
    }

    /** Starts serving. */
    void start() {
        http.createContext("/labels", this::labels);
        http.createContext("/labels/suggestions", this::suggestions);
        http.createContext("/train", this::train);
        http.createContext("/health", ex -> {
            String down = service.down();
            respond(ex, down == null ? 200 : 503, down == null ? "ok\n" : "down: " + down + "\n");
        });
        http.createContext("/metrics", ex -> respond(ex, 200, service.metricsText()));
        http.createContext("/runs", this::runs);
        http.createContext("/runs/cancel", this::cancel);
        // a pool, not the dispatcher thread: a slow request (a label waiting for Kafka's acknowledgement,
        // a scrape sizing a large archive) must not hold up /health, which the container's check reads
        http.setExecutor(threads);
        http.start();
        if (!token.required()) {
            log.info("POST /labels, /train and /runs/cancel take no token: anyone who reaches port {} may submit labels and "
                    + "start or cancel runs (set RADSTREAM_TRAINER_TOKEN to require one)", port());
        }
    }

    /** The port it listens on. */
    int port() {
        return http.getAddress().getPort();
    }

    private void runs(HttpExchange ex) throws IOException {
        if (!"GET".equals(ex.getRequestMethod())) {
            respond(ex, 405, "GET only\n");
            return;
        }
        RunQuery query;
        try {
            query = RunQuery.of(query(ex));
        } catch (IllegalArgumentException e) {
            respond(ex, 400, e.getMessage() + "\n");
            return;
        }
        respondJson(ex, service.runsAnswer(query));
    }

    /** How long a request for suggestions may read the results topic. */
    private static final java.time.Duration SUGGESTIONS_READ = java.time.Duration.ofSeconds(30);

    /**
     * {@code GET /labels/suggestions?task=T[&since=INSTANT][&below=S][&limit=N]}: the series a
     * radiologist should correct first for the task ({@link TrainerService#suggestions}), least stable
     * first, as JSON: each with its study, stability, model version, volume and when it was made (no
     * patient identifiers: the study UID finds it in the PACS), with how many more there are and what
     * was left out ({@code undecodable}: result records skipped since the trainer started). Results
     * made in the last 30 days are looked at (the default), or since a later {@code since}; {@code
     * since} in the answer says from when. It lists the hospital's studies, so it takes the token as
     * requests that change state do. 400 for a bad parameter, 503 while the label store is still
     * being read or Kafka does not answer.
     */
    private void suggestions(HttpExchange ex) throws IOException {
        if (!"GET".equals(ex.getRequestMethod())) {
            respond(ex, 405, "GET /labels/suggestions?task=T[&since=INSTANT][&below=S][&limit=N]\n");
            return;
        }
        if (!authorised(ex)) {
            return;
        }
        Map<String, String> q = query(ex);
        Instant since;
        double below;
        int limit;
        try {
            since = q.get("since") == null ? Instant.EPOCH : Instant.parse(q.get("since"));
            below = q.get("below") == null ? 1 : Double.parseDouble(q.get("below"));
            limit = q.get("limit") == null ? 20 : Integer.parseInt(q.get("limit"));
        } catch (RuntimeException e) {
            respond(ex, 400, "since must be an instant (2026-12-01T00:00:00Z), below a number in (0, 1] and limit a whole "
                    + "number: " + e.getMessage() + "\n");
            return;
        }
        if (limit < 1 || !(below > 0 && below <= 1)) {
            respond(ex, 400, "limit must be at least 1 and below in (0, 1]\n");
            return;
        }
        String task = q.getOrDefault("task", "");
        TrainerService.Suggestions answer;
        try {
            answer = service.suggestions(task, since, SUGGESTIONS_READ);
        } catch (IllegalArgumentException e) {
            respond(ex, 400, e.getMessage() + "\n");
            return;
        } catch (IllegalStateException | org.apache.kafka.common.KafkaException e) {
            ex.getResponseHeaders().add("Retry-After", "10");
            respond(ex, 503, "no suggestions now: " + e.getMessage() + "\n");
            return;
        }
        LabelSuggestions.Listing l = answer.listing();
        List<LabelSuggestions.Suggestion> shown = l.ranked().stream().filter(x -> x.stability() < below).toList();
        List<Map<String, Object>> listed = new ArrayList<>();
        for (LabelSuggestions.Suggestion x : shown.subList(0, Math.min(limit, shown.size()))) {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("series", x.series());
            one.put("study", x.studyUid());
            one.put("stability", x.stability());
            one.put("model_version", x.modelVersion());
            one.put("volume_ml", x.volumeMl());
            one.put("produced_at", x.producedAt().toString());
            listed.add(one);
        }
        Map<String, Object> leftOut = new LinkedHashMap<>();
        leftOut.put("labelled", l.labelled());
        leftOut.put("withdrawn", l.withdrawn());
        leftOut.put("without_stability", l.withoutStability());
        leftOut.put("at_or_above_below", l.ranked().size() - shown.size());
        leftOut.put("undecodable", l.undecodable());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("task", task);
        out.put("since", answer.since().toString());
        out.put("suggestions", listed);
        out.put("more", shown.size() - listed.size());
        out.put("left_out", leftOut);
        respondJson(ex, out);
    }

    /** The request's query when it names a series and a task; otherwise null, answered 400. */
    private static Map<String, String> seriesAndTask(HttpExchange ex) throws IOException {
        Map<String, String> q = query(ex);
        if (q.get("series") == null || q.get("task") == null) {
            respond(ex, 400, "series and task are required query parameters\n");
            return null;
        }
        return q;
    }

    private void getLabel(HttpExchange ex) throws IOException {
        Map<String, String> all = query(ex);
        if (all.get("series") == null && all.get("task") != null) {
            // GET /labels?task=T[&state=S][&limit=N][&after=SERIES]: every label of the task, a page at a time
            try {
                int limit;
                try {
                    limit = all.get("limit") == null ? 0 : Integer.parseInt(all.get("limit"));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("limit must be a number, got '" + all.get("limit") + "'");
                }
                respondJson(ex, service.labelStatuses(all.get("task"), all.get("state"), limit, all.get("after")));
            } catch (IllegalArgumentException e) {
                respond(ex, 400, e.getMessage() + "\n");
            }
            return;
        }
        Map<String, String> q = seriesAndTask(ex);
        if (q == null) {
            return;
        }
        Map<String, Object> status;
        try {
            status = service.labelStatus(q.get("series"), q.get("task"));
        } catch (IllegalArgumentException e) {
            respond(ex, 400, e.getMessage() + "\n");
            return;
        }
        respondJson(ex, status);
    }

    private static void respondJson(HttpExchange ex, Object value) throws IOException {
        byte[] b = JSON.writeValueAsBytes(value);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(200, b.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(b);
        }
    }

    /**
     * {@code DELETE /labels?series=UID&task=T}: withdraws the label (a tombstone on the label topic,
     * as {@code label withdraw} sends); no later run trains on it.
     */
    private void deleteLabel(HttpExchange ex) throws Exception {
        if (!authorised(ex)) {
            return;
        }
        Map<String, String> q = seriesAndTask(ex);
        if (q == null) {
            return;
        }
        String task;
        try {
            task = TrainingTask.of(q.get("task")).id();
        } catch (IllegalArgumentException e) {
            respond(ex, 400, e.getMessage() + "\n");
            return;
        }
        String key = Topics.seriesTaskKey(q.get("series"), task);
        service.send(key, null);
        auditLabel(ex, AuditMessage.Action.DELETE, q.get("series"), task, q, null);
        respond(ex, 202, "label " + key + " withdrawn on " + service.labelTopic() + "\n");
    }

    private void labels(HttpExchange ex) throws IOException {
        try {
            if ("GET".equals(ex.getRequestMethod())) {
                getLabel(ex);
                return;
            }
            if ("DELETE".equals(ex.getRequestMethod())) {
                deleteLabel(ex);
                return;
            }
            if (!authorisedPost(ex, "POST a .rle mask file to /labels?series=UID&task=T[&annotator=NAME][&source=UID], GET "
                    + "/labels?series=UID&task=T for what became of it, or DELETE it to withdraw it")) {
                return;
            }
            Map<String, String> q = seriesAndTask(ex);
            if (q == null) {
                return;
            }
            String series = q.get("series");
            String task = q.get("task");
            String labelKey = Topics.seriesTaskKey(series, task);
            AuditMessage.Action action = service.holdsLabel(labelKey)
                    ? AuditMessage.Action.UPDATE : AuditMessage.Action.CREATE;
            String source = q.get("source");
            if (source != null && (source.length() > 64 || !SOURCE_UID.matcher(source).matches())) {
                String refusal = "source '" + source + "' is not a DICOM UID (the SOP instance of the segmentation the mask was "
                        + "read from: digits and dots, at most 64)";
                auditLabel(ex, action, series, task, q, refusal);
                respond(ex, 400, refusal + "\n");
                return;
            }
            byte[] body = ex.getRequestBody().readNBytes(MAX_LABEL_BYTES + 1);
            if (body.length > MAX_LABEL_BYTES) {
                String refusal = "the label file is over " + MAX_LABEL_BYTES + " bytes, more than a label record may carry";
                auditLabel(ex, action, series, task, q, refusal);
                respond(ex, 413, refusal + "\n");
                return;
            }
            Mask3D mask;
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(body))) {
                int w = in.readInt();
                int h = in.readInt();
                int d = in.readInt();
                String refusal = labelShapeRefusal(series, w, h, d);
                if (refusal != null) {
                    auditLabel(ex, action, series, task, q, refusal);
                    respond(ex, 400, refusal + "\n");
                    return;
                }
                mask = Rle.decode(in.readAllBytes(), w, h, d);
            } catch (IOException | IllegalArgumentException e) {
                String refusal = "body is not a .rle mask file (3 big-endian int32 width, height, depth + RLE): " + e.getMessage();
                auditLabel(ex, action, series, task, q, refusal);
                respond(ex, 400, refusal + "\n");
                return;
            }
            CorrectedLabel label = CorrectedLabel.newBuilder(LabelMaker.label(series, task, mask,
                    q.getOrDefault("annotator", "http"), "radiologist", "submitted over HTTP"))
                    .setSourceInstanceUid(source).build();
            service.send(labelKey, label);
            auditLabel(ex, action, series, task, q, null);
            respond(ex, 202, "label " + labelKey + " submitted to " + service.labelTopic() + "\n");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            respond(ex, 503, "interrupted\n");
        } catch (Exception e) {
            respond(ex, 500, "could not submit the label: " + e + "\n");
        }
    }

    /**
     * Records a label submitted, replaced or withdrawn over HTTP (or refused: {@code refusal}), by the
     * annotator the request names, from its address; the study is named where the series is archived.
     */
    private void auditLabel(HttpExchange ex, AuditMessage.Action action, String series, String task, Map<String, String> q,
                            String refusal) {
        if (audit.enabled()) {
            audit.record(TrainerAudit.label(action, series, task, service.header(series).map(ArchivedSeries.Header::studyUid),
                    q.getOrDefault("annotator", "http"), ex.getRemoteAddress().getAddress().getHostAddress(), refusal));
        }
    }

    /**
     * Why a submitted mask of {@code w×h×d} is refused before it is decoded, or null: sizes no CT
     * series has (decoding allocates one byte per voxel), or not the archived series' size.
     */
    private String labelShapeRefusal(String series, int w, int h, int d) {
        if (w <= 0 || h <= 0 || d <= 0 || (long) w * h * d > MAX_LABEL_VOXELS) {
            return "mask size " + w + "×" + h + "×" + d + " is not a CT series' (at most " + MAX_LABEL_VOXELS + " voxels)";
        }
        Optional<ArchivedSeries.Header> archived = service.header(series);
        if (archived.isPresent() && (archived.get().width() != w || archived.get().height() != h
                || archived.get().depth() != d)) {
            return "mask size " + w + "×" + h + "×" + d + " does not match series " + series + " ("
                    + archived.get().width() + "×" + archived.get().height() + "×" + archived.get().depth() + ")";
        }
        return null;
    }

    private void train(HttpExchange ex) throws IOException {
        if (!authorisedPost(ex, "POST /train?task=T queues a run")) {
            return;
        }
        String task = query(ex).get("task");
        try {
            TrainingTask t = TrainingTask.of(task);
            Map.Entry<Instant, Boolean> queued = service.queueUnlessWaiting(t);
            // the time lets a client find this run in GET /runs: the first of the task started since
            respond(ex, 202, "training of " + t.id() + (queued.getValue() ? "" : " already") + " queued at "
                    + queued.getKey() + "\n");
        } catch (IllegalArgumentException e) {
            respond(ex, 400, e.getMessage() + "\n");
        }
    }

    /**
     * {@code POST /runs/cancel?task=T[&operator=NAME][&reason=TEXT]}: cancels the task's run in
     * progress and its waiting runs ({@link TrainerService#cancel}); 202 with what was cancelled, 409 when there is
     * nothing to cancel or the run is past its gate, 400 for an unknown task.
     */
    private void cancel(HttpExchange ex) throws IOException {
        if (!authorisedPost(ex, "POST /runs/cancel?task=T[&operator=NAME][&reason=TEXT] cancels the task's runs")) {
            return;
        }
        Map<String, String> q = query(ex);
        String operator = q.getOrDefault("operator", "").strip();
        String reason = q.getOrDefault("reason", "").strip();
        String why = "cancelled by " + (operator.isEmpty() ? "an operator" : operator) + (reason.isEmpty() ? "" : ": " + reason);
        try {
            respond(ex, 202, service.cancel(q.get("task"), why) + "\n");
        } catch (IllegalArgumentException e) {
            respond(ex, 400, e.getMessage() + "\n");
        } catch (IllegalStateException e) {
            respond(ex, 409, e.getMessage() + "\n");
        }
    }

    /** Whether the request is a POST (else 405 with {@code usage}) carrying the token ({@link #authorised}). */
    private boolean authorisedPost(HttpExchange ex, String usage) throws IOException {
        if (!"POST".equals(ex.getRequestMethod())) {
            respond(ex, 405, usage + "\n");
            return false;
        }
        return authorised(ex);
    }

    /**
     * Whether a request that changes state carries the configured token ({@code Authorization: Bearer
     * TOKEN}); answers 401 when it does not. Every request passes when no token is configured.
     */
    private boolean authorised(HttpExchange ex) throws IOException {
        if (token.admits(ex)) {
            return true;
        }
        BearerToken.challenge(ex, "radstream-trainer");
        audit.authenticationFailed("trainer", "radstream-trainer", ex.getRemoteAddress().getAddress().getHostAddress(),
                ex.getRequestMethod() + " " + ex.getRequestURI().getPath() + " without the bearer token");
        respond(ex, 401, "this trainer takes labels, runs and cancels, and lists suggestions, only with its token (Authorization: Bearer …; "
                + TrainerSettings.TOKEN_VARIABLE + ")\n");
        return false;
    }

    private static Map<String, String> query(HttpExchange ex) {
        Map<String, String> out = new HashMap<>();
        String raw = ex.getRequestURI().getRawQuery();
        if (raw == null) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                out.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private static void respond(HttpExchange ex, int status, String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "text/plain; charset=utf-8");
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    @Override
    public void close() {
        http.stop(0);
        threads.shutdownNow();
    }
}
