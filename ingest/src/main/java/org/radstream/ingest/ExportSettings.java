package org.radstream.ingest;

import static org.radstream.ingest.IngestSettings.require;
import static org.radstream.ingest.IngestSettings.requireAe;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.radstream.schemas.ClientTls;
import org.radstream.schemas.KafkaClientConfig;

/**
 * Settings of {@link ResultExport}: where the workers' results go as DICOM Segmentations.
 *
 * @param bootstrap   Kafka bootstrap servers
 * @param groupId     consumer group; its committed offsets are where a restarted export resumes
 * @param pacsHost    the PACS (or router) that stores the segmentations
 * @param pacsPort    its DICOM port
 * @param pacsAe      its AE title (called AE)
 * @param aeTitle     ours (calling AE); the PACS may allow only known callers
 * @param tasks       what is exported: the results of the tasks named (lung, infection, liver, vessel) as
 *                    segmentations, with {@value #POIR} each PoIR measurement as a DICOM SR measurement report,
 *                    and with {@value #VOLUMES} each liver and vessel result's volume as one
 * @param attempts    C-STORE attempts per object the PACS refuses before its result goes to the undelivered
 *                    topic (a PACS that cannot be reached is waited for, each try not counted)
 * @param backoff     wait before the second attempt, doubled before each further one; also the first wait
 *                    for a PACS that cannot be reached (at least half a second, doubled up to a minute)
 * @param fromEarliest where a new group starts: every result the topic still holds (true), or only
 *                    those that arrive after its first start (false: a PACS is not sent a year of
 *                    results when the export is added to a running site)
 * @param evidenceWait how long a PoIR measurement read before any result of its series waits for one
 *                    (the result names the series' instances, the report's evidence); after it the
 *                    report is stored without evidence. Zero: never waits
 * @param kafkaClient TLS and SASL settings its Kafka clients add ({@code --kafka-config}); null: none
 * @param pacsTls     how the PACS's DICOM TLS port is reached; null: plain TCP
 * @param auditRepository where audit messages of what was sent go ({@code udp://HOST:PORT}); null: none
 * @param replayFrom  at its start, the export goes back to the results and measurements that arrived from
 *                    this time on and stores them again (as the same instances): what was dead-lettered once
 *                    the PACS is fixed, or what a PACS lost; null: from the group's committed offsets
 */
public record ExportSettings(String bootstrap, String groupId, String pacsHost, int pacsPort, String pacsAe,
                             String aeTitle, Set<String> tasks, int attempts, Duration backoff, boolean fromEarliest,
                             Duration evidenceWait, KafkaClientConfig kafkaClient, ClientTls pacsTls,
                             String auditRepository, Instant replayFrom) {
    public static final String DEFAULT_GROUP_ID = "radstream-export";
    /** In {@link #tasks}: the PoIR measurements, as DICOM SR measurement reports. */
    public static final String POIR = "poir";
    /** In {@link #tasks}: the liver and hepatic vessel results' volumes, as DICOM SR measurement reports. */
    public static final String VOLUMES = "volumes";
    /** The results whose volumes {@link #VOLUMES} reports. */
    static final Set<String> VOLUME_TASKS = Set.of("liver", "vessel");
    static final Set<String> ALL_TASKS = Set.of("lung", "infection", "liver", "vessel", POIR, VOLUMES);

    public ExportSettings {
        kafkaClient = kafkaClient == null ? KafkaClientConfig.NONE : kafkaClient;
        require(bootstrap != null && !bootstrap.isBlank(), "bootstrap must be given");
        require(groupId != null && !groupId.isBlank(), "groupId must be given");
        require(pacsHost != null && !pacsHost.isBlank(), "the PACS host must be given");
        require(pacsPort > 0 && pacsPort <= 65535, "the PACS port must be 1-65535, got " + pacsPort);
        requireAe(pacsAe, "the PACS AE title");
        requireAe(aeTitle, "our AE title");
        Objects.requireNonNull(tasks, "tasks");
        require(!tasks.isEmpty() && ALL_TASKS.containsAll(tasks), "tasks must be some of " + ALL_TASKS + ", got " + tasks);
        tasks = Set.copyOf(tasks);
        require(attempts >= 1, "attempts must be at least 1, got " + attempts);
        require(backoff != null && !backoff.isNegative(), "backoff must not be negative, got " + backoff);
        if (auditRepository != null && !auditRepository.isBlank()) {
            org.radstream.schemas.AuditLog.target(auditRepository);
        }
        require(evidenceWait != null && !evidenceWait.isNegative(), "the evidence wait must not be negative, got "
                + evidenceWait);
    }

    /** Every task, 5 attempts from 2 s apart, our AE RADSTREAM, a minute's wait for a report's evidence. */
    public static ExportSettings defaults(String bootstrap, String pacsHost, int pacsPort, String pacsAe) {
        return new ExportSettings(bootstrap, DEFAULT_GROUP_ID, pacsHost, pacsPort, pacsAe, IngestSettings.DEFAULT_AE_TITLE,
                ALL_TASKS, 5, Duration.ofSeconds(2), false, Duration.ofMinutes(1), KafkaClientConfig.NONE, null, null, null);
    }

    public ExportSettings withGroupId(String v) {
        return new ExportSettings(bootstrap, v, pacsHost, pacsPort, pacsAe, aeTitle, tasks, attempts, backoff,
                fromEarliest, evidenceWait, kafkaClient, pacsTls, auditRepository, replayFrom);
    }

    public ExportSettings withAeTitle(String v) {
        return new ExportSettings(bootstrap, groupId, pacsHost, pacsPort, pacsAe, v, tasks, attempts, backoff,
                fromEarliest, evidenceWait, kafkaClient, pacsTls, auditRepository, replayFrom);
    }

    public ExportSettings withTasks(Set<String> v) {
        return new ExportSettings(bootstrap, groupId, pacsHost, pacsPort, pacsAe, aeTitle, v, attempts,
                backoff, fromEarliest, evidenceWait, kafkaClient, pacsTls, auditRepository, replayFrom);
    }

    public ExportSettings fromEarliest(boolean v) {
        return new ExportSettings(bootstrap, groupId, pacsHost, pacsPort, pacsAe, aeTitle, tasks, attempts,
                backoff, v, evidenceWait, kafkaClient, pacsTls, auditRepository, replayFrom);
    }

    public ExportSettings withRetries(int attemptsV, Duration backoffV) {
        return new ExportSettings(bootstrap, groupId, pacsHost, pacsPort, pacsAe, aeTitle, tasks, attemptsV,
                backoffV, fromEarliest, evidenceWait, kafkaClient, pacsTls, auditRepository, replayFrom);
    }

    public ExportSettings withEvidenceWait(Duration v) {
        return new ExportSettings(bootstrap, groupId, pacsHost, pacsPort, pacsAe, aeTitle, tasks, attempts,
                backoff, fromEarliest, v, kafkaClient, pacsTls, auditRepository, replayFrom);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "ExportSettings[pacs=%s@%s:%d%s ae=%s tasks=%s attempts=%d backoff=%s group=%s from=%s evidenceWait=%s]",
                pacsAe, pacsHost, pacsPort, pacsTls == null ? "" : " (" + pacsTls + ")", aeTitle, tasks, attempts, backoff, groupId, fromEarliest ? "earliest" : "latest",
                evidenceWait) + (replayFrom == null ? "" : " replayFrom=" + replayFrom);
    }

    /** The same settings, storing at the PACS over TLS with {@code v} (null: plain TCP). */
    public ExportSettings withPacsTls(ClientTls v) {
        return new ExportSettings(bootstrap, groupId, pacsHost, pacsPort, pacsAe, aeTitle, tasks, attempts, backoff,
                fromEarliest, evidenceWait, kafkaClient, v, auditRepository, replayFrom);
    }

    /** The same settings, audit messages of what was sent to the PACS going to {@code v} (null: none). */
    public ExportSettings withAuditRepository(String v) {
        return new ExportSettings(bootstrap, groupId, pacsHost, pacsPort, pacsAe, aeTitle, tasks, attempts, backoff,
                fromEarliest, evidenceWait, kafkaClient, pacsTls, v, replayFrom);
    }

    /** The same settings, going back at its start to what arrived from {@code v} on (null: from its offsets). */
    public ExportSettings replayingFrom(Instant v) {
        return new ExportSettings(bootstrap, groupId, pacsHost, pacsPort, pacsAe, aeTitle, tasks, attempts, backoff,
                fromEarliest, evidenceWait, kafkaClient, pacsTls, auditRepository, v);
    }

    /** The same settings, its Kafka clients connecting with {@code v} (TLS, SASL). */
    public ExportSettings withKafkaClient(KafkaClientConfig v) {
        return new ExportSettings(bootstrap, groupId, pacsHost, pacsPort, pacsAe, aeTitle, tasks, attempts, backoff,
                fromEarliest, evidenceWait, v, pacsTls, auditRepository, replayFrom);
    }
}
