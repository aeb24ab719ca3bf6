package org.radstream.imaging.cohort;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Metrics;
import org.radstream.imaging.ProgressionRule;
import org.radstream.imaging.Rle;
import org.radstream.imaging.Volume;
import org.radstream.imaging.dicom.CtSeriesWriter;
import org.radstream.imaging.dicom.PixelStorage;
import org.radstream.imaging.dicom.SeriesHeader;
import org.radstream.imaging.dicom.Uids;

/**
 * Generates the synthetic CT cohort: seeded and deterministic (same spec, same files), each scan
 * a real DICOM CT series with exact labels beside it and a manifest.
 *
 * <h2>Directory layout</h2>
 * <pre>
 * DIR/manifest.json                 {@link CohortManifest}: patients, scans, truth volumes and PoIR, pairs, alert pairs
 * DIR/README.md                     this layout, for people browsing the folder
 * DIR/&lt;scanId&gt;/dicom/IM00001.dcm ...  one CT Image Storage file per slice (explicit VR little endian)
 * DIR/&lt;scanId&gt;/truth/&lt;task&gt;.rle      labels, {@link Rle} file format (12-byte header width,height,depth + RLE)
 * </pre>
 * Chest tasks: lung, infection. Abdomen tasks: liver, vessel, vessel-noisy, tumour.
 *
 * <h2>Longitudinal patients</h2>
 * With {@code longitudinal}, chest scans form patients of 2–5 scans over 1–7 days whose lesions
 * grow or shrink; the first pair of each patient follows a scenario drawn in rotation: rapid growth
 * (clearly above +50% within 48 h), stable (clearly below), near the threshold (±1–5% around
 * ×1.5, both sides), growth but more than 48 h apart, shrinking, and no infection. Lesion sizes are
 * calibrated against the truth volume on each scan's own grid, and the alert pairs are computed
 * from the written truth with {@link ProgressionRule}, never from the intended scenario.
 */
public final class CohortGenerator {
    /** Receives each scan as it is written (tests compare DICOM read-back with these HU). */
    public interface ScanListener {
        void written(CohortManifest.Scan scan, Volume volume);
    }

    static final String[] SCENARIOS = {"rapid-growth", "near-above", "no-infection", "stable", "near-below", "late-growth", "shrinking"};
    /** Every scenario a longitudinal patient can follow. */
    public static final List<String> SCENARIO_NAMES = List.of(SCENARIOS);
    private static final Instant EPOCH = Instant.parse("2024-03-01T00:00:00Z");

    private final CohortSpec spec;
    private final Path dir;
    private final ScanListener listener;
    private final SplittableRandom random;
    private final SplittableRandom uidRandom;

    private CohortGenerator(CohortSpec spec, Path dir, ScanListener listener) {
        this.spec = spec;
        this.dir = dir;
        this.listener = listener;
        this.random = new SplittableRandom(spec.seed());
        this.uidRandom = new SplittableRandom(spec.seed() ^ 0x5DEECE66DL);
    }

    public static CohortManifest generate(CohortSpec spec, Path dir) throws IOException {
        return generate(spec, dir, (s, v) -> { });
    }

    public static CohortManifest generate(CohortSpec spec, Path dir, ScanListener listener) throws IOException {
        return new CohortGenerator(spec, dir, listener).run();
    }

    private record Planned(double hours, double factor) {}

    private CohortManifest run() throws IOException {
        Files.createDirectories(dir);
        List<CohortManifest.Patient> patients = new ArrayList<>();
        List<CohortManifest.Scan> scans = new ArrayList<>();
        List<CohortManifest.Pair> pairs = new ArrayList<>();
        int patientNo = 0;
        int remaining = spec.chestScans();
        while (remaining > 0) {
            patientNo++;
            int count = 1;
            if (spec.longitudinal() && spec.scansPerPatient() > 0) {
                count = Math.min(remaining, spec.scansPerPatient());
            } else if (spec.longitudinal()) {
                count = remaining <= 5 ? remaining : 2 + random.nextInt(4);
                if (remaining - count == 1) {
                    count = count == 5 ? 4 : count + 1;
                }
            }
            remaining -= count;
            List<String> rotation = spec.scenarios().isEmpty() ? SCENARIO_NAMES : spec.scenarios();
            String scenario = spec.longitudinal() ? rotation.get((patientNo - 1) % rotation.size()) : "single";
            chestPatient(patientNo, scenario, count, patients, scans, pairs);
        }
        for (int a = 0; a < spec.abdomenScans(); a++) {
            patientNo++;
            abdomenPatient(patientNo, patients, scans);
        }
        List<CohortManifest.Pair> alerts = pairs.stream().filter(CohortManifest.Pair::alert).toList();
        CohortManifest manifest = new CohortManifest(CohortManifest.FORMAT, spec.seed(), spec.size(), spec.longitudinal(),
                spec.noiseSigmaHu(), new CohortManifest.AlertRule(ProgressionRule.GROWTH_FACTOR, ProgressionRule.WINDOW_HOURS,
                ProgressionRule.MIN_LATER_ML), patients, scans, pairs, alerts);
        mapper().writeValue(dir.resolve(Cohort.MANIFEST).toFile(), manifest);
        Files.writeString(dir.resolve("README.md"), readme(), StandardCharsets.UTF_8);
        return manifest;
    }

    static ObjectMapper mapper() {
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    }

    private List<Planned> plan(String scenario, int count) {
        List<Planned> p = new ArrayList<>();
        p.add(new Planned(0, 1));
        double t = 0;
        double f = 1;
        for (int i = 1; i < count; i++) {
            double gap;
            double factor;
            if (i == 1) {
                switch (scenario) {
                    case "rapid-growth" -> { gap = u(12, 40); factor = u(1.9, 3.0); }
                    case "stable" -> { gap = u(20, 44); factor = u(0.9, 1.25); }
                    case "near-above" -> { gap = u(20, 46); factor = 1.5 * (1 + u(0.01, 0.05)); }
                    case "near-below" -> { gap = u(20, 46); factor = 1.5 * (1 - u(0.01, 0.05)); }
                    case "late-growth" -> { gap = u(52, 110); factor = u(1.8, 2.6); }
                    case "shrinking" -> { gap = u(20, 44); factor = u(0.4, 0.7); }
                    default -> { gap = u(20, 48); factor = 1; }
                }
            } else {
                gap = u(20, 40);
                factor = u(0.85, 1.2);
            }
            if (t + gap > 168) {
                gap = Math.max(1, 168 - t) * u(0.5, 1);
            }
            t += gap;
            f *= factor;
            p.add(new Planned(t, f));
        }
        return p;
    }

    private void chestPatient(int patientNo, String scenario, int count, List<CohortManifest.Patient> patients,
                              List<CohortManifest.Scan> scans, List<CohortManifest.Pair> pairs) throws IOException {
        long seed = random.nextLong();
        boolean infected = spec.longitudinal() ? !"no-infection".equals(scenario) : random.nextDouble() < 0.85;
        int lesions = infected ? 3 + random.nextInt(12) : 0; // COVID-19 pneumonia is typically bilateral and multifocal
        ChestPhantom phantom = ChestPhantom.create(seed, lesions);
        String patientId = String.format(Locale.ROOT, "RS%d-P%04d", spec.seed(), patientNo);
        String name = String.format(Locale.ROOT, "SYNTHETIC^CHEST%04d", patientNo);
        Instant start = EPOCH.plus(Duration.ofMinutes((long) (patientNo * 1440L * u(0.5, 1.5) + u(7 * 60, 19 * 60))));
        List<Planned> plan = plan(scenario, count);
        List<String> ids = new ArrayList<>();
        double baseMl = -1;
        List<CohortManifest.Scan> mine = new ArrayList<>();
        for (Planned pl : plan) {
            ScanGeometry g = geometry(phantom.a, phantom.dome[1] - u(60, 80), 230, 320);
            double scale = 1;
            if (lesions > 0) {
                if (baseMl < 0) {
                    baseMl = phantom.infectionMl(g, 1);
                } else {
                    scale = calibrate(phantom, g, baseMl * pl.factor());
                }
            }
            Instant when = start.plus(Duration.ofMinutes(Math.round(pl.hours() * 60)));
            PhantomImage img = phantom.render(g, lesions > 0 ? scale : 0);
            CohortManifest.Scan s = write(scans.size() + 1, patientId, name, "chest", "CHEST", "CT CHEST COVID protocol",
                    when, g, img);
            scans.add(s);
            mine.add(s);
            ids.add(s.scanId());
        }
        for (int i = 0; i < mine.size(); i++) {
            for (int j = i + 1; j < mine.size(); j++) {
                CohortManifest.Scan e = mine.get(i);
                CohortManifest.Scan l = mine.get(j);
                double hours = Duration.between(Instant.parse(e.acquisitionDateTime()), Instant.parse(l.acquisitionDateTime())).toMinutes() / 60.0;
                double em = e.truthMl().get("infection");
                double lm = l.truthMl().get("infection");
                double growth = ProgressionRule.growthPercent(em, lm);
                pairs.add(new CohortManifest.Pair(patientId, e.scanId(), l.scanId(), hours, em, lm,
                        Double.isInfinite(growth) ? null : growth, ProgressionRule.isAlert(em, lm, hours)));
            }
        }
        patients.add(new CohortManifest.Patient(patientId, name, scenario, ids));
    }

    /** Lesion scale whose infection truth on {@code g} is {@code targetMl} (bisection; volume grows with scale). */
    private static double calibrate(ChestPhantom p, ScanGeometry g, double targetMl) {
        double lo = 0.2;
        double hi = 2.5;
        for (int it = 0; it < 14; it++) {
            double mid = (lo + hi) / 2;
            if (p.infectionMl(g, mid) < targetMl) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return (lo + hi) / 2;
    }

    private void abdomenPatient(int patientNo, List<CohortManifest.Patient> patients, List<CohortManifest.Scan> scans) throws IOException {
        AbdomenPhantom phantom = AbdomenPhantom.create(random.nextLong());
        String patientId = String.format(Locale.ROOT, "RS%d-P%04d", spec.seed(), patientNo);
        String name = String.format(Locale.ROOT, "SYNTHETIC^ABDOMEN%04d", patientNo);
        Instant when = EPOCH.plus(Duration.ofMinutes((long) (patientNo * 1440L * u(0.5, 1.5) + u(7 * 60, 19 * 60))));
        double extent = u(180, 260);
        ScanGeometry g = geometry(phantom.a, phantom.zc - 0.55 * extent, extent, extent);
        PhantomImage img = phantom.render(g);
        CohortManifest.Scan s = write(scans.size() + 1, patientId, name, "abdomen", "ABDOMEN", "CT ABDOMEN portal venous",
                when, g, img);
        scans.add(s);
        patients.add(new CohortManifest.Patient(patientId, name, "single", List.of(s.scanId())));
    }

    private ScanGeometry geometry(double bodyHalfWidth, double zStart, double minExtent, double maxExtent) {
        int size = spec.size();
        double scale = 512.0 / size;
        double px = Math.min(1.0, Math.max(u(0.6, 1.0), (2 * bodyHalfWidth + 30) / 512)) * scale;
        int depth = spec.minSlices() + random.nextInt(spec.maxSlices() - spec.minSlices() + 1);
        double maxThickness = 5 * Math.max(1, 256.0 / size);
        double thickness = Math.max(1.25, Math.min(maxThickness, u(minExtent, maxExtent) / depth));
        thickness = Math.round(thickness * 100) / 100.0;
        double ox = -(size - 1) / 2.0 * px + u(-8, 8);
        double oy = -(size - 1) / 2.0 * px + u(-5, 12);
        return new ScanGeometry(size, size, depth, px, px, thickness, round3(ox), round3(oy), round3(zStart));
    }

    private static double round3(double v) { return Math.round(v * 1000) / 1000.0; }

    private CohortManifest.Scan write(int scanNo, String patientId, String name, String kind, String bodyPart, String description,
                                      Instant when, ScanGeometry g, PhantomImage img) throws IOException {
        String scanId = String.format(Locale.ROOT, "scan-%04d", scanNo);
        PixelStorage[] choices = {PixelStorage.UNSIGNED_12, PixelStorage.SIGNED_16_OFFSET, PixelStorage.SIGNED_16_DIRECT};
        PixelStorage storage = choices[random.nextInt(choices.length)];
        float[] hu = img.hu();
        ScannerModel.apply(hu, g, spec.noiseSigmaHu(), Math.max(-1024, storage.minHu()), Math.min(3071, storage.maxHu()),
                new SplittableRandom(random.nextLong()));
        Volume volume = new Volume(hu, g.width(), g.height(), g.depth(), g.dx(), g.dy(), g.dz(), g.ox(), g.oy(), g.oz());
        String studyUid = Uids.next(uidRandom);
        String seriesUid = Uids.next(uidRandom);
        String forUid = Uids.next(uidRandom);
        String accession = String.format(Locale.ROOT, "A%d%05d", spec.seed() % 100000, scanNo);
        SeriesHeader header = new SeriesHeader(patientId, name, studyUid, seriesUid, forUid, accession, bodyPart, description,
                when, 1, g.dz(), storage);
        Path scanDir = dir.resolve(scanId);
        CtSeriesWriter.write(volume, header, scanDir.resolve("dicom"), uidRandom);
        Path truthDir = Files.createDirectories(scanDir.resolve("truth"));
        Map<String, Double> ml = new LinkedHashMap<>();
        Map<String, String> files = new LinkedHashMap<>();
        for (Map.Entry<String, Mask3D> e : img.truth().entrySet()) {
            String file = e.getKey() + ".rle";
            Rle.write(truthDir.resolve(file), e.getValue());
            files.put(e.getKey(), scanId + "/truth/" + file);
            ml.put(e.getKey(), round3(e.getValue().volumeMl(g.dx(), g.dy(), g.dz())));
        }
        Double poir = "chest".equals(kind) ? Metrics.poir(ml.get("infection"), ml.get("lung")) : null;
        CohortManifest.Scan s = new CohortManifest.Scan(scanId, patientId, kind, bodyPart, studyUid, seriesUid, accession,
                when.toString(), g.width(), g.height(), g.depth(), g.dx(), g.dy(), g.dz(), g.dz(), storage.signed(),
                storage.slope(), storage.intercept(), ml, poir, files, scanId + "/dicom");
        listener.written(s, volume);
        return s;
    }

    private double u(double lo, double hi) { return lo + (hi - lo) * random.nextDouble(); }

    private static String readme() {
        return """
                # radstream synthetic CT cohort

                Generated by `radstream cohort` (org.radstream.imaging.cohort.CohortGenerator); read it with
                `org.radstream.imaging.cohort.Cohort.open(dir)`.

                    manifest.json                 patients, scans (UIDs, acquisition time ISO-8601 UTC, size, spacing,
                                                  pixel storage, truth volumes in mL, truth PoIR), all same-patient
                                                  scan pairs and the alert pairs
                    <scanId>/dicom/IM00001.dcm    CT Image Storage, one file per slice, explicit VR little endian
                    <scanId>/truth/<task>.rle     exact labels: 3 big-endian int32 (width, height, depth), then the
                                                  run lengths as unsigned LEB128 varints, alternating 0/1 runs,
                                                  starting with a run of zeros; voxels x fastest, then y, then z,
                                                  slice k at ImagePositionPatient z = origin z + k * spacingZ

                Chest tasks: lung, infection. Abdomen tasks: liver, vessel, vessel-noisy (under- and
                over-annotated, as in the SU-UNet paper), tumour.

                Alert rule (org.radstream.imaging.ProgressionRule): a later scan of the same patient acquired
                0 < hours <= 48 after an earlier one, with infected volume > 1.5 x the earlier one and >= 1 mL.
                Truth volumes are voxel counts x voxel volume (PixelSpacing x SpacingBetweenSlices).
                """;
    }
}
