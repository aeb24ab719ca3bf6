package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LabelSuggestionsTest {
    private static LabelSuggestions.Made made(String series, Double stability) {
        return new LabelSuggestions.Made(series, "P", "st-" + series, stability, stability == null ? null : "9", 2.5,
                Instant.parse("2026-12-01T08:00:00Z"));
    }

    @Test
    void ranksTheUnlabelledLeastStableFirstAndCountsWhatItLeavesOut() {
        List<LabelSuggestions.Made> newest = List.of(made("a", 0.9), made("b", 0.5), made("c", 0.1), made("d", 0.05),
                made("e", null), made("f", 0.5), made("h", 0.4));
        Map<String, LabelSuggestions.Origin> labels = Map.of(
                "c", new LabelSuggestions.Origin("radiologist", null),
                "h", new LabelSuggestions.Origin(LabelSuggestions.BOOTSTRAP_SOURCE, null),
                "e", new LabelSuggestions.Origin("radiologist", null));
        LabelSuggestions.Listing l = LabelSuggestions.rank(newest, labels::get, Set.of("d")::contains, 3);

        // equal stabilities (b, f) in series order; the HU draft's series (h) stays in
        assertThat(l.ranked()).extracting(LabelSuggestions.Suggestion::series).containsExactly("h", "b", "f", "a");
        assertThat(l.ranked().get(0)).isEqualTo(new LabelSuggestions.Suggestion("h", "P", "st-h", 0.4, "9", 2.5,
                Instant.parse("2026-12-01T08:00:00Z")));
        // e is labelled: a radiologist's label leaves a series out whether or not its result has a stability
        assertThat(l.labelled()).isEqualTo(2);
        assertThat(l.withdrawn()).isEqualTo(1);
        assertThat(l.withoutStability()).isZero();
        assertThat(l.undecodable()).isEqualTo(3);
    }

    @Test
    void aWithdrawnSeriesIsCountedAsWithdrawnEvenWhenLabelledAndAResultWithoutStabilityAsSuch() {
        LabelSuggestions.Listing l = LabelSuggestions.rank(List.of(made("d", 0.2), made("e", null)),
                s -> s.equals("d") ? new LabelSuggestions.Origin("radiologist", null) : null, "d"::equals, 0);
        assertThat(l.ranked()).isEmpty();
        assertThat(l.withdrawn()).isEqualTo(1);
        assertThat(l.labelled()).isZero();
        assertThat(l.withoutStability()).isEqualTo(1);
    }
}
