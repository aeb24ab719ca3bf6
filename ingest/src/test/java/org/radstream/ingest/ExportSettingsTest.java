package org.radstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The export's settings refuse what cannot work, with the reason. */
class ExportSettingsTest {
    private final ExportSettings defaults = ExportSettings.defaults("localhost:9092", "pacs", 104, "PACS");

    @Test
    void aMinuteIsWaitedForAReportsEvidenceByDefaultAndANegativeWaitIsRefused() {
        assertThat(defaults.evidenceWait()).isEqualTo(Duration.ofMinutes(1));
        assertThat(defaults.withEvidenceWait(Duration.ZERO).evidenceWait()).isZero();
        assertThatThrownBy(() -> defaults.withEvidenceWait(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the evidence wait must not be negative, got PT-1S");
        assertThatThrownBy(() -> defaults.withEvidenceWait(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
