package org.radstream.trainer;

import java.util.Locale;
import java.util.OptionalDouble;

/**
 * The publishing rule: a challenger is published only if its score on the fixed held-out
 * validation set is not worse than the champion's by more than a margin. Without a champion the
 * first model of a task is published. Higher scores are better (Dice).
 *
 * <p>A refused challenger is not thrown away: the newest {@link #refusedToKeep()} of each task are
 * kept aside in the model store with the decision (never loaded by a worker), so that a refusal
 * can be audited and the challenger evaluated elsewhere without training it again.
 */
public final class QualityGate {
    /** Refused challengers kept per task unless told otherwise. */
    public static final int KEEP_REFUSED = 3;

    private final double margin;
    private final int refusedToKeep;

    /** @param margin how much worse than the champion a challenger may score and still pass (≥ 0) */
    public QualityGate(double margin) {
        this(margin, KEEP_REFUSED);
    }

    private QualityGate(double margin, int refusedToKeep) {
        if (!(margin >= 0) || Double.isInfinite(margin)) {
            throw new IllegalArgumentException("gate margin must be a finite number >= 0, got " + margin);
        }
        if (refusedToKeep < 0) {
            throw new IllegalArgumentException("refused challengers to keep must be >= 0, got " + refusedToKeep);
        }
        this.margin = margin;
        this.refusedToKeep = refusedToKeep;
    }

    /** The same gate keeping the newest {@code n} refused challengers of each task (0: none). */
    public QualityGate keepingRefused(int n) {
        return new QualityGate(margin, n);
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
}
