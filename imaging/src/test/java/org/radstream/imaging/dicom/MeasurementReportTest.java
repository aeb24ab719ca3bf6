package org.radstream.imaging.dicom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The measurement report as DICOM SR: checked by dciodvfy, dcmtk's dsrdump and pydicom, independent readers. */
class MeasurementReportTest {
    static final Path DSRDUMP = Path.of("/usr/bin/dsrdump");

    private static final MeasurementReport.Subject SUBJECT = new MeasurementReport.Subject("P-0007", "Doe^Jane", "1.2.3.4",
            "ACC-17", "1.2.3.4.5", null, List.of("1.2.3.4.5.1", "1.2.3.4.5.2", "1.2.3.4.5.3"));

    private static byte[] report(MeasurementReport.Subject subject, long seed) {
        List<MeasurementReport.Group> groups = List.of(
                new MeasurementReport.Group("lung", "1.2.3.4.5.100", new MeasurementReport.Code("39607008", "SCT", "Lung"),
                        List.of(new MeasurementReport.Measurement(MeasurementReport.VOLUME, 3812.25, MeasurementReport.MILLILITRE))),
                new MeasurementReport.Group("infection", "1.2.3.4.5.101", new MeasurementReport.Code("52988006", "SCT", "Lesion"),
                        List.of(new MeasurementReport.Measurement(MeasurementReport.VOLUME, 412.5, MeasurementReport.MILLILITRE),
                                new MeasurementReport.Measurement(new MeasurementReport.Code("POIR", "99RADSTREAM",
                                        "Proportion of infected lung"), 10.820143, MeasurementReport.PERCENT))));
        return MeasurementReport.write(subject, groups, "radstream", "2.25.1234", "lung v1, infection v9",
                Instant.parse("2026-12-06T10:15:30Z"), new Random(seed));
    }

    @Test
    void dciodvfyFindsNoErrorInTheComprehensiveSr(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(DicomSegTest.DCIODVFY), "dciodvfy not installed: skipping");
        for (MeasurementReport.Subject s : List.of(SUBJECT, new MeasurementReport.Subject("P-0007", null, "1.2.3.4", null,
                "1.2.3.4.5", null, List.of()))) {
            Path file = dir.resolve("sr-" + s.sopInstanceUids().size() + ".dcm");
            Files.write(file, report(s, 1));
            String out = run(DicomSegTest.DCIODVFY.toString(), file.toString());
            assertThat(out).as("dciodvfy %s", file).contains("ComprehensiveSR").doesNotContain("Error");
        }
    }

    @Test
    void dsrdumpReadsTheTreeWithItsValuesUnitsAndEvidence(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(DSRDUMP), "dcmtk's dsrdump not installed: skipping");
        Path file = dir.resolve("sr.dcm");
        Files.write(file, report(SUBJECT, 1));
        String out = run(DSRDUMP.toString(), "-Ec", file.toString());
        assertThat(out).doesNotContain("Error").doesNotContain("Warning")
                .contains("Comprehensive SR Document")
                .contains("Doe^Jane").contains("P-0007")
                .contains("<CONTAINER:(,,\"Imaging Measurement Report\")=SEPARATE>")
                .contains("<has obs context CODE:(,,\"Observer Type\")=(121007,DCM,\"Device\")>")
                .contains("<contains CONTAINER:(,,\"Measurement Group\")=SEPARATE>")
                .contains("<has obs context TEXT:(,,\"Tracking Identifier\")=\"infection\">")
                .contains("<contains CODE:(,,\"Finding\")=(52988006,SCT,\"Lesion\")>")
                .contains("<contains NUM:(,,\"Volume\")=\"3812.25\" (ml,UCUM,\"milliliter\")>")
                .contains("<contains NUM:(,,\"Volume\")=\"412.5\" (ml,UCUM,\"milliliter\")>")
                .contains("<contains NUM:(,,\"Proportion of infected lung\")=\"10.820143\" (%,UCUM,\"percent\")>")
                .contains("<contains TEXT:(,,\"Comment\")=\"lung v1, infection v9\">");
    }

    @Test
    void pydicomReadsThePatientStudyAndTheSeriesInstancesAsEvidence(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(DicomSegTest.PYTHON), "Debian python3 not installed: skipping");
        Process probe = new ProcessBuilder(DicomSegTest.PYTHON.toString(), "-c", "import pydicom").start();
        assumeTrue(probe.waitFor() == 0, "pydicom not importable: skipping");
        Path file = dir.resolve("sr.dcm");
        Files.write(file, report(SUBJECT, 1));
        String out = run(DicomSegTest.PYTHON.toString(), "-c", String.join("\n",
                "import pydicom, sys",
                "d = pydicom.dcmread(sys.argv[1])",
                "print(d.SOPClassUID, d.Modality, d.PatientID, d.StudyInstanceUID, d.AccessionNumber, d.CompletionFlag)",
                "ev = d.CurrentRequestedProcedureEvidenceSequence[0]",
                "s = ev.ReferencedSeriesSequence[0]",
                "print(ev.StudyInstanceUID, s.SeriesInstanceUID, ' '.join(r.ReferencedSOPInstanceUID for r in s.ReferencedSOPSequence))",
                "m = [i for i in d.ContentSequence if i.ValueType == 'CONTAINER'][0]",
                "for g in m.ContentSequence:",
                "    nums = [i for i in g.ContentSequence if i.ValueType == 'NUM']",
                "    print(' '.join(str(n.MeasuredValueSequence[0].NumericValue) for n in nums))"), file.toString());
        assertThat(out.lines().toList()).containsExactly(
                "1.2.840.10008.5.1.4.1.1.88.33 SR P-0007 1.2.3.4 ACC-17 COMPLETE",
                "1.2.3.4 1.2.3.4.5 1.2.3.4.5.1 1.2.3.4.5.2 1.2.3.4.5.3",
                "3812.25",
                "412.5 10.820143");
    }

    @Test
    void theSameSeedMakesTheSameInstanceAndAReportNeedsMeasurements() {
        assertThat(report(SUBJECT, 5)).isEqualTo(report(SUBJECT, 5)).isNotEqualTo(report(SUBJECT, 6));
        assertThatThrownBy(() -> MeasurementReport.write(SUBJECT, List.of(), "radstream", "2.25.1", null, Instant.EPOCH,
                new Random(1))).hasMessage("a measurement report needs at least one measurement group");
        assertThatThrownBy(() -> new MeasurementReport.Group("lung", "1.2", MeasurementReport.VOLUME, List.of()))
                .hasMessage("a measurement group needs at least one measurement");
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }
}
