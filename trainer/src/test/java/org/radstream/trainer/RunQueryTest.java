package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** GET /runs lists the runs a client asks for, and the run in progress last whatever it asked. */
class RunQueryTest {
    private final List<Map<String, Object>> finished = List.of(
            run("lung", "2026-12-01T10:00:00Z"), run("liver", "2026-12-02T10:00:00Z"),
            run("lung", "2026-12-03T10:00:00Z"), run("lung", "2026-12-04T10:00:00Z"));
    private final Map<String, Object> inProgress = Map.of("task", "infection", "started_at", "2026-12-05T10:00:00Z",
            "result", "running");

    @Test
    void aTaskASinceAndALimitSelectTheRunsAndTheRunInProgressStaysLast() {
        assertThat(RunQuery.ALL.select(finished, inProgress)).hasSize(5).last().isEqualTo(inProgress);
        assertThat(RunQuery.ALL.select(finished, null)).isEqualTo(finished);
        assertThat(RunQuery.of(Map.of("task", "lung")).select(finished, inProgress))
                .extracting(r -> r.get("started_at")).containsExactly("2026-12-01T10:00:00Z", "2026-12-03T10:00:00Z",
                        "2026-12-04T10:00:00Z", "2026-12-05T10:00:00Z");
        // since: started at or after it
        assertThat(RunQuery.of(Map.of("task", "lung", "since", "2026-12-03T10:00:00Z")).select(finished, null))
                .extracting(r -> r.get("started_at")).containsExactly("2026-12-03T10:00:00Z", "2026-12-04T10:00:00Z");
        // limit: the newest that match
        assertThat(RunQuery.of(Map.of("limit", "2")).select(finished, inProgress))
                .extracting(r -> r.get("started_at")).containsExactly("2026-12-03T10:00:00Z", "2026-12-04T10:00:00Z",
                        "2026-12-05T10:00:00Z");
        assertThat(RunQuery.of(Map.of("task", "vessel")).select(finished, null)).isEmpty();
    }

    @Test
    void anUnknownTaskOrAnUnreadableInstantOrCountIsRefusedWithTheReason() {
        assertThatThrownBy(() -> RunQuery.of(Map.of("task", "spleen"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown task 'spleen'");
        assertThatThrownBy(() -> RunQuery.of(Map.of("since", "yesterday"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("since must be an instant such as 2026-12-06T08:00:00Z, got 'yesterday'");
        assertThatThrownBy(() -> RunQuery.of(Map.of("limit", "ten"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("limit must be a count of runs, got 'ten'");
        assertThatThrownBy(() -> RunQuery.of(Map.of("limit", "-1"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("limit must be a count of runs, got -1");
    }

    private static Map<String, Object> run(String task, String startedAt) {
        return Map.of("task", task, "started_at", startedAt, "result", "published");
    }
}
