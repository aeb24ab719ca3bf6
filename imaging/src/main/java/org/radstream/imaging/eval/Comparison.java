package org.radstream.imaging.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Two methods' figures on the same scans, each difference with its paired 95% interval ({@link
 * ScanBootstrap#difference}): whether a challenger, a classifier or a second network is better than
 * what it is compared with, or only reads differently on these scans.
 *
 * @param a     the method compared
 * @param b     the method it is compared with
 * @param scans the scans both read, in {@code a}'s order
 */
public record Comparison(EvaluationReport a, EvaluationReport b, List<String> scans, Map<Figure, ScanBootstrap.Interval> differences) {

    /** Truth infection (ml) or PoIR that differ by more than these mean the two reports scored different scans under one id. */
    static final double TRUTH_TOLERANCE_ML = 1e-6;
    static final double TRUTH_TOLERANCE_POIR = 1e-9;

    /**
     * Pairs {@code a}'s scans with {@code b}'s by id.
     *
     * @throws IllegalArgumentException the reports do not hold the same scans (ids, or truth volumes under one id)
     */
    public static Comparison of(EvaluationReport a, EvaluationReport b, int resamples, long seed) {
        Map<String, ScanScore> bById = new LinkedHashMap<>();
        for (ScanScore s : b.chest()) {
            if (bById.put(s.scanId(), s) != null) {
                throw new IllegalArgumentException(b.method() + " on " + b.cohort() + " lists scan " + s.scanId() + " twice");
            }
        }
        TreeSet<String> onlyA = new TreeSet<>();
        List<ScanScore> pa = new ArrayList<>();
        List<ScanScore> pb = new ArrayList<>();
        for (ScanScore s : a.chest()) {
            ScanScore t = bById.remove(s.scanId());
            if (t == null) {
                onlyA.add(s.scanId());
                continue;
            }
            if (Math.abs(s.truthInfectionMl() - t.truthInfectionMl()) > TRUTH_TOLERANCE_ML
                    || Math.abs(s.truthPoir() - t.truthPoir()) > TRUTH_TOLERANCE_POIR) {
                throw new IllegalArgumentException(String.format(Locale.ROOT, "scan %s is not the same scan in both: "
                                + "truth infection %.3f ml, PoIR %.4f in %s; %.3f ml, %.4f in %s (another cohort?)",
                        s.scanId(), s.truthInfectionMl(), s.truthPoir(), a.cohort(), t.truthInfectionMl(),
                        t.truthPoir(), b.cohort()));
            }
            pa.add(s);
            pb.add(t);
        }
        if (!onlyA.isEmpty() || !bById.isEmpty()) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "the two reports read different scans: "
                    + "only in %s: %s; only in %s: %s", a.method(), shortList(onlyA), b.method(),
                    shortList(new TreeSet<>(bById.keySet()))));
        }
        if (pa.isEmpty()) {
            throw new IllegalArgumentException("the two reports hold no chest scan to compare");
        }
        Map<Figure, ScanBootstrap.Interval> d = new LinkedHashMap<>();
        for (Figure f : Figure.values()) {
            d.put(f, ScanBootstrap.difference(pa, pb, f, resamples, seed));
        }
        return new Comparison(a, b, pa.stream().map(ScanScore::scanId).toList(), d);
    }

    private static String shortList(TreeSet<String> ids) {
        if (ids.isEmpty()) {
            return "none";
        }
        List<String> first = ids.stream().limit(5).toList();
        return String.join(", ", first) + (ids.size() > first.size() ? " and " + (ids.size() - first.size()) + " more" : "");
    }

    /**
     * What the interval of {@code f}'s difference says: "A better" or "B better" (A and B as passed,
     * which may be one method's two stores), or that the scans do not tell them apart.
     */
    public String verdict(Figure f) {
        int side = differences.get(f).side();
        if (side == 0) {
            if (scans.size() < ScanBootstrap.MIN_SCANS) {
                return "too few scans for an interval (" + ScanBootstrap.MIN_SCANS + " or more)";
            }
            return Double.isNaN(differences.get(f).low()) ? "undefined on too many resamples" : "not separated";
        }
        boolean aBetter = (side > 0) == f.higherIsBetter();
        return aBetter ? "A better" : "B better";
    }

    /** The table {@code radstream compare} prints. */
    public String toTable() {
        StringBuilder t = new StringBuilder();
        t.append(String.format(Locale.ROOT, "A: %s on %s%nB: %s on %s%n", a.method(), a.cohort(), b.method(), b.cohort()));
        ScanBootstrap.Interval any = differences.values().iterator().next();
        t.append(String.format(Locale.ROOT, "paired over %d chest scans (%d with infection); 95%% intervals of A - B from "
                        + "%d bootstrap resamples of the scans (seed %d)%n", scans.size(),
                a.chest().stream().filter(s -> !Double.isNaN(s.infectionDice())).count(),
                any.resamples(), ScanBootstrap.SEED));
        t.append(String.format(Locale.ROOT, "%-18s %9s %9s %9s  %-22s %s%n", "figure", "A", "B", "A - B", "95% interval", "verdict"));
        for (Map.Entry<Figure, ScanBootstrap.Interval> e : differences.entrySet()) {
            Figure f = e.getKey();
            ScanBootstrap.Interval i = e.getValue();
            t.append(String.format(Locale.ROOT, "%-18s %9s %9s %9s  %-22s %s%n", f.label(), f.format(f.of(a.chest()), false),
                    f.format(f.of(b.chest()), false), f.format(i.estimate(), true),
                    "[" + f.format(i.low(), true) + ", " + f.format(i.high(), true) + "]", verdict(f)));
        }
        return t.toString();
    }

    /** The document {@code radstream compare --json} writes. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a", Map.of("method", a.method(), "cohort", a.cohort()));
        m.put("b", Map.of("method", b.method(), "cohort", b.cohort()));
        m.put("scans", scans.size());
        m.put("resamples", differences.values().iterator().next().resamples());
        m.put("seed", ScanBootstrap.SEED);
        Map<String, Object> figures = new LinkedHashMap<>();
        for (Map.Entry<Figure, ScanBootstrap.Interval> e : differences.entrySet()) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("a", e.getKey().of(a.chest()));
            f.put("b", e.getKey().of(b.chest()));
            f.put("difference", e.getValue().estimate());
            f.put("ci95", List.of(e.getValue().low(), e.getValue().high()));
            f.put("verdict", verdict(e.getKey()));
            figures.put(e.getKey().key(), f);
        }
        m.put("figures", figures);
        return m;
    }
}
