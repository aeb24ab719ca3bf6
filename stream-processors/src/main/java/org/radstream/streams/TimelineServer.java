package org.radstream.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.radstream.schemas.AuditLog;
import org.radstream.schemas.AuditMessage;
import org.radstream.schemas.BearerToken;
import org.radstream.schemas.ServerTls;
import org.radstream.streams.ProgressionAlerts.Alert;
import org.radstream.streams.ProgressionAlerts.History;
import org.radstream.streams.ProgressionAlerts.Measurement;
import org.radstream.streams.StreamsSettings.TopologyName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The patient timeline HTTP API over the progression topology's stores (interactive queries).
 *
 * <ul>
 *   <li>{@code GET /patients/{id}/timeline}: the patient's measurements (acquisition time, lung and
 *       infected mL, PoIR) and alerts. The patient's history lives on one instance; the request is
 *       answered locally when this instance holds it and forwarded otherwise, found with
 *       {@link KafkaStreams#queryMetadataForKey} (instances advertise {@code application.server}).</li>
 *   <li>{@code GET /alerts?since=<ISO-8601 instant or epoch ms>}: alerts raised at or after
 *       {@code since}, gathered from every instance (fan-out), newest last.</li>
 *   <li>{@code GET /health}: 200 when every topology of this process is RUNNING, 503 otherwise.</li>
 *   <li>{@code GET /metrics}: Prometheus text: slices routed per task group, unmatched series,
 *       dead letters, measurements, alerts.</li>
 * </ul>
 * Forwarded requests carry {@code local=true} so they are never forwarded twice.
 *
 * <p>With a token ({@code RADSTREAM_API_TOKEN}), the timeline and the alerts, which name patients,
 * are answered only to requests that carry it ({@code Authorization: Bearer TOKEN}; 401 otherwise),
 * and requests between instances carry it too (every instance has the same one). {@code /health}
 * and {@code /metrics} hold no patient data and stay open for probes and scrapers.
 */
final class TimelineServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TimelineServer.class);
    private static final Duration FORWARD_TIMEOUT = Duration.ofSeconds(5);
    /** The counter family of the records the exception handlers dead-lettered. */
    private static final String DEAD_LETTERED = "radstream_records_dead_lettered_total";

    private final HttpServer http;
    private final ExecutorService executor;
    private final StreamsApp app;
    private final String host;
    private final BearerToken token;
    private final HttpClient client;
    /** Where each disclosure of a patient's data, and each request refused for want of the token, is recorded. */
    private final AuditLog audit;
    /** "https" when the API speaks TLS, and so do the other instances it forwards to. */
    private final String scheme;

    /** @param tls null: plain HTTP; else HTTPS, trusting the other instances as {@link ServerTls#peerContext} says */
    TimelineServer(String host, int port, BearerToken token, ServerTls tls, AuditLog audit, StreamsApp app)
            throws IOException {
        this.audit = audit;
        this.host = host;
        this.token = token;
        this.app = app;
        this.scheme = tls == null ? "http" : "https";
        HttpClient.Builder clientBuilder = HttpClient.newBuilder().connectTimeout(FORWARD_TIMEOUT);
        if (tls != null) {
            clientBuilder.sslContext(tls.peerContext());
        }
        this.client = clientBuilder.build();
        this.http = ServerTls.http(new InetSocketAddress(port), 0, tls);
        this.executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "timeline-http");
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(executor);
        http.createContext("/patients/", this::timeline);
        http.createContext("/alerts", this::alerts);
        http.createContext("/health", this::health);
        http.createContext("/metrics", this::metrics);
    }

    int port() {
        return http.getAddress().getPort();
    }

    void start() {
        http.start();
    }

    @Override
    public void close() {
        http.stop(0);
        executor.shutdownNow();
    }

    // ---- views: what the JSON looks like ----

    record MeasurementView(String seriesUid, String studyUid, String accessionNumber, String acquisitionTime,
                           double lungMl, double infectedMl, double poir, String lungMethod, String infectionMethod,
                           String lungModelVersion, String infectionModelVersion, String measuredAt) {
        static MeasurementView of(Measurement m) {
            return new MeasurementView(m.seriesUid(), m.studyUid(), m.accessionNumber(), iso(m.acquisitionTime()),
                    m.lungMl(), m.infectedMl(), m.poir(), m.lungMethod(), m.infectionMethod(), m.lungModelVersion(),
                    m.infectionModelVersion(), iso(m.measuredAt()));
        }
    }

    record AlertView(String alertId, String patientId, String patientName, String earlierSeriesUid,
                     String laterSeriesUid, String earlierAcquisitionTime, String laterAcquisitionTime,
                     double earlierInfectedMl, double laterInfectedMl, double earlierPoir, double laterPoir,
                     Double growthPercent, double hoursApart, String rule, String message, String raisedAt,
                     RetractionView retraction) {
        static AlertView of(Alert a) {
            return new AlertView(a.alertId(), a.patientId(), a.patientName(), a.earlier().seriesUid(),
                    a.later().seriesUid(), iso(a.earlier().acquisitionTime()), iso(a.later().acquisitionTime()),
                    a.earlier().infectedMl(), a.later().infectedMl(), a.earlier().poir(), a.later().poir(),
                    a.growthPercent(), a.hoursApart(), a.rule(), a.message(), iso(a.raisedAt()),
                    a.retraction() == null ? null : new RetractionView(a.retraction().seriesUid(), a.retraction().reason(),
                            a.retraction().rejectionNoteUid(), iso(a.retraction().retractedAt())));
        }
    }

    /** An alert's retraction: the series withdrawn by the PACS, why, by which rejection note, when. */
    record RetractionView(String seriesUid, String reason, String rejectionNoteUid, String retractedAt) {}

    /**
     * A patient's timeline: the measurements that stand, the alerts (a retracted one says why), and
     * the series the PACS withdrew, so a reader knows why a scan is not there.
     */
    record TimelineView(String patientId, String patientName, List<MeasurementView> measurements,
                        List<AlertView> alerts, List<RetractionView> withdrawn) {}

    record AlertsView(String since, List<AlertView> alerts) {}

    // ---- handlers ----

    private void timeline(HttpExchange ex) throws IOException {
        try (ex) {
            if (!"GET".equals(ex.getRequestMethod())) {
                send(ex, 405, Map.of("error", "GET only"));
                return;
            }
            if (!authorised(ex)) {
                return;
            }
            String path = ex.getRequestURI().getRawPath();
            String[] parts = path.split("/");
            if (parts.length != 4 || !parts[3].equals("timeline") || parts[2].isEmpty()) {
                send(ex, 404, Map.of("error", "use /patients/{id}/timeline"));
                return;
            }
            String patient = URLDecoder.decode(parts[2], StandardCharsets.UTF_8);
            KafkaStreams ks = app.streams(TopologyName.PROGRESSION_ALERTS);
            if (!query(ex).containsKey("local")) {
                KeyQueryMetadata meta = ks.queryMetadataForKey(ProgressionAlerts.HISTORY_STORE, patient,
                        new StringSerializer());
                if (meta == null || meta.equals(KeyQueryMetadata.NOT_AVAILABLE)) {
                    send(ex, 503, Map.of("error", "the progression stores are not available yet (rebalancing)"));
                    return;
                }
                if (!isSelf(meta.activeHost())) {
                    HttpResponse<byte[]> answer = forward(ex, meta.activeHost(), "/patients/" + parts[2]
                            + "/timeline?local=true");
                    auditTimeline(ex, patient, answer.statusCode() == 200 ? patientName(answer.body()) : null,
                            answer.statusCode());
                    return;
                }
            }
            boolean external = !query(ex).containsKey("local"); // a forwarded request was audited where it arrived
            ReadOnlyKeyValueStore<String, History> histories = store(ks, ProgressionAlerts.HISTORY_STORE);
            ReadOnlyKeyValueStore<String, Alert> alerts = store(ks, ProgressionAlerts.ALERTS_STORE);
            History h = histories.get(patient);
            List<AlertView> alertViews = new ArrayList<>();
            try (KeyValueIterator<String, Alert> it = alerts.prefixScan(ProgressionAlerts.alertKeyPrefix(patient),
                    new StringSerializer())) {
                while (it.hasNext()) {
                    alertViews.add(AlertView.of(it.next().value));
                }
            }
            List<RetractionView> withdrawn = new ArrayList<>();
            ReadOnlyKeyValueStore<String, ProgressionAlerts.Retraction> rejected = store(ks, ProgressionAlerts.REJECTED_STORE);
            try (KeyValueIterator<String, ProgressionAlerts.Retraction> it = rejected.prefixScan(
                    ProgressionAlerts.rejectedKey(patient, ""), new StringSerializer())) {
                while (it.hasNext()) {
                    ProgressionAlerts.Retraction r = it.next().value;
                    withdrawn.add(new RetractionView(r.seriesUid(), r.reason(), r.rejectionNoteUid(), iso(r.retractedAt())));
                }
            }
            if (h == null && alertViews.isEmpty() && withdrawn.isEmpty()) {
                send(ex, 404, Map.of("error", "no measurements for patient " + patient));
                if (external) {
                    auditTimeline(ex, patient, null, 404);
                }
                return;
            }
            alertViews.sort(Comparator.comparing(AlertView::laterAcquisitionTime).thenComparing(AlertView::earlierAcquisitionTime));
            List<MeasurementView> ms = h == null ? List.of() : h.measurements().stream().map(MeasurementView::of).toList();
            send(ex, 200, new TimelineView(patient, h == null ? null : h.patientName(), ms, alertViews, withdrawn));
            if (external) {
                auditTimeline(ex, patient, h == null ? null : h.patientName(), 200);
            }
        } catch (InvalidStateStoreException e) {
            send(ex, 503, Map.of("error", "store not queryable now: " + e.getMessage()));
        } catch (RuntimeException e) {
            LOG.error("timeline request {} failed", ex.getRequestURI(), e);
            send(ex, 500, Map.of("error", e.toString()));
        }
    }

    private void alerts(HttpExchange ex) throws IOException {
        try (ex) {
            if (!authorised(ex)) {
                return;
            }
            Map<String, String> q = query(ex);
            long since;
            try {
                since = parseSince(q.get("since"));
            } catch (IllegalArgumentException e) {
                send(ex, 400, Map.of("error", e.getMessage()));
                return;
            }
            KafkaStreams ks = app.streams(TopologyName.PROGRESSION_ALERTS);
            List<AlertView> all = new ArrayList<>(localAlerts(ks, since));
            if (!q.containsKey("local")) {
                for (StreamsMetadata md : ks.streamsMetadataForStore(ProgressionAlerts.ALERTS_STORE)) {
                    if (isSelf(md.hostInfo())) {
                        continue;
                    }
                    JsonNode remote = get(md.hostInfo(), "/alerts?local=true&since=" + since);
                    for (JsonNode a : remote.get("alerts")) {
                        all.add(JsonSerde.MAPPER.treeToValue(a, AlertView.class));
                    }
                }
            }
            all.sort(Comparator.comparing(AlertView::raisedAt).thenComparing(AlertView::alertId));
            send(ex, 200, new AlertsView(iso(since), all));
            if (!q.containsKey("local")) {
                auditAlerts(ex, all);
            }
        } catch (InvalidStateStoreException e) {
            send(ex, 503, Map.of("error", "store not queryable now: " + e.getMessage()));
        } catch (IOException | RuntimeException e) {
            LOG.error("alerts request {} failed", ex.getRequestURI(), e);
            send(ex, 502, Map.of("error", e.toString()));
        }
    }

    private void health(HttpExchange ex) throws IOException {
        try (ex) {
            Map<String, String> states = new TreeMap<>();
            app.allStreams().forEach((k, v) -> states.put(k.id(), v.state().name()));
            boolean up = app.isRunning();
            send(ex, up ? 200 : 503, Map.of("status", up ? "UP" : "DOWN", "topologies", states));
        }
    }

    private void metrics(HttpExchange ex) throws IOException {
        try (ex) {
            StringBuilder text = new StringBuilder(prometheus(app.allStreams()));
            audit.metrics(text, "streams");
            byte[] body = text.toString().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /**
     * Prometheus text of the topologies' counters (summed over stream threads) and the records the
     * exception handlers dead-lettered (Kafka Streams counts those as dropped records).
     */
    static String prometheus(Map<TopologyName, KafkaStreams> streams) {
        Map<String, Map<String, Double>> families = new TreeMap<>();
        Map<String, Boolean> running = new LinkedHashMap<>();
        for (Map.Entry<TopologyName, KafkaStreams> e : streams.entrySet()) {
            collect(e.getKey().id(), e.getValue().metrics(), families);
            running.put(e.getKey().id(), e.getValue().state() == KafkaStreams.State.RUNNING);
        }
        return exposition(families, running);
    }

    /**
     * The text exposition of counter families {@link #collect} gathered, each with its help and
     * type, and of whether each topology runs (by topology id).
     */
    static String exposition(Map<String, Map<String, Double>> families, Map<String, Boolean> running) {
        StringBuilder b = new StringBuilder();
        families.forEach((family, series) -> {
            b.append("# HELP ").append(family).append(' ').append(help(family)).append('\n');
            b.append("# TYPE ").append(family).append(" counter\n");
            series.forEach((labels, v) -> b.append(family).append(labels).append(' ')
                    .append(v == Math.rint(v) ? Long.toString(v.longValue()) : Double.toString(v)).append('\n'));
        });
        b.append("# HELP radstream_streams_running 1 while the topology's Kafka Streams instance is running\n");
        b.append("# TYPE radstream_streams_running gauge\n");
        running.forEach((topology, up) -> b.append("radstream_streams_running{topology=\"").append(topology).append("\"} ")
                .append(up ? 1 : 0).append('\n'));
        return b.toString();
    }

    /** The help text of a counter family {@link #collect} makes. */
    static String help(String family) {
        if (DEAD_LETTERED.equals(family)) {
            return "records the exception handlers set aside on the dead-letter topic";
        }
        String operation = family.substring("radstream_".length(), family.length() - "_total".length()).replace('_', '-');
        return Sensors.HELP.getOrDefault(operation, operation);
    }

    static void collect(String topology, Map<MetricName, ? extends Metric> metrics,
                        Map<String, Map<String, Double>> families) {
        for (Map.Entry<MetricName, ? extends Metric> m : metrics.entrySet()) {
            MetricName n = m.getKey();
            String family;
            if (Sensors.GROUP.equals(n.group()) && n.name().endsWith("-total")) {
                family = "radstream_" + n.name().replace('-', '_');
            } else if ("stream-task-metrics".equals(n.group()) && "dropped-records-total".equals(n.name())) {
                family = DEAD_LETTERED;
            } else {
                continue;
            }
            // every family labelled by the topology's id, as radstream_streams_running is, so that they join
            String labels = "{topology=\"" + topology + "\"}";
            Object v = m.getValue().metricValue();
            if (v instanceof Number num) {
                families.computeIfAbsent(family, k -> new TreeMap<>()).merge(labels, num.doubleValue(), Double::sum);
            }
        }
    }

    // ---- helpers ----

    private List<AlertView> localAlerts(KafkaStreams ks, long since) {
        ReadOnlyKeyValueStore<String, Alert> alerts = store(ks, ProgressionAlerts.ALERTS_STORE);
        List<AlertView> out = new ArrayList<>();
        try (KeyValueIterator<String, Alert> it = alerts.all()) {
            while (it.hasNext()) {
                KeyValue<String, Alert> kv = it.next();
                if (kv.value.raisedAt() >= since) {
                    out.add(AlertView.of(kv.value));
                }
            }
        }
        return out;
    }

    private static <V> ReadOnlyKeyValueStore<String, V> store(KafkaStreams ks, String name) {
        return ks.store(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<String, V>keyValueStore()));
    }

    static long parseSince(String since) {
        if (since == null || since.isBlank()) {
            return 0;
        }
        String s = since.trim();
        if (s.chars().allMatch(Character::isDigit)) {
            return Long.parseLong(s);
        }
        try {
            return Instant.parse(s).toEpochMilli();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("since must be an ISO-8601 instant (2024-03-01T08:00:00Z) or epoch "
                    + "milliseconds: " + since);
        }
    }

    /** Whether the request carries the API token, or none is set; answers 401 when not. */
    private boolean authorised(HttpExchange ex) throws IOException {
        if (token.admits(ex)) {
            return true;
        }
        audit.authenticationFailed("streams", "radstream-streams", address(ex), "timeline API request "
                + ex.getRequestURI().getPath() + " without the service's token");
        BearerToken.challenge(ex, "radstream-timeline");
        send(ex, 401, Map.of("error", "patient timelines and alerts are answered only with this service's token "
                + "(Authorization: Bearer …; " + token.variable() + ")"));
        return false;
    }

    // ---- audit ----

    private static String address(HttpExchange ex) {
        return ex.getRemoteAddress().getAddress().getHostAddress();
    }

    /** A patient's timeline asked for: disclosed (200), or not found (404); other answers disclose nothing. */
    private void auditTimeline(HttpExchange ex, String patient, String name, int status) {
        if (!audit.enabled() || (status != 200 && status != 404)) {
            return;
        }
        audit.record(reader(ex, status == 200 ? AuditMessage.Outcome.SUCCESS : AuditMessage.Outcome.MINOR_FAILURE,
                status == 200 ? null : "no measurements for the patient").patient(patient, name));
    }

    /** The alerts asked for, naming each patient they disclosed. */
    private void auditAlerts(HttpExchange ex, List<AlertView> disclosed) {
        if (!audit.enabled()) {
            return;
        }
        AuditMessage m = reader(ex, AuditMessage.Outcome.SUCCESS, null);
        Map<String, String> patients = new TreeMap<>();
        disclosed.forEach(a -> patients.putIfAbsent(a.patientId(), a.patientName()));
        patients.forEach(m::patient);
        audit.record(m);
    }

    /** A Patient Record read by the API's caller (known only by its address and the token it carried). */
    private AuditMessage reader(HttpExchange ex, AuditMessage.Outcome outcome, String description) {
        return AuditMessage.of(AuditMessage.PATIENT_RECORD, AuditMessage.Action.READ, outcome, java.time.Instant.now(),
                        description)
                .participant("API token holder", null, true, address(ex), null)
                .participant("radstream-streams", Long.toString(ProcessHandle.current().pid()), false, host,
                        AuditMessage.APPLICATION)
                .source(AuditLog.source("streams"));
    }

    /** A GET to another instance, carrying the token when one is set. */
    private HttpRequest request(HostInfo target, String pathAndQuery) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(target, pathAndQuery)).timeout(FORWARD_TIMEOUT).GET();
        if (token.required()) {
            b.header("Authorization", token.authorization());
        }
        return b.build();
    }

    private boolean isSelf(HostInfo h) {
        return h.port() == port() && h.host().equals(host);
    }

    /** Relays the answer of {@code target} and returns its status. */
    private HttpResponse<byte[]> forward(HttpExchange ex, HostInfo target, String pathAndQuery) throws IOException {
        try {
            HttpResponse<byte[]> r = client.send(request(target, pathAndQuery), HttpResponse.BodyHandlers.ofByteArray());
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.getResponseHeaders().set("X-Served-By", target.host() + ":" + target.port());
            ex.sendResponseHeaders(r.statusCode(), r.body().length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(r.body());
            }
            return r;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted forwarding to " + target, e);
        }
    }

    /** The patient's name in a timeline another instance answered, for the audit message; null when it has none. */
    private static String patientName(byte[] timeline) {
        try {
            JsonNode name = JsonSerde.MAPPER.readTree(timeline).get("patientName");
            return name == null || name.isNull() ? null : name.asText();
        } catch (IOException | RuntimeException e) {
            return null; // the answer went to the caller as it came; the audit names the patient by id alone
        }
    }

    private JsonNode get(HostInfo target, String pathAndQuery) throws IOException {
        try {
            HttpResponse<byte[]> r = client.send(request(target, pathAndQuery), HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) {
                throw new IOException(target + pathAndQuery + " answered " + r.statusCode());
            }
            return JsonSerde.MAPPER.readTree(r.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted querying " + target, e);
        }
    }

    private URI uri(HostInfo h, String pathAndQuery) {
        return URI.create(scheme + "://" + h.host() + ":" + h.port() + pathAndQuery);
    }

    private static Map<String, String> query(HttpExchange ex) {
        Map<String, String> q = new HashMap<>();
        String raw = ex.getRequestURI().getRawQuery();
        if (raw != null) {
            for (String kv : raw.split("&")) {
                int eq = kv.indexOf('=');
                String k = URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8);
                String v = eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
                q.put(k, v);
            }
        }
        return q;
    }

    private void send(HttpExchange ex, int status, Object body) throws IOException {
        byte[] bytes = JsonSerde.MAPPER.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.getResponseHeaders().set("X-Served-By", host + ":" + port());
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    static String iso(long epochMs) {
        return Instant.ofEpochMilli(epochMs).toString();
    }
}
