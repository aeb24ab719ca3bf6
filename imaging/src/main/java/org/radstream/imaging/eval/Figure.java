package org.radstream.imaging.eval;

import java.util.List;
import java.util.function.ToDoubleFunction;
import org.radstream.imaging.Metrics;

/**
 * A figure of the COVID-19 paper's Table 1 as a function of the chest scans it is computed over,
 * so that the same definition scores a cohort and each bootstrap resample of it ({@link ScanBootstrap}).
 */
public enum Figure implements ScanFigure<ScanScore> {
    LUNG_DICE("lung Dice", "lung_dice", true, 3) {
        @Override
        public double of(List<ScanScore> scans) { return mean(scans, ScanScore::lungDice); }
    },
    INFECTION_DICE("infection Dice", "infection_dice", true, 3) {
        @Override
        public double of(List<ScanScore> scans) { return mean(scans, ScanScore::infectionDice); }
    },
    INFECTION_HD95("infection HD95 mm", "infection_hd95_mm", false, 2) {
        @Override
        public double of(List<ScanScore> scans) { return mean(scans, ScanScore::infectionHd95Mm); }
    },
    POIR_PEARSON("PoIR Pearson r", "poir_pearson", true, 3) {
        @Override
        public double of(List<ScanScore> scans) {
            return Metrics.pearson(column(scans, ScanScore::predPoir), column(scans, ScanScore::truthPoir));
        }
    },
    /** Over the scans with truth PoIR above 0 (eq. 3 of the paper divides by the truth). */
    POIR_MAPE("PoIR m-APE", "poir_mape", false, 1) {
        @Override
        public double of(List<ScanScore> scans) {
            return Metrics.mape(column(scans, ScanScore::predPoir), column(scans, ScanScore::truthPoir));
        }
    };

    private final String label;
    private final String key;
    private final boolean higherIsBetter;
    private final int decimals;

    Figure(String label, String key, boolean higherIsBetter, int decimals) {
        this.label = label;
        this.key = key;
        this.higherIsBetter = higherIsBetter;
        this.decimals = decimals;
    }

    /** The figure over {@code scans}; NaN where it is undefined (no infected scan, fewer than two scans for r). */
    @Override
    public abstract double of(List<ScanScore> scans);

    @Override
    public String label() { return label; }

    @Override
    public String key() { return key; }

    @Override
    public boolean higherIsBetter() { return higherIsBetter; }

    @Override
    public int decimals() { return decimals; }

    @Override
    public boolean percent() { return this == POIR_MAPE; }

    /** The mean of the finite values: Dice and HD95 are NaN where they do not apply (a healthy scan's). */
    static double mean(List<ScanScore> scans, ToDoubleFunction<ScanScore> value) {
        return EvaluationReport.mean(column(scans, value));
    }

    static double[] column(List<ScanScore> scans, ToDoubleFunction<ScanScore> value) {
        return scans.stream().mapToDouble(value).toArray();
    }
}
