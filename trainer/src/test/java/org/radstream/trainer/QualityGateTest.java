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

    /** The paired interval of {@code a[i] - b[i]}, as the trainer measures it on its gate series. */
    private static org.radstream.imaging.eval.ScanBootstrap.Interval difference(double[] a, double[] b) {
        return org.radstream.imaging.eval.ScanBootstrap.meanDifference(a, b, 2000, 1);
    }

    @Test
    void nonInferiorityPublishesAChallengerShownNoWorseOnEnoughSeries() {
        QualityGate strict = gate.withRule(QualityGate.Rule.NON_INFERIORITY);
        double[] champion = {0.80, 0.70, 0.90, 0.60, 0.85, 0.75, 0.65, 0.95};
        double[] better = new double[8];
        for (int i = 0; i < 8; i++) {
            better[i] = champion[i] + 0.004;
        }
        QualityGate.Decision byMean = strict.decide(0.779, OptionalDouble.of(0.775), "Dice on the 8 gate scans");
        QualityGate.Decision d = strict.scanByScan(byMean, difference(better, champion), 8);
        assertThat(d.publish()).isTrue();
        assertThat(d.reason()).isEqualTo("published: non-inferior: the mean difference's 95% interval [+0.0040, +0.0040] "
                + "over 8 gate series lies above -0.0100; challenger Dice on the 8 gate scans 0.7790 >= champion 0.7750 "
                + "- margin 0.0100");
    }

    @Test
    void nonInferiorityRefusesWhatTheMarginPassesWhenTheSeriesCouldShowItWorse() {
        // the same mean as the champion's, but 0.08 better on half the series and 0.08 worse on the others
        double[] champion = {0.80, 0.70, 0.90, 0.60, 0.85, 0.75, 0.65, 0.95};
        double[] spread = new double[8];
        for (int i = 0; i < 8; i++) {
            spread[i] = champion[i] + (i % 2 == 0 ? 0.08 : -0.08);
        }
        QualityGate.Decision byMean = gate.decide(0.775, OptionalDouble.of(0.775), "Dice on the 8 gate scans");
        assertThat(byMean.publish()).isTrue();
        // the margin rule (the default) leaves the decision as the means made it
        assertThat(gate.scanByScan(byMean, difference(spread, champion), 8)).isSameAs(byMean);
        QualityGate.Decision d = gate.withRule(QualityGate.Rule.NON_INFERIORITY)
                .scanByScan(byMean, difference(spread, champion), 8);
        assertThat(d.publish()).isFalse();
        assertThat(d.challenger()).isEqualTo(0.775);
        assertThat(d.reason()).startsWith("refused: non-inferiority not shown: the mean difference ")
                .contains(" has the 95% interval [-0.").contains("over 8 gate series, which reaches below -0.0100 (the margin alone would "
                + "publish it: challenger Dice on the 8 gate scans 0.7750 >= champion 0.7750 - margin 0.0100)");
    }

    @Test
    void nonInferiorityNeedsFiveGateSeriesAndLeavesRefusalsAndFirstModelsAlone() {
        QualityGate strict = gate.withRule(QualityGate.Rule.NON_INFERIORITY);
        QualityGate.Decision byMean = strict.decide(0.9, OptionalDouble.of(0.85), "Dice on the 4 gate scans");
        double[] four = {0.9, 0.9, 0.9, 0.9};
        QualityGate.Decision fewSeries = strict.scanByScan(byMean, difference(four, new double[] {0.85, 0.85, 0.85, 0.85}), 4);
        assertThat(fewSeries.publish()).isFalse();
        assertThat(fewSeries.reason()).isEqualTo("refused: the gate's rule is non-inferiority, which needs the challenger "
                + "and the champion scored on 5 gate series or more to bound their difference; 4 were scored (the margin "
                + "alone would publish it: challenger Dice on the 4 gate scans 0.9000 >= champion 0.8500 - margin 0.0100)");
        assertThat(strict.scanByScan(byMean, null, 0).reason()).contains("they were judged on the validation scans only "
                + "(no gate series)");
        QualityGate.Decision refused = strict.decide(0.5, OptionalDouble.of(0.85));
        assertThat(strict.scanByScan(refused, null, 0)).isSameAs(refused);
        QualityGate.Decision first = strict.decide(0.3, OptionalDouble.empty());
        assertThat(strict.scanByScan(first, null, 0)).isSameAs(first);
    }

    @Test
    void theTrainerServiceKeepsItsGateRuleWhenTheMarginChanges() {
        TrainerSettings s = TrainerSettings.defaults("localhost:9092", java.nio.file.Path.of("/tmp/w"),
                java.nio.file.Path.of("/tmp/m"), "0123456789abcdef0123456789abcdef");
        assertThat(s.gate().rule()).isEqualTo(QualityGate.Rule.MARGIN);
        TrainerSettings strict = s.withGateRule(QualityGate.Rule.NON_INFERIORITY).withGateMargin(0.02).withKeepRefused(1);
        assertThat(strict.gate().rule()).isEqualTo(QualityGate.Rule.NON_INFERIORITY);
        assertThat(strict.gate().margin()).isEqualTo(0.02);
        assertThat(strict.gate().refusedToKeep()).isEqualTo(1);
    }
}
