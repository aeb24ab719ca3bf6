package org.radstream.trainer;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the trainer has done, kept on disk in its work directory so that a restart neither redoes
 * nor forgets it. The label store is re-read from the start of the compacted topic at every start,
 * so without this every label would look new after a restart and every task would retrain (hours
 * of CPU each), and every bad label would be dead-lettered again.
 *
 * <p>Per task it keeps the labels the last finished run trained on (key → offset on the label
 * topic: a corrected label is a new offset under the same key, so it counts as new; and key → the
 * digest of its mask, so that the same mask sent again, a new offset, does not; and which of them
 * it held out to choose or judge rather than train on), when that run finished, and a run started
 * and not finished: a run the previous process did not finish (it
 * crashed or was killed) is reported as interrupted, and its labels are still new. It also keeps the
 * label records already dead-lettered (partition and offset), which are not refused twice.
 *
 * <p>Written whole to a temporary file and moved into place at every change, so a crash leaves
 * the old or the new state, never half of one. An unreadable file is logged and set aside (the
 * trainer then starts as if new: at worst a run is repeated), not fatal.
 */
final class TrainingLedger {
    private static final Logger log = LoggerFactory.getLogger(TrainingLedger.class);
    static final String FILE = "training-state.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One task's record: the last finished run (ISO-8601 instant, result, the labels it trained on)
     * and a run in progress (its start; null: none).
     */
    /** The result of a run that ended in an exception. */
    static final String FAILED = "failed";
    static final String CANCELLED = "cancelled";

    record TaskState(String finishedAt, String result, Map<String, Long> labels, String runningSince,
                     Map<String, String> digests, Map<String, String> heldOut) {
        TaskState {
            labels = labels == null ? Map.of() : Map.copyOf(labels);
            // a state file written before the digests were kept has none: offsets alone decide
            digests = digests == null ? Map.of() : Map.copyOf(digests);
            // nor held-out roles, before the runs held series out by role: none is said to be held out
            heldOut = heldOut == null ? Map.of() : Map.copyOf(heldOut);
        }

        /**
         * What the run recorded here held {@code label} out for ({@link HeldOutSplit.Role#GATE}: to
         * judge it; {@link HeldOutSplit.Role#SELECTION}: to choose its epoch and reading), when it
         * took the label in ({@link #covers}) without training on it.
         */
        Optional<HeldOutSplit.Role> heldOut(LabelIntake.Accepted label) {
            String role = covers(label) ? heldOut.get(label.key()) : null;
            // a role this version does not know (a state file edited by hand, or written by a later
            // version) says nothing rather than failing every status request
            return java.util.Arrays.stream(HeldOutSplit.Role.values()).filter(r -> r.name().equals(role)).findFirst();
        }

        /** Whether the run recorded here trained on {@code label}: its offset, or the same mask under its key. */
        boolean covers(LabelIntake.Accepted label) {
            Long offset = labels.get(label.key());
            return offset != null && (offset == label.offset() || label.digest().equals(digests.get(label.key())));
        }
    }

    /** The file's content. */
    record State(Map<String, TaskState> tasks, Map<Integer, TreeSet<Long>> deadLettered) {}

    private final Path file;
    private final Map<String, TaskState> tasks;
    private final Map<Integer, TreeSet<Long>> deadLettered;
    private final Map<String, Instant> interrupted = new TreeMap<>();

    private TrainingLedger(Path file, State state) {
        this.file = file;
        this.tasks = new TreeMap<>(state.tasks() == null ? Map.of() : state.tasks());
        this.deadLettered = new TreeMap<>();
        if (state.deadLettered() != null) {
            state.deadLettered().forEach((p, offsets) -> deadLettered.put(p, new TreeSet<>(offsets)));
        }
        this.tasks.forEach((task, s) -> {
            if (s.runningSince() != null) {
                interrupted.put(task, Instant.parse(s.runningSince()));
            }
        });
    }

    /** The ledger in {@code file}; empty when there is none yet or it cannot be read. */
    static TrainingLedger open(Path file) {
        if (!Files.exists(file)) {
            return new TrainingLedger(file, new State(Map.of(), Map.of()));
        }
        try {
            return new TrainingLedger(file, JSON.readValue(file.toFile(), new TypeReference<State>() {}));
        } catch (IOException | RuntimeException e) {
            Path aside = file.resolveSibling(file.getFileName() + ".unreadable-" + System.currentTimeMillis());
            log.warn("training state {} is unreadable ({}); moved to {} and starting afresh: tasks with labels retrain",
                    file, e.toString(), aside);
            try {
                Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException moveFailed) {
                log.warn("could not move {} aside: {}", file, moveFailed.toString());
            }
            return new TrainingLedger(file, new State(Map.of(), Map.of()));
        }
    }

    /**
     * How the task's labels changed since its last finished run: how many of {@code labels} it did
     * not train on (new, or corrected since: the same mask sent again is not a change), plus how
     * many it trained on that are no longer among them (withdrawn).
     */
    synchronized int fresh(String task, Collection<LabelIntake.Accepted> labels) {
        TaskState s = tasks.get(task);
        if (s == null) {
            return labels.size();
        }
        int n = 0;
        java.util.Set<String> keys = new java.util.HashSet<>();
        for (LabelIntake.Accepted a : labels) {
            keys.add(a.key());
            if (!s.covers(a)) {
                n++;
            }
        }
        for (String key : s.labels().keySet()) {
            if (!keys.contains(key)) {
                n++;
            }
        }
        return n;
    }

    /** When the task's last run finished (published, refused or failed). */
    synchronized Optional<Instant> lastFinished(String task) {
        TaskState s = tasks.get(task);
        return s == null || s.finishedAt() == null ? Optional.empty() : Optional.of(Instant.parse(s.finishedAt()));
    }

    /** When the run the previous process started and did not finish started; empty once the task runs again. */
    synchronized Optional<Instant> interrupted(String task) {
        return Optional.ofNullable(interrupted.get(task));
    }

    /** A run of the task starts. */
    synchronized void started(String task, Instant at) {
        TaskState s = tasks.get(task);
        tasks.put(task, s == null ? new TaskState(null, null, Map.of(), at.toString(), Map.of(), Map.of())
                : new TaskState(s.finishedAt(), s.result(), s.labels(), at.toString(), s.digests(), s.heldOut()));
        interrupted.remove(task);
        save();
    }

    /** The same, with no label held out. */
    synchronized void finished(String task, Instant at, String result, Collection<LabelIntake.Accepted> labels) {
        finished(task, at, result, labels, Map.of());
    }

    /**
     * A run of the task finished with {@code result}, having taken in {@code labels}: trained on
     * them, or held out those {@code heldOut} names (by series UID) to choose or judge; a failed or
     * cancelled run took in nothing, so its labels stay untrained and are tried again.
     */
    synchronized void finished(String task, Instant at, String result, Collection<LabelIntake.Accepted> labels,
                               Map<String, HeldOutSplit.Role> heldOut) {
        Map<String, Long> covered = new TreeMap<>();
        Map<String, String> digests = new TreeMap<>();
        Map<String, String> roles = new TreeMap<>();
        if (FAILED.equals(result) || CANCELLED.equals(result)) {
            // it learnt nothing: what the run before it trained on stays what was trained on
            TaskState before = tasks.get(task);
            if (before != null) {
                covered.putAll(before.labels());
                digests.putAll(before.digests());
                roles.putAll(before.heldOut());
            }
        } else {
            for (LabelIntake.Accepted a : labels) {
                covered.put(a.key(), a.offset());
                digests.put(a.key(), a.digest());
                HeldOutSplit.Role role = heldOut.get(a.seriesUid());
                if (role != null && role != HeldOutSplit.Role.TRAIN) {
                    roles.put(a.key(), role.name());
                }
            }
        }
        tasks.put(task, new TaskState(at.toString(), result, covered, null, digests, roles));
        save();
    }

    /** How the task's last run ended: published, refused, failed or cancelled. */
    synchronized Optional<String> lastResult(String task) {
        TaskState s = tasks.get(task);
        return s == null || s.finishedAt() == null ? Optional.empty() : Optional.ofNullable(s.result());
    }

    /** Whether the label record at {@code partition}/{@code offset} was dead-lettered already. */
    synchronized boolean deadLettered(int partition, long offset) {
        TreeSet<Long> offsets = deadLettered.get(partition);
        return offsets != null && offsets.contains(offset);
    }

    /** The label record at {@code partition}/{@code offset} has been dead-lettered. */
    synchronized void deadLetter(int partition, long offset) {
        if (deadLettered.computeIfAbsent(partition, p -> new TreeSet<>()).add(offset)) {
            save();
        }
    }

    /** The task's record, for tests and logs. */
    synchronized Optional<TaskState> task(String task) {
        return Optional.ofNullable(tasks.get(task));
    }

    private void save() {
        try {
            AtomicFiles.replace(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(
                    new State(new LinkedHashMap<>(tasks), new TreeMap<>(deadLettered))));
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the training state " + file, e);
        }
    }
}
