package org.radstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.imaging.cohort.Cohort;
import org.radstream.imaging.cohort.CohortGenerator;
import org.radstream.imaging.cohort.CohortSpec;
import org.radstream.launcher.pipeline.CohortPush;
import org.radstream.launcher.pipeline.LocalPipeline;
import org.radstream.launcher.pipeline.PipelineWatch;
import org.radstream.platform.Platform;
import org.radstream.schemas.PromtoolLint;
import org.radstream.schemas.RestSchemaRegistryClient;
import org.radstream.schemas.Topics;
import org.radstream.workers.InferenceWorker;
import org.radstream.workers.TaskGroup;

/**
 * The ops monitoring against a real Prometheus (Debian's {@code prometheus}, installed by
 * {@code bin/setup --test}), as compose/prometheus.yml deploys it: every service of a pipeline that
 * has just measured a small cohort is scraped, and the shipped rules of compose/prometheus-alerts.yml
 * are evaluated on what the services really serve. Each exposition passes {@code promtool check
 * metrics} (help and type of every family, base units); Prometheus takes every one (each target
 * up, no scrape error, every metric family a service serves stored), evaluates every rule without
 * an error, and raises no alert while the pipeline is healthy; a worker group that stops makes the
 * two alerts that name it pending, and nothing else. promtool's unit tests (PrometheusAlertsTest)
 * check the rules on series written by hand; this checks them on the services' own.
 */
class PrometheusScrapeIT {
    private static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void prometheusScrapesEveryServiceEvaluatesEveryRuleAndAlertsOnlyOnAStoppedWorkerGroup() throws Exception {
        assertThat(Files.isExecutable(PROMETHEUS)).as("%s (Debian package prometheus) is not installed: bin/setup --test "
                + "installs it (apt-get install prometheus)", PROMETHEUS).isTrue();
        Path repo = ComposeFileTest.repositoryRoot();
        CohortGenerator.generate(CohortSpec.patients(37, List.of("rapid-growth", "no-infection"), 2, 1, 64), tmp.resolve("cohort"));
        Cohort cohort = Cohort.open(tmp.resolve("cohort"));
        // at 64² the shipped models measure no growth that alerts: the clinical alerts are DemoIT's
        ByteArrayOutputStream alerts = new ByteArrayOutputStream();
        try (Platform platform = Platform.start(tmp.resolve("kafka"), 0);
             LocalPipeline pipeline = LocalPipeline.start(new LocalPipeline.Options(platform.bootstrap(), platform.registryUrl(),
                     tmp.resolve("services"), repo.resolve("models-default"), Duration.ofSeconds(2), true,
                     new PrintStream(alerts, true, StandardCharsets.UTF_8)));
             PipelineWatch watch = new PipelineWatch(platform.bootstrap(),
                     new Topics(new RestSchemaRegistryClient(platform.registryUrl())), e -> { }).start()) {
            CohortPush.send(cohort, "localhost", pipeline.ingest().dicomPort(), pipeline.ingest().settings().aeTitle(), s -> { });
            assertThat(CohortPush.awaitAll(watch, cohort, Duration.ofMinutes(5))).as("every scan measured").isTrue();

            // the jobs of compose/prometheus.yml, with the addresses this process's services listen on
            Map<String, String> services = new LinkedHashMap<>();
            services.put("ingest", "127.0.0.1:" + pipeline.ingest().httpPort());
            services.put("streams", "127.0.0.1:" + pipeline.streams().httpPort().orElseThrow());
            services.put("trainer", "127.0.0.1:" + pipeline.trainer().orElseThrow().httpPort());
            services.put("delivery", "127.0.0.1:" + pipeline.deliveryHttpPort().orElseThrow());
            Map<String, String> workers = new LinkedHashMap<>();
            for (InferenceWorker w : pipeline.workers()) {
                workers.put("worker-" + w.settings().taskGroup().id(), "127.0.0.1:" + w.httpPort());
            }
            int port = freePort();
            Path config = writeConfig(repo.resolve("compose/prometheus-alerts.yml"), services.values(), workers.values());
            Process prometheus = new ProcessBuilder(PROMETHEUS.toString(), "--config.file=" + config,
                    "--storage.tsdb.path=" + tmp.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + port)
                    .redirectErrorStream(true).redirectOutput(tmp.resolve("prometheus.log").toFile()).start();
            URI base = URI.create("http://127.0.0.1:" + port);
            try {
                await(() -> get(base.resolve("/-/ready")).statusCode() == 200, () -> "Prometheus ready", prometheus);

                // 1. every target scraped, and every metric family a service serves stored
                Map<String, String> all = new LinkedHashMap<>(services);
                all.putAll(workers);
                await(() -> targets(base).size() == all.size()
                        && targets(base).stream().allMatch(t -> "up".equals(t.path("health").asText())),
                        () -> "every target up: " + describe(targets(base)), prometheus);
                for (JsonNode t : targets(base)) {
                    assertThat(t.path("lastError").asText()).as("scrape error of %s", t.path("scrapeUrl").asText()).isEmpty();
                }
                for (Map.Entry<String, String> s : all.entrySet()) {
                    String body = get(URI.create("http://" + s.getValue() + "/metrics")).body();
                    // Prometheus' own linter: each family with its help and type, names in base units
                    PromtoolLint.assertClean(s.getKey(), body);
                    Set<String> served = families(body);
                    assertThat(served).as("metric families %s serves", s.getKey()).isNotEmpty();
                    await(() -> stored(base, s.getValue()).containsAll(served), () -> s.getKey() + "'s families " + served
                            + " stored; stored: " + stored(base, s.getValue()), prometheus);
                }

                // 2. every rule evaluated on these series without an error, and no alert on a healthy pipeline
                long rulesTotal = rules(base).size();
                assertThat(rulesTotal).as("rules loaded").isEqualTo(ruleCount(repo.resolve("compose/prometheus-alerts.yml")));
                long started = java.time.Instant.now().getEpochSecond();
                await(() -> rules(base).stream().allMatch(r -> evaluatedAfter(r, started)),
                        () -> "every rule evaluated after the targets were up", prometheus);
                for (JsonNode r : rules(base)) {
                    assertThat(r.path("health").asText()).as("rule %s: %s", r.path("name").asText(),
                            r.path("lastError").asText()).isEqualTo("ok");
                }
                assertThat(activeAlerts(base)).as("alerts pending or firing on a healthy pipeline").isEmpty();

                // 3. the chest workers stop: the two alerts that say so go pending, naming them, and only they
                InferenceWorker chest = pipeline.workers().stream().filter(w -> w.settings().taskGroup() == TaskGroup.CHEST)
                        .findFirst().orElseThrow();
                chest.close();
                List<String> expected = List.of("RadstreamServiceDown " + workers.get("worker-chest"), "RadstreamWorkerDown chest");
                await(() -> raised(base).equals(expected), () -> "exactly " + expected + " after the chest worker stopped: "
                        + raised(base), prometheus);
                for (JsonNode a : activeAlerts(base)) {
                    assertThat(a.path("state").asText()).as("%s (for: 2m)", a.path("labels")).isEqualTo("pending");
                }
            } finally {
                prometheus.destroy();
                if (!prometheus.waitFor(20, TimeUnit.SECONDS)) {
                    prometheus.destroyForcibly();
                }
            }
        }
    }

    private Path writeConfig(Path rules, Iterable<String> services, Iterable<String> workers) throws IOException {
        String config = "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                + "rule_files:\n  - " + rules.toAbsolutePath() + "\n"
                + "scrape_configs:\n"
                + "  - job_name: radstream\n    static_configs:\n      - targets: " + list(services) + "\n"
                + "  - job_name: radstream-workers\n    static_configs:\n      - targets: " + list(workers) + "\n";
        return Files.writeString(tmp.resolve("prometheus.yml"), config);
    }

    private static String list(Iterable<String> addresses) {
        List<String> quoted = new ArrayList<>();
        addresses.forEach(a -> quoted.add("\"" + a + "\""));
        return "[" + String.join(", ", quoted) + "]";
    }

    /** The names of the metric families with at least one sample in a text exposition. */
    static Set<String> families(String exposition) {
        Set<String> names = new TreeSet<>();
        for (String line : exposition.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int end = 0;
            while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
                end++;
            }
            names.add(line.substring(0, end));
        }
        return names;
    }

    private Set<String> stored(URI base, String instance) throws Exception {
        Set<String> names = new TreeSet<>();
        for (JsonNode s : query(base, "group by (__name__) ({instance=\"" + instance + "\"})")) {
            names.add(s.path("metric").path("__name__").asText());
        }
        return names;
    }

    private List<JsonNode> targets(URI base) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        api(base, "/api/v1/targets?state=active").path("activeTargets").forEach(out::add);
        return out;
    }

    private List<JsonNode> rules(URI base) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode g : api(base, "/api/v1/rules").path("groups")) {
            g.path("rules").forEach(out::add);
        }
        return out;
    }

    /** Each active alert as its name and the instance or group it names, sorted. */
    private List<String> raised(URI base) throws Exception {
        List<String> out = new ArrayList<>();
        for (JsonNode a : activeAlerts(base)) {
            JsonNode l = a.path("labels");
            out.add(l.path("alertname").asText() + " " + l.path("instance").asText("") + l.path("group").asText(""));
        }
        out.sort(null);
        return out;
    }

    private List<JsonNode> activeAlerts(URI base) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        api(base, "/api/v1/alerts").path("alerts").forEach(out::add);
        return out;
    }

    private JsonNode query(URI base, String promql) throws Exception {
        return api(base, "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)).path("result");
    }

    private JsonNode api(URI base, String path) throws Exception {
        HttpResponse<String> r = get(base.resolve(path));
        JsonNode doc = JSON.readTree(r.body());
        assertThat(doc.path("status").asText()).as("%s: %s", path, r.body()).isEqualTo("success");
        return doc.path("data");
    }

    private HttpResponse<String> get(URI uri) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** True when the rule's last evaluation (RFC 3339) came after {@code started} (Unix seconds). */
    private static boolean evaluatedAfter(JsonNode rule, long started) {
        return java.time.OffsetDateTime.parse(rule.path("lastEvaluation").asText()).toInstant().getEpochSecond() > started;
    }

    private static long ruleCount(Path rules) throws IOException {
        return Files.readAllLines(rules).stream().filter(l -> l.strip().startsWith("- alert:")).count();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String describe(List<JsonNode> targets) {
        List<String> out = new ArrayList<>();
        for (JsonNode t : targets) {
            out.add(t.path("scrapeUrl").asText() + " " + t.path("health").asText() + " " + t.path("lastError").asText());
        }
        return String.join("; ", out);
    }

    private interface Check {
        boolean holds() throws Exception;
    }

    private interface State {
        String describe() throws Exception;
    }

    private void await(Check check, State state, Process prometheus) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            assertThat(prometheus.isAlive()).as("prometheus running (log: %s)", Files.readString(tmp.resolve("prometheus.log")))
                    .isTrue();
            try {
                if (check.holds()) {
                    return;
                }
            } catch (Exception e) {
                last = e;
            }
            Thread.sleep(500);
        }
        String what;
        try {
            what = state.describe();
        } catch (Exception e) {
            what = "(state unknown: " + e + ")";
        }
        throw new AssertionError("timed out waiting for " + what + (last == null ? "" : ": " + last)
                + "\nprometheus log:\n" + Files.readString(tmp.resolve("prometheus.log")));
    }
}
