package org.radstream.imaging.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

/**
 * How far a figure could move with other scans of the same kind: the percentile bootstrap over
 * scans. A cohort of 13 infected scans reads an m-APE a few points away from the next cohort's, and
 * a difference between two methods smaller than that is not one a site should act on. Scans are
 * resampled with replacement, each resample is scored with the figure's own definition, and the
 * 2.5th and 97.5th percentiles of those scores bound the interval. Two methods on the same scans are
 * compared paired: each resample draws the same scans for both, so what the scans share (a hard
 * cohort) cancels and only the methods' difference is left. The random draws are seeded, so the
 * same figures give the same interval.
 */
public final class ScanBootstrap {
    /** Resamples of an interval: the percentiles move by well under a tenth of the interval's width beyond this. */
    public static final int RESAMPLES = 2000;
    /** The seed of every reported interval, so that a report is reproducible. */
    public static final long SEED = 20_261_207L;
    /**
     * Fewer scans have no interval: resampled, two or three scores mostly redraw themselves, and the
     * percentiles of those draws understate how far another cohort could move.
     */
    public static final int MIN_SCANS = 5;
    /** Resamples whose figure is undefined (e.g. no infected scan drawn) beyond this share void the interval. */
    static final double MAX_UNDEFINED_SHARE = 0.05;

    private ScanBootstrap() {
    }

    /**
     * A figure, or a difference of two, with its 95% interval.
     *
     * @param estimate  the figure over the scans as they are
     * @param low       2.5th percentile of the resamples' figures; NaN when too many were undefined or
     *                  the scans are fewer than {@link #MIN_SCANS}
     * @param high      97.5th percentile
     * @param resamples resamples drawn
     */
    public record Interval(double estimate, double low, double high, int resamples) {
        /** Whether the interval lies wholly above (1) or below (-1) zero; 0 when it holds zero or is undefined. */
        public int side() {
            if (low > 0) {
                return 1;
            }
            return high < 0 ? -1 : 0;
        }

        /** Whether the interval holds {@code v}: the data do not tell the figure from it. */
        public boolean holds(double v) {
            return low <= v && v <= high;
        }
    }

    /** The interval of {@code figure} over {@code scans}. */
    public static <T> Interval interval(List<T> scans, ScanFigure<T> figure, int resamples, long seed) {
        return paired(scans, null, figure, resamples, seed);
    }

    /**
     * The interval of {@code figure} over {@code a} minus over {@code b}, scan {@code i} of one with
     * scan {@code i} of the other (the same scan read by two methods).
     */
    public static <T> Interval difference(List<T> a, List<T> b, ScanFigure<T> figure, int resamples, long seed) {
        if (a.size() != b.size()) {
            throw new IllegalArgumentException("paired scans differ in number: " + a.size() + " vs " + b.size());
        }
        return paired(a, b, figure, resamples, seed);
    }

    /**
     * The interval of the mean of {@code a[i] - b[i]} over the pairs where both are numbers (a
     * healthy scan's Dice is NaN): two models' scores on the same scans, e.g. a gate's.
     */
    public static Interval meanDifference(double[] a, double[] b, int resamples, long seed) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("paired scores differ in number: " + a.length + " vs " + b.length);
        }
        double[] d = java.util.stream.IntStream.range(0, a.length).mapToDouble(i -> a[i] - b[i])
                .filter(x -> !Double.isNaN(x)).toArray();
        return bootstrap(d.length, EvaluationReport.mean(d), drawn -> {
            double sum = 0;
            for (int k : drawn) {
                sum += d[k];
            }
            return sum / drawn.length;
        }, resamples, seed);
    }

    private static <T> Interval paired(List<T> a, List<T> b, ScanFigure<T> figure, int resamples, long seed) {
        List<T> ra = new ArrayList<>(a.size());
        List<T> rb = new ArrayList<>(a.size());
        return bootstrap(a.size(), score(a, b, figure), drawn -> {
            ra.clear();
            rb.clear();
            for (int k : drawn) {
                ra.add(a.get(k));
                if (b != null) {
                    rb.add(b.get(k));
                }
            }
            return score(ra, b == null ? null : rb, figure);
        }, resamples, seed);
    }

    /**
     * {@code statistic} over {@code resamples} draws of {@code n} indices with replacement; its
     * 2.5th and 97.5th percentiles, or NaN when it was undefined on too many draws or {@code n} is
     * below {@link #MIN_SCANS}.
     */
    private static Interval bootstrap(int n, double estimate, ToDoubleFunction<int[]> statistic, int resamples, long seed) {
        if (resamples < 1) {
            throw new IllegalArgumentException("resamples must be 1 or more, got " + resamples);
        }
        if (n < MIN_SCANS) {
            return new Interval(estimate, Double.NaN, Double.NaN, resamples);
        }
        double[] scores = new double[resamples];
        int defined = 0;
        SplittableRandom random = new SplittableRandom(seed);
        int[] drawn = new int[n];
        for (int r = 0; r < resamples; r++) {
            for (int i = 0; i < n; i++) {
                drawn[i] = random.nextInt(n);
            }
            double s = statistic.applyAsDouble(drawn);
            if (!Double.isNaN(s)) {
                scores[defined++] = s;
            }
        }
        if (defined < resamples * (1 - MAX_UNDEFINED_SHARE)) {
            return new Interval(estimate, Double.NaN, Double.NaN, resamples);
        }
        double[] sorted = Arrays.copyOf(scores, defined);
        Arrays.sort(sorted);
        return new Interval(estimate, percentile(sorted, 0.025), percentile(sorted, 0.975), resamples);
    }

    private static <T> double score(List<T> a, List<T> b, ScanFigure<T> figure) {
        return b == null ? figure.of(a) : figure.of(a) - figure.of(b);
    }

    /** Linear interpolation between the order statistics around {@code q} of an ascending array. */
    static double percentile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
