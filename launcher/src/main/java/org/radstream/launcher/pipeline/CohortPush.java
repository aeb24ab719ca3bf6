package org.radstream.launcher.pipeline;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import org.radstream.imaging.cohort.Cohort;
import org.radstream.imaging.cohort.CohortManifest;

/**
 * Pushes a cohort's series to a running ingest over DICOM C-STORE, scan by scan in acquisition
 * order (as scanners would produce them), then waits until the pipeline has finished each one: a
 * PoIR measurement for a chest scan, liver and vessel results for an abdominal one.
 */
public final class CohortPush {
    public static final String CALLING_AE = "RS-COHORT";

    private CohortPush() {}

    /** The cohort's scans in acquisition order. */
    public static List<CohortManifest.Scan> inAcquisitionOrder(Cohort cohort) {
        return cohort.scans().stream()
                .sorted(Comparator.comparing((CohortManifest.Scan s) -> Instant.parse(s.acquisitionDateTime()))
                        .thenComparing(CohortManifest.Scan::scanId))
                .toList();
    }

    /** Sends every scan; {@code sent} hears of each one stored. Throws when the receiver refused an instance. */
    public static void send(Cohort cohort, String host, int port, String calledAe,
                            Consumer<CohortManifest.Scan> sent) throws IOException {
        for (CohortManifest.Scan s : inAcquisitionOrder(cohort)) {
            DicomPush.Outcome o = DicomPush.send(cohort.dicomDir(s), host, port, calledAe, CALLING_AE);
            if (!o.allStored()) {
                throw new IOException("scan " + s.scanId() + ": " + o.failed() + " of " + o.sent()
                        + " instances refused by " + calledAe + " (see radstream.dicom.rejected)");
            }
            sent.accept(s);
        }
    }

    /** True once the pipeline produced the final output of {@code s}. */
    public static boolean finished(PipelineWatch watch, CohortManifest.Scan s) {
        PipelineWatch.SeriesTrack t = watch.series(s.seriesUid());
        return "chest".equals(s.kind()) ? t.measurement != null
                : t.results.containsKey("liver") && t.results.containsKey("vessel");
    }

    /** Waits for every scan of the cohort; false on timeout. */
    public static boolean awaitAll(PipelineWatch watch, Cohort cohort, Duration timeout) throws InterruptedException {
        return watch.await(() -> cohort.scans().stream().allMatch(s -> finished(watch, s)), timeout);
    }
}
