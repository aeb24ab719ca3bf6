package org.radstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLSocket;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPath;
import javax.xml.xpath.XPathFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

class AuditLogTest {
    private static final Instant AT = Instant.parse("2026-12-06T22:00:00.123456Z");

    private static Document parse(String xml) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    }

    private static AuditMessage transfer() {
        return AuditMessage.of(AuditMessage.INSTANCES_TRANSFERRED, AuditMessage.Action.CREATE,
                        AuditMessage.Outcome.MINOR_FAILURE, AT, "1 of 3 instances refused")
                .participant("CT1", null, true, "10.1.2.3", AuditMessage.SOURCE)
                .participant("RADSTREAM", "4711", false, "ingest.hospital.org", AuditMessage.DESTINATION)
                .source("radstream-ingest@ingest.hospital.org")
                .study("1.2.3.4", Map.of("1.2.840.10008.5.1.4.1.1.2", 2))
                .patient("P<1>", "O'Brien^\"Anne\" & Co\u0001");
    }

    @Test
    void aTransferIsADicomAuditMessageWithItsParticipantsStudyAndPatientEscaped() throws Exception {
        Document d = parse(transfer().xml());
        XPath x = XPathFactory.newInstance().newXPath();
        assertThat(x.evaluate("/AuditMessage/EventIdentification/@EventActionCode", d)).isEqualTo("C");
        assertThat(x.evaluate("/AuditMessage/EventIdentification/@EventDateTime", d)).isEqualTo("2026-12-06T22:00:00.123Z");
        assertThat(x.evaluate("/AuditMessage/EventIdentification/@EventOutcomeIndicator", d)).isEqualTo("4");
        assertThat(x.evaluate("/AuditMessage/EventIdentification/EventID/@csd-code", d)).isEqualTo("110104");
        assertThat(x.evaluate("/AuditMessage/EventIdentification/EventID/@originalText", d))
                .isEqualTo("DICOM Instances Transferred");
        assertThat(x.evaluate("/AuditMessage/EventIdentification/EventOutcomeDescription", d))
                .isEqualTo("1 of 3 instances refused");
        assertThat(x.evaluate("count(/AuditMessage/ActiveParticipant)", d)).isEqualTo("2");
        assertThat(x.evaluate("/AuditMessage/ActiveParticipant[1]/@UserID", d)).isEqualTo("CT1");
        assertThat(x.evaluate("/AuditMessage/ActiveParticipant[1]/@UserIsRequestor", d)).isEqualTo("true");
        assertThat(x.evaluate("/AuditMessage/ActiveParticipant[1]/@NetworkAccessPointTypeCode", d)).isEqualTo("2");
        assertThat(x.evaluate("/AuditMessage/ActiveParticipant[1]/RoleIDCode/@csd-code", d)).isEqualTo("110153");
        assertThat(x.evaluate("/AuditMessage/ActiveParticipant[2]/@AlternativeUserID", d)).isEqualTo("4711");
        assertThat(x.evaluate("/AuditMessage/ActiveParticipant[2]/@NetworkAccessPointTypeCode", d)).isEqualTo("1");
        assertThat(x.evaluate("/AuditMessage/ActiveParticipant[2]/RoleIDCode/@csd-code", d)).isEqualTo("110152");
        assertThat(x.evaluate("/AuditMessage/AuditSourceIdentification/@AuditSourceID", d))
                .isEqualTo("radstream-ingest@ingest.hospital.org");
        String study = "/AuditMessage/ParticipantObjectIdentification[1]";
        assertThat(x.evaluate(study + "/@ParticipantObjectID", d)).isEqualTo("1.2.3.4");
        assertThat(x.evaluate(study + "/@ParticipantObjectTypeCode", d)).isEqualTo("2");
        assertThat(x.evaluate(study + "/@ParticipantObjectTypeCodeRole", d)).isEqualTo("3");
        assertThat(x.evaluate(study + "/ParticipantObjectIDTypeCode/@csd-code", d)).isEqualTo("110180");
        assertThat(x.evaluate(study + "/ParticipantObjectDescription/SOPClass/@UID", d)).isEqualTo("1.2.840.10008.5.1.4.1.1.2");
        assertThat(x.evaluate(study + "/ParticipantObjectDescription/SOPClass/@NumberOfInstances", d)).isEqualTo("2");
        String patient = "/AuditMessage/ParticipantObjectIdentification[2]";
        assertThat(x.evaluate(patient + "/@ParticipantObjectID", d)).isEqualTo("P<1>");
        assertThat(x.evaluate(patient + "/@ParticipantObjectTypeCodeRole", d)).isEqualTo("1");
        assertThat(x.evaluate(patient + "/ParticipantObjectIDTypeCode/@codeSystemName", d)).isEqualTo("RFC-3881");
        assertThat(x.evaluate(patient + "/ParticipantObjectName", d)).isEqualTo("O'Brien^\"Anne\" & Co?");
        assertThatThrownBy(() -> AuditMessage.of(AuditMessage.SECURITY_ALERT, AuditMessage.Action.EXECUTE,
                AuditMessage.Outcome.SUCCESS, AT, null).xml()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aSoftwareConfigurationAlertNamesTheResourceByUriWithItsDetailsBase64EncodedAndALabelItsSeries() throws Exception {
        Document d = parse(AuditMessage.of(AuditMessage.SECURITY_ALERT, AuditMessage.Action.EXECUTE,
                        AuditMessage.Outcome.SUCCESS, AT, "published: challenger 0.80 >= champion 0.79")
                .eventType(AuditMessage.SOFTWARE_CONFIGURATION)
                .participant("radstream-trainer", "4711", true, "trainer.hospital.org", AuditMessage.APPLICATION)
                .source("radstream-trainer@trainer.hospital.org")
                .resource("file:/models/infection/v0010/", "radstream infection model v10",
                        Map.of("sha256", "ab12", "previous version", "9 & <8>"))
                .xml());
        XPath x = XPathFactory.newInstance().newXPath();
        assertThat(x.evaluate("/AuditMessage/EventIdentification/EventTypeCode/@csd-code", d)).isEqualTo("110131");
        assertThat(x.evaluate("/AuditMessage/EventIdentification/EventTypeCode/@originalText", d))
                .isEqualTo("Software Configuration");
        String subject = "/AuditMessage/ParticipantObjectIdentification";
        assertThat(x.evaluate(subject + "/@ParticipantObjectID", d)).isEqualTo("file:/models/infection/v0010/");
        assertThat(x.evaluate(subject + "/@ParticipantObjectTypeCode", d)).isEqualTo("2");
        assertThat(x.evaluate(subject + "/@ParticipantObjectTypeCodeRole", d)).isEqualTo("13");
        assertThat(x.evaluate(subject + "/ParticipantObjectIDTypeCode/@csd-code", d)).isEqualTo("12");
        assertThat(x.evaluate(subject + "/ParticipantObjectName", d)).isEqualTo("radstream infection model v10");
        assertThat(x.evaluate("count(" + subject + "/ParticipantObjectDetail)", d)).isEqualTo("2");
        String previous = x.evaluate(subject + "/ParticipantObjectDetail[@type='previous version']/@value", d);
        assertThat(new String(java.util.Base64.getDecoder().decode(previous), StandardCharsets.UTF_8)).isEqualTo("9 & <8>");

        Document label = parse(AuditMessage.of(AuditMessage.INSTANCES_ACCESSED, AuditMessage.Action.DELETE,
                        AuditMessage.Outcome.SUCCESS, AT, null)
                .participant("dr-lee", null, true, "10.1.2.3", null)
                .source("radstream-trainer@trainer.hospital.org")
                .study("1.2.3", Map.of())
                .series("1.2.3.4", Map.of("task", "infection"))
                .xml());
        assertThat(x.evaluate("/AuditMessage/EventIdentification/@EventActionCode", label)).isEqualTo("D");
        assertThat(x.evaluate("/AuditMessage/EventIdentification/EventID/@csd-code", label)).isEqualTo("110103");
        assertThat(x.evaluate("/AuditMessage/ParticipantObjectIdentification[2]/@ParticipantObjectID", label))
                .isEqualTo("1.2.3.4");
        assertThat(x.evaluate("/AuditMessage/ParticipantObjectIdentification[2]/ParticipantObjectIDTypeCode/@csd-code",
                label)).isEqualTo("112002");
        assertThat(x.evaluate("/AuditMessage/ParticipantObjectIdentification[2]/ParticipantObjectDetail/@type", label))
                .isEqualTo("task");
        assertThat(x.evaluate("count(/AuditMessage/ParticipantObjectIdentification[1]/ParticipantObjectDescription)",
                label)).as("a study without instances lists no SOP class").isEqualTo("0");
    }

    @Test
    void aSyslogAuditLogSendsRfc5424DatagramsAndRefusesATargetItCannotUse() throws Exception {
        try (DatagramSocket repository = new DatagramSocket(0, InetAddress.getLoopbackAddress());
             AuditLog log = AuditLog.syslog("udp://127.0.0.1:" + repository.getLocalPort(), "radstream-test")) {
            repository.setSoTimeout(10_000);
            assertThat(log.enabled()).isTrue();
            log.record(transfer());
            log.record(AuditMessage.of(AuditMessage.SECURITY_ALERT, AuditMessage.Action.EXECUTE,
                    AuditMessage.Outcome.SUCCESS, AT, null).eventType(AuditMessage.NODE_AUTHENTICATION)
                    .participant("radstream", null, false, null, AuditMessage.APPLICATION).source("radstream-test@here"));
            String first = receive(repository);
            assertThat(first).matches("(?s)<84>1 \\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z \\S+ radstream-test \\d+ IHE\\+RFC-3881 - "
                    + "\uFEFF<AuditMessage>.*</AuditMessage>");
            parse(first.substring(first.indexOf('\uFEFF') + 1));
            assertThat(receive(repository)).startsWith("<85>1 ").contains("csd-code=\"110126\"");
            log.applicationActivity("test", true);
            Document started = parse(receive(repository).split("\uFEFF", 2)[1]);
            XPath x = XPathFactory.newInstance().newXPath();
            assertThat(x.evaluate("/AuditMessage/EventIdentification/EventID/@csd-code", started)).isEqualTo("110100");
            assertThat(x.evaluate("/AuditMessage/EventIdentification/EventTypeCode/@csd-code", started)).isEqualTo("110120");
            assertThat(x.evaluate("/AuditMessage/ActiveParticipant[1]/@UserID", started)).isEqualTo("radstream-test");
            assertThat(x.evaluate("/AuditMessage/ActiveParticipant[2]/RoleIDCode/@csd-code", started)).isEqualTo("110151");
            assertThat(log.sent()).isEqualTo(3);
            assertThat(log.failed()).isZero();
            StringBuilder metrics = new StringBuilder();
            log.metrics(metrics, "ingest");
            assertThat(metrics.toString()).contains("radstream_ingest_audit_messages_sent_total 3")
                    .contains("radstream_ingest_audit_messages_failed_total 0");
        }
        assertThat(AuditLog.syslog(" ", "x")).isSameAs(AuditLog.NONE);
        assertThat(AuditLog.NONE.enabled()).isFalse();
        for (String bad : new String[] {"tcp://127.0.0.1:514", "udp://127.0.0.1", "127.0.0.1:514", "udp://no host:514"}) {
            assertThatThrownBy(() -> AuditLog.syslog(bad, "x")).as(bad)
                    .hasMessage("the audit repository must be udp://HOST:PORT or tls://HOST:PORT, got '" + bad + "'");
        }
        assertThatThrownBy(() -> AuditLog.syslog("udp://no-such-host.invalid:514", "x"))
                .hasMessage("the audit repository's host no-such-host.invalid is unknown");
    }

    @Test
    void overTlsMessagesAreFramedByTheirLengthAndARepositoryThatIsDownCountsThemFailed(@TempDir Path dir) throws Exception {
        ServerTls repositoryKey = ServerTls.load(TestCertificates.keyStore(dir, "repository", "localhost", "store-password"),
                "store-password", null, null);
        List<String> received = new CopyOnWriteArrayList<>();
        try (ServerSocket repository = repositoryKey.bind(0, 4)) {
            Thread reader = new Thread(() -> {
                try (SSLSocket s = (SSLSocket) repository.accept()) {
                    ServerTls.handshake(s);
                    DataInputStream in = new DataInputStream(s.getInputStream());
                    while (true) {
                        StringBuilder length = new StringBuilder();
                        for (int c; (c = in.read()) != ' '; ) {
                            if (c < 0) {
                                return;
                            }
                            length.append((char) c);
                        }
                        byte[] msg = new byte[Integer.parseInt(length.toString())];
                        in.readFully(msg);
                        received.add(new String(msg, StandardCharsets.UTF_8));
                    }
                } catch (IOException e) {
                    // the client closed
                }
            }, "tls-repository");
            reader.setDaemon(true);
            reader.start();
            // the repository's certificate names localhost; the client trusts it as an operator's trust store would
            try (AuditLog log = AuditLog.syslogOverTls("tls://localhost:" + repository.getLocalPort(), "radstream-test",
                    repositoryKey.peerContext())) {
                assertThat(log.toString()).isEqualTo("audit messages to tls://localhost:" + repository.getLocalPort()
                        + " (RFC 5425 syslog over TLS, DICOM audit XML)");
                log.record(transfer());
                log.record(transfer());
                long deadline = System.nanoTime() + 20_000_000_000L;
                while (received.size() < 2 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertThat(log.sent()).isEqualTo(2);
            }
            assertThat(received).hasSize(2).allMatch(m -> m.matches("(?s)<84>1 \\S+ \\S+ radstream-test \\d+ "
                    + "IHE\\+RFC-3881 - \uFEFF<AuditMessage>.*</AuditMessage>"));
        }
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        try (AuditLog down = AuditLog.syslogOverTls("tls://localhost:" + closed, "radstream-test",
                repositoryKey.peerContext())) {
            down.record(transfer());
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (down.failed() < 1 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(down.failed()).isEqualTo(1);
            assertThat(down.sent()).isZero();
        }
        // a tls:// target from configuration trusts what the JVM's default TLS context trusts
        try (AuditLog configured = AuditLog.syslog("tls://localhost:" + closed, "radstream-test")) {
            assertThat(configured.enabled()).isTrue();
            assertThat(configured.toString()).startsWith("audit messages to tls://localhost:" + closed);
        }
    }

    private static String receive(DatagramSocket socket) throws Exception {
        DatagramPacket p = new DatagramPacket(new byte[AuditLog.MAX_DATAGRAM], AuditLog.MAX_DATAGRAM);
        socket.receive(p);
        return new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
    }
}
