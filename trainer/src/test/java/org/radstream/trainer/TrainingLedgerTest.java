package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.imaging.Mask3D;

class TrainingLedgerTest {
    @TempDir
    Path dir;

    private final Instant t0 = Instant.parse("2026-12-06T08:00:00Z");

    private static LabelIntake.Accepted label(String series, long offset) {
        // each offset its own mask: a correction changes the voxels
        return label(series, offset, (int) offset);
    }

    /** A label whose mask holds voxel {@code voxel} (of 32), sent by {@code annotator}. */
    private static LabelIntake.Accepted label(String series, long offset, int voxel, String annotator) {
        Mask3D mask = new Mask3D(4, 4, 2);
        mask.set(voxel % 4, voxel / 4 % 4, voxel / 16 % 2, true);
        return new LabelIntake.Accepted(series + ":lung", offset,
                LabelMaker.label(series, "lung", mask, annotator, "radiologist", null), Instant.EPOCH);
    }

    private static LabelIntake.Accepted label(String series, long offset, int voxel) {
        return label(series, offset, voxel, "dr");
    }

    @Test
    void labelsAFinishedRunTrainedOnAreNotNewAgainAfterARestartButCorrectionsAre() {
        Path file = dir.resolve(TrainingLedger.FILE);
        TrainingLedger ledger = TrainingLedger.open(file);
        List<LabelIntake.Accepted> first = List.of(label("1.1", 0), label("1.2", 1));
        assertThat(ledger.fresh("lung", first)).isEqualTo(2);
        ledger.started("lung", t0);
        ledger.finished("lung", t0.plusSeconds(60), "published", first);
        assertThat(ledger.fresh("lung", first)).isZero();

        TrainingLedger reopened = TrainingLedger.open(file);
        assertThat(reopened.fresh("lung", first)).isZero();
        assertThat(reopened.lastFinished("lung")).contains(t0.plusSeconds(60));
        assertThat(reopened.interrupted("lung")).isEmpty();
        // a corrected label is a new offset under the same key; a label of a new series is new
        assertThat(reopened.fresh("lung", List.of(label("1.1", 5), label("1.2", 1), label("1.3", 6)))).isEqualTo(2);
        // a label the run trained on and that was withdrawn since is a change too
        assertThat(reopened.fresh("lung", List.of(label("1.1", 0)))).isEqualTo(1);
        assertThat(reopened.fresh("lung", List.of())).isEqualTo(2);
        // another task's labels are its own
        assertThat(reopened.fresh("liver", first)).isEqualTo(2);
        assertThat(reopened.lastFinished("liver")).isEmpty();
    }

    @Test
    void theSameMaskSentAgainIsNotAChangeButAnotherMaskIs() {
        Path file = dir.resolve(TrainingLedger.FILE);
        TrainingLedger ledger = TrainingLedger.open(file);
        ledger.finished("lung", t0, "published", List.of(label("1.1", 0, 7), label("1.2", 1, 9)));

        // the PACS forwards the same correction twice, another reader saves it unchanged: new offsets, same voxels
        List<LabelIntake.Accepted> resent = List.of(label("1.1", 4, 7, "another reader"), label("1.2", 5, 9));
        assertThat(ledger.fresh("lung", resent)).isZero();
        assertThat(TrainingLedger.open(file).fresh("lung", resent)).as("after a restart").isZero();
        assertThat(ledger.task("lung").orElseThrow().covers(resent.get(0))).isTrue();
        // one voxel differs: a correction
        assertThat(ledger.fresh("lung", List.of(label("1.1", 6, 8), label("1.2", 5, 9)))).isEqualTo(1);
        // corrected and then put back as it was trained: no change
        assertThat(ledger.fresh("lung", List.of(label("1.1", 7, 7), label("1.2", 5, 9)))).isZero();
    }

    @Test
    void aStateFileWithoutDigestsIsReadAndItsOffsetsDecide() throws Exception {
        Path file = dir.resolve(TrainingLedger.FILE);
        // as the trainer wrote it before it kept the masks' digests
        Files.writeString(file, """
                {"tasks":{"lung":{"finishedAt":"2026-12-06T08:00:00Z","result":"published","labels":{"1.1:lung":0},
                "runningSince":null}},"deadLettered":{}}""");
        TrainingLedger ledger = TrainingLedger.open(file);
        assertThat(ledger.fresh("lung", List.of(label("1.1", 0, 7)))).isZero();
        assertThat(ledger.fresh("lung", List.of(label("1.1", 3, 7)))).as("no digest to say it is the same").isEqualTo(1);
        ledger.finished("lung", t0.plusSeconds(60), "published", List.of(label("1.1", 3, 7)));
        assertThat(TrainingLedger.open(file).fresh("lung", List.of(label("1.1", 8, 7)))).isZero();
    }

    @Test
    void theSeriesARunHeldOutAreKeptWithTheirRoleAcrossARestart() {
        Path file = dir.resolve(TrainingLedger.FILE);
        TrainingLedger ledger = TrainingLedger.open(file);
        List<LabelIntake.Accepted> labels = List.of(label("1.1", 0, 7), label("1.2", 1, 8), label("1.3", 2, 9));
        ledger.finished("lung", t0, "published", labels, java.util.Map.of("1.1", HeldOutSplit.Role.TRAIN,
                "1.2", HeldOutSplit.Role.SELECTION, "1.3", HeldOutSplit.Role.GATE));

        TrainingLedger.TaskState s = TrainingLedger.open(file).task("lung").orElseThrow();
        assertThat(s.heldOut(labels.get(0))).isEmpty();
        assertThat(s.heldOut(labels.get(1))).contains(HeldOutSplit.Role.SELECTION);
        assertThat(s.heldOut(labels.get(2))).contains(HeldOutSplit.Role.GATE);
        // the same mask sent again is the label the run held out; a correction since is not
        assertThat(s.heldOut(label("1.3", 5, 9))).contains(HeldOutSplit.Role.GATE);
        assertThat(s.heldOut(label("1.3", 6, 4))).isEmpty();
        // a failed run took nothing in: the roles of the run before stand
        ledger.finished("lung", t0.plusSeconds(60), TrainingLedger.FAILED, labels, java.util.Map.of());
        assertThat(ledger.task("lung").orElseThrow().heldOut(labels.get(2))).contains(HeldOutSplit.Role.GATE);
        // a run that held none of them out
        ledger.finished("lung", t0.plusSeconds(90), "published", labels);
        assertThat(ledger.task("lung").orElseThrow().heldOut(labels.get(2))).isEmpty();
    }

    @Test
    void aHeldOutRoleItDoesNotKnowSaysNothingAndFailsNothing() throws Exception {
        Path file = dir.resolve(TrainingLedger.FILE);
        Files.writeString(file, """
                {"tasks":{"lung":{"finishedAt":"2026-12-06T08:00:00Z","result":"published","labels":{"1.1:lung":0,"1.2:lung":1},
                "runningSince":null,"heldOut":{"1.1:lung":"AUDIT","1.2:lung":"GATE"}}},"deadLettered":{}}""");
        TrainingLedger.TaskState s = TrainingLedger.open(file).task("lung").orElseThrow();
        assertThat(s.heldOut(label("1.1", 0))).isEmpty();
        assertThat(s.heldOut(label("1.2", 1))).contains(HeldOutSplit.Role.GATE);
        assertThat(TrainingLedger.open(file).fresh("lung", List.of(label("1.1", 0), label("1.2", 1)))).isZero();
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {TrainingLedger.FAILED, TrainingLedger.CANCELLED})
    void aFailedOrCancelledRunLeavesItsLabelsUntrainedAndWhatTheRunBeforeTrainedOn(String result) {
        TrainingLedger ledger = TrainingLedger.open(dir.resolve(TrainingLedger.FILE));
        List<LabelIntake.Accepted> first = List.of(label("1.1", 0));
        ledger.finished("lung", t0, "published", first);
        List<LabelIntake.Accepted> more = List.of(label("1.1", 0), label("1.2", 1), label("1.3", 2));
        ledger.started("lung", t0.plusSeconds(60));
        ledger.finished("lung", t0.plusSeconds(90), result, more);

        assertThat(ledger.fresh("lung", more)).isEqualTo(2);
        assertThat(ledger.lastResult("lung")).contains(result);
        assertThat(ledger.lastFinished("lung")).contains(t0.plusSeconds(90));
        assertThat(ledger.interrupted("lung")).isEmpty();
        assertThat(TrainingLedger.open(dir.resolve(TrainingLedger.FILE)).fresh("lung", more)).isEqualTo(2);
    }

    @Test
    void aRunStartedAndNotFinishedIsInterruptedAfterARestartAndItsLabelsStayNew() {
        Path file = dir.resolve(TrainingLedger.FILE);
        TrainingLedger ledger = TrainingLedger.open(file);
        List<LabelIntake.Accepted> first = List.of(label("1.1", 0));
        ledger.started("lung", t0);
        ledger.finished("lung", t0.plusSeconds(60), "refused", first);
        List<LabelIntake.Accepted> more = List.of(label("1.1", 0), label("1.2", 3));
        ledger.started("lung", t0.plusSeconds(3600));
        assertThat(ledger.interrupted("lung")).as("this process's own run is not interrupted").isEmpty();
        // the process dies here

        TrainingLedger reopened = TrainingLedger.open(file);
        assertThat(reopened.interrupted("lung")).contains(t0.plusSeconds(3600));
        assertThat(reopened.fresh("lung", more)).isEqualTo(1);
        assertThat(reopened.lastFinished("lung")).contains(t0.plusSeconds(60));
        reopened.started("lung", t0.plusSeconds(7200));
        assertThat(reopened.interrupted("lung")).as("running again").isEmpty();
        reopened.finished("lung", t0.plusSeconds(7300), "published", more);
        assertThat(TrainingLedger.open(file).interrupted("lung")).isEmpty();
        assertThat(TrainingLedger.open(file).task("lung")).hasValueSatisfying(s -> {
            assertThat(s.result()).isEqualTo("published");
            assertThat(s.labels()).containsEntry("1.1:lung", 0L).containsEntry("1.2:lung", 3L).hasSize(2);
        });
    }

    @Test
    void deadLetteredRecordsAreRemembered() {
        Path file = dir.resolve(TrainingLedger.FILE);
        TrainingLedger ledger = TrainingLedger.open(file);
        ledger.deadLetter(0, 7);
        ledger.deadLetter(2, 7);
        TrainingLedger reopened = TrainingLedger.open(file);
        assertThat(reopened.deadLettered(0, 7)).isTrue();
        assertThat(reopened.deadLettered(2, 7)).isTrue();
        assertThat(reopened.deadLettered(1, 7)).isFalse();
        assertThat(reopened.deadLettered(0, 8)).isFalse();
    }

    @Test
    void anUnreadableStateIsSetAsideAndTheTrainerStartsAfresh() throws Exception {
        Path file = dir.resolve(TrainingLedger.FILE);
        Files.writeString(file, "{\"tasks\": {\"lung\": {\"running_since\": ");
        TrainingLedger ledger = TrainingLedger.open(file);
        assertThat(ledger.fresh("lung", List.of(label("1.1", 0)))).isEqualTo(1);
        assertThat(ledger.interrupted("lung")).isEmpty();
        assertThat(Files.exists(file)).isFalse();
        try (var aside = Files.list(dir)) {
            assertThat(aside.map(p -> p.getFileName().toString()))
                    .singleElement().asString().startsWith(TrainingLedger.FILE + ".unreadable-");
        }
        ledger.started("lung", t0);
        assertThat(TrainingLedger.open(file).interrupted("lung")).contains(t0);
    }
}
