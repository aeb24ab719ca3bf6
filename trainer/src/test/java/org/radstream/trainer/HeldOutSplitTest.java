package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * How the trainer service divides a task's labelled series: by UID into training, selection and
 * gate series that never share one; with few labels, filled so that three or more series give one
 * of each, two share the gate's with the choosing, one is scored on itself.
 */
class HeldOutSplitTest {
    // by String.hashCode: 5.9.5 and 5.9.11 hash into the gate's bucket (0 of 5), 5.9.1 and 5.9.12
    // into the selection's (1 of 10), the others are trained on
    private static final Function<String, String> UID = Function.identity();

    @Test
    void rolesFollowFromTheUidAlone() {
        assertThat(List.of("5.9.5", "5.9.11")).allMatch(u -> HeldOutSplit.role(u) == HeldOutSplit.Role.GATE);
        assertThat(List.of("5.9.1", "5.9.12")).allMatch(u -> HeldOutSplit.role(u) == HeldOutSplit.Role.SELECTION);
        assertThat(List.of("5.9.2", "5.9.3", "5.9.4", "5.9.6", "5.9.7")).allMatch(u -> HeldOutSplit.role(u) == HeldOutSplit.Role.TRAIN);
        assertThat(List.of("5.9.5", "5.9.1")).allMatch(HeldOutSplit::heldOut);
        assertThat(HeldOutSplit.heldOut("5.9.2")).isFalse();
        // the gate is the fixed validation set the service always had: a fifth of the UIDs
        assertThat(HeldOutSplit.role("2.6")).isEqualTo(HeldOutSplit.Role.GATE);
    }

    @Test
    void enoughLabelsKeepTheGatesSeriesApartFromEveryChoice() {
        HeldOutSplit<String> s = HeldOutSplit.of(List.of("5.9.1", "5.9.11", "5.9.12", "5.9.2", "5.9.3", "5.9.4", "5.9.5"),
                UID, true);
        assertThat(s.train()).containsExactly("5.9.2", "5.9.3", "5.9.4");
        assertThat(s.selection()).containsExactly("5.9.1", "5.9.12");
        assertThat(s.gate()).containsExactly("5.9.11", "5.9.5");
        assertThat(s.gateApart()).isTrue();
        assertThat(s.choosing()).isSameAs(s.selection());
        assertThat(s.describe("infection")).isEqualTo("infection: 7 labelled series: 3 to train on, 2 to choose the kept "
                + "epoch and the reading, 2 for the quality gate alone");
    }

    @Test
    void threeSeriesOfOneBucketStillGiveOneOfEach() {
        // none held out by its UID: the last two by UID become the gate's and the selection's
        HeldOutSplit<String> trainOnly = HeldOutSplit.of(List.of("5.9.2", "5.9.3", "5.9.4"), UID, true);
        assertThat(trainOnly.train()).containsExactly("5.9.2");
        assertThat(trainOnly.selection()).containsExactly("5.9.3");
        assertThat(trainOnly.gate()).containsExactly("5.9.4");
        assertThat(trainOnly.gateApart()).isTrue();
        // all of the gate's: one is trained on, one chooses
        HeldOutSplit<String> gateOnly = HeldOutSplit.of(List.of("2.6", "5.9.11", "5.9.5"), UID, true);
        assertThat(gateOnly.train()).containsExactly("2.6");
        assertThat(gateOnly.selection()).containsExactly("5.9.5");
        assertThat(gateOnly.gate()).containsExactly("5.9.11");
        // all of the selection's
        HeldOutSplit<String> selectionOnly = HeldOutSplit.of(List.of("5.9.1", "5.9.12", "4.5"), UID, true);
        assertThat(selectionOnly.train()).containsExactly("5.9.1");
        assertThat(selectionOnly.selection()).containsExactly("5.9.12");
        assertThat(selectionOnly.gate()).containsExactly("4.5");
    }

    @Test
    void twoSeriesShareTheGatesWithTheChoosingAndSaySo() {
        HeldOutSplit<String> s = HeldOutSplit.of(List.of("5.9.2", "5.9.3"), UID, true);
        assertThat(s.train()).containsExactly("5.9.2");
        assertThat(s.selection()).isEmpty();
        assertThat(s.gate()).containsExactly("5.9.3");
        assertThat(s.gateApart()).isFalse();
        assertThat(s.choosing()).containsExactly("5.9.3");
        assertThat(s.describe("lung")).isEqualTo("lung: 2 labelled series: 1 to train on, 1 to choose the kept epoch and "
                + "the reading and for the quality gate (too few to keep the gate's apart)");
        // a selection series and a training one: the selection series judges too
        HeldOutSplit<String> withSelection = HeldOutSplit.of(List.of("5.9.1", "5.9.2"), UID, true);
        assertThat(withSelection.train()).containsExactly("5.9.2");
        assertThat(withSelection.choosing()).containsExactly("5.9.1");
        assertThat(withSelection.gateApart()).isFalse();
        assertThat(withSelection.describe("lung")).isEqualTo(s.describe("lung"));
    }

    @Test
    void oneSeriesIsTrainedOnAndScoredOnItself() {
        HeldOutSplit<String> s = HeldOutSplit.of(List.of("5.9.5"), UID, true);
        assertThat(s.train()).containsExactly("5.9.5");
        assertThat(s.choosing()).containsExactly("5.9.5");
        assertThat(s.gateApart()).isFalse();
        assertThat(s.describe("liver")).isEqualTo("liver: 1 labelled series, trained on and scored on itself (too few to "
                + "hold any out)");
        HeldOutSplit<String> none = HeldOutSplit.of(List.<String>of(), UID, true);
        assertThat(none.train()).isEmpty();
        assertThat(none.describe("liver")).isEqualTo("liver: no labelled series with its images");
    }

    @Test
    void withoutSelectionTheSelectionSeriesAreTrainedOn() {
        // the classifier's gate is what chooses its threshold: it keeps the gate's series as its validation
        HeldOutSplit<String> s = HeldOutSplit.of(List.of("5.9.1", "5.9.2", "5.9.5", "5.9.12"), UID, false);
        assertThat(s.train()).containsExactly("5.9.1", "5.9.2", "5.9.12");
        assertThat(s.selection()).isEmpty();
        assertThat(s.gate()).containsExactly("5.9.5");
        assertThat(s.gateApart()).isFalse();
        assertThat(s.choosing()).containsExactly("5.9.5");
    }
}
