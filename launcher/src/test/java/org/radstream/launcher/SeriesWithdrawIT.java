package org.radstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.radstream.avro.RejectionNote;
import org.radstream.platform.Platform;
import org.radstream.platform.PlatformExtension;
import picocli.CommandLine;

/**
 * {@code radstream series withdraw} against the embedded broker: the rejection note a PACS would send
 * is on the topic, keyed by the patient, and the audit repository is told who withdrew what.
 */
@ExtendWith(PlatformExtension.class)
class SeriesWithdrawIT {

    @Test
    void aSeriesWithdrawnByHandIsARejectionNoteForThePatientAndIsAudited(Platform platform) throws Exception {
        String patient = "P-withdraw-" + System.nanoTime();
        String[] cluster = {"--bootstrap", platform.bootstrap(), "--registry", platform.registryUrl()};
        String audited;
        int code;
        StringWriter out = new StringWriter();
        try (DatagramSocket repository = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            code = new CommandLine(new SeriesCommand()).setOut(new PrintWriter(out)).execute(Cli.concat(new String[] {"withdraw",
                    "--patient", patient, "--series", "1.2.3.4,1.2.3.5", "--study", "1.2.3", "--reason", "worklist",
                    "--operator", "ops-it", "--audit-repository", "udp://127.0.0.1:" + repository.getLocalPort()}, cluster));
            repository.setSoTimeout(5000);
            DatagramPacket p = new DatagramPacket(new byte[65_536], 65_536);
            repository.receive(p);
            audited = new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
        }
        assertThat(code).isZero();
        List<ConsumerRecord<String, RejectionNote>> notes = notes(platform, patient);
        assertThat(notes).singleElement().satisfies(r -> {
            assertThat(r.key()).isEqualTo(patient);
            assertThat(r.value().getReasonCode()).isEqualTo("113038");
            assertThat(r.value().getReasonMeaning()).isEqualTo("Incorrect Modality Worklist Entry");
            assertThat(r.value().getSeries()).extracting(s -> s.getStudyUid() + "/" + s.getSeriesUid())
                    .containsExactly("1.2.3/1.2.3.4", "1.2.3/1.2.3.5");
            assertThat(r.value().getCallingAe()).isEqualTo("operator ops-it");
            assertThat(r.value().getReceivedVia()).isEqualTo("cli");
        });
        assertThat(audited).contains(" radstream-series ", "csd-code=\"110103\"", "EventActionCode=\"D\"",
                "UserID=\"ops-it\"", "ParticipantObjectID=\"1.2.3.4\"", "ParticipantObjectID=\"" + patient + "\"",
                "Incorrect Modality Worklist Entry (DCM 113038)");

        // an unknown reason is refused before anything is sent
        StringWriter err = new StringWriter();
        int refused = new CommandLine(new SeriesCommand()).setErr(new PrintWriter(err)).execute(Cli.concat(new String[] {
            "withdraw", "--patient", patient, "--series", "1.2.3.6", "--reason", "boredom"}, cluster));
        assertThat(refused).isEqualTo(2);
        assertThat(err.toString()).contains("--reason must be quality, safety, worklist or retention, got 'boredom'");
        assertThat(notes(platform, patient)).hasSize(1);
    }

    /** The rejection notes of {@code patient} (the broker is shared with other tests). */
    private static List<ConsumerRecord<String, RejectionNote>> notes(Platform platform, String patient) {
        return TopicContents.all(platform, platform.topics().rejectionNotes()).stream()
                .filter(r -> patient.equals(r.key())).toList();
    }
}
