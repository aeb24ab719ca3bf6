package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class QualityGateTest {
    private final QualityGate gate = new QualityGate(0.01);

    @Test
    void refusesAWorseChallenger() {
        QualityGate.Decision d = gate.decide(0.80, OptionalDouble.of(0.85));
        assertThat(d.publish()).isFalse();
        assertThat(d.reason()).isEqualTo("refused: challenger validation Dice 0.8000 < champion 0.8500 - margin 0.0100");
    }

    @Test
    void acceptsABetterChallenger() {
        QualityGate.Decision d = gate.decide(0.90, OptionalDouble.of(0.85));
        assertThat(d.publish()).isTrue();
        assertThat(d.champion()).hasValue(0.85);
        assertThat(d.reason()).startsWith("published: challenger validation Dice 0.9000 >= champion 0.8500");
    }

    @Test
    void acceptsWithinTheMarginAndRefusesJustBeyondIt() {
        assertThat(gate.decide(0.845, OptionalDouble.of(0.85)).publish()).isTrue();
        assertThat(gate.decide(0.839, OptionalDouble.of(0.85)).publish()).isFalse();
    }

    @Test
    void firstModelOfATaskIsPublished() {
        QualityGate.Decision d = gate.decide(0.3, OptionalDouble.empty());
        assertThat(d.publish()).isTrue();
        assertThat(d.reason()).contains("no champion");
    }

    @Test
    void noScoreIsNeverPublished() {
        assertThat(gate.decide(Double.NaN, OptionalDouble.empty()).publish()).isFalse();
    }

    @Test
    void negativeMarginIsRefused() {
        assertThatThrownBy(() -> new QualityGate(-0.1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void itKeepsThreeRefusedChallengersUnlessToldAndNeverANegativeCount() {
        assertThat(new QualityGate(0.01).refusedToKeep()).isEqualTo(3);
        QualityGate none = new QualityGate(0.01).keepingRefused(0);
        assertThat(none.refusedToKeep()).isZero();
        // the margin is unchanged
        assertThat(none.decide(0.79, OptionalDouble.of(0.8)).publish()).isTrue();
        assertThatThrownBy(() -> new QualityGate(0.01).keepingRefused(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("refused challengers to keep must be >= 0, got -1");
    }

    @Test
    void theTrainerServiceKeepsThreeRefusedChallengersUnlessConfiguredAndAMarginChangeKeepsTheCount() {
        TrainerSettings defaults = TrainerSettings.defaults("localhost:9092", java.nio.file.Path.of("work"),
                java.nio.file.Path.of("store"), "a-secret-of-16-chars");
        assertThat(defaults.gate().refusedToKeep()).isEqualTo(3);
        TrainerSettings none = defaults.withKeepRefused(0).withGateMargin(0.02);
        assertThat(none.gate().refusedToKeep()).isZero();
        assertThat(none.gate().decide(0.79, OptionalDouble.of(0.8)).publish()).isTrue();
        assertThatThrownBy(() -> defaults.withKeepRefused(-2)).hasMessage("refused challengers to keep must be >= 0, got -2");
    }
}
