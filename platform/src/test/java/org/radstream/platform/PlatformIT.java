package org.radstream.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.avro.DeadLetter;
import org.radstream.schemas.KafkaClientConfig;
import org.radstream.schemas.RestSchemaRegistryClient;
import org.radstream.schemas.SchemaRegistryClient;
import org.radstream.schemas.SchemaRegistryException;
import org.radstream.schemas.TestCertificates;
import org.radstream.schemas.Topic;

@ExtendWith(PlatformExtension.class)
class PlatformIT {
    /** Debian's interpreter: its python3-confluent-kafka and python3-avro, not another one on PATH. */
    private static final String DEBIAN_PYTHON = "/usr/bin/python3";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static Platform platform;

    @BeforeAll
    static void shared(Platform shared) {
        platform = shared;
    }

    @Test
    void everyCatalogueTopicExistsAndEveryValueSchemaIsRegistered() throws Exception {
        List<String> names = platform.topics().all().stream().map(Topic::name).toList();
        assertThat(platform.kafka().topicNames()).containsAll(names);
        HttpResponse<String> subjects = get("/subjects");
        assertThat(subjects.statusCode()).isEqualTo(200);
        for (String name : names) {
            assertThat(subjects.body()).contains("\"" + SchemaRegistryClient.valueSubject(name) + "\"");
        }
    }

    @Test
    void aSecondPlatformOnTheSameMachineTakesOtherPorts() throws Exception {
        try (Platform second = Platform.start(null, 0)) {
            assertThat(second.bootstrap()).isNotEqualTo(platform.bootstrap());
            assertThat(second.registryUrl()).isNotEqualTo(platform.registryUrl());
            assertThat(second.kafka().topicNames()).contains(platform.topics().alerts().name());
            assertThat(second.kafka().saslBootstrap()).as("no SASL listener unless asked for").isNull();
        }
    }

    /** A client of the SASL listener: authenticated as {@code user} with {@code password}, or plain when user is null. */
    private static KafkaClientConfig sasl(String user, String password) {
        return user == null ? KafkaClientConfig.NONE : EmbeddedKafka.saslClient(user, password);
    }

    private static Map<String, Object> producerConfig(String bootstrap, KafkaClientConfig client) {
        Map<String, Object> p = new java.util.HashMap<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 4000, ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 4000,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000));
        return client.addTo(p);
    }

    @Test
    void aSaslListenerTakesOnlyItsUsersAuthenticatedWithTheirPasswords() throws Exception {
        try (Platform secured = Platform.start(null, 0, Map.of("radstream", "pw-of-radstream"))) {
            String sasl = secured.kafka().saslBootstrap();
            assertThat(sasl).isNotNull().isNotEqualTo(secured.bootstrap());
            String topic = secured.topics().alerts().name();
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerConfig(sasl,
                    sasl("radstream", "pw-of-radstream")), new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>(topic, "P-1", "authenticated")).get(30, TimeUnit.SECONDS);
            }
            Map<String, Object> c = new java.util.HashMap<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, sasl,
                    ConsumerConfig.GROUP_ID_CONFIG, "sasl-probe", ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"));
            sasl("radstream", "pw-of-radstream").addTo(c);
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c, new StringDeserializer(),
                    new StringDeserializer())) {
                consumer.subscribe(List.of(topic));
                List<String> read = new ArrayList<>();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (read.isEmpty() && System.nanoTime() < deadline) {
                    consumer.poll(Duration.ofMillis(200)).forEach(r -> read.add(r.key() + "=" + r.value()));
                }
                assertThat(read).containsExactly("P-1=authenticated");
            }
            // a wrong password is told so; a client that does not authenticate gets nothing
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerConfig(sasl,
                    sasl("radstream", "guess")), new StringSerializer(), new StringSerializer())) {
                assertThatThrownBy(() -> producer.send(new ProducerRecord<>(topic, "P-2", "x")).get(30, TimeUnit.SECONDS))
                        .hasRootCauseInstanceOf(org.apache.kafka.common.errors.SaslAuthenticationException.class);
            }
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerConfig(sasl, sasl(null, null)),
                    new StringSerializer(), new StringSerializer())) {
                assertThatThrownBy(() -> producer.send(new ProducerRecord<>(topic, "P-3", "x")).get(30, TimeUnit.SECONDS))
                        .hasRootCauseInstanceOf(org.apache.kafka.common.errors.TimeoutException.class);
            }
        }
        assertThatThrownBy(() -> Platform.start(null, 0, Map.of("rad stream", "pw")))
                .hasMessageStartingWith("a SASL user needs a name of letters, digits");
    }

    @Test
    void aTlsListenerIsReachedWithTheTrustStoreOfAKafkaConfigFile(@TempDir Path tls) throws Exception {
        // the broker's key and self-signed certificate, and a trust store holding that certificate
        Path keyStore = TestCertificates.keyStore(tls, "broker", "localhost", "broker-pass");
        Path trustStore = TestCertificates.trustStore(tls, "trust", "broker-pass", keyStore);
        Path config = Files.writeString(tls.resolve("kafka-client.properties"), String.join("\n",
                "security.protocol=SSL", "ssl.truststore.type=PKCS12", "ssl.truststore.location=" + trustStore,
                "ssl.truststore.password=broker-pass") + "\n");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(tls.resolve("kraft"), Map.of(),
                new EmbeddedKafka.TlsKey(keyStore, "broker-pass"))) {
            kafka.createTopics(platform.topics().specs());
            String ssl = kafka.sslBootstrap();
            String topic = platform.topics().alerts().name();
            KafkaClientConfig client = KafkaClientConfig.load(config);
            assertThat(client.toString()).isEqualTo("security.protocol=SSL, ssl.truststore.location=" + trustStore
                    + ", ssl.truststore.password=(hidden), ssl.truststore.type=PKCS12");
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerConfig(ssl, client),
                    new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>(topic, "P-1", "over TLS")).get(30, TimeUnit.SECONDS);
            }
            // without the trust store the broker's certificate is not trusted
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerConfig(ssl,
                    new KafkaClientConfig(Map.of("security.protocol", "SSL"))), new StringSerializer(), new StringSerializer())) {
                assertThatThrownBy(() -> producer.send(new ProducerRecord<>(topic, "P-2", "x")).get(30, TimeUnit.SECONDS))
                        .hasCauseInstanceOf(org.apache.kafka.common.errors.SslAuthenticationException.class);
            }
        }
    }

    @Test
    void aRegistryWithBasicAuthenticationTakesTheUserOfTheUrlAndNoOneElse() throws Exception {
        org.apache.avro.Schema probe = new org.apache.avro.Schema.Parser().parse(
                "{\"type\":\"record\",\"name\":\"Probe\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}");
        try (EmbeddedRegistry secured = EmbeddedRegistry.start(new org.radstream.schemas.SchemaStore(), 0,
                "radstream:s3cret pass")) {
            String host = secured.url().substring("http://".length());
            RestSchemaRegistryClient client = new RestSchemaRegistryClient("http://radstream:s3cret%20pass@" + host);
            assertThat(client.url()).isEqualTo(secured.url());
            int id = client.register("probe-value", probe);
            assertThat(client.schemaById(id)).isEqualTo(probe);
            for (String url : List.of(secured.url(), "http://radstream:guess@" + host)) {
                assertThatThrownBy(() -> new RestSchemaRegistryClient(url).latest("probe-value"))
                        .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.httpStatus()).isEqualTo(401))
                        .hasMessageContaining("Unauthorized").hasMessageNotContaining("guess");
            }
        }
    }

    @Test
    void registryRegistersLooksUpAndRefusesAnIncompatibleSchemaWith409() throws Exception {
        String v1 = "{\"type\":\"record\",\"name\":\"Probe\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}";
        String v2 = "{\"type\":\"record\",\"name\":\"Probe\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},"
                + "{\"name\":\"b\",\"type\":\"string\",\"default\":\"x\"}]}";
        String bad = "{\"type\":\"record\",\"name\":\"Probe\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},"
                + "{\"name\":\"c\",\"type\":\"string\"}]}";
        HttpResponse<String> first = post("/subjects/probe-value/versions", v1);
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.body()).matches("\\{\"id\":\\d+\\}");
        assertThat(post("/subjects/probe-value/versions", v1).body()).isEqualTo(first.body());
        assertThat(post("/subjects/probe-value/versions", v2).statusCode()).isEqualTo(200);
        assertThat(get("/subjects/probe-value/versions").body()).isEqualTo("[1,2]");
        assertThat(get("/subjects/probe-value/versions/latest").body()).contains("\"version\":2");

        assertThat(post("/compatibility/subjects/probe-value/versions/latest", bad).body())
                .isEqualTo("{\"is_compatible\":false}");
        HttpResponse<String> refused = post("/subjects/probe-value/versions", bad);
        assertThat(refused.statusCode()).isEqualTo(409);
        assertThat(refused.body()).startsWith("{\"error_code\":409,\"message\":\"Schema being registered is incompatible");
        assertThat(get("/subjects/probe-value/versions").body()).isEqualTo("[1,2]");

        HttpResponse<String> missing = get("/subjects/nobody-value/versions/latest");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).contains("\"error_code\":40401");
        assertThat(get("/schemas/ids/99999").body()).contains("\"error_code\":40403");
        assertThat(post("/subjects/probe-value/versions", "{\"type\":\"recrod\"}").statusCode()).isEqualTo(422);
    }

    @Test
    void ourRestClientSpeaksToTheEmbeddedRegistry() {
        RestSchemaRegistryClient client = new RestSchemaRegistryClient(platform.registryUrl());
        org.apache.avro.Schema v1 = new org.apache.avro.Schema.Parser().parse(
                "{\"type\":\"record\",\"name\":\"Rest\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}");
        org.apache.avro.Schema bad = new org.apache.avro.Schema.Parser().parse(
                "{\"type\":\"record\",\"name\":\"Rest\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"}]}");
        int id = client.register("rest-value", v1);
        assertThat(new RestSchemaRegistryClient(platform.registryUrl()).schemaById(id)).isEqualTo(v1);
        assertThat(client.latest("rest-value")).hasValueSatisfying(r -> assertThat(r.id()).isEqualTo(id));
        assertThat(client.versions("rest-value")).containsExactly(1);
        assertThat(client.subjects()).contains("rest-value", SchemaRegistryClient.valueSubject(platform.topics().slices().name()));
        assertThat(client.isCompatible("rest-value", bad)).isFalse();
        assertThatThrownBy(() -> client.register("rest-value", bad)).isInstanceOf(SchemaRegistryException.class)
                .satisfies(e -> assertThat(((SchemaRegistryException) e).errorCode()).isEqualTo(409));
        assertThat(client.latest("nobody-value")).isEmpty();
    }

    @Test
    void confluentsPythonClientReadsOurRegistryAndOurRecordDecodesWithPythonAvro(@TempDir Path dir) throws Exception {
        Topic<String, DeadLetter> topic = platform.topics().alertsUndelivered();
        DeadLetter sent = DeadLetter.newBuilder().setComponent("platform-it").setSourceTopic("radstream.alerts.progression")
                .setPartition(2).setOffset(41).setKey("P7").setReason("webhook answered 503")
                .setAttempts(3).setFailedAt(Instant.ofEpochMilli(1_700_000_000_000L)).setValue(null).build();
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, platform.bootstrap());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, DeadLetter> producer = new KafkaProducer<>(p, topic.keySerde().serializer(),
                topic.valueSerde().serializer())) {
            producer.send(new ProducerRecord<>(topic.name(), "P7", sent)).get();
        }
        byte[] raw = readOne(topic.name());
        assertThat(raw[0]).isZero();
        int id = java.nio.ByteBuffer.wrap(raw, 1, 4).getInt();
        Path record = Files.write(dir.resolve("record.bin"), raw);
        Path script = dir.resolve("read_with_confluent.py");
        try (InputStream in = PlatformIT.class.getResourceAsStream("/read_with_confluent.py")) {
            Files.copy(in, script);
        }
        Process python = new ProcessBuilder(DEBIAN_PYTHON, script.toString(), platform.registryUrl(), Integer.toString(id),
                record.toString()).redirectErrorStream(true).start();
        String out = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(python.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(python.exitValue()).as(out).isZero();
        List<String> lines = out.lines().toList();
        assertThat(lines.get(0).split(",")).contains(SchemaRegistryClient.valueSubject(topic.name()),
                SchemaRegistryClient.valueSubject(platform.topics().alerts().name()));
        assertThat(lines.get(1)).isEqualTo("{\"attempts\": 3, \"component\": \"platform-it\", \"key\": \"P7\", "
                + "\"offset\": 41, \"partition\": 2, \"reason\": \"webhook answered 503\", "
                + "\"sourceTopic\": \"radstream.alerts.progression\", \"value\": null}");
    }

    private static byte[] readOne(String topic) {
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, platform.bootstrap());
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "platform-it");
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            List<ConsumerRecord<String, byte[]>> got = new ArrayList<>();
            while (got.isEmpty() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(got::add);
            }
            assertThat(got).hasSize(1);
            return got.get(0).value();
        }
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(platform.registryUrl() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String path, String schema) throws Exception {
        String body = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(Map.of("schema", schema));
        return HTTP.send(HttpRequest.newBuilder(URI.create(platform.registryUrl() + path))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
