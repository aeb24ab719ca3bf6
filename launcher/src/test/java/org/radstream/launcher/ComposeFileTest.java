package org.radstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.radstream.schemas.Topics;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Keeps compose/docker-compose.yml consistent with the launcher, since Docker cannot run here:
 * every radstream service runs a real subcommand with real options that parse, sets only
 * RADSTREAM_* variables the launcher reads (and gets Kafka and the registry from somewhere),
 * workers scale within the task topic's partitions, and the infrastructure images are Apache
 * Kafka and the Confluent Schema Registry. README.md's Configuration table names every variable
 * the launcher reads.
 */
class ComposeFileTest {
    private static final Pattern ENV_EXPRESSION = Pattern.compile("\\$\\{env:(RADSTREAM_[A-Z0-9_]+)");
    private static final Pattern ENV_NAME = Pattern.compile("RADSTREAM_[A-Z0-9_]+");
    private static final String RADSTREAM_IMAGE = "radstream:local";
    private static final String HEALTHCHECK = "/opt/radstream/healthcheck";

    private static Path root;
    private static Map<String, Map<String, Object>> services;

    @BeforeAll
    static void readCompose() throws IOException {
        root = repositoryRoot();
        Map<String, Object> compose;
        try (Reader in = Files.newBufferedReader(root.resolve("compose/docker-compose.yml"))) {
            compose = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
        }
        services = new LinkedHashMap<>();
        map(compose.get("services"), "services").forEach((name, s) -> services.put(name, map(s, "service " + name)));
    }

    @Test
    void everyRadstreamServiceRunsARealSubcommandWithRealOptions() {
        Map<String, CommandLine> subcommands = new CommandLine(new Radstream()).getSubcommands();
        assertThat(radstreamServices()).isNotEmpty();
        for (Map.Entry<String, List<String>> e : radstreamServices().entrySet()) {
            String service = e.getKey();
            List<String> command = e.getValue();
            assertThat(command).as("service %s has a command", service).isNotEmpty();
            CommandLine sub = subcommands.get(command.get(0));
            if (sub == null) {
                fail("service %s runs 'radstream %s', which is not a launcher subcommand (%s)", service, command.get(0),
                        subcommands.keySet());
            }
            CommandSpec spec = sub.getCommandSpec();
            for (String arg : command.subList(1, command.size())) {
                if (arg.startsWith("-")) {
                    String option = arg.split("=", 2)[0];
                    if (spec.findOption(option) == null) {
                        fail("service %s passes %s, which is not an option of 'radstream %s' (%s)", service, option,
                                command.get(0), optionNames(spec));
                    }
                }
            }
            try {
                new CommandLine(new Radstream()).parseArgs(command.toArray(String[]::new));
            } catch (CommandLine.ParameterException ex) {
                fail("service %s: 'radstream %s' does not parse: %s", service, String.join(" ", command), ex.getMessage());
            }
        }
    }

    @Test
    void servicesSetOnlyVariablesTheLauncherReadsAndFindTheCluster() {
        Set<String> read = variablesTheLauncherReads();
        assertThat(read).contains(ClusterOptions.ENV_BOOTSTRAP, ClusterOptions.ENV_REGISTRY);
        Map<String, CommandLine> subcommands = new CommandLine(new Radstream()).getSubcommands();
        for (Map.Entry<String, List<String>> e : radstreamServices().entrySet()) {
            String service = e.getKey();
            Set<String> env = environment(service);
            for (String name : env) {
                if (name.startsWith("RADSTREAM_")) {
                    assertThat(read).as("service %s sets %s; the launcher reads only these", service, name).contains(name);
                }
            }
            CommandSpec spec = subcommands.get(e.getValue().get(0)).getCommandSpec();
            if (spec.findOption("--bootstrap") != null) {
                assertThat(env.contains(ClusterOptions.ENV_BOOTSTRAP) || e.getValue().contains("--bootstrap"))
                        .as("service %s gets Kafka from %s or --bootstrap", service, ClusterOptions.ENV_BOOTSTRAP).isTrue();
                assertThat(env.contains(ClusterOptions.ENV_REGISTRY) || e.getValue().contains("--registry"))
                        .as("service %s gets the registry from %s or --registry", service, ClusterOptions.ENV_REGISTRY).isTrue();
            }
        }
    }

    @Test
    void everyLongRunningServiceIsThereAndWorkersScaleWithinTheirPartitions() {
        assertThat(radstreamServices().values()).extracting(c -> c.get(0))
                .contains("ingest", "streams", "worker", "trainer", "deliver", "export");
        assertThat(radstreamServices()).containsKey("worker-chest");
        assertThat(replicas("worker-chest")).as("worker-chest replicas").isGreaterThan(1);
        radstreamServices().forEach((service, command) -> {
            if (command.get(0).equals("worker")) {
                assertThat(replicas(service)).as("replicas of %s: more than the task topic's partitions would idle", service)
                        .isBetween(1, Topics.DEFAULT_PARTITIONS);
            }
        });
    }

    @Test
    void everyRadstreamServiceIsCheckedOnItsOwnHealthPort() throws IOException {
        assertThat(Files.readString(root.resolve("compose/Dockerfile")))
                .as("the image carries the healthcheck").contains("COPY --from=build /src/compose/healthcheck " + HEALTHCHECK);
        assertThat(Files.isExecutable(root.resolve("compose/healthcheck"))).as("compose/healthcheck is executable").isTrue();
        radstreamServices().forEach((service, command) -> {
            int at = command.indexOf("--http-port");
            assertThat(at).as("service %s serves /health on its --http-port", service).isPositive();
            Map<String, Object> check = map(services.get(service).get("healthcheck"), service + ".healthcheck");
            assertThat(check.get("test")).as("service %s's healthcheck", service)
                    .isEqualTo(List.of("CMD", HEALTHCHECK, command.get(at + 1)));
            assertThat(check).as("service %s's healthcheck timing", service).containsKeys("interval", "timeout", "retries",
                    "start_period");
        });
    }

    @Test
    void kafkaIsApacheKafkaAndTheRegistryIsConfluents() {
        assertThat(services.get("kafka")).as("service kafka").isNotNull();
        assertThat((String) services.get("kafka").get("image")).startsWith("apache/kafka:");
        assertThat(services.get("schema-registry")).as("service schema-registry").isNotNull();
        assertThat((String) services.get("schema-registry").get("image")).startsWith("confluentinc/cp-schema-registry:");
    }

    @Test
    void readmeConfigurationTableNamesEveryVariableTheLauncherReads() throws IOException {
        String readme = Files.readString(root.resolve("README.md"));
        int start = readme.indexOf("\n## Configuration");
        assertThat(start).as("README.md has a Configuration section").isGreaterThanOrEqualTo(0);
        int end = readme.indexOf("\n## ", start + 1);
        Set<String> documented = new TreeSet<>();
        for (String line : readme.substring(start, end < 0 ? readme.length() : end).split("\n")) {
            if (line.startsWith("|")) {
                Matcher m = ENV_NAME.matcher(line);
                while (m.find()) {
                    documented.add(m.group());
                }
            }
        }
        assertThat(documented).as("variables in README.md's Configuration table").containsAll(variablesTheLauncherReads());
    }

    /** RADSTREAM_* variables in the default values of every (sub)command's options ({@code ${env:...}}). */
    private static Set<String> variablesTheLauncherReads() {
        CommandLine cli = new CommandLine(new Radstream());
        cli.setInterpolateVariables(false);
        Set<String> names = new TreeSet<>();
        collectVariables(cli, names);
        return names;
    }

    private static void collectVariables(CommandLine command, Set<String> names) {
        for (OptionSpec option : command.getCommandSpec().options()) {
            if (option.defaultValue() != null) {
                Matcher m = ENV_EXPRESSION.matcher(option.defaultValue());
                while (m.find()) {
                    names.add(m.group(1));
                }
            }
        }
        command.getSubcommands().values().forEach(sub -> collectVariables(sub, names));
    }

    /** Service name to command, for the services that run the radstream image. */
    private static Map<String, List<String>> radstreamServices() {
        Map<String, List<String>> out = new LinkedHashMap<>();
        services.forEach((name, s) -> {
            if (RADSTREAM_IMAGE.equals(s.get("image"))) {
                List<String> command = new ArrayList<>();
                if (s.get("command") instanceof List<?> list) {
                    list.forEach(a -> command.add(String.valueOf(a)));
                } else if (s.get("command") instanceof String line) {
                    command.addAll(List.of(line.trim().split("\\s+")));
                }
                out.put(name, command);
            }
        });
        return out;
    }

    private static Set<String> environment(String service) {
        Object env = services.get(service).get("environment");
        Set<String> names = new TreeSet<>();
        if (env instanceof Map<?, ?> m) {
            m.keySet().forEach(k -> names.add(String.valueOf(k)));
        } else if (env instanceof List<?> l) {
            l.forEach(entry -> names.add(String.valueOf(entry).split("=", 2)[0]));
        }
        return names;
    }

    private static int replicas(String service) {
        Object deploy = services.get(service).get("deploy");
        if (deploy == null) {
            return 1;
        }
        Object replicas = map(deploy, service + ".deploy").get("replicas");
        return replicas == null ? 1 : ((Number) replicas).intValue();
    }

    private static List<String> optionNames(CommandSpec spec) {
        return spec.options().stream().map(OptionSpec::longestName).sorted().toList();
    }

    @Test
    void prometheusScrapesEveryServiceOnItsHttpPortAndLoadsTheAlerts() throws IOException {
        Map<String, Object> config;
        try (Reader in = Files.newBufferedReader(root.resolve("compose/prometheus.yml"))) {
            config = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
        }
        assertThat(config.get("rule_files")).isEqualTo(List.of("prometheus-alerts.yml"));
        Set<String> targets = new TreeSet<>();
        for (Object j : (List<?>) config.get("scrape_configs")) {
            Map<String, Object> job = map(j, "a scrape job");
            for (Object sc : (List<?>) job.getOrDefault("static_configs", List.of())) {
                ((List<?>) map(sc, "static_configs").get("targets")).forEach(t -> targets.add(String.valueOf(t)));
            }
            for (Object dc : (List<?>) job.getOrDefault("dns_sd_configs", List.of())) {
                Map<String, Object> dns = map(dc, "dns_sd_configs");
                ((List<?>) dns.get("names")).forEach(n -> targets.add(n + ":" + dns.get("port")));
            }
        }
        Set<String> expected = new TreeSet<>();
        radstreamServices().forEach((name, command) -> {
            int i = command.indexOf("--http-port");
            if (i >= 0) {
                expected.add(name + ":" + command.get(i + 1));
            }
        });
        assertThat(expected).contains("ingest:8080", "streams:8090", "worker-chest:9100", "trainer:8086");
        assertThat(targets).as("prometheus.yml's targets: each service with an --http-port, on it").isEqualTo(expected);
        // scaled workers are found by name, each replica's address a target of its own
        assertThat(config.toString()).contains("names=[worker-chest, worker-liver]");
        Map<String, Object> prometheus = services.get("prometheus");
        assertThat(prometheus).as("service prometheus").isNotNull();
        assertThat((String) prometheus.get("image")).startsWith("prom/prometheus:");
        assertThat(((List<?>) prometheus.get("volumes")).stream().map(String::valueOf).toList()).contains("./prometheus.yml:/etc/prometheus/prometheus.yml:ro",
                "./prometheus-alerts.yml:/etc/prometheus/prometheus-alerts.yml:ro");
    }

    @Test
    void theAlertRulesNameOnlyMetricsTheServicesServe() throws IOException {
        Set<String> served = new TreeSet<>();
        Pattern literal = Pattern.compile("\"(radstream_[a-z0-9_]+)");
        try (var files = Files.walk(root)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".java") && f.toString().contains("/src/main/java/"))
                    .toList()) {
                Matcher m = literal.matcher(Files.readString(f));
                while (m.find()) {
                    served.add(m.group(1));
                }
            }
        }
        Map<String, Object> file;
        try (Reader in = Files.newBufferedReader(root.resolve("compose/prometheus-alerts.yml"))) {
            file = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
        }
        Set<String> alerts = new TreeSet<>();
        Set<String> named = new TreeSet<>();
        for (Object g : (List<?>) file.get("groups")) {
            Map<String, Object> group = map(g, "a rule group");
            assertThat(group.get("name")).as("a group's name").isInstanceOf(String.class);
            for (Object r : (List<?>) group.get("rules")) {
                Map<String, Object> rule = map(r, "a rule");
                String alert = (String) rule.get("alert");
                assertThat(alerts.add(alert)).as("alert %s named once", alert).isTrue();
                assertThat(map(rule.get("labels"), alert + " labels").get("severity")).as(alert)
                        .isIn("critical", "warning", "info");
                assertThat(map(rule.get("annotations"), alert + " annotations").get("summary")).as(alert).isNotNull();
                Matcher m = Pattern.compile("radstream_[a-z0-9_]+").matcher((String) rule.get("expr"));
                while (m.find()) {
                    String metric = m.group().replaceAll("_(bucket|count|sum)$", "");
                    named.add(metric);
                    assertThat(served).as("%s names %s, which no service serves", alert, metric).contains(metric);
                }
            }
        }
        assertThat(alerts).hasSizeGreaterThan(10);
        // the clinicians' feed, the workers and the export are watched
        assertThat(named).contains("radstream_delivery_dead_lettered_total", "radstream_worker_up",
                "radstream_worker_mask_stability", "radstream_export_pacs_reachable");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o, String what) {
        if (!(o instanceof Map<?, ?>)) {
            throw new AssertionError(what + " in compose/docker-compose.yml is not a mapping: " + o);
        }
        return (Map<String, Object>) o;
    }

    static Path repositoryRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("compose/docker-compose.yml"))) {
                return p;
            }
        }
        throw new AssertionError("compose/docker-compose.yml not found above " + Path.of("").toAbsolutePath());
    }
}
