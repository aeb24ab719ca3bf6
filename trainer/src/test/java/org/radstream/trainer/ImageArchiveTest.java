package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.imaging.Window;

class ImageArchiveTest {
    @TempDir
    Path dir;

    @Test
    void seriesRoundTripsSortedAndDeidentified() throws Exception {
        ArchivedSeries s = Fixtures.assemble("1.2.3.4", "chest", 16, 5);
        ImageArchive archive = new ImageArchive(dir);
        Path file = archive.store(s);
        assertThat(file.getFileName().toString()).isEqualTo("1.2.3.4.rsa.gz");

        ArchivedSeries back = archive.read("1.2.3.4").orElseThrow();
        assertThat(back.header()).isEqualTo(s.header());
        assertThat(back.depth()).isEqualTo(5);
        assertThat(back.header().spacingZ()).isEqualTo(2.5);
        assertThat(back.header().spacingX()).isEqualTo(0.7);
        assertThat(back.header().patientKey())
                .isEqualTo(Deidentifier.of("a-test-secret-of-32-characters!!").pseudonym(Fixtures.PATIENT_ID))
                .startsWith("hmac:").hasSize(5 + 64);
        // slices sorted along z although they arrived in reverse: slice z holds the disk of z
        float[] slice3 = back.windowed(3, Window.LUNG);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                assertThat(slice3[y * 16 + x] > 0.5f).isEqualTo(Fixtures.inDisk(x, y, 3, 16));
            }
        }
        assertThat(archive.header("1.2.3.4")).contains(s.header());
        assertThat(archive.read("9.9")).isEmpty();
    }

    @Test
    void archivedFilesHoldNoPatientIdentifier() throws Exception {
        ImageArchive archive = new ImageArchive(dir);
        Path file = archive.store(Fixtures.assemble("1.2.3.5", "chest", 16, 3));
        String raw = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
        ByteArrayOutputStream plain = new ByteArrayOutputStream();
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
            in.transferTo(plain);
        }
        String text = plain.toString(StandardCharsets.ISO_8859_1);
        assertThat(text).contains("1.2.3.5").contains("hmac:");
        for (String identifier : new String[] {Fixtures.PATIENT_ID, Fixtures.PATIENT_NAME, "Doe", Fixtures.ACCESSION}) {
            assertThat(text).doesNotContain(identifier);
            assertThat(raw).doesNotContain(identifier);
        }
    }

    @Test
    void pseudonymsAreKeyed() {
        String a = Deidentifier.of("secret-number-one-0123456789").pseudonym("PAT-1");
        String b = Deidentifier.of("secret-number-two-0123456789").pseudonym("PAT-1");
        assertThat(a).isNotEqualTo(b);
        assertThat(Deidentifier.of("secret-number-one-0123456789").pseudonym("PAT-1")).isEqualTo(a);
    }
}
