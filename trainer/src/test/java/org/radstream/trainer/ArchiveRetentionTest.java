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

        ArchiveRetention.Sweep sweep = ArchiveRetention.sweep(archive, Set.of("1.labelled", "9.9"), now, Duration.ofDays(30));

        assertThat(sweep.removed()).containsExactly("1.old");
        assertThat(sweep.bytesRemoved()).isEqualTo(oldBytes);
        assertThat(sweep.kept()).isEqualTo(2);
        assertThat(sweep.bytesKept()).isEqualTo(Files.size(archive.file("1.labelled")) + Files.size(archive.file("1.recent")));
        assertThat(archive.contains("1.old")).isFalse();
        assertThat(archive.contains("1.labelled")).isTrue();
        assertThat(archive.contains("1.recent")).isTrue();
        assertThat(archive.entries()).extracting(ImageArchive.Entry::seriesUid).containsExactlyInAnyOrder("1.labelled", "1.recent");

        // a series stored again after the cut-off is not removed, even when listed as old before
        assertThat(archive.removeIfWrittenBefore("1.recent", now.minus(Duration.ofDays(30)))).isFalse();
        assertThat(archive.removeIfWrittenBefore("1.gone", now)).isFalse();
        assertThatThrownBy(() -> ArchiveRetention.sweep(archive, Set.of(), now, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
