package org.radstream.imaging;

/**
 * The severity criterion of the COVID-19 paper, in one place so that the cohort manifest (truth)
 * and the stream processor (alerts) apply the same definition.
 *
 * <p>A pair of measurements of one patient is an alert when the later scan was acquired more than
 * 0 and at most {@link #WINDOW_HOURS} hours after the earlier one, and its infected volume is
 * more than {@link #GROWTH_FACTOR} times the earlier one. The ratio is meaningless when the earlier
 * volume is 0 or tiny (0.01 mL growing to 0.02 mL is noise, not progression), so the later volume
 * must also reach {@link #MIN_LATER_ML}; with that floor an earlier volume of 0 alerts exactly when
 * the later one is at least 1 mL — new infection of clinically visible size.
 */
public final class ProgressionRule {
    /** Growth factor that must be exceeded: +50%. */
    public static final double GROWTH_FACTOR = 1.5;
    /** Largest gap, in hours, between the two acquisitions. */
    public static final double WINDOW_HOURS = 48.0;
    /** Smallest later infected volume (mL) that can raise an alert. */
    public static final double MIN_LATER_ML = 1.0;

    private ProgressionRule() {}

    /**
     * @param earlierMl infected volume of the earlier acquisition
     * @param laterMl infected volume of the later acquisition
     * @param hoursApart later acquisition time minus earlier, in hours
     */
    public static boolean isAlert(double earlierMl, double laterMl, double hoursApart) {
        return hoursApart > 0 && hoursApart <= WINDOW_HOURS
                && laterMl > GROWTH_FACTOR * earlierMl && laterMl >= MIN_LATER_ML;
    }

    /** Growth in percent of the later over the earlier volume; +∞ from 0. */
    public static double growthPercent(double earlierMl, double laterMl) {
        if (earlierMl == 0) {
            return laterMl == 0 ? 0 : Double.POSITIVE_INFINITY;
        }
        return 100.0 * (laterMl - earlierMl) / earlierMl;
    }
}
