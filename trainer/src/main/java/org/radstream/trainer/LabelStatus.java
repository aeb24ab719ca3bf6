package org.radstream.trainer;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What became of a series' label for a task, for the radiologist who submitted it ({@code GET
 * /labels?series=UID&task=T}, {@code label status}): the label in use (accepted, and whether a
 * finished run has trained on it or held it out to choose or judge), a newer one waiting for the
 * series' images, and the newest one refused with its reason. A correction that was refused leaves the accepted label before it in
 * use, and the answer says both. Refusals by the trainer's earlier processes are read back from the
 * dead-letter topic at its start.
 */
final class LabelStatus {
    private LabelStatus() {}

    /** A refused submission: its offset on the label topic, why, and when. */
    record Refusal(long offset, String reason, Instant at) {}

    /**
     * @param trained   whether the task's last finished run took in the accepted label (that record,
     *                  or the same mask sent before it under this key): trained on it, or held it out
     * @param heldOut   what that run held the label out for instead of training on it: to judge the
     *                  run (the quality gate) or to choose its epoch and reading; empty: trained on
     * @param lastRun   when the task's last run finished and how (published, refused); empty when it
     *                  failed or was cancelled (then it trained on nothing) or there was none
     */
    static Map<String, Object> of(String series, String task, Optional<LabelIntake.Accepted> accepted,
                                  Optional<LabelIntake.Incoming> waiting, Optional<Refusal> refused,
                                  boolean trained, Optional<HeldOutSplit.Role> heldOut,
                                  Optional<Map.Entry<Instant, String>> lastRun) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("series", series);
        out.put("task", task);
        long newest = Math.max(accepted.map(LabelIntake.Accepted::offset).orElse(-1L),
                Math.max(waiting.map(LabelIntake.Incoming::offset).orElse(-1L), refused.map(Refusal::offset).orElse(-1L)));
        String state = newest < 0 ? "unknown"
                : accepted.isPresent() && accepted.get().offset() == newest ? "accepted"
                : waiting.isPresent() && waiting.get().offset() == newest ? "waiting" : "refused";
        out.put("state", state);
        StringBuilder summary = new StringBuilder();
        if (newest < 0) {
            summary.append("the trainer holds no label of series ").append(series).append(" for ").append(task)
                    .append(", and refused none");
        }
        refused.filter(r -> r.offset() == newest).ifPresent(r -> summary.append("the newest label was refused at ")
                .append(r.at()).append(": ").append(r.reason()));
        waiting.filter(w -> w.offset() == newest).ifPresent(w -> summary.append("the newest label waits for the series' ")
                .append("images (since ").append(w.receivedAt()).append(")"));
        accepted.ifPresent(a -> {
            boolean isTrained = trained;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("offset", a.offset());
            m.put("annotator", a.label().getAnnotator().toString());
            m.put("source", a.label().getSource().toString());
            m.put("accepted_at", a.acceptedAt().toString());
            m.put("trained", isTrained);
            Optional<HeldOutSplit.Role> held = heldOut.filter(r -> isTrained && r != HeldOutSplit.Role.TRAIN);
            held.ifPresent(r -> m.put("held_out", r == HeldOutSplit.Role.GATE ? "gate" : "selection"));
            Optional<Map.Entry<Instant, String>> by = lastRun.filter(x -> isTrained);
            by.ifPresent(x -> {
                m.put("trained_in_run_finished_at", x.getKey().toString());
                m.put("trained_in_run_result", x.getValue());
            });
            out.put("accepted", m);
            summary.append(summary.length() == 0 ? "accepted" : "; the label in use was accepted").append(" (by ")
                    .append(m.get("annotator")).append(", ").append(m.get("source")).append(")");
            if (!isTrained) {
                summary.append("; no finished run has trained on it yet");
            } else if (held.isPresent()) {
                String run = by.map(x -> "the " + task + " run that finished at " + x.getKey() + " ("
                        + (x.getValue().equals("published") ? "published" : "its model was refused by the quality gate")
                        + ")").orElse("an earlier " + task + " run");
                summary.append("; held out of ").append(run).append(held.get() == HeldOutSplit.Role.GATE
                        ? " for the quality gate, which judged that run's model against the one in use on such series; "
                                + "the run did not learn from it"
                        : " to choose when its training stopped and how its masks are read; the run did not learn from it");
            } else {
                summary.append(by.map(x -> "; trained on by the " + task + " run that finished at " + x.getKey() + " ("
                                + (x.getValue().equals("published") ? "published" : "its model was refused by the "
                                + "quality gate, so the model in use did not learn from it") + ")")
                        .orElse("; trained on by an earlier " + task + " run"));
            }
        });
        waiting.ifPresent(w -> out.put("waiting", Map.of("offset", w.offset(), "since", w.receivedAt().toString())));
        refused.ifPresent(r -> out.put("refused", Map.of("offset", r.offset(), "reason", r.reason(), "at", r.at().toString())));
        out.put("summary", summary.toString());
        return out;
    }
}
