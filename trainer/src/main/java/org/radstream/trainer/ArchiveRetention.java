package org.radstream.trainer;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * Keeps the trainer's image archive from filling its disk ({@link ArchivePolicy}): a series no label
 * names (accepted or waiting for its images) is removed once it was last archived longer ago than
 * the policy's age; then, while the archive holds more than the policy's size, the oldest such series
 * go first. A labelled series stays: it is training data, and every retraining reads it again; an
 * archive that labelled series alone fill beyond the size is reported ({@link Sweep#overCap}), not
 * cut. A label that arrives after its series was removed waits for the images like any other and is
 * refused as an unknown series if they do not come again.
 */
final class ArchiveRetention {
    private ArchiveRetention() {}

    /**
     * What a sweep removed (the series, their bytes; how many of them for space rather than age) and
     * what the archive holds after it.
     */
    record Sweep(List<String> removed, long bytesRemoved, int removedForSpace, int kept, long bytesKept,
                 boolean overCap) {}

    /**
     * @param labelled series named by a label; must be complete (the label store read to its end),
     *                 or training data would be removed
     */
    static Sweep sweep(ImageArchive archive, Set<String> labelled, Instant now, ArchivePolicy policy) throws IOException {
        if (policy.keepsEverything()) {
            throw new IllegalArgumentException("this archive policy keeps every series: nothing to sweep");
        }
        Instant before = policy.maxAge().isZero() ? Instant.MIN : now.minus(policy.maxAge());
        List<String> removed = new ArrayList<>();
        List<ImageArchive.Entry> kept = new ArrayList<>();
        long bytesRemoved = 0;
        long bytesKept = 0;
        for (ImageArchive.Entry e : archive.entries()) {
            if (!labelled.contains(e.seriesUid()) && e.written().isBefore(before)
                    && archive.removeIfWrittenBefore(e.seriesUid(), before)) {
                removed.add(e.seriesUid());
                bytesRemoved += e.bytes();
            } else {
                kept.add(e);
                bytesKept += e.bytes();
            }
        }
        int removedForSpace = 0;
        if (policy.maxBytes() > 0 && bytesKept > policy.maxBytes()) {
            List<ImageArchive.Entry> oldestFirst = kept.stream().filter(e -> !labelled.contains(e.seriesUid()))
                    .sorted(Comparator.comparing(ImageArchive.Entry::written)).toList();
            for (ImageArchive.Entry e : oldestFirst) {
                if (bytesKept <= policy.maxBytes()) {
                    break;
                }
                // not when it was stored again since it was listed: then it is new again
                if (archive.removeIfWrittenBefore(e.seriesUid(), e.written().plusNanos(1))) {
                    removed.add(e.seriesUid());
                    bytesRemoved += e.bytes();
                    bytesKept -= e.bytes();
                    removedForSpace++;
                }
            }
        }
        return new Sweep(List.copyOf(removed), bytesRemoved, removedForSpace, kept.size() - removedForSpace, bytesKept,
                policy.maxBytes() > 0 && bytesKept > policy.maxBytes());
    }
}
