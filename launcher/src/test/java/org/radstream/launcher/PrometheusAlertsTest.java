package org.radstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The ops alerts of compose/prometheus-alerts.yml, checked by Prometheus' own promtool (Debian
 * package prometheus, installed by {@code bin/setup --test}): the rules load, every alert fires on
 * the series of compose/prometheus-alerts.test.yml (minutes) or prometheus-alerts.days.test.yml
 * (days) that should raise it, with the labels and text ops read, and stays silent where it should.
 */
class PrometheusAlertsTest {
    private static final Path PROMTOOL = Path.of("/usr/bin/promtool");
    private static final List<String> TESTS = List.of("prometheus-alerts.test.yml", "prometheus-alerts.days.test.yml");

    @Test
    void theRulesLoadAndEachAlertFiresAndStaysSilentAsItsTestsSay() throws Exception {
        assumeTrue(Files.isExecutable(PROMTOOL), "promtool (Debian package prometheus) not installed at " + PROMTOOL
                + ": skipping");
        Path compose = ComposeFileTest.repositoryRoot().resolve("compose");
        Result check = promtool(compose, "check", "rules", "prometheus-alerts.yml");
        assertThat(check.exit()).as(check.output()).isZero();
        assertThat(check.output()).contains("SUCCESS: " + alerts(compose).size() + " rules found");
        // the Prometheus configuration of the compose deployment, with the rules it loads
        Result config = promtool(compose, "check", "config", "prometheus.yml");
        assertThat(config.exit()).as(config.output()).isZero();
        assertThat(config.output()).contains("SUCCESS: 1 rule files found",
                "SUCCESS: prometheus.yml is valid prometheus config file syntax");
        for (String file : TESTS) {
            Result test = promtool(compose, "test", "rules", file);
            assertThat(test.exit()).as(test.output()).isZero();
            assertThat(test.output()).contains("Unit Testing:  " + file, "SUCCESS").doesNotContain("FAILED");
        }
    }

    @Test
    void everyAlertHasATestInWhichItFires() throws IOException {
        Path compose = ComposeFileTest.repositoryRoot().resolve("compose");
        Set<String> firing = new TreeSet<>();
        for (String file : TESTS) {
            Map<String, Object> tests = yaml(compose.resolve(file));
            assertThat(tests.get("rule_files")).as(file).isEqualTo(List.of("prometheus-alerts.yml"));
            for (Object t : (List<?>) tests.get("tests")) {
                for (Object a : (List<?>) ((Map<?, ?>) t).get("alert_rule_test")) {
                    Map<?, ?> expectation = (Map<?, ?>) a;
                    if (!((List<?>) expectation.get("exp_alerts")).isEmpty()) {
                        firing.add((String) expectation.get("alertname"));
                    }
                }
            }
        }
        assertThat(firing).isEqualTo(alerts(compose));
    }

    private static Set<String> alerts(Path compose) throws IOException {
        Set<String> names = new TreeSet<>();
        for (Object g : (List<?>) yaml(compose.resolve("prometheus-alerts.yml")).get("groups")) {
            for (Object r : (List<?>) ((Map<?, ?>) g).get("rules")) {
                names.add((String) ((Map<?, ?>) r).get("alert"));
            }
        }
        return names;
    }

    private static Map<String, Object> yaml(Path file) throws IOException {
        try (Reader in = Files.newBufferedReader(file)) {
            return new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
        }
    }

    private record Result(int exit, String output) {}

    private static Result promtool(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of(PROMTOOL.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("promtool " + String.join(" ", args) + " did not finish within 60 s: " + output);
        }
        return new Result(p.exitValue(), output);
    }
}
