package org.radstream.imaging.eval;

import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import org.radstream.imaging.Metrics;

/**
 * A figure of the COVID-19 paper's Table 1 as a function of the chest scans it is computed over,
 * so that the same definition scores a cohort and each bootstrap resample of it ({@link ScanBootstrap}).
 */
public enum Figure {
    LUNG_DICE("lung Dice", "lung_dice", true, false) {
        @Override
        public double of(List<ScanScore> scans) { return mean(scans, ScanScore::lungDice); }
    },
    INFECTION_DICE("infection Dice", "infection_dice", true, false) {
        @Override
        public double of(List<ScanScore> scans) { return mean(scans, ScanScore::infectionDice); }
    },
    INFECTION_HD95("infection HD95 mm", "infection_hd95_mm", false, false) {
        @Override
        public double of(List<ScanScore> scans) { return mean(scans, ScanScore::infectionHd95Mm); }
    },
    POIR_PEARSON("PoIR Pearson r", "poir_pearson", true, false) {
        @Override
        public double of(List<ScanScore> scans) {
            return Metrics.pearson(column(scans, ScanScore::predPoir), column(scans, ScanScore::truthPoir));
        }
    },
    /** Over the scans with truth PoIR above 0 (eq. 3 of the paper divides by the truth). */
    POIR_MAPE("PoIR m-APE", "poir_mape", false, true) {
        @Override
        public double of(List<ScanScore> scans) {
            return Metrics.mape(column(scans, ScanScore::predPoir), column(scans, ScanScore::truthPoir));
        }
    };

    private final String label;
    private final String key;
    private final boolean higherIsBetter;
    private final boolean percent;

    Figure(String label, String key, boolean higherIsBetter, boolean percent) {
        this.label = label;
        this.key = key;
        this.higherIsBetter = higherIsBetter;
        this.percent = percent;
    }

    /** The figure over {@code scans}; NaN where it is undefined (no infected scan, fewer than two scans for r). */
    public abstract double of(List<ScanScore> scans);

    public String label() { return label; }

    /** Its name in {@code eval --json}. */
    public String key() { return key; }

    public boolean higherIsBetter() { return higherIsBetter; }

    /** {@code v} as the table prints this figure ({@code signed}: with its sign, as a difference). */
    public String format(double v, boolean signed) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        String sign = signed ? "+" : "";
        if (percent) {
            return String.format(Locale.ROOT, "%" + sign + ".1f%%", v);
        }
        return this == INFECTION_HD95 ? String.format(Locale.ROOT, "%" + sign + ".2f", v)
                : String.format(Locale.ROOT, "%" + sign + ".3f", v);
    }

    /** The mean of the finite values: Dice and HD95 are NaN where they do not apply (a healthy scan's). */
    static double mean(List<ScanScore> scans, ToDoubleFunction<ScanScore> value) {
        return EvaluationReport.mean(column(scans, value));
    }

    static double[] column(List<ScanScore> scans, ToDoubleFunction<ScanScore> value) {
        return scans.stream().mapToDouble(value).toArray();
    }
}
