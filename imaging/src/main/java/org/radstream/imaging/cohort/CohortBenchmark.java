package org.radstream.imaging.cohort;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Rle;
import org.radstream.imaging.Volume;
import org.radstream.imaging.dicom.CtSeriesWriter;
import org.radstream.imaging.dicom.PixelStorage;
import org.radstream.imaging.dicom.SeriesHeader;
import org.radstream.imaging.dicom.Uids;

/**
 * Benchmark of chest series generation at a fixed grid (default 256² × 64 slices).
 *
 * <p>Measures, per series, (a) the whole generation step — anatomy, rendering, scanner model,
 * DICOM writing with PixelMed and truth RLE files — and (b) the reference: writing the very same
 * HU volume to DICOM with PixelMed and nothing else. The reference is the floor any generator must
 * pay to produce a real DICOM series on this machine, so the ratio (a)/(b) says how much synthesis
 * adds on top of I/O, independent of disk and JIT speed. Warm-up runs are discarded.
 *
 * <p>Run: {@code java -cp <imaging classpath> org.radstream.imaging.cohort.CohortBenchmark [size] [slices] [runs]}
 */
public final class CohortBenchmark {
    private CohortBenchmark() {}

    public static void main(String[] args) throws IOException {
        int size = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        int slices = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        int warmup = 3;
        Path tmp = Files.createTempDirectory("radstream-bench");
        try {
            long synthTotal = 0;
            long refTotal = 0;
            long[] synth = new long[runs];
            long[] ref = new long[runs];
            for (int r = -warmup; r < runs; r++) {
                long seed = 1000 + r;
                long t0 = System.nanoTime();
                Volume v = generate(seed, size, slices, tmp.resolve("synth" + r));
                long t1 = System.nanoTime();
                writeOnly(v, seed, tmp.resolve("ref" + r));
                long t2 = System.nanoTime();
                if (r >= 0) {
                    synth[r] = t1 - t0;
                    ref[r] = t2 - t1;
                    synthTotal += synth[r];
                    refTotal += ref[r];
                }
            }
            java.util.Arrays.sort(synth);
            java.util.Arrays.sort(ref);
            double synthMed = synth[runs / 2] / 1e6;
            double refMed = ref[runs / 2] / 1e6;
            System.out.printf(Locale.ROOT, "chest series %dx%dx%d, %d runs after %d warm-up%n", size, size, slices, runs, warmup);
            System.out.printf(Locale.ROOT, "generate (synthesis + DICOM + truth): median %.0f ms, mean %.0f ms%n", synthMed, synthTotal / 1e6 / runs);
            System.out.printf(Locale.ROOT, "reference (PixelMed write of same volume): median %.0f ms, mean %.0f ms%n", refMed, refTotal / 1e6 / runs);
            System.out.printf(Locale.ROOT, "ratio generate/reference (medians): %.2f%n", synthMed / refMed);
        } finally {
            try (Stream<Path> s = Files.walk(tmp)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** The generator's per-scan steps for one infected chest at a fixed grid. */
    static Volume generate(long seed, int size, int slices, Path out) throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        ChestPhantom p = ChestPhantom.create(r.nextLong(), 5);
        double px = 0.75 * 512.0 / size;
        ScanGeometry g = new ScanGeometry(size, size, slices, px, px, 4.0,
                -(size - 1) / 2.0 * px, -(size - 1) / 2.0 * px, p.dome[1] - 70);
        PhantomImage img = p.render(g, 1.0);
        ScannerModel.apply(img.hu(), g, CohortSpec.DEFAULT_NOISE_SIGMA_HU, -1024, 3071, r);
        Volume v = new Volume(img.hu(), size, size, slices, px, px, 4.0, g.ox(), g.oy(), g.oz());
        CtSeriesWriter.write(v, header(r), out.resolve("dicom"), r);
        Files.createDirectories(out.resolve("truth"));
        for (var e : img.truth().entrySet()) {
            Mask3D m = e.getValue();
            Rle.write(out.resolve("truth").resolve(e.getKey() + ".rle"), m);
        }
        return v;
    }

    static void writeOnly(Volume v, long seed, Path out) throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        CtSeriesWriter.write(v, header(r), out, r);
    }

    private static SeriesHeader header(SplittableRandom r) {
        return new SeriesHeader("BENCH", "BENCH^PATIENT", Uids.next(r), Uids.next(r), Uids.next(r), "A1", "CHEST", "bench",
                Instant.parse("2024-03-01T08:00:00Z"), 1, 4.0, PixelStorage.UNSIGNED_12);
    }
}
