package org.radstream.launcher;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.radstream.imaging.cohort.CohortGenerator;
import org.radstream.imaging.cohort.CohortManifest;
import org.radstream.imaging.cohort.CohortSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code radstream cohort}: writes the synthetic CT cohort (DICOM + truth + manifest). */
@Command(name = "cohort", mixinStandardHelpOptions = true,
        description = "Generate a seeded synthetic CT cohort: DICOM series, exact truth masks, manifest.json.")
final class CohortCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed (same seed, same cohort). Default ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--chest", defaultValue = "4", description = "Number of chest CT series. Default ${DEFAULT-VALUE}.")
    int chest;

    @Option(names = "--abdomen", defaultValue = "0", description = "Number of abdominal CT series. Default ${DEFAULT-VALUE}.")
    int abdomen;

    @Option(names = "--size", defaultValue = "256", description = "Matrix size: 64 tiny, 256 evaluation, 512 full. Default ${DEFAULT-VALUE}.")
    int size;

    @Option(names = "--longitudinal", description = "Group chest scans into patients scanned 2-5 times over 1-7 days.")
    boolean longitudinal;

    @Option(names = "--noise", defaultValue = "15", description = "Noise standard deviation in HU. Default ${DEFAULT-VALUE}.")
    double noise;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        CohortManifest m = CohortGenerator.generate(new CohortSpec(seed, chest, abdomen, size, longitudinal, noise), out);
        System.out.printf("wrote %d scans of %d patients to %s in %.1f s; %d same-patient pairs, %d alert pairs%n",
                m.scans().size(), m.patients().size(), out, (System.nanoTime() - t0) / 1e9, m.pairs().size(), m.alertPairs().size());
        return 0;
    }
}
