package org.radstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.Model;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.avro.ModelPublished;
import org.radstream.models.Architectures;
import org.radstream.models.ModelArtifact;
import org.radstream.models.ModelDescriptor;
import org.radstream.models.ModelStore;
import org.radstream.models.NetworkSpec;
import org.radstream.models.SegmentationTraining;
import org.radstream.models.TrainingSettings;
import org.radstream.platform.EmbeddedKafka;
import org.radstream.platform.Platform;
import org.radstream.platform.PlatformExtension;
import picocli.CommandLine;

/** {@code radstream models promote} against the embedded broker: the copy is in the store and announced. */
@ExtendWith(PlatformExtension.class)
class ModelsPromoteIT {
    @TempDir
    Path dir;

    @Test
    void goingBackToAnEarlierVersionPublishesItAgainAndAnnouncesIt(Platform platform) throws Exception {
        Path storeDir = dir.resolve("store");
        ModelStore store = new ModelStore(storeDir);
        ModelDescriptor lung = new ModelDescriptor("lung", 32, 32, -1200, 600, Map.of("gate_dice", 0.9));
        ModelArtifact v1;
        try (Model model = Architectures.newModel(NetworkSpec.unet2d(2, 2), Device.cpu());
                SegmentationTraining ignored = SegmentationTraining.start(model, 1, 32, 32, TrainingSettings.defaults())) {
            v1 = store.save(model, lung);
            store.save(model, lung);
        }
        // the command reaches Kafka as an authenticated client, as on a secured cluster
        Path kafkaConfig = KafkaConfigFile.write(dir.resolve("kafka-client.properties"),
                EmbeddedKafka.saslClient(PlatformExtension.SASL_USER, PlatformExtension.SASL_PASSWORD));
        String[] cluster = {"--bootstrap", platform.kafka().saslBootstrap(), "--registry", platform.registryUrl(),
            "--kafka-config", kafkaConfig.toString()};

        java.net.DatagramSocket auditRepository = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress());
        int code;
        String audited;
        try (auditRepository) {
            code = new CommandLine(new ModelsCommand()).execute(Cli.concat(new String[] {"promote", "--store", storeDir.toString(),
                    "--task", "lung", "--version", "1", "--reason", "v2 misreads the pleura", "--operator", "ops-it",
                    "--audit-repository", "udp://127.0.0.1:" + auditRepository.getLocalPort()}, cluster));
            auditRepository.setSoTimeout(5000);
            java.net.DatagramPacket p = new java.net.DatagramPacket(new byte[65_536], 65_536);
            auditRepository.receive(p);
            audited = new String(p.getData(), 0, p.getLength(), java.nio.charset.StandardCharsets.UTF_8);
        }

        assertThat(code).isZero();
        ModelArtifact v3 = store.latest("lung").orElseThrow();
        assertThat(v3.metadata().version()).isEqualTo(3);
        assertThat(v3.metadata().sha256()).isEqualTo(v1.metadata().sha256());
        List<ModelPublished> announced = announcements(platform, v3.location().toString());
        assertThat(announced).singleElement().satisfies(m -> {
            assertThat(m.getTask()).isEqualTo("lung");
            assertThat(m.getVersion()).isEqualTo("3");
            assertThat(m.getPreviousVersion()).isEqualTo("2");
            assertThat(m.getSha256()).isEqualTo(v1.metadata().sha256());
            assertThat(m.getGateDecision())
                    .isEqualTo("published by ops-it over the quality gate: v2 misreads the pleura (a copy of v0001)");
        });
        // the audit repository is told who put which model in front of the scans, and why
        assertThat(audited).contains(" radstream-models ", "csd-code=\"110113\"", "csd-code=\"110131\"",
                "<ActiveParticipant UserID=\"ops-it\" UserIsRequestor=\"true\">",
                "ParticipantObjectID=\"" + v3.location() + "\"", "radstream lung model v3",
                "<EventOutcomeDescription>published by ops-it over the quality gate: v2 misreads the pleura");

        // what the workers load already is refused before anything is written or announced
        StringWriter err = new StringWriter();
        int again = new CommandLine(new ModelsCommand()).setErr(new PrintWriter(err)).execute(Cli.concat(new String[] {"promote",
                "--store", storeDir.toString(), "--task", "lung", "--version", "3", "--reason", "again"}, cluster));
        assertThat(again).isEqualTo(2);
        assertThat(err.toString()).contains("lung v3 is already the newest version: the workers load it");
        assertThat(store.versions("lung")).hasSize(3);
    }

    /** The announcements on radstream.models of the artifact at {@code location}, read to the topic's end. */
    private static List<ModelPublished> announcements(Platform platform, String location) {
        return TopicContents.all(platform, platform.topics().models()).stream().map(ConsumerRecord::value)
                .filter(m -> m != null && m.getLocation().equals(location)).toList();
    }
}
