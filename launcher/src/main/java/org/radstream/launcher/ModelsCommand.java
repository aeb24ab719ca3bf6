package org.radstream.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.radstream.avro.ModelPublished;
import org.radstream.models.ModelStore;
import org.radstream.schemas.RestSchemaRegistryClient;
import org.radstream.schemas.Topic;
import org.radstream.schemas.Topics;
import org.radstream.trainer.ModelListing;
import org.radstream.trainer.ModelPromotion;
import org.radstream.trainer.TrainerAudit;
import org.radstream.trainer.TrainingTask;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code radstream models}: lists a model store's versions and refused challengers; {@code models
 * promote} publishes an earlier version or a refused challenger again, over the gate. Only wires:
 * the work is in org.radstream.trainer.
 */
@Command(name = "models", mixinStandardHelpOptions = true,
        description = "List a model store: every published version (the newest is what workers load) and every "
                + "refused challenger kept aside, with the quality gate's score and decision.",
        subcommands = ModelsCommand.Promote.class)
final class ModelsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--store", description = "Model store. Default: RADSTREAM_MODEL_STORE, else models-default.")
    Path store = EvalCommand.MODEL_STORE;

    @Option(names = "--task", description = "Only this task (lung, infection, infection-classifier, liver, vessel).")
    String task;

    @Override
    public Integer call() throws Exception {
        List<String> tasks;
        if (task == null) {
            tasks = Arrays.stream(TrainingTask.values()).map(TrainingTask::id).toList();
        } else {
            try {
                tasks = List.of(TrainingTask.of(task).id());
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
        }
        if (!Files.isDirectory(store)) {
            throw new ParameterException(spec.commandLine(), "no model store at " + store);
        }
        List<ModelListing.Entry> entries = ModelListing.of(new ModelStore(store), tasks);
        System.out.print(entries.isEmpty() ? "no models in " + store + "\n" : ModelListing.table(entries));
        return 0;
    }

    @Command(name = "promote", mixinStandardHelpOptions = true,
            description = "Publish an earlier version (roll back) or a refused challenger again as the task's next "
                    + "version, over the quality gate, and announce it: the workers load it without a restart.")
    static final class Promote implements Callable<Integer> {
        private static final java.time.Duration ANNOUNCE_TIMEOUT = java.time.Duration.ofSeconds(30);

        @Spec
        CommandSpec spec;

        @Mixin
        ClusterOptions cluster;

        @Option(names = "--store", description = "Model store. Default: RADSTREAM_MODEL_STORE, else models-default.")
        Path store = EvalCommand.MODEL_STORE;

        @Option(names = "--task", required = true, description = "lung, infection, infection-classifier, liver or vessel.")
        String task;

        @ArgGroup(exclusive = true, multiplicity = "1")
        Which which;

        static final class Which {
            @Option(names = "--version", description = "The published version to go back to (as listed by `models`).")
            Integer version;

            @Option(names = "--refused", description = "The refused challenger to ship (refused/rNNNN as listed by `models`).")
            Integer refused;
        }

        @Option(names = "--reason", required = true, description = "Why, recorded with the version and in its announcement.")
        String reason;

        @Option(names = "--operator", defaultValue = "${env:USER:-operator}", description = "Who decides. Default ${DEFAULT-VALUE}.")
        String operator;

        @Mixin
        AuditOptions audit;

        @Override
        public Integer call() throws Exception {
            if (!Files.isDirectory(store)) {
                throw new ParameterException(spec.commandLine(), "no model store at " + store);
            }
            ModelPromotion.Source source = which.version != null ? new ModelPromotion.Version(which.version)
                    : new ModelPromotion.Refused(which.refused);
            String bootstrap = cluster.bootstrap();
            Topics topics = new Topics(new RestSchemaRegistryClient(cluster.registry()));
            Topic<String, ModelPublished> t = topics.models();
            Map<String, Object> p = new HashMap<>();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            cluster.kafkaClient().addTo(p);
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) ANNOUNCE_TIMEOUT.toMillis());
            org.radstream.schemas.AuditLog auditLog;
            try {
                auditLog = org.radstream.schemas.AuditLog.syslog(audit.repository, "radstream-models");
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            try (auditLog; KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(),
                    new ByteArraySerializer())) {
                ModelPublished published = ModelPromotion.promote(new ModelStore(store), task, source, operator, reason,
                        m -> announce(producer, t, m));
                // the audit repository learns who put which model in front of the scans, and why
                auditLog.record(TrainerAudit.modelAnnounced(published, "models", operator));
                System.out.println(published.getTask() + " v" + published.getVersion() + " published and announced on "
                        + t.name() + ": " + published.getGateDecision() + "; the workers load it without a restart");
                return 0;
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            } catch (IOException e) {
                System.err.println(e.getMessage());
                return 1;
            }
        }

        private static void announce(KafkaProducer<String, byte[]> producer, Topic<String, ModelPublished> t, ModelPublished m) {
            try {
                producer.send(new ProducerRecord<>(t.name(), m.getTask(), t.valueSerde().serializer().serialize(t.name(), m)))
                        .get(ANNOUNCE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException(e.getCause() == null ? e.toString() : e.getCause().toString(), e);
            }
        }
    }
}
