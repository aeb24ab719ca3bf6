package org.radstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaClientConfigTest {
    @TempDir
    Path dir;

    private Path file(String... lines) throws IOException {
        return Files.writeString(dir.resolve("kafka-client.properties"), String.join("\n", lines) + "\n");
    }

    @Test
    void aSecuredClusterSettingsFileIsAddedToAClientsConfigurationAndItsSecretsAreNotPrinted() throws Exception {
        KafkaClientConfig c = KafkaClientConfig.load(file(
                "# SASL over TLS, as a managed cluster asks",
                "security.protocol=SASL_SSL",
                "sasl.mechanism=SCRAM-SHA-512",
                "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"rs\" password=\"s3cret\";",
                "ssl.truststore.location=/etc/radstream/truststore.p12",
                "ssl.truststore.password=changeit  ",
                "client.dns.lookup=use_all_dns_ips"));
        Map<String, Object> config = new HashMap<>(Map.of("bootstrap.servers", "kafka:9093", "acks", "all"));
        assertThat(c.addTo(config)).isSameAs(config).containsEntry("bootstrap.servers", "kafka:9093").containsEntry("acks", "all")
                .containsEntry("security.protocol", "SASL_SSL").containsEntry("ssl.truststore.password", "changeit")
                .containsEntry("sasl.jaas.config",
                        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"rs\" password=\"s3cret\";")
                .hasSize(8);
        assertThat(c.toString()).isEqualTo("client.dns.lookup=(hidden), sasl.jaas.config=(hidden), "
                + "sasl.mechanism=SCRAM-SHA-512, security.protocol=SASL_SSL, ssl.truststore.location=/etc/radstream/truststore.p12, "
                + "ssl.truststore.password=(hidden)");
        assertThat(c.toString()).doesNotContain("s3cret").doesNotContain("changeit");
        assertThat(KafkaClientConfig.NONE.isEmpty()).isTrue();
        assertThat(KafkaClientConfig.NONE.toString()).isEqualTo("plain connection");
        assertThat(KafkaClientConfig.NONE.addTo(new HashMap<>(Map.of("acks", "all")))).containsOnlyKeys("acks");
    }

    @Test
    void whatRadstreamSetsItselfAnUnknownProtocolAndAnEmptyValueAreRefusedNamingTheFile() throws Exception {
        Path idempotence = file("security.protocol=SSL", "enable.idempotence=false");
        assertThatThrownBy(() -> KafkaClientConfig.load(idempotence)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(idempotence + ": Kafka client setting enable.idempotence is not one radstream takes from its "
                        + "client configuration: only security.protocol, ssl.*, sasl.* and client.dns.lookup, "
                        + "connections.max.idle.ms, reconnect.backoff.ms, socket.connection.setup.timeout.max.ms, "
                        + "socket.connection.setup.timeout.ms; radstream sets the others itself");
        assertThatThrownBy(() -> KafkaClientConfig.load(file("bootstrap.servers=elsewhere:9092")))
                .hasMessageContaining("Kafka client setting bootstrap.servers is not one radstream takes");
        assertThatThrownBy(() -> KafkaClientConfig.load(file("request.timeout.ms=1")))
                .hasMessageContaining("Kafka client setting request.timeout.ms is not one radstream takes");
        assertThatThrownBy(() -> KafkaClientConfig.load(file("security.protocol=TLS")))
                .hasMessageEndingWith("security.protocol must be one of [PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL], got TLS");
        assertThatThrownBy(() -> KafkaClientConfig.load(file("sasl.mechanism=")))
                .hasMessageEndingWith("Kafka client setting sasl.mechanism has no value");
        // except the one key whose empty value means something: no host name check of the broker's certificate
        assertThat(KafkaClientConfig.load(file("security.protocol=SSL", "ssl.endpoint.identification.algorithm="))
                .properties()).containsEntry("ssl.endpoint.identification.algorithm", "");
        assertThatThrownBy(() -> KafkaClientConfig.load(dir.resolve("missing.properties"))).isInstanceOf(IOException.class);
    }
}
