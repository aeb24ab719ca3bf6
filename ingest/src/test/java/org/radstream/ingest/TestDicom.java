package org.radstream.ingest;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.CodeStringAttribute;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.TransferSyntax;
import com.pixelmed.dicom.UniqueIdentifierAttribute;
import com.pixelmed.dicom.UnsignedShortAttribute;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.radstream.imaging.Volume;
import org.radstream.imaging.dicom.CtSeriesWriter;
import org.radstream.imaging.dicom.PixelStorage;
import org.radstream.imaging.dicom.SeriesHeader;
import org.radstream.imaging.dicom.Uids;

/** Test DICOM: small CT series written by imaging's CtSeriesWriter, and the bad instances built from them. */
final class TestDicom {
    static final AttributeTag MODALITY = new AttributeTag(0x0008, 0x0060);
    static final AttributeTag SOP_INSTANCE = new AttributeTag(0x0008, 0x0018);
    static final AttributeTag SERIES_UID = new AttributeTag(0x0020, 0x000E);
    static final AttributeTag COLUMNS = new AttributeTag(0x0028, 0x0011);
    static final AttributeTag PIXEL_DATA = new AttributeTag(0x7FE0, 0x0010);
    static final Instant ACQUIRED = Instant.parse("2024-03-01T10:15:30.250Z");

    private TestDicom() {}

    /** A written series: its UID and files in slice order. */
    record Series(String seriesUid, String studyUid, List<Path> files) {}

    /** Writes a {@code size}² × {@code slices} CT series of random integer HU (explicit VR LE) into {@code dir}. */
    static Series series(Path dir, int slices, int size, long seed, PixelStorage storage) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        float[] hu = new float[size * size * slices];
        for (int i = 0; i < hu.length; i++) {
            hu[i] = random.nextInt(-1000, 1500);
        }
        Volume volume = new Volume(hu, size, size, slices, 0.7, 0.7, 2.5, -100, -120, 50);
        java.util.Random uids = new java.util.Random(seed);
        String study = Uids.next(uids);
        String series = Uids.next(uids);
        SeriesHeader header = new SeriesHeader("P" + seed, "Test^Patient", study, series, Uids.next(uids), "A" + seed,
                "CHEST", "ingest test " + seed, ACQUIRED, 3, 2.5, storage);
        return new Series(series, study, CtSeriesWriter.write(volume, header, dir, uids));
    }

    static Series series(Path dir, int slices, int size, long seed) throws IOException {
        return series(dir, slices, size, seed, PixelStorage.SIGNED_16_OFFSET);
    }

    static AttributeList read(Path file) throws Exception {
        AttributeList list = new AttributeList();
        list.read(file.toString());
        return list;
    }

    /** Writes {@code list} under a new SOP instance UID as explicit VR LE; returns the file. */
    static Path writeVariant(AttributeList list, Path file) throws Exception {
        setUid(list, SOP_INSTANCE, Uids.fromUuid(java.util.UUID.randomUUID()));
        list.removeGroupLengthAttributes();
        list.removeMetaInformationHeaderAttributes();
        FileMetaInformation.addFileMetaInformation(list, TransferSyntax.ExplicitVRLittleEndian, "RADSTREAMTEST");
        list.write(new File(file.toString()), TransferSyntax.ExplicitVRLittleEndian, true, true);
        return file;
    }

    static void setUid(AttributeList list, AttributeTag tag, String uid) throws Exception {
        Attribute a = new UniqueIdentifierAttribute(tag);
        a.addValue(uid);
        list.put(a);
    }

    static void setCs(AttributeList list, AttributeTag tag, String value) throws Exception {
        Attribute a = new CodeStringAttribute(tag);
        a.addValue(value);
        list.put(a);
    }

    static void setUs(AttributeList list, AttributeTag tag, int value) throws Exception {
        Attribute a = new UnsignedShortAttribute(tag);
        a.addValue(value);
        list.put(a);
    }

    /** The stored pixel values of a file, as PixelMed reads them. */
    static short[] storedPixels(Path file) throws Exception {
        return read(file).get(PIXEL_DATA).getShortValues();
    }

    static String sopUid(Path file) throws Exception {
        return text(file, SOP_INSTANCE);
    }

    /** One attribute of a file's header, as text; null when absent. */
    static String text(Path file, com.pixelmed.dicom.AttributeTag tag) throws Exception {
        AttributeList header = new AttributeList();
        header.read(file.toString(), PIXEL_DATA);
        return Attribute.getSingleStringValueOrNull(header, tag);
    }

    /** Converts {@code in} with a dcmtk tool ({@code dcmcrle}, {@code dcmcjpeg}, {@code dcmcjpls}, {@code dcmconv}). */
    static Path dcmtk(String tool, Path in, Path out, String... options) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(tool);
        cmd.addAll(List.of(options));
        cmd.add(in.toString());
        cmd.add(out.toString());
        return run(cmd, out);
    }

    static Path run(List<String> cmd, Path result) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] output = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(cmd + " failed: " + new String(output));
        }
        return result;
    }

    /** {@code bytes} inside a single-part multipart/related body. */
    static byte[] multipart(String boundary, List<byte[]> parts) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.write(("--" + boundary + "\r\nContent-Type: application/dicom\r\n\r\n").getBytes());
            out.write(part);
            out.write("\r\n".getBytes());
        }
        out.write(("--" + boundary + "--\r\n").getBytes());
        return out.toByteArray();
    }

    static byte[] bytes(Path file) throws IOException {
        return Files.readAllBytes(file);
    }

    /**
     * An IHE IOCM rejection note, as a PACS sends one: a Key Object Selection document (TID 2010)
     * titled {@code code} (DCM) in the rejected instances' study, its evidence and content naming
     * each instance of {@code series} (CT Image Storage).
     */
    static byte[] rejectionNote(String patientId, String studyUid, String seriesUid, List<String> sopUids, String code,
                                String meaning, long seed) {
        return org.radstream.imaging.dicom.RejectionNoteDocument.write(patientId, "", studyUid, code, meaning,
                sopUids.stream().map(sop -> new org.radstream.imaging.dicom.RejectionNoteDocument.Reference(seriesUid,
                        com.pixelmed.dicom.SOPClass.CTImageStorage, sop)).toList(), "TEST PACS",
                java.time.Instant.parse("2026-12-07T10:00:00Z"), new java.util.Random(seed));
    }
}
