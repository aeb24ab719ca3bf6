package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.avro.CorrectedLabel;
import org.radstream.avro.DeadLetter;
import org.radstream.avro.ModelPublished;
import org.radstream.avro.TaskSliceEvent;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Rle;
import org.radstream.models.ModelArtifact;
import org.radstream.models.ModelStore;
import org.radstream.schemas.Topic;
import org.radstream.schemas.Topics;

/**
 * On the embedded broker: labels submitted before their images wait, the images arrive on the
 * chest task topic and are archived, the second accepted label triggers training, a version is
 * published on radstream.models and the model store holds it; a mask of the wrong size, an
 * unknown task and a label for a series that never arrives are each refused on the dead-letter
 * topic with their reason, and the trainer keeps working. Restarted on the same work directory, it
 * re-reads the labels without training again or refusing any twice and still lists the runs before;
 * restarted after a run it did not finish, it runs that task again.
 */
class TrainerIT {
    @TempDir
    Path dir;

    @Test
    void labelsInModelOutBadLabelsDeadLettered() throws Exception {
        TestBroker broker = TestBroker.get();
        Topics topics = broker.topics;
        TrainingRecipe recipe = TrainingRecipe.defaults().withInputSize(32).withNetwork(3, 4).withEpochs(3)
                .withBatchSize(4).withLearningRate(0.01f).withAugment(false).withHardMining(false, 0.7);
        // the trainer reaches Kafka as an authenticated client, as on a secured cluster
        TrainerSettings settings = TrainerSettings.defaults(broker.saslBootstrap, dir.resolve("work"), dir.resolve("store"),
                        "integration-test-secret-0123456789")
                .withHttpPort(0).withLabelsPerTraining(2).withTrainingInterval(Duration.ZERO)
                .withPendingTimeout(Duration.ofSeconds(4)).withGroupId("trainer-it").withRecipe(recipe)
                .withKafkaClient(TestBroker.saslClient()).withPretraining(new ArchivePretraining(2, 4));
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap);
        // One request in flight: a write refused with NOT_LEADER_OR_FOLLOWER by a just-created partition
        // is retried before the next one goes, instead of the idempotent producer looping on
        // OUT_OF_ORDER_SEQUENCE_NUMBER (seen here on a fresh KRaft broker).
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        try (TrainerService service = TrainerService.start(settings, topics);
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(),
                     new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            Mask3D truth = Fixtures.truth(32, 6);
            // labels first: they wait for their images
            send(producer, topics.labels(), "2.1:lung", LabelMaker.label("2.1", "lung", truth, "dr-a", "radiologist", null));
            // the second over HTTP, as a radiologist's viewer would submit it
            java.net.URI trainerUri = java.net.URI.create("http://localhost:" + service.httpPort());
            java.net.http.HttpResponse<String> viaHttp = postLabel(trainerUri, "2.2", "lung", rleFile(32, 32, 6, Rle.encode(truth)));
            assertThat(viaHttp.statusCode()).isEqualTo(202);
            assertThat(viaHttp.body()).isEqualTo("label 2.2:lung submitted to " + Topics.LABELS + "\n");
            // bad input
            send(producer, topics.labels(), "2.1:infection", LabelMaker.label("2.1", "infection", new Mask3D(32, 32, 7), "dr-b", "radiologist", null));
            send(producer, topics.labels(), "2.1:spleen", LabelMaker.label("2.1", "spleen", truth, "dr-b", "radiologist", null));
            send(producer, topics.labels(), "9.9:lung", LabelMaker.label("9.9", "lung", truth, "dr-b", "radiologist", null));
            producer.flush();
            waitFor(() -> service.pendingLabels() == 4, Duration.ofSeconds(30));
            // series no label names, archived first: a chest one to pretrain on, a chest one of the
            // gate's series and a liver one, which the lung run does not pretrain on
            for (String uid : List.of("2.3", "2.6")) {
                for (TaskSliceEvent e : Fixtures.series(uid, "chest", 32, 6)) {
                    send(producer, topics.tasksChest(), uid, e);
                }
            }
            for (TaskSliceEvent e : Fixtures.series("3.3", "liver", 32, 6)) {
                send(producer, topics.tasksLiver(), "3.3", e);
            }
            producer.flush();
            waitFor(() -> List.of("2.3", "2.6", "3.3").stream().allMatch(service.archive()::contains), Duration.ofSeconds(30));
            assertThat(HeldOutSplit.heldOut("2.6")).isTrue();
            assertThat(HeldOutSplit.heldOut("2.3")).isFalse();
            // images arrive
            for (String uid : List.of("2.1", "2.2")) {
                for (TaskSliceEvent e : Fixtures.series(uid, "chest", 32, 6)) {
                    send(producer, topics.tasksChest(), uid, e);
                }
            }
            producer.flush();

            List<ModelPublished> published = new ArrayList<>();
            List<DeadLetter> rejected = new ArrayList<>();
            try (KafkaConsumer<String, byte[]> consumer = consumer(broker.bootstrap)) {
                consumer.subscribe(List.of(topics.models().name(), topics.labelsRejected().name()));
                long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
                while ((published.isEmpty() || rejected.size() < 3) && System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                        if (r.topic().equals(topics.models().name())) {
                            ModelPublished m = topics.models().valueSerde().deserializer().deserialize(r.topic(), r.value());
                            if (m.getLocation().startsWith(dir.resolve("store").toUri().toString())) {
                                published.add(m); // the broker is shared with the JVM's other tests
                            }
                        } else if (r.key() != null && (r.key().startsWith("2.1:") || r.key().startsWith("9.9:"))) {
                            // this test's labels: the topic holds other tests' refusals too
                            rejected.add(topics.labelsRejected().valueSerde().deserializer().deserialize(r.topic(), r.value()));
                        }
                    }
                }
            }
            assertThat(published).singleElement().satisfies(m -> {
                assertThat(m.getTask()).isEqualTo("lung");
                assertThat(m.getVersion()).isEqualTo("1");
                assertThat(m.getGateDecision()).contains("published: no champion");
            });
            assertThat(new ModelStore(dir.resolve("store")).latest("lung"))
                    .hasValueSatisfying(a -> assertThat(a.metadata().sha256()).isEqualTo(published.get(0).getSha256()));
            assertThat(rejected).extracting(d -> d.getKey() + " | " + d.getReason()).containsExactlyInAnyOrder(
                    "2.1:infection | mask size 32×32×7 does not match series 2.1 (32×32×6)",
                    "2.1:spleen | unknown task 'spleen' (a label names one of lung, infection, liver, vessel)",
                    "9.9:lung | unknown series 9.9: no images of it were archived within PT4S of the label's arrival "
                            + "(a series no label names is removed from the archive 30 days after it arrived)");
            assertThat(rejected).allSatisfy(d -> {
                assertThat(d.getComponent()).isEqualTo("trainer");
                assertThat(d.getSourceTopic()).isEqualTo(Topics.LABELS);
                assertThat(d.getValue()).isNotNull();
            });
            assertThat(service.acceptedLabels("lung")).isEqualTo(2);
            assertThat(service.archive().contains("2.1")).isTrue();
            // bad label files over HTTP are refused at once, with the reason, and nothing reaches the topic
            assertThat(postLabel(trainerUri, "2.1", "lung", rleFile(32, 32, 7, Rle.encode(new Mask3D(32, 32, 7)))))
                    .satisfies(r -> assertThat(r.statusCode()).isEqualTo(400))
                    .satisfies(r -> assertThat(r.body()).isEqualTo("mask size 32×32×7 does not match series 2.1 (32×32×6)\n"));
            assertThat(postLabel(trainerUri, "2.1", "lung", rleFile(100_000, 100_000, 100_000, new byte[0])).body())
                    .isEqualTo("mask size 100000×100000×100000 is not a CT series' (at most 536870912 voxels)\n");
            assertThat(postLabel(trainerUri, "2.1", "lung", new byte[] {1, 2}).body())
                    .startsWith("body is not a .rle mask file");
            assertThat(postLabel(trainerUri, "2.1", "lung", new byte[Topics.PIXEL_MAX_MESSAGE_BYTES + 1]).statusCode()).isEqualTo(413);
            // a radiologist asks what became of a label: accepted and trained on by the published run; refused, and why
            com.fasterxml.jackson.databind.JsonNode lungLabel = labelStatus(trainerUri, "2.1", "lung");
            assertThat(lungLabel.get("state").asText()).isEqualTo("accepted");
            assertThat(lungLabel.get("accepted").get("annotator").asText()).isEqualTo("dr-a");
            assertThat(lungLabel.get("accepted").get("trained").asBoolean()).isTrue();
            assertThat(lungLabel.get("accepted").get("trained_in_run_result").asText()).isEqualTo("published");
            // 2.1 is the gate's series by its UID: with two labelled series it chose the reading and judged the run
            assertThat(lungLabel.get("accepted").get("held_out").asText()).isEqualTo("gate");
            assertThat(lungLabel.get("summary").asText()).startsWith("accepted (by dr-a, radiologist); held out of the lung "
                    + "run that finished at ").endsWith(" (published) for the quality gate, which judged that run's model "
                    + "against the one in use on such series; the run did not learn from it");
            com.fasterxml.jackson.databind.JsonNode trainedOn = labelStatus(trainerUri, "2.2", "lung");
            assertThat(trainedOn.get("accepted").has("held_out")).isFalse();
            assertThat(trainedOn.get("summary").asText()).contains("; trained on by the lung run that finished at ")
                    .endsWith(" (published)");
            com.fasterxml.jackson.databind.JsonNode badLabel = labelStatus(trainerUri, "2.1", "infection");
            assertThat(badLabel.get("state").asText()).isEqualTo("refused");
            assertThat(badLabel.get("refused").get("reason").asText()).isEqualTo("mask size 32×32×7 does not match series 2.1 (32×32×6)");
            assertThat(labelStatus(trainerUri, "7.7", "liver").get("summary").asText())
                    .isEqualTo("the trainer holds no label of series 7.7 for liver, and refused none");
            assertThat(service.outcomes()).singleElement().satisfies(o -> assertThat(o.decision().publish()).isTrue());
            java.net.http.HttpResponse<String> metrics = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://localhost:" + service.httpPort() + "/metrics")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("radstream_trainer_labels_refused_total 3\n",
                    "radstream_trainer_labels_accepted{task=\"lung\"} 2\n",
                    "radstream_trainer_runs_total{task=\"lung\",decision=\"published\"} 1\n",
                    "radstream_trainer_labels_pending 0\n");

            // a second trainer on the same work directory is refused at its start
            assertThatThrownBy(() -> TrainerService.start(settings, topics)).isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("another trainer uses the work directory " + dir.resolve("work"));

            // a run asked for that cannot train (no liver labels) fails, and is seen: followed to its end,
            // logged, listed and counted; an unknown task is refused at the request
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            java.net.URI base = java.net.URI.create("http://localhost:" + service.httpPort());
            List<String> followed = new java.util.concurrent.CopyOnWriteArrayList<>();
            RunFollower follower = new RunFollower(http, base, Duration.ofMillis(20), Duration.ofSeconds(5), followed::add);
            assertThatThrownBy(() -> follower.request("spleen")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("unknown task 'spleen'");
            java.time.Instant queuedAt = follower.request("liver");
            RunFollower.Result liver = follower.follow("liver", queuedAt);
            assertThat(liver.end()).isEqualTo(RunFollower.End.FAILED);
            assertThat(followed.get(0)).isEqualTo("training of liver queued at " + queuedAt);
            assertThat(followed.get(followed.size() - 1)).isEqualTo("liver failed: no training scans for liver");
            assertThat(service.runs()).hasSize(2);
            java.net.http.HttpResponse<String> runs = http.send(java.net.http.HttpRequest.newBuilder(base.resolve("/runs")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(runs.statusCode()).isEqualTo(200);
            com.fasterxml.jackson.databind.JsonNode list = new com.fasterxml.jackson.databind.ObjectMapper().readTree(runs.body());
            assertThat(list).hasSize(2);
            assertThat(list.get(0).get("task").asText()).isEqualTo("lung");
            assertThat(list.get(0).get("result").asText()).isEqualTo("published");
            assertThat(list.get(0).get("version").asInt()).isEqualTo(1);
            assertThat(list.get(0).get("decision").asText()).isEqualTo(published.get(0).getGateDecision());
            assertThat(list.get(0).get("metrics").get("validation_dice").asDouble()).isBetween(0.0, 1.0);
            // pretrained first, two epochs, on archived chest series no lung label names (2.3 among them, with the
            // chest series of this JVM's earlier tests, which the shared broker's topics hold; at most 4)
            assertThat(list.get(0).get("metrics").get("pretrain_epochs").asDouble()).isEqualTo(2.0);
            assertThat(list.get(0).get("metrics").get("pretrain_scans").asDouble()).isBetween(1.0, 4.0);
            assertThat(list.get(1).get("task").asText()).isEqualTo("liver");
            assertThat(list.get(1).get("result").asText()).isEqualTo("failed");
            assertThat(list.get(1).get("failure").asText()).isEqualTo("no training scans for liver");
            assertThat(http.send(java.net.http.HttpRequest.newBuilder(base.resolve("/metrics")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body())
                    .contains("radstream_trainer_runs_total{task=\"liver\",decision=\"failed\"} 1\n")
                    .contains("radstream_trainer_model_version{task=\"lung\"} 1\n")
                    .containsPattern("radstream_trainer_model_created_timestamp_seconds\\{task=\"lung\"} \\d{10}\n")
                    .containsPattern("radstream_trainer_last_run_finished_timestamp_seconds\\{task=\"liver\",result=\"failed\"} \\d{10}\n")
                    .doesNotContain("radstream_trainer_model_version{task=\"vessel\"}");
        }
        assertThat(broker.values(topics.labelsRejected())).hasSize(3);

        // a restart re-reads the label store from the start: no label is new again, none is refused twice
        try (TrainerService restarted = TrainerService.start(settings, topics)) {
            waitFor(restarted::labelsRead, Duration.ofSeconds(60));
            assertThat(restarted.acceptedLabels("lung")).isEqualTo(2);
            assertThat(restarted.untrainedLabels("lung")).isZero();
            Thread.sleep(3000); // three trigger checks: none may start a run
            assertThat(restarted.runs()).isEmpty();
            assertThat(restarted.metricsText()).contains("radstream_trainer_labels_refused_total 0\n",
                    "radstream_trainer_labels_untrained{task=\"lung\"} 0\n");
            // a label the process before refused is still said to be refused, and why
            com.fasterxml.jackson.databind.JsonNode refusedBefore = labelStatus(
                    java.net.URI.create("http://localhost:" + restarted.httpPort()), "2.1", "infection");
            assertThat(refusedBefore.get("state").asText()).isEqualTo("refused");
            assertThat(refusedBefore.get("refused").get("reason").asText())
                    .isEqualTo("mask size 32×32×7 does not match series 2.1 (32×32×6)");
            // the PACS forwards both corrections again, one saved unchanged by another reader: new records,
            // the voxels the run trained on, so no change and no run; the status says the label was trained on
            Mask3D truth = Fixtures.truth(32, 6);
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(),
                    new org.apache.kafka.common.serialization.ByteArraySerializer())) {
                send(producer, topics.labels(), "2.1:lung", LabelMaker.label("2.1", "lung", truth, "dr-c", "radiologist", "re-sent"));
                send(producer, topics.labels(), "2.2:lung", LabelMaker.label("2.2", "lung", truth, "dr-a", "radiologist", null));
                producer.flush();
            }
            waitFor(() -> restarted.metricsText().contains("radstream_trainer_labels_unchanged_total 2\n"), Duration.ofSeconds(30));
            assertThat(restarted.untrainedLabels("lung")).isZero();
            com.fasterxml.jackson.databind.JsonNode resent = labelStatus(
                    java.net.URI.create("http://localhost:" + restarted.httpPort()), "2.1", "lung");
            assertThat(resent.get("accepted").get("annotator").asText()).isEqualTo("dr-c");
            assertThat(resent.get("accepted").get("trained").asBoolean()).isTrue();
            Thread.sleep(3000); // three trigger checks: none may start a run
            assertThat(restarted.runs()).isEmpty();
            // every label of a task at once: two lung labels accepted and trained on, one of an unknown series
            // refused; the infection label refused
            java.net.URI restartedUri = java.net.URI.create("http://localhost:" + restarted.httpPort());
            com.fasterxml.jackson.databind.JsonNode lungLabels = labels(restartedUri, "task=lung", 200);
            assertThat(lungLabels.get("counts").toString())
                    .isEqualTo("{\"accepted\":2,\"waiting\":0,\"refused\":1,\"untrained\":0,\"held_out\":1}");
            // the one the run held out (2.1, the gate's), alone
            assertThat(labels(restartedUri, "task=lung&state=held_out", 200).get("labels"))
                    .extracting(l -> l.get("series").asText() + " " + l.get("accepted").get("held_out").asText())
                    .containsExactly("2.1 gate");
            assertThat(lungLabels.get("labels")).extracting(l -> l.get("series").asText() + " " + l.get("state").asText()
                    + " " + l.path("accepted").path("trained").asBoolean())
                    .containsExactly("2.1 accepted true", "2.2 accepted true", "9.9 refused false");
            assertThat(labels(restartedUri, "task=lung&state=untrained", 200).get("labels")).isEmpty();
            // a page at a time: two, then what follows the second; the counts are the task's whatever the page
            com.fasterxml.jackson.databind.JsonNode firstPage = labels(restartedUri, "task=lung&limit=2", 200);
            assertThat(firstPage.get("labels")).extracting(l -> l.get("series").asText()).containsExactly("2.1", "2.2");
            assertThat(firstPage.get("next").asText()).isEqualTo("2.2");
            com.fasterxml.jackson.databind.JsonNode secondPage = labels(restartedUri, "task=lung&limit=2&after=2.2", 200);
            assertThat(secondPage.get("labels")).extracting(l -> l.get("series").asText()).containsExactly("9.9");
            assertThat(secondPage.has("next")).isFalse();
            assertThat(secondPage.get("counts")).isEqualTo(lungLabels.get("counts"));
            assertThat(labels(restartedUri, "task=lung&limit=-1", 400)).isNull();
            assertThat(labels(restartedUri, "task=lung&limit=many", 400)).isNull();
            com.fasterxml.jackson.databind.JsonNode infectionLabels = labels(restartedUri, "task=infection&state=refused", 200);
            assertThat(infectionLabels.get("counts").get("refused").asInt()).isEqualTo(1);
            assertThat(infectionLabels.get("labels")).singleElement().satisfies(l -> assertThat(l.get("refused")
                    .get("reason").asText()).isEqualTo("mask size 32×32×7 does not match series 2.1 (32×32×6)"));
            assertThat(labels(restartedUri, "task=lung&state=lost", 400)).isNull();
            // the runs of the process before are still listed
            com.fasterxml.jackson.databind.JsonNode earlier = runs(restarted);
            assertThat(earlier).hasSize(2);
            assertThat(earlier.get(0).get("result").asText()).isEqualTo("published");
            assertThat(earlier.get(0).get("version").asInt()).isEqualTo(1);
            assertThat(earlier.get(1).get("failure").asText()).isEqualTo("no training scans for liver");
        }
        assertThat(broker.values(topics.labelsRejected())).hasSize(3);
        assertThat(new ModelStore(dir.resolve("store")).latest("lung"))
                .hasValueSatisfying(a -> assertThat(a.metadata().version()).isEqualTo(1));

        // a run the trainer started and did not finish (it crashed during it) runs again after the restart
        TrainingLedger.open(dir.resolve("work").resolve(TrainingLedger.FILE)).started("lung", java.time.Instant.now());
        java.time.Instant beforeRestart = java.time.Instant.now();
        // restarted to fine-tune the published version (`trainer --transfer`), whose reading is as if chosen on 24 series
        TaskTrainerTest.withMetrics(new ModelStore(dir.resolve("store")).latest("lung").orElseThrow(), Map.of(
                org.radstream.models.SegmentationModel.MASK_THRESHOLD_METRIC, 0.9, ChampionReading.CHOSEN_ON_METRIC, 24.0));
        try (TrainerService resumed = TrainerService.start(settings.withRecipe(recipe.withEpochs(60).withTransfer(true, 0)),
                topics)) {
            // a client follows it from the start of the restart: its epochs, then the gate's decision
            List<String> followed = new java.util.concurrent.CopyOnWriteArrayList<>();
            java.util.concurrent.CompletableFuture<RunFollower.Result> following = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return new RunFollower(java.net.http.HttpClient.newHttpClient(),
                            java.net.URI.create("http://localhost:" + resumed.httpPort()), Duration.ofMillis(20),
                            Duration.ofSeconds(5), followed::add).follow("lung", beforeRestart);
                } catch (Exception e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });
            // while it trains, GET /runs shows it last, with its latest progress line
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            com.fasterxml.jackson.databind.JsonNode running = null;
            while (running == null && System.nanoTime() < deadline) {
                com.fasterxml.jackson.databind.JsonNode list = runs(resumed);
                com.fasterxml.jackson.databind.JsonNode last = list.get(list.size() - 1);
                if (last.get("result").asText().equals("running") && last.get("progress").asText().startsWith("lung epoch ")) {
                    running = last;
                }
                Thread.sleep(50);
            }
            assertThat(running).as("a run in progress listed with its epoch").isNotNull();
            assertThat(running.get("task").asText()).isEqualTo("lung");
            assertThat(running.get("progress").asText()).matches("lung epoch \\d+/60 loss .* ETA .*");
            // liver asked for meanwhile waits behind it (60 epochs leave the time to ask), and says so once
            List<String> waited = new java.util.concurrent.CopyOnWriteArrayList<>();
            RunFollower liverFollower = new RunFollower(java.net.http.HttpClient.newHttpClient(),
                    java.net.URI.create("http://localhost:" + resumed.httpPort()), Duration.ofMillis(20), Duration.ofSeconds(5),
                    waited::add);
            java.time.Instant liverQueued = liverFollower.request("liver");
            // asked again while it waits: the same run, not a second one on the same labels
            assertThat(liverFollower.request("liver")).isEqualTo(liverQueued);
            assertThat(waited).contains("training of liver already queued at " + liverQueued);
            assertThat(liverFollower.follow("liver", liverQueued).end()).isEqualTo(RunFollower.End.FAILED);
            assertThat(waited).filteredOn(l -> l.startsWith("waiting: ")).singleElement().asString()
                    .startsWith("waiting: the trainer is training lung first (started ");
            waitFor(() -> resumed.runs().size() == 2, Duration.ofSeconds(180));
            assertThat(resumed.runs().get(0).task()).isEqualTo("lung");
            assertThat(resumed.runs().get(0).result()).isIn("published", "refused");
            assertThat(resumed.runs().get(1).task()).isEqualTo("liver");
            com.fasterxml.jackson.databind.JsonNode all = runs(resumed);
            assertThat(all).hasSize(4);
            assertThat(all.get(2).get("task").asText()).isEqualTo("lung");
            assertThat(all.get(2).get("result").asText()).isEqualTo(resumed.runs().get(0).result());
            RunFollower.Result lung = following.get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(lung.end().name().toLowerCase(java.util.Locale.ROOT)).isEqualTo(resumed.runs().get(0).result());
            assertThat(lung.run().get("started_at").asText()).isEqualTo(all.get(2).get("started_at").asText());
            assertThat(followed).anyMatch(l -> l.matches("lung epoch \\d+/60 loss .* ETA .*"));
            assertThat(followed.get(followed.size() - 1)).startsWith(lung.end() == RunFollower.End.PUBLISHED
                    ? "lung published as version 2: " : "lung refused by the quality gate: ");
            // it fine-tuned v1 and read its weights as v1 is read: its one selection series is too few to choose again
            ModelStore store = new ModelStore(dir.resolve("store"));
            ModelArtifact fineTuned = lung.end() == RunFollower.End.PUBLISHED ? store.latest("lung").orElseThrow()
                    : store.refused("lung").get(store.refused("lung").size() - 1);
            assertThat(fineTuned.metadata().metrics()).containsEntry("transfer", 1.0)
                    .containsEntry(ChampionReading.KEPT_FROM_METRIC, 1.0).containsEntry(ChampionReading.CHOSEN_ON_METRIC, 24.0);
            assertThat(fineTuned.metadata().metrics().get(org.radstream.models.SegmentationModel.MASK_THRESHOLD_METRIC))
                    .isCloseTo(0.9, org.assertj.core.data.Offset.offset(1e-6));

            // a radiologist withdraws a label (DELETE: a tombstone on the label topic, as `label withdraw` sends):
            // no later run trains on it, and it counts as a change
            assertThat(resumed.untrainedLabels("lung")).isZero();
            java.net.http.HttpResponse<String> withdrawn = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://localhost:" + resumed.httpPort()
                            + "/labels?series=2.2&task=lung")).DELETE().build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(withdrawn.statusCode()).isEqualTo(202);
            assertThat(withdrawn.body()).isEqualTo("label 2.2:lung withdrawn on " + topics.labels().name() + "\n");
            waitFor(() -> resumed.acceptedLabels("lung") == 1, Duration.ofSeconds(30));
            assertThat(resumed.untrainedLabels("lung")).isEqualTo(1);
            assertThat(resumed.metricsText()).contains("radstream_trainer_labels_untrained{task=\"lung\"} 1\n");

            // an operator cancels a run in progress, and the run waiting behind it
            int lungVersions = new ModelStore(dir.resolve("store")).versions("lung").size();
            java.util.concurrent.Future<TaskTrainer.Outcome> again = resumed.trainNow("lung");
            waitFor(() -> inProgress(resumed, "lung epoch "), Duration.ofSeconds(120));
            java.util.concurrent.Future<TaskTrainer.Outcome> liverWaiting = resumed.trainNow("liver");
            List<String> opsLines = new java.util.concurrent.CopyOnWriteArrayList<>();
            RunFollower ops = new RunFollower(java.net.http.HttpClient.newHttpClient(),
                    java.net.URI.create("http://localhost:" + resumed.httpPort()), Duration.ofMillis(20), Duration.ofSeconds(5),
                    opsLines::add);
            assertThat(ops.cancel("liver", "ops-it", null).answer()).isEqualTo("1 waiting liver run cancelled");
            RunFollower.Cancel cancelled = ops.cancel("lung", "ops-it", "the node is needed for inference");
            assertThat(cancelled.answer()).startsWith("cancelling the lung run started at ")
                    .endsWith(": it stops within a training step");
            // until it has stopped, GET /runs shows it running and being cancelled
            com.fasterxml.jackson.databind.JsonNode stopping = runs(resumed);
            com.fasterxml.jackson.databind.JsonNode lastRun = stopping.get(stopping.size() - 1);
            if (lastRun.get("result").asText().equals("running")) {
                assertThat(lastRun.get("cancelling").asText()).isEqualTo("cancelled by ops-it: the node is needed for inference");
            } else {
                assertThat(lastRun.get("result").asText()).isEqualTo("cancelled");
            }
            assertThat(ops.follow("lung", cancelled.runStartedAt().orElseThrow()).end()).isEqualTo(RunFollower.End.CANCELLED);
            assertThat(opsLines.get(opsLines.size() - 1))
                    .isEqualTo("lung run cancelled by ops-it: the node is needed for inference; its labels stay untrained");
            assertThatThrownBy(() -> again.get(30, java.util.concurrent.TimeUnit.SECONDS))
                    .hasCauseInstanceOf(RunCancelledException.class);
            assertThatThrownBy(() -> liverWaiting.get(30, java.util.concurrent.TimeUnit.SECONDS))
                    .hasCauseInstanceOf(RunCancelledException.class);
            assertThat(resumed.runs()).hasSize(4);
            assertThat(resumed.runs().subList(2, 4)).extracting(TrainerService.Run::task, TrainerService.Run::result,
                    TrainerService.Run::failure).containsExactly(
                    org.assertj.core.groups.Tuple.tuple("lung", "cancelled", "cancelled by ops-it: the node is needed for inference"),
                    org.assertj.core.groups.Tuple.tuple("liver", "cancelled", "cancelled by ops-it while it waited"));
            // it trained on nothing: the withdrawal is still untrained; its last epoch's checkpoint stays to resume from
            assertThat(resumed.untrainedLabels("lung")).isEqualTo(1);
            assertThat(dir.resolve("work").resolve("checkpoints").resolve("lung").resolve(EpochCheckpoint.FILE)).isRegularFile();
            assertThat(runs(resumed).get(4).get("cancelled").asText()).isEqualTo("cancelled by ops-it: the node is needed for inference");
            // GET /runs lists what a client asks for: here liver's runs, in this process and the one before
            java.net.http.HttpClient client0 = java.net.http.HttpClient.newHttpClient();
            java.net.URI runsUri = java.net.URI.create("http://localhost:" + resumed.httpPort() + "/runs");
            assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(client0.send(java.net.http.HttpRequest
                    .newBuilder(runsUri.resolve("/runs?task=liver")).build(), java.net.http.HttpResponse.BodyHandlers.ofString())
                    .body())).hasSize(3).allSatisfy(r -> assertThat(r.get("task").asText()).isEqualTo("liver"));
            java.net.http.HttpResponse<String> badQuery = client0.send(java.net.http.HttpRequest.newBuilder(
                    runsUri.resolve("/runs?task=spleen")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(badQuery.statusCode()).isEqualTo(400);
            assertThat(badQuery.body()).contains("unknown task 'spleen'");
            assertThatThrownBy(() -> ops.cancel("lung", "ops-it", null)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("no lung run is in progress or waiting");
            assertThat(new ModelStore(dir.resolve("store")).versions("lung")).hasSize(lungVersions);

            // healthy while its consumers run; down, with the reason, once one stopped on an error
            java.net.URI health = java.net.URI.create("http://localhost:" + resumed.httpPort() + "/health");
            java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
            assertThat(client.send(java.net.http.HttpRequest.newBuilder(health).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("ok\n");
            resumed.consumerStopped("label consumer", new IllegalStateException("the broker refused it"));
            java.net.http.HttpResponse<String> down = client.send(java.net.http.HttpRequest.newBuilder(health).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(down.statusCode()).isEqualTo(503);
            assertThat(down.body()).isEqualTo("down: label consumer stopped: java.lang.IllegalStateException: the broker refused it\n");
        }
        TrainingLedger after = TrainingLedger.open(dir.resolve("work").resolve(TrainingLedger.FILE));
        assertThat(after.interrupted("lung")).isEmpty();
        assertThat(after.task("lung")).hasValueSatisfying(t -> assertThat(t.labels()).containsOnlyKeys("2.1:lung", "2.2:lung"));
    }

    private static com.fasterxml.jackson.databind.JsonNode labelStatus(java.net.URI trainer, String series, String task)
            throws Exception {
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest
                .newBuilder(trainer.resolve("/labels?series=" + series + "&task=" + task)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
    }

    /** GET /labels?{@code query}: the answer's JSON when it is 200 (null otherwise), once its status is {@code status}. */
    private static com.fasterxml.jackson.databind.JsonNode labels(java.net.URI trainer, String query, int status)
            throws Exception {
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest
                .newBuilder(trainer.resolve("/labels?" + query)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("%s: %s", query, r.body()).isEqualTo(status);
        return status == 200 ? new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body()) : null;
    }

    private static java.net.http.HttpResponse<String> postLabel(java.net.URI trainer, String series, String task, byte[] file)
            throws Exception {
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        trainer.resolve("/labels?series=" + series + "&task=" + task + "&annotator=dr-a"))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(file)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    /** The .rle label file: width, height, depth as big-endian int32, then the runs. */
    static byte[] rleFile(int w, int h, int d, byte[] runs) throws java.io.IOException {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(b)) {
            out.writeInt(w);
            out.writeInt(h);
            out.writeInt(d);
            out.write(runs);
        }
        return b.toByteArray();
    }

    /** Whether GET /runs ends with a run in progress whose progress line starts with {@code progress}. */
    private static boolean inProgress(TrainerService service, String progress) {
        try {
            com.fasterxml.jackson.databind.JsonNode list = runs(service);
            com.fasterxml.jackson.databind.JsonNode last = list.get(list.size() - 1);
            return last != null && last.get("result").asText().equals("running")
                    && last.path("progress").asText().startsWith(progress);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static com.fasterxml.jackson.databind.JsonNode runs(TrainerService service) throws Exception {
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://localhost:" + service.httpPort() + "/runs")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
    }

    private static <V> void send(KafkaProducer<String, byte[]> producer, Topic<String, V> topic, String key, V value) {
        try {
            producer.send(new ProducerRecord<>(topic.name(), key, topic.valueSerde().serializer().serialize(topic.name(), value)))
                    .get(60, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new AssertionError("could not produce " + key + " to " + topic.name(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted producing " + key, e);
        }
    }

    private static KafkaConsumer<String, byte[]> consumer(String bootstrap) {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "trainer-it-check");
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return new KafkaConsumer<>(c, new StringDeserializer(), new org.apache.kafka.common.serialization.ByteArrayDeserializer());
    }

    static void waitFor(java.util.function.BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + timeout);
            }
            Thread.sleep(100);
        }
    }
}
