package org.radstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import java.io.ByteArrayInputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPath;
import javax.xml.xpath.XPathFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.schemas.BearerToken;
import org.w3c.dom.Document;

/**
 * The ingest's audit trail, received as an audit record repository receives it (RFC 5424 syslog
 * over UDP): one "DICOM Instances Transferred" per study of an association, naming the caller,
 * the study, its instances and the patient, and saying what was refused; a Security Alert for a
 * caller not allowed; a failed User Authentication for a STOW-RS request without the token.
 */
class AuditIT {
    private static final AttributeTag PATIENT_ID = new AttributeTag(0x0010, 0x0020);
    private static final String TOKEN = "audit-it-stow-token-0123456789";
    @TempDir
    Path dir;

    @Test
    void whatWasReceivedFromWhomAndWhoWasRefusedReachTheAuditRepository() throws Exception {
        TestKafka kafka = TestKafka.shared();
        try (DatagramSocket repository = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            try (IngestService service = IngestService.start(kafka.settings().withAeTitle("RADSTREAM")
                         .withAllowedAes(Set.of("MODALITY1")).withStowToken(BearerToken.of(TOKEN, IngestSettings.STOW_TOKEN_VARIABLE))
                         .withAuditRepository("udp://127.0.0.1:" + repository.getLocalPort()), kafka.topics)) {
                repository.setSoTimeout(10_000);
                XPath x = XPathFactory.newInstance().newXPath();
                Document started = receive(repository);
                assertThat(x.evaluate("/AuditMessage/EventIdentification/EventID/@csd-code", started)).isEqualTo("110100");
                assertThat(x.evaluate("/AuditMessage/EventIdentification/EventTypeCode/@csd-code", started)).isEqualTo("110120");
                TestDicom.Series s = TestDicom.series(dir.resolve("a"), 3, 64, 71);
                AttributeList mr = TestDicom.read(s.files().get(0));
                TestDicom.setCs(mr, TestDicom.MODALITY, "MR");
                TestDicom.setUid(mr, TestDicom.SOP_INSTANCE, "1.2.826.0.1.3680043.9.7433.71.99");
                Path refused = TestDicom.writeVariant(mr, dir.resolve("mr.dcm"));
                List<Path> sent = new ArrayList<>(s.files());
                sent.add(refused);
                Dcmtk.Result r = Dcmtk.storescu("MODALITY1", "RADSTREAM", service.dicomPort(), sent, "--no-halt");
                assertThat(Dcmtk.storeResponses(r.output())).as(r.output()).hasSize(4);

                Document transfer = receive(repository);
                assertThat(x.evaluate("/AuditMessage/EventIdentification/EventID/@csd-code", transfer)).isEqualTo("110104");
                assertThat(x.evaluate("/AuditMessage/EventIdentification/@EventActionCode", transfer)).isEqualTo("C");
                assertThat(x.evaluate("/AuditMessage/EventIdentification/@EventOutcomeIndicator", transfer)).isEqualTo("4");
                assertThat(x.evaluate("/AuditMessage/EventIdentification/EventOutcomeDescription", transfer))
                        .startsWith("1 of 4 instances refused, the first: ");
                assertThat(x.evaluate("/AuditMessage/ActiveParticipant[1]/@UserID", transfer)).isEqualTo("MODALITY1");
                assertThat(x.evaluate("/AuditMessage/ActiveParticipant[1]/@NetworkAccessPointID", transfer)).isEqualTo("127.0.0.1");
                assertThat(x.evaluate("/AuditMessage/ActiveParticipant[1]/RoleIDCode/@csd-code", transfer)).isEqualTo("110153");
                assertThat(x.evaluate("/AuditMessage/ActiveParticipant[2]/@UserID", transfer)).isEqualTo("RADSTREAM");
                assertThat(x.evaluate("/AuditMessage/ActiveParticipant[2]/RoleIDCode/@csd-code", transfer)).isEqualTo("110152");
                assertThat(x.evaluate("/AuditMessage/AuditSourceIdentification/@AuditSourceID", transfer))
                        .startsWith("radstream-ingest@");
                assertThat(x.evaluate("/AuditMessage/ParticipantObjectIdentification[1]/@ParticipantObjectID", transfer))
                        .isEqualTo(s.studyUid());
                assertThat(x.evaluate("/AuditMessage/ParticipantObjectIdentification[1]/ParticipantObjectDescription/SOPClass/@UID",
                        transfer)).isEqualTo("1.2.840.10008.5.1.4.1.1.2");
                assertThat(x.evaluate("/AuditMessage/ParticipantObjectIdentification[1]/ParticipantObjectDescription/SOPClass"
                        + "/@NumberOfInstances", transfer)).isEqualTo("3");
                assertThat(x.evaluate("/AuditMessage/ParticipantObjectIdentification[2]/@ParticipantObjectID", transfer))
                        .isEqualTo(TestDicom.text(s.files().get(0), PATIENT_ID));

                Dcmtk.Result intruder = Dcmtk.echoscu("INTRUDER", "RADSTREAM", service.dicomPort());
                assertThat(intruder.exitCode()).isNotZero();
                Document alert = receive(repository);
                assertThat(x.evaluate("/AuditMessage/EventIdentification/EventID/@csd-code", alert)).isEqualTo("110113");
                assertThat(x.evaluate("/AuditMessage/EventIdentification/EventTypeCode/@csd-code", alert)).isEqualTo("110126");
                assertThat(x.evaluate("/AuditMessage/EventIdentification/EventOutcomeDescription", alert))
                        .isEqualTo("calling AE title INTRUDER is not on the allow-list");
                assertThat(x.evaluate("/AuditMessage/ActiveParticipant[1]/@UserID", alert)).isEqualTo("INTRUDER");

                HttpResponse<String> unsigned = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                        "http://127.0.0.1:" + service.httpPort() + "/studies")).header("Content-Type",
                        "multipart/related; type=\"application/dicom\"; boundary=x").POST(HttpRequest.BodyPublishers.noBody())
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(unsigned.statusCode()).isEqualTo(401);
                Document login = receive(repository);
                assertThat(x.evaluate("/AuditMessage/EventIdentification/EventID/@csd-code", login)).isEqualTo("110114");
                assertThat(x.evaluate("/AuditMessage/EventIdentification/EventTypeCode/@csd-code", login)).isEqualTo("110122");
                assertThat(x.evaluate("/AuditMessage/EventIdentification/@EventOutcomeIndicator", login)).isEqualTo("4");

                // nothing else: one message per study, not per instance
                repository.setSoTimeout(1500);
                assertThat(tryReceive(repository)).isNull();
                assertThat(service.metrics().render()).contains("radstream_ingest_audit_messages_sent_total 4")
                        .contains("radstream_ingest_audit_messages_failed_total 0");
            }
            // stopping is recorded too
            repository.setSoTimeout(10_000);
            Document stopped = receive(repository);
            XPath x = XPathFactory.newInstance().newXPath();
            assertThat(x.evaluate("/AuditMessage/EventIdentification/EventTypeCode/@csd-code", stopped)).isEqualTo("110121");
        }
    }

    private static Document receive(DatagramSocket repository) throws Exception {
        String datagram = tryReceive(repository);
        assertThat(datagram).as("an audit message").isNotNull();
        assertThat(datagram).matches("(?s)<8[45]>1 \\S+ \\S+ radstream-ingest \\d+ IHE\\+RFC-3881 - \uFEFF<AuditMessage>.*");
        String xml = datagram.substring(datagram.indexOf('\uFEFF') + 1);
        return DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    }

    private static String tryReceive(DatagramSocket repository) throws Exception {
        DatagramPacket p = new DatagramPacket(new byte[65_536], 65_536);
        try {
            repository.receive(p);
        } catch (SocketTimeoutException e) {
            return null;
        }
        return new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
    }
}
