package org.radstream.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.radstream.imaging.ProgressionRule;

class ProgressionThresholdsTest {
    @Test
    void defaultsAgreeWithTheCohortRuleOnAGrid() {
        ProgressionThresholds t = ProgressionThresholds.DEFAULT;
        double[] volumes = {0, 0.2, 0.5, 0.9, 1.0, 1.4, 1.5, 1.6, 2, 10, 14.9, 15, 15.1, 40, 60, 60.01, 100};
        long[] gapsMs = {-3_600_000, 0, 1, 3_600_000, 30 * 3_600_000L, 48 * 3_600_000L, 48 * 3_600_000L + 1, 60 * 3_600_000L};
        int alerts = 0;
        for (double e : volumes) {
            for (double l : volumes) {
                for (long g : gapsMs) {
                    boolean ours = t.isAlert(e, l, g);
                    assertThat(ours).as("earlier %s later %s gap %s", e, l, g)
                            .isEqualTo(ProgressionRule.isAlert(e, l, g / 3_600_000.0));
                    alerts += ours ? 1 : 0;
                }
            }
        }
        assertThat(alerts).isEqualTo(456);
    }

    @Test
    void newInfectionBelowTheMinimum() {
        assertThat(ProgressionThresholds.DEFAULT.isNewInfection(0.99)).isTrue();
        assertThat(ProgressionThresholds.DEFAULT.isNewInfection(1.0)).isFalse();
        assertThat(ProgressionThresholds.DEFAULT.isAlert(0.99, 1.49, 1)).isTrue();
        assertThat(ProgressionThresholds.DEFAULT.isAlert(0.99, 1.48, 1)).isFalse();
        assertThat(ProgressionThresholds.DEFAULT.isAlert(0.5, 0.99, 1)).isFalse();
    }

    @Test
    void validation() {
        assertThatThrownBy(() -> new ProgressionThresholds(1.0, Duration.ofHours(48), 1, Duration.ofDays(1)))
                .hasMessageContaining("growthFactor");
        assertThatThrownBy(() -> new ProgressionThresholds(1.5, Duration.ofHours(48), 1, Duration.ofHours(47)))
                .hasMessageContaining("historyRetention");
    }
}
