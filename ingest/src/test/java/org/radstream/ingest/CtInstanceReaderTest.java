package org.radstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DateTimeAttribute;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.radstream.avro.DicomSlice;
import org.radstream.imaging.dicom.PixelStorage;

class CtInstanceReaderTest {
    @TempDir
    static Path dir;
    static TestDicom.Series series;
    static Path source;
    final CtInstanceReader reader = new CtInstanceReader();

    @BeforeAll
    static void writeSeries() throws Exception {
        series = TestDicom.series(dir.resolve("s"), 2, 64, 7, PixelStorage.UNSIGNED_12);
        source = series.files().get(1);
    }

    private DicomSlice read(Path file) throws Exception {
        return reader.read(Files.readAllBytes(file), "MODALITY1", Instant.ofEpochMilli(42));
    }

    private static short[] pixels(DicomSlice slice) {
        short[] out = new short[slice.getRows() * slice.getColumns()];
        slice.getPixels().duplicate().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(out);
        return out;
    }

    @Test
    void validSliceCarriesEveryHeaderFieldAndTheStoredPixels() throws Exception {
        DicomSlice s = read(source);
        assertThat(s.getSeriesUid()).isEqualTo(series.seriesUid());
        assertThat(s.getStudyUid()).isEqualTo(series.studyUid());
        assertThat(s.getSopInstanceUid()).isEqualTo(TestDicom.sopUid(source));
        assertThat(s.getSopClassUid()).isEqualTo("1.2.840.10008.5.1.4.1.1.2");
        assertThat(s.getPatientId()).isEqualTo("P7");
        assertThat(s.getPatientName()).isEqualTo("Test^Patient");
        assertThat(s.getAccessionNumber()).isEqualTo("A7");
        assertThat(s.getModality()).isEqualTo("CT");
        assertThat(s.getBodyPartExamined()).isEqualTo("CHEST");
        assertThat(s.getSeriesDescription()).isEqualTo("ingest test 7");
        assertThat(s.getAcquisitionTime()).isEqualTo(TestDicom.ACQUIRED);
        assertThat(s.getInstanceNumber()).isEqualTo(2);
        assertThat(s.getRows()).isEqualTo(64);
        assertThat(s.getColumns()).isEqualTo(64);
        assertThat(s.getPixelSpacingRow()).isEqualTo(0.7);
        assertThat(s.getPixelSpacingColumn()).isEqualTo(0.7);
        assertThat(s.getSliceThickness()).isEqualTo(2.5);
        assertThat(s.getImagePositionPatient()).containsExactly(-100.0, -120.0, 52.5);
        assertThat(s.getImageOrientationPatient()).containsExactly(1.0, 0.0, 0.0, 0.0, 1.0, 0.0);
        assertThat(s.getFrameOfReferenceUid()).startsWith("2.25.")
                .isEqualTo(TestDicom.text(source, com.pixelmed.dicom.TagFromName.FrameOfReferenceUID));
        assertThat(s.getRescaleSlope()).isEqualTo(1.0);
        assertThat(s.getRescaleIntercept()).isEqualTo(-1024.0);
        assertThat(s.getBitsAllocated()).isEqualTo(16);
        assertThat(s.getPixelRepresentation()).isEqualTo(0);
        assertThat(s.getTransferSyntaxUid()).isEqualTo("1.2.840.10008.1.2.1");
        assertThat(s.getCallingAe()).isEqualTo("MODALITY1");
        assertThat(s.getReceivedAt()).isEqualTo(Instant.ofEpochMilli(42));
        assertThat(s.getPixels().remaining()).isEqualTo(64 * 64 * 2);
        assertThat(pixels(s)).containsExactly(TestDicom.storedPixels(source));
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "dcmconv, +ti, 1.2.840.10008.1.2",
            "dcmconv, +tb, 1.2.840.10008.1.2.2",
            "dcmconv, +td, 1.2.840.10008.1.2.1.99",
            "dcmcrle, -q, 1.2.840.10008.1.2.5",
            "dcmcjpeg, +e1, 1.2.840.10008.1.2.4.70",
            "dcmcjpeg, +el, 1.2.840.10008.1.2.4.57"})
    void everySupportedTransferSyntaxDecodesToTheSameStoredValues(String tool, String option, String ts) throws Exception {
        Path converted = TestDicom.dcmtk(tool, source, dir.resolve(tool + option.replace('+', '_').replace('-', '_') + ".dcm"), option);
        DicomSlice s = read(converted);
        assertThat(s.getTransferSyntaxUid()).isEqualTo(ts);
        assertThat(pixels(s)).containsExactly(TestDicom.storedPixels(source));
    }

    @Test
    void jpegLsIsRefusedAsUnsupportedTransferSyntax() throws Exception {
        Path jls = TestDicom.dcmtk("dcmcjpls", source, dir.resolve("jls.dcm"));
        String sop = TestDicom.sopUid(source);
        assertThatThrownBy(() -> read(jls))
                .isInstanceOfSatisfying(InstanceRejectedException.class, e -> {
                    assertThat(e.status()).isEqualTo(DimseStatus.UNSUPPORTED_TRANSFER_SYNTAX);
                    assertThat(e.reason()).startsWith("unsupported transfer syntax 1.2.840.10008.1.2.4.80 (JPEG-LS lossless)");
                    assertThat(e.sopInstanceUid()).isEqualTo(sop);
                    assertThat(e.seriesUid()).isEqualTo(series.seriesUid());
                });
    }

    @Test
    void truncatedFileIsRefused() throws Exception {
        byte[] all = Files.readAllBytes(source);
        byte[] cut = Arrays.copyOf(all, all.length - 1000);
        // PixelMed logs the short read and drops the element instead of throwing
        assertRejected(cut, DimseStatus.BAD_PIXEL_DATA, "no PixelData (7FE0,0010): missing or the file is truncated before it");
    }

    @Test
    void nonCtIsRefused() throws Exception {
        AttributeList list = TestDicom.read(source);
        TestDicom.setCs(list, TestDicom.MODALITY, "MR");
        assertRejected(variant(list), DimseStatus.DATA_SET_DOES_NOT_MATCH, "Modality is MR, only CT is accepted");
    }

    @Test
    void missingPixelDataIsRefused() throws Exception {
        AttributeList list = TestDicom.read(source);
        list.remove(TestDicom.PIXEL_DATA);
        assertRejected(variant(list), DimseStatus.BAD_PIXEL_DATA, "no PixelData (7FE0,0010)");
    }

    @Test
    void rowsColumnsNotMatchingThePixelLengthIsRefused() throws Exception {
        AttributeList list = TestDicom.read(source);
        TestDicom.setUs(list, TestDicom.COLUMNS, 128);
        assertRejected(variant(list), DimseStatus.BAD_PIXEL_DATA,
                "PixelData holds 8192 bytes, Rows × Columns × BitsAllocated/8 = 64 × 128 × 2 = 16384");
    }

    @Test
    void missingGeometryIsRefused() throws Exception {
        AttributeList list = TestDicom.read(source);
        list.remove(new AttributeTag(0x0028, 0x0030));
        assertRejected(variant(list), DimseStatus.DATA_SET_DOES_NOT_MATCH, "PixelSpacing (0028,0030) must hold 2 numbers > 0, got nothing");
    }

    @Test
    void missingRescaleIsRefused() throws Exception {
        AttributeList list = TestDicom.read(source);
        list.remove(new AttributeTag(0x0028, 0x1053));
        assertRejected(variant(list), DimseStatus.DATA_SET_DOES_NOT_MATCH, "RescaleSlope (0028,1053) and RescaleIntercept");
    }

    @Test
    void garbageIsRefusedAsNotDicom() {
        byte[] garbage = new byte[4000];
        new java.util.Random(3).nextBytes(garbage);
        assertThatThrownBy(() -> reader.read(garbage, "X", Instant.EPOCH))
                .isInstanceOfSatisfying(InstanceRejectedException.class, e -> {
                    assertThat(e.status()).isEqualTo(DimseStatus.CANNOT_UNDERSTAND);
                    assertThat(e.reason()).isEqualTo("not a DICOM Part 10 file: no 'DICM' prefix at offset 128 (4000 bytes)");
                });
    }

    @Test
    void acquisitionTimeFallsBackAndHonoursTheTimezoneOffset() throws Exception {
        AttributeList list = TestDicom.read(source);
        list.remove(new AttributeTag(0x0008, 0x002A));
        // AcquisitionDate + AcquisitionTime as written, in UTC
        assertThat(reader.read(Files.readAllBytes(variant(list)), "X", Instant.EPOCH).getAcquisitionTime())
                .isEqualTo(TestDicom.ACQUIRED);
        list.remove(new AttributeTag(0x0008, 0x0022));
        list.remove(new AttributeTag(0x0008, 0x0032));
        TestDicom.setCs(list, new AttributeTag(0x0008, 0x0201), "+0200");
        // StudyDate + StudyTime (no SeriesDate written), local time two hours ahead of UTC
        assertThat(reader.read(Files.readAllBytes(variant(list)), "X", Instant.EPOCH).getAcquisitionTime())
                .isEqualTo(Instant.parse("2024-03-01T08:15:30.250Z"));
        DateTimeAttribute dt = new DateTimeAttribute(new AttributeTag(0x0008, 0x002A));
        dt.addValue("20240301101530.25-0500");
        list.put(dt);
        assertThat(reader.read(Files.readAllBytes(variant(list)), "X", Instant.EPOCH).getAcquisitionTime())
                .isEqualTo(Instant.parse("2024-03-01T15:15:30.250Z"));
    }

    private Path variant(AttributeList list) throws Exception {
        return TestDicom.writeVariant(list, Files.createTempFile(dir, "variant", ".dcm"));
    }

    private void assertRejected(Path file, int status, String reasonStart) throws Exception {
        assertRejected(Files.readAllBytes(file), status, reasonStart);
    }

    private void assertRejected(byte[] bytes, int status, String reasonStart) {
        assertThatThrownBy(() -> reader.read(bytes, "X", Instant.EPOCH))
                .isInstanceOfSatisfying(InstanceRejectedException.class, e -> {
                    assertThat(e.status()).as(e.reason()).isEqualTo(status);
                    assertThat(e.reason()).startsWith(reasonStart);
                });
    }


}
