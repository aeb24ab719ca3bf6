package org.radstream.imaging.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Two methods' figures on the same scans, each difference with its paired 95% interval ({@link
 * ScanBootstrap#difference}): whether a challenger, a classifier or a second network is better than
 * what it is compared with, or only reads differently on these scans. Chest and abdominal scans are
 * paired and resampled apart, each part's figures over its own scans.
 *
 * @param a                  the method compared
 * @param b                  the method it is compared with
 * @param scans              the chest scans both read, in {@code a}'s order
 * @param abdomenScans       the abdominal scans both read, in {@code a}'s order
 * @param differences        each chest figure's difference A - B
 * @param abdomenDifferences each abdominal figure's difference A - B (none without abdominal scans)
 */
public record Comparison(EvaluationReport a, EvaluationReport b, List<String> scans, List<String> abdomenScans,
                         Map<Figure, ScanBootstrap.Interval> differences,
                         Map<AbdomenFigure, ScanBootstrap.Interval> abdomenDifferences) {

    /** Truth volumes (ml) or PoIR that differ by more than these mean the two reports scored different scans under one id. */
    static final double TRUTH_TOLERANCE_ML = 1e-6;
    static final double TRUTH_TOLERANCE_POIR = 1e-9;

    /**
     * Pairs {@code a}'s scans with {@code b}'s by id, chest with chest and abdomen with abdomen.
     *
     * @throws IllegalArgumentException the reports do not hold the same scans (ids, or truth volumes
     *     under one id), or hold none
     */
    public static Comparison of(EvaluationReport a, EvaluationReport b, int resamples, long seed) {
        List<List<ScanScore>> chest = pair("chest", a, a.chest(), b, b.chest(), ScanScore::scanId, (s, t) ->
                Math.abs(s.truthInfectionMl() - t.truthInfectionMl()) > TRUTH_TOLERANCE_ML
                        || Math.abs(s.truthPoir() - t.truthPoir()) > TRUTH_TOLERANCE_POIR
                        ? String.format(Locale.ROOT, "truth infection %.3f ml, PoIR %.4f in %s; %.3f ml, %.4f in %s",
                        s.truthInfectionMl(), s.truthPoir(), a.cohort(), t.truthInfectionMl(), t.truthPoir(), b.cohort())
                        : null);
        List<List<AbdomenScore>> abdomen = pair("abdominal", a, a.abdomen(), b, b.abdomen(), AbdomenScore::scanId, (s, t) ->
                Math.abs(s.truthLiverMl() - t.truthLiverMl()) > TRUTH_TOLERANCE_ML
                        || differs(s.truthVesselMl(), t.truthVesselMl())
                        ? String.format(Locale.ROOT, "truth liver %.3f ml, vessels %.3f ml in %s; %.3f ml, %.3f ml in %s",
                        s.truthLiverMl(), s.truthVesselMl(), a.cohort(), t.truthLiverMl(), t.truthVesselMl(), b.cohort())
                        : null);
        if (chest.get(0).isEmpty() && abdomen.get(0).isEmpty()) {
            throw new IllegalArgumentException("the two reports hold no scan to compare");
        }
        Map<Figure, ScanBootstrap.Interval> d = new LinkedHashMap<>();
        if (!chest.get(0).isEmpty()) {
            for (Figure f : Figure.values()) {
                d.put(f, ScanBootstrap.difference(chest.get(0), chest.get(1), f, resamples, seed));
            }
        }
        Map<AbdomenFigure, ScanBootstrap.Interval> da = new LinkedHashMap<>();
        if (!abdomen.get(0).isEmpty()) {
            for (AbdomenFigure f : AbdomenFigure.values()) {
                da.put(f, ScanBootstrap.difference(abdomen.get(0), abdomen.get(1), f, resamples, seed));
            }
        }
        return new Comparison(a, b, chest.get(0).stream().map(ScanScore::scanId).toList(),
                abdomen.get(0).stream().map(AbdomenScore::scanId).toList(), d, da);
    }

    /** Two truth volumes that are not the same number (NaN, a truth not recorded, matches only NaN). */
    private static boolean differs(double x, double y) {
        return Double.isNaN(x) != Double.isNaN(y) || Math.abs(x - y) > TRUTH_TOLERANCE_ML;
    }

    /**
     * {@code as} and {@code bs} as two lists in {@code as}'s order, scan {@code i} of one the same
     * scan as scan {@code i} of the other; {@code mismatch} says how two rows under one id differ, or
     * null. Two empty lists where one report scores no scan of this part (the HU baseline reads no
     * abdomen, a report older than the abdominal rows has none): the other part is still compared.
     */
    private static <T> List<List<T>> pair(String part, EvaluationReport a, List<T> as, EvaluationReport b, List<T> bs,
                                          Function<T, String> id, BiFunction<T, T, String> mismatch) {
        if (as.isEmpty() || bs.isEmpty()) {
            return List.of(List.of(), List.of());
        }
        Map<String, T> bById = new LinkedHashMap<>();
        for (T s : bs) {
            if (bById.put(id.apply(s), s) != null) {
                throw new IllegalArgumentException(b.method() + " on " + b.cohort() + " lists " + part + " scan "
                        + id.apply(s) + " twice");
            }
        }
        TreeSet<String> onlyA = new TreeSet<>();
        List<T> pa = new ArrayList<>();
        List<T> pb = new ArrayList<>();
        for (T s : as) {
            T t = bById.remove(id.apply(s));
            if (t == null) {
                onlyA.add(id.apply(s));
                continue;
            }
            String why = mismatch.apply(s, t);
            if (why != null) {
                throw new IllegalArgumentException("scan " + id.apply(s) + " is not the same scan in both: " + why
                        + " (another cohort?)");
            }
            pa.add(s);
            pb.add(t);
        }
        if (!onlyA.isEmpty() || !bById.isEmpty()) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "the two reports read different %s scans: "
                    + "only in %s: %s; only in %s: %s", part, a.method(), shortList(onlyA), b.method(),
                    shortList(new TreeSet<>(bById.keySet()))));
        }
        return List.of(pa, pb);
    }

    private static String shortList(TreeSet<String> ids) {
        if (ids.isEmpty()) {
            return "none";
        }
        List<String> first = ids.stream().limit(5).toList();
        return String.join(", ", first) + (ids.size() > first.size() ? " and " + (ids.size() - first.size()) + " more" : "");
    }

    /** The interval of {@code f}'s difference; null where its body part has no scan in the two reports. */
    public ScanBootstrap.Interval difference(ScanFigure<?> f) {
        return f instanceof AbdomenFigure af ? abdomenDifferences.get(af) : differences.get((Figure) f);
    }

    /**
     * What the interval of {@code f}'s difference says: "A better" or "B better" (A and B as passed,
     * which may be one method's two stores), or that the scans do not tell them apart.
     */
    public String verdict(ScanFigure<?> f) {
        ScanBootstrap.Interval i = difference(f);
        int n = f instanceof AbdomenFigure ? abdomenScans.size() : scans.size();
        if (i == null) {
            return "no such scans";
        }
        int side = i.side();
        if (side == 0) {
            if (n < ScanBootstrap.MIN_SCANS) {
                return "too few scans for an interval (" + ScanBootstrap.MIN_SCANS + " or more)";
            }
            if (Double.isNaN(i.estimate())) {
                return "not measured";
            }
            return Double.isNaN(i.low()) ? "undefined on too many resamples" : "not separated";
        }
        boolean aBetter = (side > 0) == f.higherIsBetter();
        return aBetter ? "A better" : "B better";
    }

    /** The table {@code radstream compare} prints. */
    public String toTable() {
        StringBuilder t = new StringBuilder();
        t.append(String.format(Locale.ROOT, "A: %s on %s%nB: %s on %s%n", named(a), a.cohort(), named(b), b.cohort()));
        if (!scans.isEmpty()) {
            t.append(String.format(Locale.ROOT, "paired over %d chest scans (%d with infection); 95%% intervals of A - B from "
                            + "%d bootstrap resamples of the scans (seed %d)%n", scans.size(),
                    a.chest().stream().filter(s -> !Double.isNaN(s.infectionDice())).count(),
                    differences.values().iterator().next().resamples(), ScanBootstrap.SEED));
            rows(t, differences, a.chest(), b.chest());
        }
        if (!abdomenScans.isEmpty()) {
            t.append(String.format(Locale.ROOT, "paired over %d abdominal scans; 95%% intervals of A - B from %d bootstrap "
                            + "resamples of the scans (seed %d)%n", abdomenScans.size(),
                    abdomenDifferences.values().iterator().next().resamples(), ScanBootstrap.SEED));
            rows(t, abdomenDifferences, a.abdomen(), b.abdomen());
        }
        unpaired(t, "chest", a.chest().size(), b.chest().size());
        unpaired(t, "abdominal", a.abdomen().size(), b.abdomen().size());
        return t.toString();
    }

    /** The method, and the model store it read where the report names one: two stores of one method are told apart. */
    static String named(EvaluationReport r) {
        Object store = r.parameters().get("store");
        return store == null ? r.method() : r.method() + " (store " + store + ")";
    }

    /** Says so where only one of the two reports scores a body part's scans: they are not compared. */
    private void unpaired(StringBuilder t, String part, int inA, int inB) {
        if ((inA == 0) != (inB == 0)) {
            t.append(String.format(Locale.ROOT, "%s scans: only %s scores them (%d); not compared%n", part,
                    inA > 0 ? "A" : "B", Math.max(inA, inB)));
        }
    }

    private <T, F extends ScanFigure<T>> void rows(StringBuilder t, Map<F, ScanBootstrap.Interval> d, List<T> as, List<T> bs) {
        t.append(String.format(Locale.ROOT, "%-18s %9s %9s %9s  %-22s %s%n", "figure", "A", "B", "A - B", "95% interval", "verdict"));
        for (Map.Entry<F, ScanBootstrap.Interval> e : d.entrySet()) {
            F f = e.getKey();
            ScanBootstrap.Interval i = e.getValue();
            t.append(String.format(Locale.ROOT, "%-18s %9s %9s %9s  %-22s %s%n", f.label(), f.format(f.of(as), false),
                    f.format(f.of(bs), false), f.format(i.estimate(), true),
                    "[" + f.format(i.low(), true) + ", " + f.format(i.high(), true) + "]", verdict(f)));
        }
    }

    /** The document {@code radstream compare --json} writes. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a", Map.of("method", named(a), "cohort", a.cohort()));
        m.put("b", Map.of("method", named(b), "cohort", b.cohort()));
        m.put("scans", scans.size());
        m.put("abdominal_scans", abdomenScans.size());
        ScanBootstrap.Interval any = (scans.isEmpty() ? abdomenDifferences : differences).values().iterator().next();
        m.put("resamples", any.resamples());
        m.put("seed", ScanBootstrap.SEED);
        Map<String, Object> figures = new LinkedHashMap<>();
        figures(figures, differences, a.chest(), b.chest());
        figures(figures, abdomenDifferences, a.abdomen(), b.abdomen());
        m.put("figures", figures);
        return m;
    }

    private <T, F extends ScanFigure<T>> void figures(Map<String, Object> out, Map<F, ScanBootstrap.Interval> d,
                                                      List<T> as, List<T> bs) {
        for (Map.Entry<F, ScanBootstrap.Interval> e : d.entrySet()) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("a", e.getKey().of(as));
            f.put("b", e.getKey().of(bs));
            f.put("difference", e.getValue().estimate());
            f.put("ci95", List.of(e.getValue().low(), e.getValue().high()));
            f.put("verdict", verdict(e.getKey()));
            out.put(e.getKey().key(), f);
        }
    }
}
