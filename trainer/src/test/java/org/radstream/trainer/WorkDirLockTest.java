package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One trainer per work directory. */
class WorkDirLockTest {
    @TempDir
    Path dir;

    @Test
    void aSecondTrainerOnTheSameWorkDirectoryIsRefusedUntilTheFirstLetsGo() throws Exception {
        Path work = dir.resolve("work");
        try (WorkDirLock first = WorkDirLock.acquire(work)) {
            assertThat(Files.readString(work.resolve(WorkDirLock.FILE)).strip())
                    .isEqualTo(String.valueOf(ProcessHandle.current().pid()));
            assertThatThrownBy(() -> WorkDirLock.acquire(work))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("another trainer uses the work directory " + work + " (process " + ProcessHandle.current().pid()
                            + "): run one trainer per work directory, or give this one its own --work-dir");
            // another directory is another trainer's
            try (WorkDirLock other = WorkDirLock.acquire(dir.resolve("other"))) {
                assertThat(dir.resolve("other").resolve(WorkDirLock.FILE)).exists();
            }
        }
        try (WorkDirLock again = WorkDirLock.acquire(work)) {
            assertThat(work.resolve(WorkDirLock.FILE)).exists();
        }
    }
}
