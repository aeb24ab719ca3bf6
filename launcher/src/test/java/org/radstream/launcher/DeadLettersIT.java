package org.radstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.radstream.avro.DeadLetter;
import org.radstream.avro.RejectedInstance;
import org.radstream.platform.Platform;
import org.radstream.platform.PlatformExtension;
import org.radstream.schemas.Topic;
import picocli.CommandLine;

/**
 * {@code radstream dead-letters} against the embedded broker: what was set aside is listed decoded,
 * with who set it aside and why; a record that cannot be decoded is listed as such, not skipped.
 */
@ExtendWith(PlatformExtension.class)
class DeadLettersIT {

    @Test
    void whatWasSetAsideIsListedDecodedWithWhoAndWhy(Platform platform) throws Exception {
        String run = Long.toString(System.nanoTime());
        DeadLetter letter = DeadLetter.newBuilder().setComponent("export").setSourceTopic("radstream.inference.results")
                .setPartition(2).setOffset(17).setKey("1.2.84." + run + ":lung").setAttempts(5)
                .setReason("not stored at the PACS after 5 attempts: PACS@pacs:104 did not store it")
                .setFailedAt(Instant.now()).setValue(ByteBuffer.wrap(new byte[] {1})).build();
        RejectedInstance refused = RejectedInstance.newBuilder().setSopInstanceUid("1.2.85." + run)
                .setSeriesUid("1.2.85").setReason("not a CT image: Modality MR").setDicomStatus(0xA900)
                .setCallingAe("MRI1").setReceivedVia("c-store").setRejectedAt(Instant.now())
                .setOriginal(ByteBuffer.wrap(new byte[] {2})).build();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                platform.bootstrap()), new StringSerializer(), new ByteArraySerializer())) {
            send(producer, platform.topics().exportUndelivered(), letter.getKey(), letter);
            send(producer, platform.topics().rejected(), refused.getSopInstanceUid(), refused);
            producer.send(new ProducerRecord<>(platform.topics().exportUndelivered().name(), "garbage-" + run,
                    new byte[] {0, 0, 0, 0, 7, 1})).get();
        }
        String[] cluster = {"--bootstrap", platform.bootstrap(), "--registry", platform.registryUrl()};
        StringWriter out = new StringWriter();
        int code = new CommandLine(new DeadLettersCommand()).setOut(new PrintWriter(out)).execute(Cli.concat(
                new String[] {"--topic", "export,rejected", "--hours", "1"}, cluster));
        assertThat(code).isZero();
        String listed = out.toString();
        assertThat(listed).containsPattern("radstream\\.export\\.undelivered \\(export\\): \\d+ set aside in the last 1 h")
                .contains("  export  from radstream.inference.results-2@17  key=1.2.84." + run + ":lung  attempts=5  "
                        + "not stored at the PACS after 5 attempts: PACS@pacs:104 did not store it")
                .containsPattern("key=garbage-" + run + "  \\(cannot be decoded: .+\\)")
                .containsPattern("radstream\\.dicom\\.rejected \\(rejected\\): \\d+ set aside")
                .contains("  ingest  c-store from MRI1  status 0xA900  sop=1.2.85." + run
                        + "  series=1.2.85  not a CT image: Modality MR")
                .doesNotContain("radstream.alerts.undelivered");

        // the newest only, where more are asked for than --limit
        StringWriter newest = new StringWriter();
        new CommandLine(new DeadLettersCommand()).setOut(new PrintWriter(newest)).execute(Cli.concat(
                new String[] {"--topic", "export", "--limit", "1"}, cluster));
        assertThat(newest.toString()).contains("key=garbage-" + run).doesNotContain("key=1.2.84." + run);

        // as a monitoring check: exit 3 when something was set aside within the window
        assertThat(new CommandLine(new DeadLettersCommand()).setOut(new PrintWriter(new StringWriter())).execute(
                Cli.concat(new String[] {"--topic", "export", "--check"}, cluster)))
                .isEqualTo(DeadLettersCommand.EXIT_SET_ASIDE);
        Thread.sleep(1500);
        assertThat(new CommandLine(new DeadLettersCommand()).setOut(new PrintWriter(new StringWriter())).execute(
                Cli.concat(new String[] {"--topic", "export", "--check", "--hours", "0.0003"}, cluster)))
                .as("nothing set aside in the last second").isZero();

        StringWriter err = new StringWriter();
        int refusedCode = new CommandLine(new DeadLettersCommand()).setErr(new PrintWriter(err)).execute(Cli.concat(
                new String[] {"--topic", "everything"}, cluster));
        assertThat(refusedCode).isEqualTo(2);
        assertThat(err.toString()).contains("--topic must be among [rejected, unmatched, streams, inference, labels, "
                + "alerts, export], got 'everything'");
    }

    private static <V> void send(KafkaProducer<String, byte[]> producer, Topic<String, V> t, String key, V value)
            throws Exception {
        producer.send(new ProducerRecord<>(t.name(), key, t.valueSerde().serializer().serialize(t.name(), value))).get();
    }
}
