package org.radstream.imaging.cohort;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Rle;
import org.radstream.imaging.dicom.CtSeries;
import org.radstream.imaging.dicom.CtSeriesReader;

/**
 * A generated cohort on disk, read back: the manifest, each scan's DICOM series as an HU volume
 * and its truth masks. Evaluation, ingest tests, the trainer and the workers all go through this
 * class rather than parsing the layout themselves (layout: {@link CohortGenerator}).
 */
public final class Cohort {
    public static final String MANIFEST = "manifest.json";

    private final Path dir;
    private final CohortManifest manifest;

    private Cohort(Path dir, CohortManifest manifest) {
        this.dir = dir;
        this.manifest = manifest;
    }

    public static Cohort open(Path dir) throws IOException {
        Path m = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(m)) {
            throw new IOException("not a cohort directory (no " + MANIFEST + "): " + dir);
        }
        CohortManifest manifest = CohortGenerator.mapper().readValue(m.toFile(), CohortManifest.class);
        if (!CohortManifest.FORMAT.equals(manifest.format())) {
            throw new IOException("unsupported cohort format '" + manifest.format() + "' in " + m + ", expected " + CohortManifest.FORMAT);
        }
        return new Cohort(dir, manifest);
    }

    public Path dir() { return dir; }

    public CohortManifest manifest() { return manifest; }

    public List<CohortManifest.Scan> scans() { return manifest.scans(); }

    /** Scans of one kind: "chest" or "abdomen". */
    public List<CohortManifest.Scan> scans(String kind) {
        return manifest.scans().stream().filter(s -> s.kind().equals(kind)).toList();
    }

    public CohortManifest.Scan scan(String scanId) {
        return manifest.scans().stream().filter(s -> s.scanId().equals(scanId)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no scan " + scanId + " in " + dir));
    }

    public Path dicomDir(CohortManifest.Scan scan) { return dir.resolve(scan.dicomDir()); }

    /** Reads the scan's DICOM series into HU (the same path real data takes). */
    public CtSeries series(CohortManifest.Scan scan) throws IOException {
        return CtSeriesReader.read(dicomDir(scan));
    }

    /** The truth mask of a task (lung, infection, liver, vessel, vessel-noisy, tumour). */
    public Mask3D truth(CohortManifest.Scan scan, String task) throws IOException {
        String f = scan.truthFiles().get(task);
        if (f == null) {
            throw new IllegalArgumentException("scan " + scan.scanId() + " (" + scan.kind() + ") has no truth for task '" + task
                    + "'; it has " + scan.truthFiles().keySet());
        }
        return Rle.read(dir.resolve(f));
    }
}
