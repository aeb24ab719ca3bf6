package org.radstream.trainer;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Which runs {@code GET /runs} lists: {@code task=T} (that task's runs), {@code since=INSTANT} (runs
 * that started at or after it), {@code limit=N} (the newest N that match); none of them, every run.
 * The run in progress, whatever its task, is always listed last, so that a client following a run
 * sees what it waits behind. A trainer that has run every hour for a year holds some forty thousand
 * runs; a client that follows one polls for the few it needs.
 */
record RunQuery(String task, Instant since, int limit) {

    /** Every run. */
    static final RunQuery ALL = new RunQuery(null, null, 0);

    RunQuery {
        if (task != null) {
            task = TrainingTask.of(task).id();
        }
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be a count of runs, got " + limit);
        }
    }

    /**
     * From the request's parameters.
     *
     * @throws IllegalArgumentException an unknown task, an unreadable instant or count
     */
    static RunQuery of(Map<String, String> params) {
        Instant since = null;
        if (params.get("since") != null) {
            try {
                since = Instant.parse(params.get("since"));
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("since must be an instant such as 2026-12-06T08:00:00Z, got '"
                        + params.get("since") + "'");
            }
        }
        int limit = 0;
        if (params.get("limit") != null) {
            try {
                limit = Integer.parseInt(params.get("limit"));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("limit must be a count of runs, got '" + params.get("limit") + "'");
            }
        }
        return new RunQuery(params.get("task"), since, limit);
    }

    /**
     * @param finished   finished runs as GET /runs lists them, oldest first
     * @param inProgress the run in progress, or null
     */
    List<Map<String, Object>> select(List<Map<String, Object>> finished, Map<String, Object> inProgress) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> run : finished) {
            if (matches(run)) {
                out.add(run);
            }
        }
        if (limit > 0 && out.size() > limit) {
            out = new ArrayList<>(out.subList(out.size() - limit, out.size()));
        }
        if (inProgress != null) {
            out.add(inProgress);
        }
        return out;
    }

    private boolean matches(Map<String, Object> run) {
        if (task != null && !task.equals(run.get("task"))) {
            return false;
        }
        if (since == null) {
            return true;
        }
        try {
            return !Instant.parse(String.valueOf(run.get("started_at"))).isBefore(since);
        } catch (DateTimeParseException e) {
            return false;
        }
    }
}
