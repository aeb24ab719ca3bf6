package org.radstream.imaging.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * Whether a network's stability ranks scans as their Dice against the truth does: the order in
 * which {@code label suggest} offers series for review is only worth following if the least stable
 * are mostly the worst segmented. Scans where either figure is NaN are left out.
 *
 * @param scans       scans with both figures
 * @param spearman    Spearman's rank correlation of stability and Dice (ties at their mean rank)
 * @param reviewed    the quarter of the scans (at least one) a radiologist would review first: the
 *                    least stable
 * @param worstFound  of those, how many are among the same number of scans with the lowest Dice
 */
public record StabilityRanking(int scans, double spearman, int reviewed, int worstFound) {

    /** The ranking of {@code stability} against {@code dice}, pairwise per scan. */
    public static StabilityRanking of(double[] stability, double[] dice) {
        if (stability.length != dice.length) {
            throw new IllegalArgumentException(stability.length + " stabilities for " + dice.length + " Dice");
        }
        List<Integer> kept = new ArrayList<>();
        for (int i = 0; i < dice.length; i++) {
            if (!Double.isNaN(stability[i]) && !Double.isNaN(dice[i])) {
                kept.add(i);
            }
        }
        int n = kept.size();
        if (n < 2) {
            return new StabilityRanking(n, Double.NaN, 0, 0);
        }
        double[] s = kept.stream().mapToDouble(i -> stability[i]).toArray();
        double[] d = kept.stream().mapToDouble(i -> dice[i]).toArray();
        int k = Math.max(1, n / 4);
        Set<Integer> leastStable = lowest(s, k);
        Set<Integer> worst = lowest(d, k);
        leastStable.retainAll(worst);
        return new StabilityRanking(n, pearson(ranks(s), ranks(d)), k, leastStable.size());
    }

    /** Indices of the {@code k} lowest values (ties broken by index). */
    private static Set<Integer> lowest(double[] v, int k) {
        return new HashSet<>(IntStream.range(0, v.length).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> v[i]).thenComparing(i -> i))
                .limit(k).toList());
    }

    /** Ranks from 1, ties at their mean rank. */
    static double[] ranks(double[] v) {
        Integer[] order = IntStream.range(0, v.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble(i -> v[i]));
        double[] r = new double[v.length];
        for (int a = 0; a < order.length; ) {
            int b = a;
            while (b + 1 < order.length && v[order[b + 1]] == v[order[a]]) {
                b++;
            }
            double mean = (a + b) / 2.0 + 1;
            for (int i = a; i <= b; i++) {
                r[order[i]] = mean;
            }
            a = b + 1;
        }
        return r;
    }

    private static double pearson(double[] x, double[] y) {
        double mx = Arrays.stream(x).average().orElse(0);
        double my = Arrays.stream(y).average().orElse(0);
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < x.length; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxx == 0 || syy == 0 ? Double.NaN : sxy / Math.sqrt(sxx * syy);
    }

    @Override
    public String toString() {
        return scans < 2 ? "not measured"
                : String.format(Locale.ROOT, "Spearman %.2f over %d scans; the %d least stable include %d of the %d lowest Dice",
                        spearman, scans, reviewed, worstFound, reviewed);
    }
}
