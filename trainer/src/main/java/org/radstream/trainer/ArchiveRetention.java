package org.radstream.trainer;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Keeps the trainer's image archive from filling its disk: a series no label names (accepted or
 * waiting for its images) is removed once it was last archived longer ago than the retention. A
 * labelled series stays: it is training data, and every retraining reads it again. A label that
 * arrives after its series was removed waits for the images like any other and is refused as an
 * unknown series if they do not come again.
 */
final class ArchiveRetention {
    private ArchiveRetention() {}

    /** What a sweep removed (the series, their bytes) and what the archive holds after it. */
    record Sweep(List<String> removed, long bytesRemoved, int kept, long bytesKept) {}

    /**
     * @param labelled series named by a label; must be complete (the label store read to its end),
     *                 or training data would be removed
     */
    static Sweep sweep(ImageArchive archive, Set<String> labelled, Instant now, Duration retention) throws IOException {
        if (retention.isZero()) {
            throw new IllegalArgumentException("a retention of zero keeps every series: nothing to sweep");
        }
        Instant before = now.minus(retention);
        List<String> removed = new ArrayList<>();
        int kept = 0;
        long bytesRemoved = 0;
        long bytesKept = 0;
        for (ImageArchive.Entry e : archive.entries()) {
            if (!labelled.contains(e.seriesUid()) && e.written().isBefore(before)
                    && archive.removeIfWrittenBefore(e.seriesUid(), before)) {
                removed.add(e.seriesUid());
                bytesRemoved += e.bytes();
            } else {
                kept++;
                bytesKept += e.bytes();
            }
        }
        return new Sweep(List.copyOf(removed), bytesRemoved, kept, bytesKept);
    }
}
