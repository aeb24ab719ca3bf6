package org.radstream.trainer;

import java.util.Locale;
import java.util.OptionalDouble;
import org.radstream.imaging.eval.ScanBootstrap;

/**
 * The publishing rule: a challenger is published only if its score on the fixed held-out
 * validation set is not worse than the champion's by more than a margin. Without a champion the
 * first model of a task is published. Higher scores are better (Dice).
 *
 * <p>A site that wants evidence rather than a score can ask for {@link Rule#NON_INFERIORITY}: the
 * challenger must then also be shown, on the gate series, no worse than the champion by more than
 * the margin; the paired 95% interval of their per-series difference ({@link ScanBootstrap}) must
 * lie above minus the margin. With few gate series that interval is wide, so the rule refuses most
 * challengers of a young deployment; that is its price, and why it is not the default.
 *
 * <p>A refused challenger is not thrown away: the newest {@link #refusedToKeep()} of each task are
 * kept aside in the model store with the decision (never loaded by a worker), so that a refusal
 * can be audited and the challenger evaluated elsewhere without training it again.
 */
public final class QualityGate {
    /** Refused challengers kept per task unless told otherwise. */
    public static final int KEEP_REFUSED = 3;

    /** What a challenger must show to be published against a champion. */
    public enum Rule {
        /** Its mean score is not below the champion's by more than the margin. */
        MARGIN,
        /**
         * That, and the 95% interval of its paired per-series difference from the champion on the
         * gate series lies above minus the margin: other series of the same kind would most likely
         * not show it worse by more. Needs {@link ScanBootstrap#MIN_SCANS} gate series or more.
         * Networks judged scan by scan only: the infection classifier stays under the margin.
         */
        NON_INFERIORITY
    }

    private final double margin;
    private final int refusedToKeep;
    private final Rule rule;

    /** @param margin how much worse than the champion a challenger may score and still pass (≥ 0) */
    public QualityGate(double margin) {
        this(margin, KEEP_REFUSED, Rule.MARGIN);
    }

    private QualityGate(double margin, int refusedToKeep, Rule rule) {
        if (!(margin >= 0) || Double.isInfinite(margin)) {
            throw new IllegalArgumentException("gate margin must be a finite number >= 0, got " + margin);
        }
        if (refusedToKeep < 0) {
            throw new IllegalArgumentException("refused challengers to keep must be >= 0, got " + refusedToKeep);
        }
        this.margin = margin;
        this.refusedToKeep = refusedToKeep;
        this.rule = java.util.Objects.requireNonNull(rule, "rule");
    }

    /** The same gate keeping the newest {@code n} refused challengers of each task (0: none). */
    public QualityGate keepingRefused(int n) {
        return new QualityGate(margin, n, rule);
    }

    /** The same gate publishing by {@code r}. */
    public QualityGate withRule(Rule r) {
        return new QualityGate(margin, refusedToKeep, r);
    }

    public Rule rule() {
        return rule;
    }

    public double margin() {
        return margin;
    }

    public int refusedToKeep() {
        return refusedToKeep;
    }

    /** The decision, both scores and a sentence that says why. */
    public record Decision(boolean publish, double challenger, OptionalDouble champion, double margin, String reason) {
        /** The same decision, said with {@code reason}. */
        Decision withReason(String reason) {
            return new Decision(publish, challenger, champion, margin, reason);
        }

        /** The same scores, refused for {@code reason}. */
        Decision refused(String reason) {
            return new Decision(false, challenger, champion, margin, reason);
        }
    }

    public Decision decide(double challenger, OptionalDouble champion) {
        return decide(challenger, champion, "validation Dice");
    }

    /**
     * The same, the reason naming what both scores are ({@code measure}, e.g. "Dice on the 24 gate
     * scans"), so that whoever reads the decision knows which scans judged.
     */
    public Decision decide(double challenger, OptionalDouble champion, String measure) {
        if (Double.isNaN(challenger)) {
            return new Decision(false, challenger, champion, margin, "challenger has no " + measure);
        }
        if (champion.isEmpty()) {
            return new Decision(true, challenger, champion, margin, String.format(Locale.ROOT,
                    "published: no champion; challenger %s %.4f", measure, challenger));
        }
        double c = champion.getAsDouble();
        boolean pass = challenger >= c - margin;
        return new Decision(pass, challenger, champion, margin, String.format(Locale.ROOT,
                "%s: challenger %s %.4f %s champion %.4f - margin %.4f",
                pass ? "published" : "refused", measure, challenger, pass ? ">=" : "<", c, margin));
    }

    /**
     * {@code d}, the decision on the two means, judged again under {@link Rule#NON_INFERIORITY}
     * from the paired interval of the challenger's per-series difference from the champion over
     * {@code series} gate series ({@code difference} null when they were not scored series by series).
     * Under the margin rule, a refusal, or without a champion, {@code d} as it is.
     */
    public Decision scanByScan(Decision d, ScanBootstrap.Interval difference, int series) {
        if (rule == Rule.MARGIN || !d.publish() || d.champion().isEmpty()) {
            return d;
        }
        String byMargin = d.reason().replaceFirst("^published: ", "");
        if (difference == null || series < ScanBootstrap.MIN_SCANS || Double.isNaN(difference.low())) {
            return d.refused(String.format(Locale.ROOT, "refused: the gate's rule is non-inferiority, which needs the "
                    + "challenger and the champion scored on %d gate series or more to bound their difference; %s "
                    + "(the margin alone would publish it: %s)", ScanBootstrap.MIN_SCANS, difference == null
                            ? "they were judged on the validation scans only (no gate series)"
                            : series + " " + (series == 1 ? "was" : "were") + " scored", byMargin));
        }
        if (difference.low() < -margin) {
            return d.refused(String.format(Locale.ROOT, "refused: non-inferiority not shown: the mean difference %+.4f "
                            + "has the 95%% interval [%+.4f, %+.4f] over %d gate series, which reaches below -%.4f (the "
                            + "margin alone would publish it: %s)", difference.estimate(), difference.low(), difference.high(),
                    series, margin, byMargin));
        }
        return d.withReason(String.format(Locale.ROOT, "published: non-inferior: the mean difference's 95%% interval "
                        + "[%+.4f, %+.4f] over %d gate series lies above -%.4f; %s", difference.low(), difference.high(),
                series, margin, byMargin));
    }
}
