package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.Model;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.avro.ModelPublished;
import org.radstream.models.Architectures;
import org.radstream.models.ModelArtifact;
import org.radstream.models.ModelDescriptor;
import org.radstream.models.ModelStore;
import org.radstream.models.NetworkSpec;
import org.radstream.models.SegmentationTraining;
import org.radstream.models.TrainingSettings;
import org.radstream.schemas.Topic;

/**
 * A run that wrote a version and died before announcing it: the trainer's next start announces
 * it, once, so the workers load what the trainer gates against; a version whose announcement failed
 * while the trainer runs goes out before its next run; an operator's promotion is not announced twice.
 */
class LateAnnouncementIT {
    @TempDir
    Path dir;

    @Test
    void aVersionTheStoreHoldsAndTheTopicNeverAnnouncedIsAnnouncedAtTheNextStartOnce() throws Exception {
        TestBroker broker = TestBroker.get();
        Topic<String, ModelPublished> models = broker.topics.models();
        ModelStore store = new ModelStore(dir.resolve("store"));
        QualityGate gate = new QualityGate(0.005);
        java.util.Map<String, Object> p = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap,
                ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
                Model model = Architectures.newModel(NetworkSpec.unet2d(2, 2), Device.cpu());
                SegmentationTraining ignored = SegmentationTraining.start(model, 1, 32, 32, TrainingSettings.defaults())) {
            // v1 published and announced as a run does
            new Publisher(store, m -> send(producer, models, m)).publish(model, liver(0.95), gate.decide(0.95, OptionalDouble.empty(), "gate Dice"), Map.of(), Optional.empty());
            // v2 written by a run that died before its announcement went out
            ModelArtifact v1 = store.latest("liver").orElseThrow();
            new Publisher(store, m -> { }).publish(model, liver(0.96), gate.decide(0.96, OptionalDouble.of(0.95), "gate Dice"),
                    Map.of("gate_dice", 0.95), Optional.of(v1));
        }
        java.net.DatagramSocket auditRepository = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress());
        TrainerSettings settings = TrainerSettings.defaults(broker.bootstrap, dir.resolve("work"), dir.resolve("store"),
                "integration-test-secret-0123456789").withHttpPort(-1).withGroupId("late-announcement-it")
                .withAuditRepository("udp://127.0.0.1:" + auditRepository.getLocalPort());

        try (TrainerService service = TrainerService.start(settings, broker.topics)) {
            List<ModelPublished> ours = ours(broker, models);
            assertThat(ours).extracting(ModelPublished::getVersion).containsExactly("1", "2");
            ModelPublished late = ours.get(1);
            assertThat(late.getTask()).isEqualTo("liver");
            assertThat(late.getPreviousVersion()).isEqualTo("1");
            assertThat(late.getSha256()).isEqualTo(store.latest("liver").orElseThrow().metadata().sha256());
            assertThat(late.getChampionMetrics()).containsEntry("gate_dice", 0.95);
            assertThat(late.getGateDecision()).startsWith("published: challenger gate Dice 0.9600")
                    .endsWith(LateAnnouncements.NOTE);

            // while it runs: a version whose announcement failed goes out before the next run trains
            try (Model model = Architectures.newModel(NetworkSpec.unet2d(2, 2), Device.cpu());
                    SegmentationTraining ignored = SegmentationTraining.start(model, 1, 32, 32, TrainingSettings.defaults())) {
                new Publisher(store, m -> { }).publish(model, liver(0.97), gate.decide(0.97, OptionalDouble.of(0.96), "gate Dice"),
                        Map.of("gate_dice", 0.96), store.latest("liver"));
            }
            assertThatThrownBy(() -> service.trainNow("liver").get(60, TimeUnit.SECONDS)) // no liver labels: the run fails
                    .isInstanceOf(java.util.concurrent.ExecutionException.class).hasMessageContaining("no training scans for liver");
            assertThat(ours(broker, models)).extracting(ModelPublished::getVersion, ModelPublished::getPreviousVersion)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("1", null), org.assertj.core.groups.Tuple.tuple("2", "1"),
                            org.assertj.core.groups.Tuple.tuple("3", "2"));

            // an operator's promotion, announced by another process, is not announced again
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
                ModelPromotion.promote(store, "liver", new ModelPromotion.Version(1), "ops", "v3 misreads", m -> send(producer, models, m));
            }
            assertThatThrownBy(() -> service.trainNow("liver").get(60, TimeUnit.SECONDS))
                    .isInstanceOf(java.util.concurrent.ExecutionException.class);
            assertThat(ours(broker, models)).extracting(ModelPublished::getVersion).containsExactly("1", "2", "3", "4");
        }
        // announced now: the next start has nothing to add
        try (TrainerService ignored = TrainerService.start(settings, broker.topics)) {
            assertThat(ours(broker, models)).extracting(ModelPublished::getVersion).containsExactly("1", "2", "3", "4");
        }

        // the audit trail: each version this trainer announced, as a change of the software's configuration
        List<String> audited;
        try (auditRepository) {
            audited = org.radstream.schemas.TestAuditRepository.receiveAll(auditRepository, java.time.Duration.ofMillis(1500));
        }
        assertThat(audited).filteredOn(m -> m.contains("csd-code=\"110120\"")).as("two starts").hasSize(2);
        assertThat(audited).filteredOn(m -> m.contains("csd-code=\"110121\"")).as("two stops").hasSize(2);
        List<String> changes = audited.stream().filter(m -> m.contains("csd-code=\"110131\"")).toList();
        assertThat(changes).hasSize(2);
        List<ModelPublished> announced = ours(broker, models);
        for (int i = 0; i < 2; i++) {
            ModelPublished m = announced.get(i + 1); // v2 at the start, v3 before the run
            assertThat(changes.get(i)).contains("csd-code=\"110113\"", "EventOutcomeIndicator=\"0\"",
                    "ParticipantObjectID=\"" + m.getLocation() + "\"",
                    "<ParticipantObjectName>radstream liver model v" + m.getVersion() + "</ParticipantObjectName>",
                    "type=\"sha256\" value=\"" + java.util.Base64.getEncoder().encodeToString(
                            m.getSha256().getBytes(java.nio.charset.StandardCharsets.UTF_8)) + "\"",
                    "UserID=\"radstream-trainer\"", "UserIsRequestor=\"true\"");
        }
        assertThat(changes.get(1)).contains("<EventOutcomeDescription>published: challenger gate Dice 0.9700");
    }

    private static void send(KafkaProducer<String, byte[]> producer, Topic<String, ModelPublished> models, ModelPublished m) {
        try {
            producer.send(new ProducerRecord<>(models.name(), m.getTask(), models.valueSerde().serializer().serialize(models.name(), m)))
                    .get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The announcements of this test's store (the broker is shared with the other tests of the JVM). */
    private List<ModelPublished> ours(TestBroker broker, Topic<String, ModelPublished> models) {
        String root = dir.resolve("store").toUri().toString();
        return broker.values(models).stream().filter(m -> m.getLocation().startsWith(root)).toList();
    }

    private static ModelDescriptor liver(double gateDice) {
        return new ModelDescriptor("liver", 32, 32, -150, 250, Map.of("gate_dice", gateDice));
    }
}
