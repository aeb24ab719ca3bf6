package org.radstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.avro.RejectionNote;

class RejectionNoteReaderTest {
    private static final Instant AT = Instant.parse("2026-12-07T10:00:00Z");

    @TempDir
    Path dir;

    @Test
    void anIocmRejectionNoteNamesThePatientTheReasonAndTheRejectedSeriesAndInstances() throws Exception {
        byte[] kos = TestDicom.rejectionNote("P7", "1.2.3", "1.2.3.4", List.of("1.2.3.4.1", "1.2.3.4.2"), "113038",
                "Incorrect Modality Worklist Entry", 1);
        assertThat(RejectionNoteReader.isKeyObjectSelection(kos)).isTrue();
        assertThat(SegmentationReader.isSegmentation(kos)).isFalse();
        RejectionNote n = new RejectionNoteReader().read(kos, "PACS", Channel.C_STORE, AT);
        assertThat(n.getPatientId()).isEqualTo("P7");
        assertThat(n.getReasonCode()).isEqualTo("113038");
        assertThat(n.getReasonMeaning()).isEqualTo("Incorrect Modality Worklist Entry");
        assertThat(n.getSeries()).singleElement().satisfies(s -> {
            assertThat(s.getStudyUid()).isEqualTo("1.2.3");
            assertThat(s.getSeriesUid()).isEqualTo("1.2.3.4");
            assertThat(s.getSopInstanceUids()).containsExactly("1.2.3.4.1", "1.2.3.4.2");
        });
        assertThat(n.getCallingAe()).isEqualTo("PACS");
        assertThat(n.getReceivedVia()).isEqualTo("c-store");
        assertThat(n.getReceivedAt()).isEqualTo(AT);
        // the test's note is a valid Key Object Selection document, as a PACS would send
        Path file = Files.write(dir.resolve("kos.dcm"), kos);
        Dcmtk.Result v = Dcmtk.run(List.of("dciodvfy", file.toString()));
        assertThat(v.output()).as(v.output()).contains("KeyObjectSelectionDocument").doesNotContain("Error");
    }

    @Test
    void theNoteRadstreamWritesToWithdrawItsOwnObjectsNamesASegmentationAndAReportAndIsValid() throws Exception {
        // what the export sends the PACS for a segmentation and a report it stored of a withdrawn series
        byte[] kos = org.radstream.imaging.dicom.RejectionNoteDocument.write("P7", "DOE^JANE", "1.2.3", "113037",
                "Rejected for Patient Safety Reasons", List.of(
                        new org.radstream.imaging.dicom.RejectionNoteDocument.Reference("1.2.3.9",
                                com.pixelmed.dicom.SOPClass.SegmentationStorage, "1.2.3.9.1"),
                        new org.radstream.imaging.dicom.RejectionNoteDocument.Reference("1.2.3.8",
                                com.pixelmed.dicom.SOPClass.ComprehensiveSRStorage, "1.2.3.8.1")),
                "radstream", AT, new java.util.Random(4));
        RejectionNote n = new RejectionNoteReader().read(kos, "RADSTREAM", Channel.C_STORE, AT);
        assertThat(n.getPatientId()).isEqualTo("P7");
        assertThat(n.getPatientName()).isEqualTo("DOE^JANE");
        assertThat(n.getReasonCode()).isEqualTo("113037");
        assertThat(n.getSeries()).extracting(s -> s.getSeriesUid() + " " + s.getSopInstanceUids())
                .containsExactly("1.2.3.9 [1.2.3.9.1]", "1.2.3.8 [1.2.3.8.1]");
        Path file = Files.write(dir.resolve("own.dcm"), kos);
        Dcmtk.Result v = Dcmtk.run(List.of("dciodvfy", file.toString()));
        assertThat(v.output()).as(v.output()).contains("KeyObjectSelectionDocument").doesNotContain("Error");
        assertThatThrownBy(() -> org.radstream.imaging.dicom.RejectionNoteDocument.write("P7", null, "1.2.3", "113037",
                "Rejected for Patient Safety Reasons", List.of(), "radstream", AT, new java.util.Random(4)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("a rejection note names at least one instance");
    }

    @Test
    void aKeyObjectSelectionWithAnotherTitleIsNotARejectionNoteAndOneWithoutPatientOrSeriesIsRefused() throws Exception {
        byte[] keyImages = TestDicom.rejectionNote("P7", "1.2.3", "1.2.3.4", List.of("1.2.3.4.1"), "113000", "Of Interest", 2);
        assertThatThrownBy(() -> new RejectionNoteReader().read(keyImages, "PACS", Channel.C_STORE, AT))
                .isInstanceOf(RejectionNoteReader.NotARejectionNote.class)
                .hasMessageEndingWith("is titled (113000, DCM, \"Of Interest\"), not an IOCM rejection note (DCM 113001, "
                        + "113037, 113038 or 113039); radstream does not use it");
        byte[] noPatient = TestDicom.rejectionNote("", "1.2.3", "1.2.3.4", List.of("1.2.3.4.1"), "113001",
                "Rejected for Quality Reasons", 3);
        assertThatThrownBy(() -> new RejectionNoteReader().read(noPatient, "PACS", Channel.C_STORE, AT))
                .isInstanceOfSatisfying(InstanceRejectedException.class, e -> {
                    assertThat(e.status()).isEqualTo(DimseStatus.DATA_SET_DOES_NOT_MATCH);
                    assertThat(e.reason()).isEqualTo("the rejection note has no Patient ID (0010,0020): the timeline its "
                            + "series belong to is not known");
                });
        byte[] truncated = java.util.Arrays.copyOf(keyImages, 300);
        assertThatThrownBy(() -> new RejectionNoteReader().read(truncated, "PACS", Channel.C_STORE, AT))
                .isInstanceOfSatisfying(InstanceRejectedException.class,
                        e -> assertThat(e.status()).isIn(DimseStatus.CANNOT_UNDERSTAND, DimseStatus.DATA_SET_DOES_NOT_MATCH));
    }
}
