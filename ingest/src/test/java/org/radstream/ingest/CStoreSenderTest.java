package org.radstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.DicomOutputStream;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.TransferSyntax;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.schemas.ClientTls;
import org.radstream.schemas.TestCertificates;

/** Several objects over one association to dcmtk's storescp, each answered on its own. */
class CStoreSenderTest {
    @TempDir
    Path dir;

    private static int freePort() throws Exception {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** dcmtk's storescp as the PACS (AE PACS) on {@code port}, storing into {@code pacs}, logging at {@code verbosity} to {@code log}. */
    private static Process storescp(String verbosity, Path pacs, int port, Path log) throws Exception {
        return new ProcessBuilder(ResultExportIT.STORESCP.toString(), verbosity, "-od", pacs.toString(), "-aet", "PACS",
                Integer.toString(port)).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** {@code part10} with its SOP class replaced by a private one that no storage SCP accepts. */
    private static byte[] unknownSopClass(byte[] part10) throws Exception {
        AttributeList list = new AttributeList();
        try (DicomInputStream in = new DicomInputStream(new ByteArrayInputStream(part10))) {
            list.read(in);
        }
        list.removeGroupLengthAttributes();
        list.removeMetaInformationHeaderAttributes();
        for (AttributeTag tag : new AttributeTag[] {TagFromName.SOPClassUID, TagFromName.SOPInstanceUID}) {
            com.pixelmed.dicom.UniqueIdentifierAttribute uid = new com.pixelmed.dicom.UniqueIdentifierAttribute(tag);
            uid.addValue(tag.equals(TagFromName.SOPClassUID) ? "1.2.826.0.1.3680043.9.7433.99.1" : "1.2.826.0.1.3680043.9.7433.99.2");
            list.put(uid);
        }
        FileMetaInformation.addFileMetaInformation(list, TransferSyntax.ExplicitVRLittleEndian, "RADSTREAM");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DicomOutputStream out = new DicomOutputStream(bytes, TransferSyntax.ExplicitVRLittleEndian,
                TransferSyntax.ExplicitVRLittleEndian)) {
            list.write(out);
        }
        return bytes.toByteArray();
    }

    @Test
    void filesSentInOrderArriveInThatOrderOverOneAssociation() throws Exception {
        assumeTrue(Files.isExecutable(ResultExportIT.STORESCP), "storescp (dcmtk) not installed: skipping");
        List<Path> files = new java.util.ArrayList<>();
        List<String> uids = new java.util.ArrayList<>();
        for (int i = 0; i < 12; i++) {
            byte[] report = ResultReport.write(ResultExportIT.measurement("1.2.82." + i, 4000, i), null, Set.of());
            Path f = Files.write(dir.resolve(String.format("IM%05d.dcm", i + 1)), report);
            files.add(f);
            uids.add(new com.pixelmed.dicom.SetOfDicomFiles().add(f.toFile()).getSOPInstanceUID());
        }
        Path pacs = Files.createDirectories(dir.resolve("pacs"));
        int port = freePort();
        Path log = dir.resolve("storescp.log");
        Process scp = storescp("-d", pacs, port, log);
        int[] last = new int[4];
        try {
            Thread.sleep(500);
            boolean trapped = StorageScu.sendInOrder("localhost", port, "PACS", "RADSTREAM", files,
                    new com.pixelmed.network.MultipleInstanceTransferStatusHandler() {
                        @Override
                        public void updateStatus(int remaining, int completed, int failed, int warning, String sop) {
                            last[0] = remaining;
                            last[1] = completed;
                            last[2] = failed;
                            last[3] = warning;
                        }
                    });
            assertThat(trapped).isFalse();
            Thread.sleep(300); // storescp's log of the last request
        } finally {
            scp.destroyForcibly();
        }
        assertThat(last).containsExactly(0, 12, 0, 0);
        String text = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(text.lines().filter(l -> l.startsWith("I: Association Received"))).hasSize(1);
        // each C-STORE request's Affected SOP Instance UID, in the order storescp received them
        List<String> received = text.lines().filter(l -> l.startsWith("D: Affected SOP Instance UID"))
                .map(l -> l.substring(l.indexOf(':', 3) + 1).strip()).toList();
        assertThat(received).containsExactlyElementsOf(uids);
    }

    @Test
    void storesSeveralObjectsOverOneAssociationAndSaysWhichWereNotStored() throws Exception {
        assumeTrue(Files.isExecutable(ResultExportIT.STORESCP), "storescp (dcmtk) not installed: skipping");
        Path pacs = Files.createDirectories(dir.resolve("pacs"));
        int port = freePort();
        Path log = dir.resolve("storescp.log");
        Process scp = storescp("-v", pacs, port, log);
        try {
            Thread.sleep(500); // listening
            byte[] seg = ResultSegmentation.write(ResultExportIT.result("1.2.79.1", "lung", ResultExportIT.mask(3), true));
            byte[] report = ResultReport.write(ResultExportIT.measurement("1.2.79.2", 4000, 40), null, Set.of());
            CStoreSender sender = new CStoreSender("localhost", port, null, "PACS", "RADSTREAM");
            List<String> outcome = sender.storeAll(List.of(new CStoreSender.Instance(seg, "the segmentation"),
                    new CStoreSender.Instance(unknownSopClass(report), "an object of a private class"),
                    new CStoreSender.Instance(report, "the report")));

            assertThat(outcome).hasSize(3);
            assertThat(outcome.get(0)).isNull();
            assertThat(outcome.get(1)).startsWith("PACS@localhost:" + port + " did not store an object of a private class");
            assertThat(outcome.get(2)).isNull();
            try (Stream<Path> files = Files.list(pacs)) {
                assertThat(files.map(f -> f.getFileName().toString())).hasSize(2)
                        .anyMatch(f -> f.startsWith("SG.")).anyMatch(f -> f.startsWith("SRc."));
            }
            String text = Files.readString(log, StandardCharsets.UTF_8);
            assertThat(text.lines().filter(l -> l.contains("Association Received"))).as("one association").hasSize(1);

            // PixelMed's association socket is reached, and sends each write at once
            var contexts = com.pixelmed.network.PresentationContextListFactory.createNewPresentationContextList(
                    java.util.Set.of("1.2.840.10008.5.1.4.1.1.88.33"), 0);
            com.pixelmed.network.Association association = com.pixelmed.network.AssociationFactory.createNewAssociation(
                    "localhost", port, "PACS", "RADSTREAM", contexts, null, false);
            try {
                assertThat(StorageScu.socket(association)).hasValueSatisfying(s -> {
                    try {
                        assertThat(s.getTcpNoDelay()).as("PixelMed's default").isFalse();
                        StorageScu.noDelay(association);
                        assertThat(s.getTcpNoDelay()).isTrue();
                    } catch (java.net.SocketException e) {
                        throw new AssertionError(e);
                    }
                });
            } finally {
                association.release();
            }

            // the single-object form says why
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> sender.store(unknownSopClass(report), "it"))
                    .isInstanceOf(CStoreSender.StoreFailedException.class).hasMessageContaining("did not store it");
        } finally {
            scp.destroyForcibly();
        }
        // no SCP at all: unreachable, nothing sent, with the reason (the export waits for it rather than give up)
        byte[] seg = ResultSegmentation.write(ResultExportIT.result("1.2.79.1", "lung", ResultExportIT.mask(3), true));
        byte[] report = ResultReport.write(ResultExportIT.measurement("1.2.79.2", 4000, 40), null, Set.of());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new CStoreSender("localhost", port, null, "PACS",
                "RADSTREAM").storeAll(List.of(new CStoreSender.Instance(seg, "a"), new CStoreSender.Instance(report, "b"))))
                .isInstanceOf(CStoreSender.PacsUnreachableException.class)
                .hasMessageStartingWith("PACS@localhost:" + port + " cannot be reached or takes no association from us: ").hasMessageContaining("Connection refused");
        // an SCP that rejects the association (our AE unknown to it, too busy): the same, nothing sent
        Process refusing = new ProcessBuilder(ResultExportIT.STORESCP.toString(), "--refuse", "-od", pacs.toString(),
                "-aet", "PACS", Integer.toString(port)).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            Thread.sleep(500); // listening
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new CStoreSender("localhost", port, null, "PACS",
                    "RADSTREAM").storeAll(List.of(new CStoreSender.Instance(seg, "a"))))
                    .isInstanceOf(CStoreSender.PacsUnreachableException.class)
                    .hasMessageContaining("A-ASSOCIATE-RJ");
        } finally {
            refusing.destroyForcibly();
        }
    }

    @Test
    void storesOverTlsAtAPacsThatAuthenticatesBothEndsAndSaysWhyATlsConnectionFailed() throws Exception {
        assumeTrue(Files.isExecutable(ResultExportIT.STORESCP), "storescp (dcmtk) not installed: skipping");
        String password = "tls-test-password";
        Path pacsKeys = TestCertificates.keyStore(dir, "pacs", "pacs.test", password);
        Path ourKeys = TestCertificates.keyStore(dir, "radstream", "radstream export", password);
        Path strangerKeys = TestCertificates.keyStore(dir, "stranger", "stranger", password);
        Path trustPacs = TestCertificates.trustStore(dir, "trust-pacs", password, pacsKeys);
        Path trustStranger = TestCertificates.trustStore(dir, "trust-stranger", password, strangerKeys);
        Path pacs = Files.createDirectories(dir.resolve("pacs"));
        int port = freePort();
        Path log = dir.resolve("storescp.log");
        // storescp over TLS, requiring a client certificate signed by (here: equal to) ours
        Process scp = new ProcessBuilder(ResultExportIT.STORESCP.toString(), "-v", "+tls",
                TestCertificates.privateKeyPem(pacsKeys, password, dir.resolve("pacs.key")).toString(),
                TestCertificates.certificatePem(pacsKeys, password, dir.resolve("pacs.crt")).toString(),
                "+cf", TestCertificates.certificatePem(ourKeys, password, dir.resolve("radstream.crt")).toString(),
                "-od", pacs.toString(), "-aet", "PACS", Integer.toString(port))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            Thread.sleep(500); // listening
            byte[] seg = ResultSegmentation.write(ResultExportIT.result("1.2.78.1", "lung", ResultExportIT.mask(3), true));
            byte[] report = ResultReport.write(ResultExportIT.measurement("1.2.78.2", 4000, 40), null, Set.of());
            ClientTls tls = ClientTls.load(trustPacs, password, ourKeys, password);
            assertThat(tls.toString()).isEqualTo("TLS TLSv1.3/TLSv1.2, server trusted by " + trustPacs + " and checked "
                    + "against its host name, client certificate CN=radstream export (" + ourKeys + ")");
            List<String> outcome = new CStoreSender("localhost", port, tls, "PACS", "RADSTREAM").storeAll(List.of(
                    new CStoreSender.Instance(seg, "the segmentation"), new CStoreSender.Instance(report, "the report")));
            assertThat(outcome).as(Files.readString(log)).containsExactly(null, null);
            try (Stream<Path> files = Files.list(pacs)) {
                assertThat(files.map(f -> f.getFileName().toString())).hasSize(2)
                        .anyMatch(f -> f.startsWith("SG.")).anyMatch(f -> f.startsWith("SRc."));
            }

            // a server certificate we do not trust, a certificate that does not name the host we reached, and no
            // certificate of ours: each refused at the handshake, so the PACS cannot be reached; nothing stored, the
            // reason in the exception
            List<CStoreSender.Instance> it = List.of(new CStoreSender.Instance(report, "it"));
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new CStoreSender("localhost", port,
                    ClientTls.load(trustStranger, password, ourKeys, password), "PACS", "RADSTREAM").storeAll(it))
                    .isInstanceOf(CStoreSender.PacsUnreachableException.class)
                    .hasMessageStartingWith("PACS@localhost:" + port + " cannot be reached or takes no association from us: ")
                    .hasMessageContaining("TLS connection to localhost:" + port + " failed")
                    .hasMessageContaining("certification path");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new CStoreSender("127.0.0.2", port, tls, "PACS",
                    "RADSTREAM").storeAll(it))
                    .isInstanceOf(CStoreSender.PacsUnreachableException.class)
                    .hasMessageContaining("TLS connection to 127.0.0.2:" + port + " failed")
                    .hasMessageContaining("No subject alternative names matching IP address 127.0.0.2");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new CStoreSender("localhost", port,
                    ClientTls.load(trustPacs, password, null, null), "PACS", "RADSTREAM").storeAll(it))
                    .isInstanceOf(CStoreSender.PacsUnreachableException.class)
                    .hasMessageStartingWith("PACS@localhost:" + port + " cannot be reached or takes no association from us: ")
                    .hasMessageContaining("Connection closed");
            try (Stream<Path> files = Files.list(pacs)) {
                assertThat(files).hasSize(2);
            }
        } finally {
            scp.destroyForcibly();
        }
    }
}
