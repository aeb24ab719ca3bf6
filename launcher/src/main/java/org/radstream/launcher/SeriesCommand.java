package org.radstream.launcher;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.radstream.avro.RejectedSeries;
import org.radstream.avro.RejectionNote;
import org.radstream.ingest.RejectionReason;
import org.radstream.schemas.AuditLog;
import org.radstream.schemas.AuditMessage;
import org.radstream.schemas.RestSchemaRegistryClient;
import org.radstream.schemas.Topic;
import org.radstream.schemas.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code radstream series withdraw}: what an IHE IOCM rejection note from the PACS does, by hand, for
 * a PACS that sends none: the series leaves the patient's timeline, the alerts made from it are
 * retracted, the trainer drops its images and labels, and the export stores nothing more of it.
 * Only wires: the note goes to the same topic the ingest publishes notes on.
 */
@Command(name = "series", mixinStandardHelpOptions = true, description = "Act on a series as a whole.",
        subcommands = SeriesCommand.Withdraw.class)
final class SeriesCommand {

    @Command(name = "withdraw", mixinStandardHelpOptions = true,
            description = "Withdraw a series (filed under the wrong patient or worklist entry, a safety or quality "
                    + "rejection, an expired retention), as an IOCM rejection note from the PACS would: it leaves the "
                    + "patient's timeline, the alerts made from it are retracted and delivered as retractions, the "
                    + "trainer drops its images and labels, the export stores nothing more of it.")
    static final class Withdraw implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ClusterOptions cluster;

        @Option(names = "--patient", required = true, description = "The patient id the series was filed under.")
        String patient;

        @Option(names = "--series", required = true, split = ",", description = "Series Instance UID(s) to withdraw.")
        List<String> series;

        @Option(names = "--study", defaultValue = "", description = "Their Study Instance UID, when known.")
        String study;

        @Option(names = "--reason", required = true, description = "quality, safety, worklist or retention "
                + "(DCM 113001, 113037, 113038, 113039).")
        String reason;

        @Option(names = "--operator", defaultValue = "${env:USER:-operator}", description = "Who withdraws it. "
                + "Default ${DEFAULT-VALUE}.")
        String operator;

        @Mixin
        AuditOptions audit;

        @Override
        public Integer call() throws Exception {
            RejectionReason why;
            try {
                why = RejectionReason.valueOf(reason.strip().toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--reason must be quality, safety, worklist or retention, "
                        + "got '" + reason + "'");
            }
            if (patient.isBlank() || series.stream().anyMatch(String::isBlank)) {
                throw new ParameterException(spec.commandLine(), "--patient and --series must not be empty");
            }
            AuditLog auditLog;
            try {
                auditLog = AuditLog.syslog(audit.repository, "radstream-series");
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            RejectionNote note = RejectionNote.newBuilder()
                    .setSopInstanceUid(org.radstream.imaging.dicom.Uids.fromUuid(UUID.randomUUID()))
                    .setPatientId(patient.strip())
                    .setReasonCode(why.code())
                    .setReasonMeaning(why.meaning())
                    .setSeries(series.stream().map(s -> RejectedSeries.newBuilder().setStudyUid(study.strip())
                            .setSeriesUid(s.strip()).setSopInstanceUids(List.of()).build()).toList())
                    .setCallingAe("operator " + operator)
                    .setReceivedVia("cli")
                    .setReceivedAt(Instant.now())
                    .build();
            Topics topics = new Topics(new RestSchemaRegistryClient(cluster.registry()));
            Topic<String, RejectionNote> t = topics.rejectionNotes();
            Map<String, Object> p = new HashMap<>();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrap());
            cluster.kafkaClient().addTo(p);
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
            try (auditLog; KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(),
                    new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>(t.name(), note.getPatientId(),
                        t.valueSerde().serializer().serialize(t.name(), note))).get(30, TimeUnit.SECONDS);
                for (RejectedSeries s : note.getSeries()) {
                    AuditMessage m = AuditMessage.of(AuditMessage.INSTANCES_ACCESSED, AuditMessage.Action.DELETE,
                                    AuditMessage.Outcome.SUCCESS, Instant.now(), why.meaning() + " (DCM " + why.code() + ")")
                            .participant(operator, null, true, null, null)
                            .participant("radstream-series", Long.toString(ProcessHandle.current().pid()), false,
                                    AuditLog.hostName(), AuditMessage.APPLICATION)
                            .source(AuditLog.source("series"));
                    if (!s.getStudyUid().isEmpty()) {
                        m.study(s.getStudyUid(), Map.of());
                    }
                    auditLog.record(m.series(s.getSeriesUid(), Map.of()).patient(note.getPatientId(), null));
                }
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                System.err.println("the withdrawal was not acknowledged by Kafka: " + e.getMessage());
                return 1;
            }
            System.out.println("series " + String.join(", ", series) + " of patient " + patient + " withdrawn ("
                    + why.meaning() + ", DCM " + why.code() + ") by rejection note " + note.getSopInstanceUid() + " on "
                    + t.name() + ": out of the timeline, their alerts retracted");
            return 0;
        }
    }
}
