package org.radstream.imaging.dicom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.imaging.Mask3D;

/**
 * DICOM SEG written for a series is valid to dicom3tools, read by pydicom as the same voxels and
 * read back by us; a SEG saved by another tool (written here with pydicom: frames only where there
 * is something, in another order, FRACTIONAL, several segments) is laid onto the series' voxels;
 * one that cannot be is refused with the reason.
 */
class DicomSegTest {
    static final Path DCIODVFY = Path.of("/usr/bin/dciodvfy");
    static final Path PYTHON = Path.of("/usr/bin/python3");
    static final Instant CREATED = Instant.parse("2026-12-06T10:15:30Z");

    /** A 12×10×6 series, rotated in plane (rows running along -y), slices going up in z, as a scanner may write it. */
    static DicomSeg.Series series(String frameOfReference, List<String> sops) {
        return new DicomSeg.Series("P1", "Doe^Jane", "1.2.3", "ACC1", "1.2.3.4", frameOfReference, null, sops,
                new double[] {-120.5, 80.25, -40.0}, new double[] {0, -1, 0}, new double[] {1, 0, 0}, 0.75, 0.8, 2.5,
                12, 10, 6);
    }

    static List<String> sops(int n) {
        List<String> out = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            out.add("1.2.3.4." + (100 + k));
        }
        return out;
    }

    static Mask3D mask() {
        Mask3D m = new Mask3D(12, 10, 6);
        m.set(0, 0, 0, true);
        m.set(11, 9, 5, true);
        for (int x = 3; x < 7; x++) {
            for (int y = 2; y < 5; y++) {
                m.set(x, y, 2, true);
                m.set(x, y, 3, x != 4);
            }
        }
        return m;
    }

    static DicomSeg.Segment segment() {
        return new DicomSeg.Segment("infection", "radstream infection v9 (model)", "radstream infection v9");
    }

    @Test
    void whatIsWrittenReadsBackVoxelForVoxel() throws IOException {
        DicomSeg.Series s = series("1.2.3.9", sops(6));
        byte[] file = DicomSeg.write(mask(), s, segment(), CREATED, new Random(1));
        DicomSeg.Read read = DicomSeg.read(file, s, "infection", null);
        assertThat(read.mask().data()).isEqualTo(mask().data());
        assertThat(read.segmentNumber()).isEqualTo(1);
        assertThat(read.segmentLabel()).isEqualTo("infection");
        assertThat(read.frames()).isEqualTo(6);
        assertThat(read.seriesDescription()).isEqualTo("radstream infection draft");
        // the same UID source gives the same file
        assertThat(DicomSeg.write(mask(), s, segment(), CREATED, new Random(1))).isEqualTo(file);
    }

    @Test
    void itsUidsAreKnownFromItsUidSourceWithoutWritingIt() throws Exception {
        for (String frameOfReference : java.util.Arrays.asList("1.2.3.9", null)) {
            byte[] file = DicomSeg.write(mask(), series(frameOfReference, sops(6)), segment(), CREATED, new Random(7));
            com.pixelmed.dicom.AttributeList list = new com.pixelmed.dicom.AttributeList();
            list.read(new com.pixelmed.dicom.DicomInputStream(new java.io.ByteArrayInputStream(file)));
            DicomSeg.Ids ids = DicomSeg.ids(frameOfReference, new Random(7));
            assertThat(ids.sopInstanceUid()).as("frame of reference %s", frameOfReference)
                    .isEqualTo(DicomSeg.summary(file).sopInstanceUid())
                    .isEqualTo(com.pixelmed.dicom.Attribute.getSingleStringValueOrNull(list, DicomAttributes.tag(0x0008, 0x0018)));
            assertThat(ids.seriesUid()).isEqualTo(com.pixelmed.dicom.Attribute.getSingleStringValueOrNull(list,
                    DicomAttributes.tag(0x0020, 0x000E))).isNotEqualTo(ids.sopInstanceUid());
            assertThat(ids.frameOfReferenceUid()).isEqualTo(com.pixelmed.dicom.Attribute.getSingleStringValueOrNull(list,
                    DicomAttributes.tag(0x0020, 0x0052)));
        }
        assertThat(DicomSeg.ids(null, new Random(7)).sopInstanceUid()).isNotEqualTo(DicomSeg.ids("1.2.3.9", new Random(7))
                .sopInstanceUid());
    }

    /** Lung, infection and a segment radstream has no task for, in one file. */
    static byte[] threeSegments(DicomSeg.Series s) {
        Mask3D lung = new Mask3D(12, 10, 6);
        for (int i = 0; i < lung.size(); i += 3) {
            lung.set(i, true);
        }
        return DicomSeg.write(List.of(new DicomSeg.Layer(new DicomSeg.Segment("lung", null, null), lung),
                new DicomSeg.Layer(segment(), mask()), new DicomSeg.Layer(new DicomSeg.Segment("heart", null, null),
                        new Mask3D(12, 10, 6))), s, CREATED, new Random(5));
    }

    @Test
    void severalSegmentsAreWrittenSummarisedAndReadOneByOne() throws IOException {
        DicomSeg.Series s = series("1.2.3.9", sops(6));
        byte[] file = threeSegments(s);
        DicomSeg.Summary summary = DicomSeg.summary(file);
        assertThat(summary.referencedSeriesUids()).containsExactly("1.2.3.4");
        assertThat(summary.patientId()).isEqualTo("P1");
        assertThat(summary.segments()).extracting(DicomSeg.SegmentInfo::number, DicomSeg.SegmentInfo::label,
                DicomSeg.SegmentInfo::typeCode, DicomSeg.SegmentInfo::task).containsExactly(
                org.assertj.core.groups.Tuple.tuple(1, "lung", "39607008", "lung"),
                org.assertj.core.groups.Tuple.tuple(2, "infection", "52988006", "infection"),
                org.assertj.core.groups.Tuple.tuple(3, "heart", "85756007", null));
        // how each was made: the model's infection, the others drawn by a person
        assertThat(summary.segments()).extracting(DicomSeg.SegmentInfo::algorithmType, DicomSeg.SegmentInfo::algorithmName,
                DicomSeg.SegmentInfo::madeByRadstream).containsExactly(
                org.assertj.core.groups.Tuple.tuple("MANUAL", "", false),
                org.assertj.core.groups.Tuple.tuple("AUTOMATIC", "radstream infection v9", true),
                org.assertj.core.groups.Tuple.tuple("MANUAL", "", false));
        DicomSeg.Read infection = DicomSeg.read(file, s, "infection", null);
        assertThat(infection.mask().data()).isEqualTo(mask().data());
        assertThat(infection.frames()).isEqualTo(6);
        assertThat(DicomSeg.read(file, s, "lung", null).mask().count()).isEqualTo(240);
        assertThat(DicomSeg.read(file, s, "x", "3").mask().count()).isZero();
    }

    @Test
    void aSegmentIsATaskByItsCodeOrElseItsLabel() {
        assertThat(new DicomSeg.SegmentInfo(1, "Segment_1", "10200004", "Liver").task()).isEqualTo("liver");
        assertThat(new DicomSeg.SegmentInfo(1, " Vessels ", "", "").task()).isEqualTo("vessel");
        assertThat(new DicomSeg.SegmentInfo(1, "Lung", "", "").task()).isEqualTo("lung");
        assertThat(new DicomSeg.SegmentInfo(1, "lung nodule", "", "").task()).isNull();
    }

    @Test
    void bitsArePackedAcrossFramesWithoutPadding() {
        Mask3D m = new Mask3D(3, 3, 2); // 9 pixels a frame: frame 2 starts at bit 9
        m.set(0, 0, 1, true);
        m.set(2, 2, 1, true);
        byte[] packed = DicomSeg.pack(List.of(m));
        assertThat(packed).hasSize(4); // 18 bits in 3 bytes, padded to an even length
        assertThat(packed[1]).isEqualTo((byte) 0b0000_0010);
        assertThat(packed[2]).isEqualTo((byte) 0b0000_0010);
        assertThat(packed[0]).isZero();
    }

    @Test
    void aSegmentationMadeOnAnotherSeriesOrFrameOfReferenceIsRefused() {
        byte[] file = DicomSeg.write(mask(), series("1.2.3.9", sops(6)), segment(), CREATED, new Random(1));
        DicomSeg.Series other = new DicomSeg.Series("P1", null, "1.2.3", null, "1.2.3.5", "1.2.3.9", null, List.of(),
                new double[] {-120.5, 80.25, -40.0}, new double[] {0, -1, 0}, new double[] {1, 0, 0}, 0.75, 0.8, 2.5, 12, 10, 6);
        assertThatThrownBy(() -> DicomSeg.read(file, other, "infection", null))
                .hasMessage("the segmentation was made on series 1.2.3.4, not on 1.2.3.5");
        assertThatThrownBy(() -> DicomSeg.read(file, series("1.2.3.8", List.of()), "infection", null))
                .hasMessageContaining("frame of reference 1.2.3.9, the series in 1.2.3.8");
    }

    @Test
    void framesThatDoNotFallOntoTheSeriesVoxelsAreRefused() {
        byte[] file = DicomSeg.write(mask(), series(null, List.of()), segment(), CREATED, new Random(1));
        // half a 0.75 mm column along the rows' direction (0, -1, 0)
        assertThatThrownBy(() -> DicomSeg.read(file, withOrigin(-120.5, 80.25 - 0.375, -40.0), "infection", null))
                .hasMessageContaining("frame 1 starts -0.500 columns and 0.000 rows away");
        assertThatThrownBy(() -> DicomSeg.read(file, withOrigin(-120.5, 80.25, -40.0 + 1.25), "infection", null))
                .hasMessageContaining("frame 1 lies -0.500 slices from the series' first: between two of its slices");
        assertThatThrownBy(() -> DicomSeg.read(file, withOrigin(-120.5, 80.25, -40.0 + 5.0), "infection", null))
                .hasMessageContaining("frame 1 lies at slice -2, outside the series' 6 slices");
        DicomSeg.Series finer = new DicomSeg.Series("P1", null, "1.2.3", null, "1.2.3.4", null, null, List.of(),
                new double[] {-120.5, 80.25, -40.0}, new double[] {0, -1, 0}, new double[] {1, 0, 0}, 0.7, 0.8, 2.5, 12, 10, 6);
        assertThatThrownBy(() -> DicomSeg.read(file, finer, "infection", null))
                .hasMessageContaining("pixel spacing 0.8000\\0.7500 differs from the series' 0.8000\\0.7000");
        DicomSeg.Series axial = new DicomSeg.Series("P1", null, "1.2.3", null, "1.2.3.4", null, null, List.of(),
                new double[] {-120.5, 80.25, -40.0}, new double[] {1, 0, 0}, new double[] {0, 1, 0}, 0.75, 0.8, 2.5, 12, 10, 6);
        assertThatThrownBy(() -> DicomSeg.read(file, axial, "infection", null))
                .hasMessageContaining("frame 1's orientation (0.000, -1.000, 0.000, 1.000, 0.000, 0.000) differs");
        DicomSeg.Series wider = new DicomSeg.Series("P1", null, "1.2.3", null, "1.2.3.4", null, null, List.of(),
                new double[] {-120.5, 80.25, -40.0}, new double[] {0, -1, 0}, new double[] {1, 0, 0}, 0.75, 0.8, 2.5, 13, 10, 6);
        assertThatThrownBy(() -> DicomSeg.read(file, wider, "infection", null))
                .hasMessage("the segmentation's frames are 12×10 (columns × rows); the series' slices are 13×10");
    }

    private static DicomSeg.Series withOrigin(double x, double y, double z) {
        return new DicomSeg.Series("P1", null, "1.2.3", null, "1.2.3.4", null, null, List.of(), new double[] {x, y, z},
                new double[] {0, -1, 0}, new double[] {1, 0, 0}, 0.75, 0.8, 2.5, 12, 10, 6);
    }

    @Test
    void otherFilesAreRefusedAsNotSegmentations(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> DicomSeg.read("not dicom".getBytes(StandardCharsets.US_ASCII), series(null, List.of()),
                "infection", null)).isInstanceOf(IOException.class);
        var header = new SeriesHeader("P1", "Doe^Jane", "1.2.3", "1.2.3.4", "1.2.3.9", "ACC1", "CHEST", "CT chest",
                Instant.parse("2026-01-01T00:00:00Z"), 1, 2.5, PixelStorage.SIGNED_16_DIRECT);
        var volume = new org.radstream.imaging.Volume(new float[12 * 10], 12, 10, 1, 0.75, 0.8, 2.5);
        Path ct = CtSeriesWriter.write(volume, header, dir, new Random(2)).get(0);
        assertThatThrownBy(() -> DicomSeg.read(Files.readAllBytes(ct), series(null, List.of()), "infection", null))
                .isInstanceOf(IOException.class).hasMessageContaining("not a DICOM Segmentation (SOP class '"
                        + com.pixelmed.dicom.SOPClass.CTImageStorage + "'");
    }

    @Test
    void dciodvfyReportsNoErrors(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(DCIODVFY), "dciodvfy (dicom3tools) not installed at " + DCIODVFY + ": skipping");
        for (boolean referenced : new boolean[] {true, false}) {
            Path file = dir.resolve("seg-" + referenced + ".dcm");
            Files.write(file, DicomSeg.write(mask(), series(referenced ? "1.2.3.9" : null, referenced ? sops(6) : List.of()),
                    segment(), CREATED, new Random(1)));
            Path three = dir.resolve("three-" + referenced + ".dcm");
            Files.write(three, threeSegments(series(referenced ? "1.2.3.9" : null, referenced ? sops(6) : List.of())));
            assertThat(run(DCIODVFY.toString(), three.toString())).as("dciodvfy %s", three).contains("Segmentation")
                    .doesNotContain("Error");
            String out = run(DCIODVFY.toString(), file.toString());
            assertThat(out).as("dciodvfy %s", file).contains("Segmentation").doesNotContain("Error");
        }
    }

    @Test
    void pydicomReadsTheSameVoxelsAndTheReferences(@TempDir Path dir) throws Exception {
        assumePydicom();
        Path file = dir.resolve("seg.dcm");
        Files.write(file, DicomSeg.write(mask(), series("1.2.3.9", sops(6)), segment(), CREATED, new Random(1)));
        String out = run(PYTHON.toString(), "-c", String.join("\n",
                "import sys, pydicom",
                "d = pydicom.dcmread(sys.argv[1])",
                "a = d.pixel_array",
                "f = d.PerFrameFunctionalGroupsSequence",
                "print(d.Modality, d.SegmentationType, a.shape, int(a.sum()), int(a[2, 2, 3]), int(a[3, 2, 4]), int(a[5, 9, 11]))",
                "print(f[3].PlanePositionSequence[0].ImagePositionPatient, "
                        + "f[3].DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID)",
                "print(d.SegmentSequence[0].SegmentedPropertyTypeCodeSequence[0].CodeMeaning, "
                        + "d.ReferencedSeriesSequence[0].SeriesInstanceUID, d.FrameOfReferenceUID)"), file.toString());
        assertThat(out.lines().toList()).containsExactly(
                "SEG BINARY (6, 10, 12) 23 1 0 1",
                "[-120.5, 80.25, -32.5] 1.2.3.4.103",
                "Lesion 1.2.3.4 1.2.3.9");
    }

    @Test
    void aSegmentationSavedByAnotherToolIsLaidOntoTheSeries(@TempDir Path dir) throws Exception {
        assumePydicom();
        Path file = dir.resolve("tool.dcm");
        saveAsAnotherTool(file, false);
        checkTheToolsSegmentation(Files.readAllBytes(file));
    }

    @Test
    void aSegmentationAnotherToolCompressedWithRleLosslessReadsTheSame(@TempDir Path dir) throws Exception {
        assumePydicom();
        Path file = dir.resolve("tool-rle.dcm");
        saveAsAnotherTool(file, true);
        assertThat(run(PYTHON.toString(), "-c", "import sys, pydicom; print(pydicom.dcmread(sys.argv[1]).file_meta"
                + ".TransferSyntaxUID)", file.toString()).strip()).isEqualTo("1.2.840.10008.1.2.5");
        checkTheToolsSegmentation(Files.readAllBytes(file));
    }

    /**
     * As a viewer saves a correction: frames only where there is something, newest slice first,
     * FRACTIONAL, the lung as segment 1 and the infection as segment 2, everything per frame; with
     * {@code rle}, its pixel data compressed with RLE Lossless (encapsulated, a fragment per frame).
     */
    private static void saveAsAnotherTool(Path file, boolean rle) throws Exception {
        run(PYTHON.toString(), "-c", String.join("\n",
                "import sys, numpy as np, pydicom",
                "from pydicom.dataset import Dataset, FileMetaDataset",
                "from pydicom.sequence import Sequence",
                "def item(**kw):",
                "    d = Dataset()",
                "    for k, v in kw.items(): setattr(d, k, v)",
                "    return d",
                "ds = Dataset()",
                "ds.file_meta = FileMetaDataset()",
                "ds.file_meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.66.4'",
                "ds.file_meta.MediaStorageSOPInstanceUID = '1.2.3.77'",
                "ds.file_meta.TransferSyntaxUID = '1.2.840.10008.1.2.1'",
                "ds.is_little_endian = True; ds.is_implicit_VR = False",
                "ds.SOPClassUID = '1.2.840.10008.5.1.4.1.1.66.4'; ds.SOPInstanceUID = '1.2.3.77'",
                "ds.Modality = 'SEG'; ds.SeriesDescription = 'corrected'; ds.FrameOfReferenceUID = '1.2.3.9'",
                "ds.SegmentationType = 'FRACTIONAL'; ds.SegmentationFractionalType = 'PROBABILITY'; ds.MaximumFractionalValue = 200",
                "ds.SegmentSequence = Sequence([item(SegmentNumber=1, SegmentLabel='Lung'), item(SegmentNumber=2, SegmentLabel='Infection')])",
                "ds.ReferencedSeriesSequence = Sequence([item(SeriesInstanceUID='1.2.3.4')])",
                "ds.Rows = 10; ds.Columns = 12; ds.BitsAllocated = 8; ds.BitsStored = 8; ds.HighBit = 7",
                "ds.SamplesPerPixel = 1; ds.PhotometricInterpretation = 'MONOCHROME2'; ds.PixelRepresentation = 0",
                "frames, groups = [], []",
                "def frame(k, seg, pixels):",
                "    z = -40.0 + 2.5 * k",
                "    groups.append(item(SegmentIdentificationSequence=Sequence([item(ReferencedSegmentNumber=seg)]),",
                "        PlanePositionSequence=Sequence([item(ImagePositionPatient=[-120.5, 80.25, z])]),",
                "        PlaneOrientationSequence=Sequence([item(ImageOrientationPatient=[0, -1, 0, 1, 0, 0])]),",
                "        PixelMeasuresSequence=Sequence([item(PixelSpacing=[0.8, 0.75], SliceThickness=2.5)])))",
                "    a = np.zeros((10, 12), np.uint8)",
                "    for (y, x, v) in pixels: a[y, x] = v",
                "    frames.append(a)",
                "frame(4, 2, [(1, 2, 200), (1, 3, 100), (1, 4, 99), (0, 0, 0)])",
                "frame(4, 1, [(y, x, 200) for y in range(10) for x in range(12)])",
                "frame(0, 2, [(9, 11, 150)])",
                "ds.NumberOfFrames = len(frames)",
                "ds.PerFrameFunctionalGroupsSequence = Sequence(groups)",
                "ds.SharedFunctionalGroupsSequence = Sequence([Dataset()])",
                "ds.PixelData = np.stack(frames).tobytes()",
                "if sys.argv[2] == 'rle': ds.compress(pydicom.uid.RLELossless)",
                "ds.save_as(sys.argv[1], write_like_original=False)"), file.toString(), rle ? "rle" : "native");
    }

    private static void checkTheToolsSegmentation(byte[] bytes) throws Exception {
        DicomSeg.Series s = series("1.2.3.9", List.of());
        assertThat(DicomSeg.summary(bytes).segments()).extracting(DicomSeg.SegmentInfo::task)
                .containsExactly("lung", "infection");
        assertThat(DicomSeg.summary(bytes).referencedSeriesUids()).containsExactly("1.2.3.4");

        DicomSeg.Read infection = DicomSeg.read(bytes, s, "infection", null);
        Mask3D expected = new Mask3D(12, 10, 6);
        expected.set(2, 1, 4, true);
        expected.set(3, 1, 4, true); // 100 of 200 is half: inside; 99 is not
        expected.set(11, 9, 0, true);
        assertThat(infection.mask().data()).isEqualTo(expected.data());
        assertThat(infection.segmentNumber()).isEqualTo(2);
        assertThat(infection.frames()).isEqualTo(2);
        assertThat(DicomSeg.read(bytes, s, "infection", "1").mask().count()).isEqualTo(120);
        assertThat(DicomSeg.read(bytes, s, "lung", "Infection").mask().data()).isEqualTo(expected.data());
        assertThatThrownBy(() -> DicomSeg.read(bytes, s, "liver", null))
                .hasMessage("which segment is the liver? the file holds 1 'Lung', 2 'Infection' (choose one by number or label)");
        assertThatThrownBy(() -> DicomSeg.read(bytes, s, "infection", "3")).hasMessageStartingWith("no segment 3: ");
    }

    private static void assumePydicom() throws Exception {
        assumeTrue(Files.isExecutable(PYTHON), "Debian python3 not installed at " + PYTHON + ": skipping");
        Process probe = new ProcessBuilder(PYTHON.toString(), "-c", "import pydicom, numpy").redirectErrorStream(true).start();
        assumeTrue(probe.waitFor() == 0, "python3-pydicom / numpy not importable by " + PYTHON + ": skipping");
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        if (rc != 0 && !command[0].equals(DCIODVFY.toString())) {
            throw new AssertionError(String.join(" ", command[0]) + " exited " + rc + ": " + out);
        }
        return out;
    }
}
