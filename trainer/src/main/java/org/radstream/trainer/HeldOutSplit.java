package org.radstream.trainer;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * How the trainer service divides a task's labelled series for a run: the series it trains on, the
 * selection series that choose the kept epoch and how its weights are read (test-time flips, mask
 * thresholds, minimum component volume), and the gate series on which the quality gate alone
 * compares challenger and champion.
 *
 * <p>The gate's series must be kept apart from every choice of the run. A challenger whose epoch and
 * thresholds were chosen on the scans that then judge it carries the best of many readings there,
 * against a champion read as it ships: on three such scans four of five fine-tuned infection models
 * beat the shipped one and would have been published, though each was worse on the 20 held-out
 * scans (ACCURACY.md, "The gate judged on the scans that chose the reading").
 *
 * <p>A series' role follows from its UID alone, so it never changes from run to run and a series of
 * the gate is never trained on: the gate holds the UIDs that hash into bucket 0 of 5 (the fixed
 * validation set the service always had), the selection those in bucket 1 of 10. With few labels
 * the sets are filled from the training series (the last by UID) so that a run of three or more has
 * one of each; with two the gate's series also choose the reading, and with one the run is scored on
 * its own training series, and the run's progress lines say so.
 *
 * @param <T> a labelled series (its labels and images)
 */
record HeldOutSplit<T>(List<T> train, List<T> selection, List<T> gate) {
    /** What a labelled series is to every run of its task. */
    enum Role { TRAIN, SELECTION, GATE }

    HeldOutSplit {
        train = List.copyOf(train);
        selection = List.copyOf(selection);
        gate = List.copyOf(gate);
    }

    /** The role a series' UID gives it, before a run with few labels fills the held-out sets. */
    static Role role(String seriesUid) {
        if (Math.floorMod(seriesUid.hashCode(), 5) == 0) {
            return Role.GATE;
        }
        return Math.floorMod(seriesUid.hashCode(), 10) == 1 ? Role.SELECTION : Role.TRAIN;
    }

    /** Whether a series is held out of training by its UID: a gate or a selection series. */
    static boolean heldOut(String seriesUid) {
        return role(seriesUid) != Role.TRAIN;
    }

    /**
     * Divides {@code series} (in a fixed order, e.g. by UID) by their roles; with
     * {@code withSelection} false (a run that chooses nothing the gate should not see, or one whose
     * gate is its choice, as the classifier's is) the selection series are trained on.
     */
    static <T> HeldOutSplit<T> of(List<T> series, Function<T, String> uidOf, boolean withSelection) {
        List<T> train = new ArrayList<>();
        List<T> selection = new ArrayList<>();
        List<T> gate = new ArrayList<>();
        for (T s : series) {
            switch (role(uidOf.apply(s))) {
                case GATE -> gate.add(s);
                case SELECTION -> (withSelection ? selection : train).add(s);
                default -> train.add(s);
            }
        }
        if (train.isEmpty()) {
            List<T> from = selection.size() >= gate.size() ? selection : gate;
            if (!from.isEmpty()) {
                train.add(from.remove(0));
            }
        }
        if (gate.isEmpty()) {
            moveLast(train.size() >= 2 ? train : selection.size() >= 2 ? selection : null, gate);
        }
        if (withSelection && selection.isEmpty()) {
            moveLast(train.size() >= 2 ? train : gate.size() >= 2 ? gate : null, selection);
        }
        return new HeldOutSplit<>(train, selection, gate);
    }

    private static <T> void moveLast(List<T> from, List<T> to) {
        if (from != null) {
            to.add(from.remove(from.size() - 1));
        }
    }

    /** Whether the gate judges on series that chose nothing: there are both gate and selection series. */
    boolean gateApart() {
        return !gate.isEmpty() && !selection.isEmpty();
    }

    /**
     * The series that choose the kept epoch and the reading: the selection series when the gate is
     * apart from them; else the gate's (two labelled series); else the training series themselves
     * (one).
     */
    List<T> choosing() {
        if (!selection.isEmpty()) {
            return selection;
        }
        return gate.isEmpty() ? train : gate;
    }

    /** A line for the run's progress that says which series judge and which choose. */
    String describe(String task) {
        if (gateApart()) {
            return String.format(Locale.ROOT, "%s: %d labelled series: %d to train on, %d to choose the kept epoch and "
                    + "the reading, %d for the quality gate alone", task, size(), train.size(), selection.size(), gate.size());
        }
        if (!gate.isEmpty() || !selection.isEmpty()) {
            return String.format(Locale.ROOT, "%s: %d labelled series: %d to train on, %d to choose the kept epoch and "
                    + "the reading and for the quality gate (too few to keep the gate's apart)", task, size(), train.size(),
                    choosing().size());
        }
        if (train.isEmpty()) {
            return task + ": no labelled series with its images";
        }
        return task + ": 1 labelled series, trained on and scored on itself (too few to hold any out)";
    }

    /** What each series of the split is to this run, by {@code uidOf}: trained on, selection or gate. */
    Map<String, Role> roles(Function<T, String> uidOf) {
        Map<String, Role> out = new TreeMap<>();
        train.forEach(t -> out.put(uidOf.apply(t), Role.TRAIN));
        selection.forEach(t -> out.put(uidOf.apply(t), Role.SELECTION));
        gate.forEach(t -> out.put(uidOf.apply(t), Role.GATE));
        return out;
    }

    private int size() {
        return train.size() + selection.size() + gate.size();
    }
}
