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

    static final MeasurementReport.Code LUNG = new MeasurementReport.Code("39607008", "SCT", "Lung");

    /** A lung group over segment 1 of one segmentation, an infection group over segment 1 of another. */
    private static List<MeasurementReport.Group> segmented() {
        return List.of(
                new MeasurementReport.Group("lung", "1.2.3.4.5.100", LUNG, LUNG,
                        new MeasurementReport.Algorithm("radstream lung", "1"),
                        new MeasurementReport.SegmentReference("1.2.3.4.5.90", "1.2.3.4.5.90.1", 1),
                        List.of(new MeasurementReport.Measurement(MeasurementReport.VOLUME, 3812.25, MeasurementReport.MILLILITRE))),
                new MeasurementReport.Group("infection", "1.2.3.4.5.101", new MeasurementReport.Code("52988006", "SCT", "Lesion"),
                        LUNG, new MeasurementReport.Algorithm("radstream infection", "9"),
                        new MeasurementReport.SegmentReference("1.2.3.4.5.91", "1.2.3.4.5.91.1", 1),
                        List.of(new MeasurementReport.Measurement(MeasurementReport.VOLUME, 412.5, MeasurementReport.MILLILITRE),
                                new MeasurementReport.Measurement(new MeasurementReport.Code("POIR", "99RADSTREAM",
                                        "Proportion of infected lung"), 10.820143, MeasurementReport.PERCENT))));
    }

    /** The same measurements with no segment, site or algorithm known. */
    private static List<MeasurementReport.Group> whole() {
        return segmented().stream().map(g -> new MeasurementReport.Group(g.trackingId(), g.trackingUid(), g.finding(),
                g.measurements())).toList();
    }

    private static byte[] report(MeasurementReport.Subject subject, long seed) {
        return report(subject, segmented(), seed);
    }

    private static byte[] report(MeasurementReport.Subject subject, List<MeasurementReport.Group> groups, long seed) {
        return MeasurementReport.write(subject, groups, MeasurementReport.CT_PROCEDURE, "radstream", "2.25.1234",
                "lung v1, infection v9", Instant.parse("2026-12-06T10:15:30Z"), new Random(seed));
    }

    @Test
    void dciodvfyFindsNoErrorInTheComprehensiveSr(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(DicomSegTest.DCIODVFY), "dciodvfy not installed: skipping");
        MeasurementReport.Subject unknownImages = new MeasurementReport.Subject("P-0007", null, "1.2.3.4", null, "1.2.3.4.5",
                null, List.of());
        int n = 0;
        for (byte[] report : List.of(report(SUBJECT, 1), report(unknownImages, 1), report(SUBJECT, whole(), 1),
                report(unknownImages, whole(), 1))) {
            Path file = dir.resolve("sr-" + n++ + ".dcm");
            Files.write(file, report);
            String out = run(DicomSegTest.DCIODVFY.toString(), file.toString());
            // its error for a referenced segmentation missing from the evidence is one this checks
            assertThat(out).as("dciodvfy %s", file).contains("ComprehensiveSR").doesNotContain("Error");
        }
    }

    @Test
    void dsrdumpReadsTheTemplateTreeWithItsValuesUnitsAndReferencedSegments(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(DSRDUMP), "dcmtk's dsrdump not installed: skipping");
        Path file = dir.resolve("sr.dcm");
        Files.write(file, report(SUBJECT, 1));
        // without -Ec: dcmtk checks the Comprehensive SR's relationship constraints too
        String out = run(DSRDUMP.toString(), "+Pt", file.toString());
        assertThat(out).doesNotContain("Error").doesNotContain("Warning")
                .contains("Comprehensive SR Document")
                .contains("Doe^Jane").contains("P-0007")
                .contains("<CONTAINER:(,,\"Imaging Measurement Report\")=SEPARATE>  # TID 1500 (DCMR)")
                .contains("<has concept mod CODE:(,,\"Language of Content Item and Descendants\")=(en-US,RFC5646,")
                .contains("<has obs context CODE:(,,\"Observer Type\")=(121007,DCM,\"Device\")>")
                .contains("<has concept mod CODE:(,,\"Procedure reported\")=(25045-6,LN,\"CT unspecified body region\")>")
                .contains("<contains CONTAINER:(,,\"Image Library Group\")=SEPARATE>")
                .contains("<contains CONTAINER:(,,\"Measurement Group\")=SEPARATE>  # TID 1411 (DCMR)")
                .contains("<has obs context TEXT:(,,\"Tracking Identifier\")=\"infection\">")
                .contains("<contains CODE:(,,\"Finding\")=(52988006,SCT,\"Lesion\")>")
                .contains("<has concept mod CODE:(,,\"Finding Site\")=(39607008,SCT,\"Lung\")>")
                .contains("<has concept mod TEXT:(,,\"Algorithm Name\")=\"radstream infection\">")
                .contains("<has concept mod TEXT:(,,\"Algorithm Version\")=\"9\">")
                .contains("<contains NUM:(,,\"Volume\")=\"3812.25\" (ml,UCUM,\"milliliter\")>")
                .contains("<contains NUM:(,,\"Volume\")=\"412.5\" (ml,UCUM,\"milliliter\")>")
                .contains("<contains NUM:(,,\"Proportion of infected lung\")=\"10.820143\" (%,UCUM,\"percent\")>")
                .contains("<contains IMAGE:(,,\"Referenced Segment\")=(SG image,,1)>")
                .contains("<contains UIDREF:(,,\"Source series for segmentation\")=\"1.2.3.4.5\">")
                .contains("<contains TEXT:(,,\"Comment\")=\"lung v1, infection v9\">");
        assertThat(out.lines().filter(l -> l.contains("<contains IMAGE:=(CT image,)>"))).as("the image library").hasSize(3);

        Files.write(file, report(SUBJECT, whole(), 1));
        out = run(DSRDUMP.toString(), "+Pt", file.toString());
        assertThat(out).doesNotContain("Error").doesNotContain("Warning")
                .contains("<contains CONTAINER:(,,\"Measurement Group\")=SEPARATE>  # TID 1501 (DCMR)")
                .doesNotContain("TID 1411").doesNotContain("Referenced Segment").doesNotContain("Finding Site")
                .doesNotContain("Algorithm Name");
    }

    @Test
    void pydicomReadsThePatientStudyTheEvidenceAndWhichSegmentEachGroupMeasured(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(DicomSegTest.PYTHON), "Debian python3 not installed: skipping");
        Process probe = new ProcessBuilder(DicomSegTest.PYTHON.toString(), "-c", "import pydicom").start();
        assumeTrue(probe.waitFor() == 0, "pydicom not importable: skipping");
        Path file = dir.resolve("sr.dcm");
        Files.write(file, report(SUBJECT, 1));
        String out = run(DicomSegTest.PYTHON.toString(), "-c", String.join("\n",
                "import pydicom, sys",
                "d = pydicom.dcmread(sys.argv[1])",
                "print(d.SOPClassUID, d.Modality, d.PatientID, d.StudyInstanceUID, d.AccessionNumber, d.CompletionFlag,",
                "      d.ContentTemplateSequence[0].MappingResource, d.ContentTemplateSequence[0].TemplateIdentifier)",
                "ev = d.CurrentRequestedProcedureEvidenceSequence[0]",
                "s = ev.ReferencedSeriesSequence[0]",
                "print(ev.StudyInstanceUID, s.SeriesInstanceUID, ' '.join(r.ReferencedSOPInstanceUID for r in s.ReferencedSOPSequence))",
                "other = d.PertinentOtherEvidenceSequence[0]",
                "print(other.StudyInstanceUID, ' '.join(x.SeriesInstanceUID + ':' + x.ReferencedSOPSequence[0].ReferencedSOPInstanceUID",
                "      for x in other.ReferencedSeriesSequence))",
                "m = [i for i in d.ContentSequence if i.ValueType == 'CONTAINER'",
                "     and i.ConceptNameCodeSequence[0].CodeValue == '126010'][0]",
                "for g in m.ContentSequence:",
                "    nums = [i for i in g.ContentSequence if i.ValueType == 'NUM']",
                "    seg = [i for i in g.ContentSequence if i.ValueType == 'IMAGE'][0].ReferencedSOPSequence[0]",
                "    print(g.ContentTemplateSequence[0].TemplateIdentifier, seg.ReferencedSOPClassUID, seg.ReferencedSOPInstanceUID,",
                "          seg.ReferencedSegmentNumber, ' '.join(str(n.MeasuredValueSequence[0].NumericValue) for n in nums))"),
                file.toString());
        assertThat(out.lines().toList()).containsExactly(
                "1.2.840.10008.5.1.4.1.1.88.33 SR P-0007 1.2.3.4 ACC-17 COMPLETE DCMR 1500",
                "1.2.3.4 1.2.3.4.5 1.2.3.4.5.1 1.2.3.4.5.2 1.2.3.4.5.3",
                "1.2.3.4 1.2.3.4.5.90:1.2.3.4.5.90.1 1.2.3.4.5.91:1.2.3.4.5.91.1",
                "1411 1.2.840.10008.5.1.4.1.1.66.4 1.2.3.4.5.90.1 1 3812.25",
                "1411 1.2.840.10008.5.1.4.1.1.66.4 1.2.3.4.5.91.1 1 412.5 10.820143");
    }

    @Test
    void theSameSeedMakesTheSameInstanceAndAReportNeedsMeasurementsAndWholeSegmentReferences() {
        assertThat(report(SUBJECT, 5)).isEqualTo(report(SUBJECT, 5)).isNotEqualTo(report(SUBJECT, 6));
        assertThatThrownBy(() -> MeasurementReport.write(SUBJECT, List.of(), MeasurementReport.CT_PROCEDURE, "radstream", "2.25.1", null, Instant.EPOCH,
                new Random(1))).hasMessage("a measurement report needs at least one measurement group");
        assertThatThrownBy(() -> new MeasurementReport.Group("lung", "1.2", MeasurementReport.VOLUME, List.of()))
                .hasMessage("a measurement group needs at least one measurement");
        assertThatThrownBy(() -> new MeasurementReport.SegmentReference("1.2.3.4.5.90", " ", 1))
                .hasMessage("a segment reference needs the segmentation's series and SOP instance UIDs and a segment number "
                        + "from 1, got 1.2.3.4.5.90 /   / 1");
        assertThatThrownBy(() -> new MeasurementReport.SegmentReference("1.2.3.4.5.90", "1.2.3.4.5.90.1", 0))
                .hasMessageEndingWith("got 1.2.3.4.5.90 / 1.2.3.4.5.90.1 / 0");
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }
}
