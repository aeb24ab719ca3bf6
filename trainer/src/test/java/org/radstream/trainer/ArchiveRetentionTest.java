package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The archive keeps labelled series and recent ones; old series no label names go. */
class ArchiveRetentionTest {
    @TempDir
    Path dir;

    @Test
    void oldSeriesNoLabelNamesAreRemovedAndLabelledOrRecentOnesKept() throws Exception {
        ImageArchive archive = new ImageArchive(dir);
        Instant now = Instant.parse("2026-12-06T12:00:00Z");
        for (String uid : new String[] {"1.old", "1.labelled", "1.recent"}) {
            archive.store(Fixtures.assemble(uid, "chest", 16, 3));
        }
        Files.setLastModifiedTime(archive.file("1.old"), FileTime.from(now.minus(Duration.ofDays(31))));
        Files.setLastModifiedTime(archive.file("1.labelled"), FileTime.from(now.minus(Duration.ofDays(90))));
        Files.setLastModifiedTime(archive.file("1.recent"), FileTime.from(now.minus(Duration.ofDays(29))));
        long oldBytes = Files.size(archive.file("1.old"));

        ArchiveRetention.Sweep sweep = ArchiveRetention.sweep(archive, Set.of("1.labelled", "9.9"), now, ArchivePolicy.defaults());

        assertThat(sweep.removed()).containsExactly("1.old");
        assertThat(sweep.bytesRemoved()).isEqualTo(oldBytes);
        assertThat(sweep.removedForSpace()).isZero();
        assertThat(sweep.overCap()).isFalse();
        assertThat(sweep.kept()).isEqualTo(2);
        assertThat(sweep.bytesKept()).isEqualTo(Files.size(archive.file("1.labelled")) + Files.size(archive.file("1.recent")));
        assertThat(archive.contains("1.old")).isFalse();
        assertThat(archive.contains("1.labelled")).isTrue();
        assertThat(archive.contains("1.recent")).isTrue();
        assertThat(archive.entries()).extracting(ImageArchive.Entry::seriesUid).containsExactlyInAnyOrder("1.labelled", "1.recent");

        // a series stored again after the cut-off is not removed, even when listed as old before
        assertThat(archive.removeIfWrittenBefore("1.recent", now.minus(Duration.ofDays(30)))).isFalse();
        assertThat(archive.removeIfWrittenBefore("1.gone", now)).isFalse();
        assertThatThrownBy(() -> ArchiveRetention.sweep(archive, Set.of(), now, new ArchivePolicy(Duration.ZERO, 0)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void overItsSizeCapTheArchiveRemovesTheOldestUnlabelledSeriesFirstAndNeverALabelledOne() throws Exception {
        ImageArchive archive = new ImageArchive(dir);
        Instant now = Instant.parse("2026-12-06T12:00:00Z");
        String[] uids = {"1.first", "1.labelled", "1.second", "1.third", "1.newest"};
        long total = 0;
        for (int i = 0; i < uids.length; i++) {
            archive.store(Fixtures.assemble(uids[i], "chest", 16, 3));
            // archived one day apart, the first five days ago; the labelled one is the oldest but one
            Files.setLastModifiedTime(archive.file(uids[i]), FileTime.from(now.minus(Duration.ofDays(5 - i))));
            total += Files.size(archive.file(uids[i]));
        }
        long first = Files.size(archive.file("1.first"));
        long second = Files.size(archive.file("1.second"));
        Set<String> labelled = Set.of("1.labelled");

        // 1 byte over: the oldest unlabelled series goes, and only it (no age limit)
        ArchiveRetention.Sweep sweep = ArchiveRetention.sweep(archive, labelled, now, new ArchivePolicy(Duration.ZERO,
                total - 1));
        assertThat(sweep.removed()).containsExactly("1.first");
        assertThat(sweep.removedForSpace()).isEqualTo(1);
        assertThat(sweep.bytesKept()).isEqualTo(total - first);
        assertThat(sweep.kept()).isEqualTo(4);
        assertThat(sweep.overCap()).isFalse();

        // the age limit first (1.second is 3 days old), then the cap takes the oldest that is left, past the labelled one
        long third = Files.size(archive.file("1.third"));
        sweep = ArchiveRetention.sweep(archive, labelled, now, new ArchivePolicy(Duration.ofHours(60),
                total - first - second - 1));
        assertThat(sweep.removed()).containsExactly("1.second", "1.third");
        assertThat(sweep.removedForSpace()).isEqualTo(1);
        assertThat(sweep.bytesRemoved()).isEqualTo(second + third);
        assertThat(sweep.overCap()).isFalse();

        // a cap the labelled series alone exceed: every unlabelled one goes, the labelled one stays, and it is said
        sweep = ArchiveRetention.sweep(archive, labelled, now, new ArchivePolicy(Duration.ZERO, 1));
        assertThat(sweep.removed()).containsExactly("1.newest");
        assertThat(sweep.overCap()).isTrue();
        assertThat(sweep.kept()).isEqualTo(1);
        assertThat(archive.entries()).extracting(ImageArchive.Entry::seriesUid).containsExactly("1.labelled");
    }

    @Test
    void thePolicyIsSaidInWordsAndRefusesNegativeLimits() {
        assertThat(ArchivePolicy.defaults().describe())
                .isEqualTo("a series no label names is removed from the archive 30 days after it arrived");
        assertThat(new ArchivePolicy(Duration.ofDays(30), 200_000_000_000L).describe())
                .isEqualTo("a series no label names is removed from the archive 30 days after it arrived, sooner "
                        + "(oldest first), once the archive holds more than 200.0 GB");
        assertThat(new ArchivePolicy(Duration.ZERO, 1_500_000_000L).describe())
                .isEqualTo("a series no label names is removed from the archive (oldest first) once the archive "
                        + "holds more than 1.5 GB");
        assertThat(new ArchivePolicy(Duration.ofHours(6), 0).describe())
                .isEqualTo("a series no label names is removed from the archive PT6H after it arrived");
        assertThat(new ArchivePolicy(Duration.ZERO, 0).describe()).isEmpty();
        assertThatThrownBy(() -> new ArchivePolicy(Duration.ofDays(-1), 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ArchivePolicy(Duration.ZERO, -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("size cap");
    }
}
