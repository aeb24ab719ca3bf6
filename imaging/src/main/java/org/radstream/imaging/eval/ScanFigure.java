package org.radstream.imaging.eval;

import java.util.List;
import java.util.Locale;

/**
 * A figure of an evaluation as a function of the scans of one body part ({@link ScanScore} for the
 * chest, {@link AbdomenScore} for the abdomen), so that the same definition scores a cohort and
 * each bootstrap resample of it ({@link ScanBootstrap}).
 *
 * @param <T> the per-scan scores it is computed over
 */
public interface ScanFigure<T> {
    /** The figure over {@code scans}; NaN where it is undefined. */
    double of(List<T> scans);

    String label();

    /** Its name in {@code eval --json}. */
    String key();

    boolean higherIsBetter();

    /** Decimals it is printed with. */
    int decimals();

    /** Whether it is a percentage (printed with a % sign). */
    boolean percent();

    /** {@code v} as the tables print this figure ({@code signed}: with its sign, as a difference). */
    default String format(double v, boolean signed) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        String pattern = "%" + (signed ? "+" : "") + "." + decimals() + "f" + (percent() ? "%%" : "");
        return String.format(Locale.ROOT, pattern, v);
    }
}
