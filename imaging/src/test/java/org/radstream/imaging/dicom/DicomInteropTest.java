package org.radstream.imaging.dicom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.imaging.Volume;
import org.radstream.imaging.cohort.CohortGenerator;
import org.radstream.imaging.cohort.CohortManifest;
import org.radstream.imaging.cohort.CohortSpec;

/**
 * Generated series against independent DICOM implementations: dicom3tools' dciodvfy must report
 * no errors, and pydicom (Debian's python3) must read exactly the HU we generated. Skipped, with a
 * message, only where those binaries are absent.
 */
class DicomInteropTest {
    static final Path DCIODVFY = Path.of("/usr/bin/dciodvfy");
    static final Path PYTHON = Path.of("/usr/bin/python3");

    @Test
    void dciodvfyReportsNoErrors(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(DCIODVFY), "dciodvfy (dicom3tools) not installed at " + DCIODVFY + ": skipping");
        CohortManifest m = CohortGenerator.generate(new CohortSpec(3, 3, 1, 64, false), dir);
        Set<Boolean> signs = new HashSet<>();
        for (CohortManifest.Scan s : m.scans()) {
            signs.add(s.signedPixels());
            for (String f : List.of("IM00001.dcm", "IM00016.dcm")) {
                Path file = dir.resolve(s.dicomDir()).resolve(f);
                Process p = new ProcessBuilder(DCIODVFY.toString(), file.toString()).redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                p.waitFor();
                assertThat(out).as("dciodvfy %s", file).doesNotContain("Error");
                assertThat(out).contains("CTImage");
            }
        }
    }

    @Test
    void pydicomReadsExactlyTheGeneratedHu(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(PYTHON), "Debian python3 not installed at " + PYTHON + ": skipping");
        Process probe = new ProcessBuilder(PYTHON.toString(), "-c", "import pydicom, numpy").redirectErrorStream(true).start();
        assumeTrue(probe.waitFor() == 0, "python3-pydicom / numpy not importable by " + PYTHON + ": skipping");
        List<Path> expected = new ArrayList<>();
        List<CohortManifest.Scan> scans = new ArrayList<>();
        CohortGenerator.generate(new CohortSpec(5, 4, 1, 64, false), dir, (scan, volume) -> {
            Path raw = dir.resolve(scan.scanId() + ".hu");
            writeHu(volume, raw);
            expected.add(raw);
            scans.add(scan);
        });
        assertThat(scans.stream().map(CohortManifest.Scan::rescaleIntercept).distinct().count()
                + scans.stream().map(CohortManifest.Scan::signedPixels).distinct().count()).isGreaterThan(2);
        String script = String.join("\n",
                "import sys, glob, pydicom, numpy as np",
                "d, raw = sys.argv[1], sys.argv[2]",
                "ds = [pydicom.dcmread(f) for f in glob.glob(d + '/*.dcm')]",
                "ds.sort(key=lambda x: float(x.ImagePositionPatient[2]))",
                "hu = np.stack([x.pixel_array.astype(np.float64) * float(x.RescaleSlope) + float(x.RescaleIntercept) for x in ds])",
                "exp = np.fromfile(raw, dtype='>i2').reshape(hu.shape)",
                "print('MATCH' if np.array_equal(hu, exp) else 'DIFF %d' % int((hu != exp).sum()), hu.shape, int(hu.min()), int(hu.max()))");
        for (int i = 0; i < scans.size(); i++) {
            Process p = new ProcessBuilder(PYTHON.toString(), "-c", script, dir.resolve(scans.get(i).dicomDir()).toString(),
                    expected.get(i).toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor()).as(out).isZero();
            assertThat(out).as("pydicom read-back of %s", scans.get(i).scanId()).startsWith("MATCH (16, 64, 64)");
        }
    }

    @Test
    void pixelmedReadBackIsExactToo(@TempDir Path dir) throws Exception {
        List<Volume> volumes = new ArrayList<>();
        CohortManifest m = CohortGenerator.generate(new CohortSpec(9, 2, 1, 64, false), dir, (s, v) -> volumes.add(v));
        for (int i = 0; i < m.scans().size(); i++) {
            Volume back = CtSeriesReader.read(dir.resolve(m.scans().get(i).dicomDir())).volume();
            assertThat(back.hu()).containsExactly(volumes.get(i).hu());
            assertThat(back.originZ()).isEqualTo(volumes.get(i).originZ());
        }
    }

    private static void writeHu(Volume v, Path raw) {
        try (DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(raw)))) {
            for (float f : v.hu()) {
                out.writeShort((short) f);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
