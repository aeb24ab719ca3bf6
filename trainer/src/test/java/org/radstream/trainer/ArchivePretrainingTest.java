package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which archived series a run pretrains on: its group's, unlabelled, not held out for selection or the gate, newest first. */
class ArchivePretrainingTest {
    private static ImageArchive.Entry entry(String uid, int minute) {
        return new ImageArchive.Entry(uid, 1000, Instant.parse("2026-12-06T10:00:00Z").plusSeconds(60L * minute));
    }

    @Test
    void theNewestUnlabelledSeriesOfTheTasksGroupNotHeldOut() {
        List<ImageArchive.Entry> entries = List.of(entry("2.3", 1), entry("2.6", 9), entry("3.3", 8), entry("2.4", 7),
                entry("2.5", 2), entry("2.8", 5), entry("3.2", 6), entry("2.7", 10));
        Map<String, String> groups = Map.of("2.3", "chest", "2.6", "chest", "3.3", "liver", "2.4", "chest", "2.5", "chest",
                "2.8", "chest", "2.7", "chest");
        // 2.6 is a gate series, 2.7 a selection series; 2.4 is labelled; 3.3 is a liver series; 3.2 was removed meanwhile
        assertThat(HeldOutSplit.role("2.6")).isEqualTo(HeldOutSplit.Role.GATE);
        assertThat(HeldOutSplit.role("2.7")).isEqualTo(HeldOutSplit.Role.SELECTION);
        assertThat(List.of("2.3", "2.4", "2.5", "2.8", "3.2", "3.3")).noneMatch(HeldOutSplit::heldOut);
        assertThat(TrainerService.pretrainingSeries(entries, u -> Optional.ofNullable(groups.get(u)), Set.of("2.4"),
                TrainingTask.LUNG, 16)).containsExactly("2.8", "2.5", "2.3");
        assertThat(TrainerService.pretrainingSeries(entries, u -> Optional.ofNullable(groups.get(u)), Set.of("2.4"),
                TrainingTask.INFECTION, 2)).containsExactly("2.8", "2.5");
        assertThat(TrainerService.pretrainingSeries(entries, u -> Optional.ofNullable(groups.get(u)), Set.of(),
                TrainingTask.LIVER, 16)).containsExactly("3.3");
        assertThat(TrainerService.pretrainingSeries(List.of(), u -> Optional.empty(), Set.of(), TrainingTask.LUNG, 16))
                .isEmpty();
    }

    @Test
    void noEpochOrNoSeriesIsRefused() {
        assertThatThrownBy(() -> new ArchivePretraining(0, 16)).hasMessage("pretraining needs at least one epoch, got 0");
        assertThatThrownBy(() -> new ArchivePretraining(3, 0)).hasMessage("pretraining needs at least one series, got 0");
    }
}
