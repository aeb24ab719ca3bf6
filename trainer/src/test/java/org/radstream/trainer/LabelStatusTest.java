package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.radstream.avro.CorrectedLabel;
import org.radstream.imaging.Mask3D;

/**
 * What a radiologist is told of a label: the one in use, a newer one waiting or refused, and whether
 * it was trained on or held out to choose or judge.
 */
class LabelStatusTest {
    private final Instant t0 = Instant.parse("2026-12-06T09:00:00Z");
    private final CorrectedLabel label = LabelMaker.label("2.1", "lung", new Mask3D(4, 4, 2), "dr-a", "radiologist", null);
    private final LabelIntake.Accepted accepted = new LabelIntake.Accepted("2.1:lung", 5, label, t0);

    @Test
    void aCorrectionRefusedOrWaitingIsSaidBesideTheLabelInUse() {
        Map<String, Object> refusedCorrection = LabelStatus.of("2.1", "lung", Optional.of(accepted), Optional.empty(),
                Optional.of(new LabelStatus.Refusal(9, "mask size 4×4×3 does not match series 2.1 (4×4×2)", t0.plusSeconds(60))),
                true, Optional.empty(), Optional.of(Map.entry(t0.plusSeconds(30), "published")));
        assertThat(refusedCorrection.get("state")).isEqualTo("refused");
        assertThat(refusedCorrection.get("summary")).isEqualTo("the newest label was refused at 2026-12-06T09:01:00Z: mask "
                + "size 4×4×3 does not match series 2.1 (4×4×2); the label in use was accepted (by dr-a, radiologist); "
                + "trained on by the lung run that finished at 2026-12-06T09:00:30Z (published)");

        Map<String, Object> waiting = LabelStatus.of("2.1", "lung", Optional.of(accepted),
                Optional.of(new LabelIntake.Incoming("2.1:lung", label, new byte[] {1}, "t", 0, 7, t0.plusSeconds(90))),
                Optional.empty(), false, Optional.empty(), Optional.empty());
        assertThat(waiting.get("state")).isEqualTo("waiting");
        assertThat(waiting.get("summary")).isEqualTo("the newest label waits for the series' images (since "
                + "2026-12-06T09:01:30Z); the label in use was accepted (by dr-a, radiologist); no finished run has trained "
                + "on it yet");
    }

    @Test
    void aLabelTrainedOnByARefusedRunIsSaidNotToBeInTheModelInUse() {
        Map<String, Object> s = LabelStatus.of("2.1", "lung", Optional.of(accepted), Optional.empty(),
                // an older refusal does not count against a newer accepted label
                Optional.of(new LabelStatus.Refusal(3, "unknown series", t0.minusSeconds(600))),
                true, Optional.empty(), Optional.of(Map.entry(t0.plusSeconds(30), "refused")));
        assertThat(s.get("state")).isEqualTo("accepted");
        assertThat((String) s.get("summary")).endsWith("(its model was refused by the quality gate, so the model in use "
                + "did not learn from it)");
        @SuppressWarnings("unchecked")
        Map<String, Object> in = (Map<String, Object>) s.get("accepted");
        assertThat(in).containsEntry("trained", true).containsEntry("trained_in_run_result", "refused");
        // trained on by an earlier run, when the last one failed
        assertThat((String) LabelStatus.of("2.1", "lung", Optional.of(accepted), Optional.empty(), Optional.empty(),
                true, Optional.empty(), Optional.empty()).get("summary")).endsWith("; trained on by an earlier lung run");
        assertThat(LabelStatus.of("2.1", "lung", Optional.empty(), Optional.empty(), Optional.empty(), false,
                Optional.empty(), Optional.empty())).containsEntry("state", "unknown");
    }

    @Test
    void aLabelHeldOutToJudgeOrToChooseIsSaidNotToBeLearntFrom() {
        Map<String, Object> gate = LabelStatus.of("2.1", "lung", Optional.of(accepted), Optional.empty(), Optional.empty(),
                true, Optional.of(HeldOutSplit.Role.GATE), Optional.of(Map.entry(t0.plusSeconds(30), "published")));
        assertThat(gate.get("summary")).isEqualTo("accepted (by dr-a, radiologist); held out of the lung run that finished "
                + "at 2026-12-06T09:00:30Z (published) for the quality gate, which judged that run's model against the one "
                + "in use on such series; the run did not learn from it");
        @SuppressWarnings("unchecked")
        Map<String, Object> in = (Map<String, Object>) gate.get("accepted");
        assertThat(in).containsEntry("trained", true).containsEntry("held_out", "gate");

        Map<String, Object> selection = LabelStatus.of("2.1", "lung", Optional.of(accepted), Optional.empty(),
                Optional.empty(), true, Optional.of(HeldOutSplit.Role.SELECTION), Optional.empty());
        assertThat(selection.get("summary")).isEqualTo("accepted (by dr-a, radiologist); held out of an earlier lung run "
                + "to choose when its training stopped and how its masks are read; the run did not learn from it");
        @SuppressWarnings("unchecked")
        Map<String, Object> sel = (Map<String, Object>) selection.get("accepted");
        assertThat(sel).containsEntry("held_out", "selection");

        // a role from a run that did not take this label in (a correction since) is not said
        Map<String, Object> since = LabelStatus.of("2.1", "lung", Optional.of(accepted), Optional.empty(), Optional.empty(),
                false, Optional.of(HeldOutSplit.Role.GATE), Optional.empty());
        @SuppressWarnings("unchecked")
        Map<String, Object> notYet = (Map<String, Object>) since.get("accepted");
        assertThat(notYet).doesNotContainKey("held_out");
        assertThat((String) since.get("summary")).endsWith("; no finished run has trained on it yet");
    }
}
