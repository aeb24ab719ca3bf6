package org.radstream.streams;

import java.time.Duration;
import org.radstream.imaging.ProgressionRule;

/**
 * The progression criterion the alerts apply (COVID-19 paper: infected volume grows by more
 * than 50% within 48 hours), with the defaults taken from {@link ProgressionRule} so that the
 * cohort's ground truth and the alerts agree.
 *
 * <p>A pair (earlier, later) of one patient's scans alerts when the later acquisition is more
 * than 0 and at most {@code window} after the earlier one, the later infected volume exceeds
 * {@code growthFactor} × the earlier one, and the later volume is at least {@code minInfectedMl}.
 * When the earlier volume is below {@code minInfectedMl} (0 included) a ratio means nothing: such
 * an alert (the later volume still ≥ the minimum and above the factor) is a <em>new infection</em>
 * and carries no growth percentage; from 0 mL, any later volume of at least the minimum alerts.
 * When the later volume is below the minimum there is no alert: that is noise, not progression.
 *
 * @param growthFactor     factor the later infected volume must exceed (1.5 = +50%)
 * @param window           largest acquisition gap of a compared pair (48 h)
 * @param minInfectedMl    smallest later infected volume that alerts, and the floor below which an
 *                         earlier volume counts as "no infection" (1 mL)
 * @param historyRetention how far back, from the newest acquisition of a patient, measurements and
 *                         their alerts are kept (timeline, late scans); at least {@code window}
 */
public record ProgressionThresholds(double growthFactor, Duration window, double minInfectedMl,
                                    Duration historyRetention) {
    public static final ProgressionThresholds DEFAULT = new ProgressionThresholds(ProgressionRule.GROWTH_FACTOR,
            Duration.ofMillis(Math.round(ProgressionRule.WINDOW_HOURS * 3_600_000)), ProgressionRule.MIN_LATER_ML,
            Duration.ofDays(30));

    public ProgressionThresholds {
        if (!(growthFactor > 1.0) || Double.isInfinite(growthFactor)) {
            throw new IllegalArgumentException("growthFactor must be finite and > 1: " + growthFactor);
        }
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("window must be positive: " + window);
        }
        if (!(minInfectedMl >= 0) || Double.isInfinite(minInfectedMl)) {
            throw new IllegalArgumentException("minInfectedMl must be finite and >= 0: " + minInfectedMl);
        }
        if (historyRetention.compareTo(window) < 0) {
            throw new IllegalArgumentException("historyRetention " + historyRetention + " must be >= window " + window);
        }
    }

    /** Whether the pair alerts; {@code gapMs} is the later minus the earlier acquisition time. */
    public boolean isAlert(double earlierMl, double laterMl, long gapMs) {
        return gapMs > 0 && gapMs <= window.toMillis()
                && laterMl > growthFactor * earlierMl && laterMl >= minInfectedMl;
    }

    /** Whether the earlier volume is too small for a growth ratio (the alert is a new infection). */
    public boolean isNewInfection(double earlierMl) {
        return earlierMl < minInfectedMl;
    }

    /** The criterion in words, as quoted in alerts. */
    public String describe() {
        return String.format(java.util.Locale.ROOT,
                "infected volume > %s%% growth within %s h (from < %s mL: new infection of >= %s mL)",
                trim((growthFactor - 1) * 100), trim(window.toMillis() / 3_600_000.0), trim(minInfectedMl),
                trim(minInfectedMl));
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
