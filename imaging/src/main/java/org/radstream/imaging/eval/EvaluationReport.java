package org.radstream.imaging.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Figures of one method on one cohort, in the shape of the COVID-19 paper's Table 1: mean lung
 * and infection Dice, mean HD95, PoIR Pearson r and m-APE, per body part. Means skip NaN cases and
 * the counts used are reported beside them.
 *
 * @param abdomen     the abdominal scans' scores, where the method reads the abdomen
 * @param abdomenNote what the method did with the abdominal scans, in words (the networks read)
 */
public record EvaluationReport(String method, String cohort, Map<String, Object> parameters, List<ScanScore> chest,
                               List<AbdomenScore> abdomen, String abdomenNote) {

    /** A report of a method that scores no abdominal scan (the note says why). */
    public EvaluationReport(String method, String cohort, Map<String, Object> parameters, List<ScanScore> chest,
                            String abdomenNote) {
        this(method, cohort, parameters, chest, List.of(), abdomenNote);
    }

    public double liverDice() { return AbdomenFigure.LIVER_DICE.of(abdomen); }
    public double vesselDice() { return AbdomenFigure.VESSEL_DICE.of(abdomen); }
    public double vesselHd95() { return AbdomenFigure.VESSEL_HD95.of(abdomen); }

    public double lungDice() { return Figure.LUNG_DICE.of(chest); }
    public double infectionDice() { return Figure.INFECTION_DICE.of(chest); }
    public double lungHd95() { return mean(chest.stream().mapToDouble(ScanScore::lungHd95Mm).toArray()); }
    public double infectionHd95() { return Figure.INFECTION_HD95.of(chest); }

    public double poirPearson() { return Figure.POIR_PEARSON.of(chest); }

    /** m-APE over scans with truth PoIR > 0 (eq. 3 of the paper divides by the truth). */
    public double poirMape() { return Figure.POIR_MAPE.of(chest); }

    /** Mean share of the truth consolidation the predicted infection contains (scans that have some). */
    public double consolidationFound() { return mean(chest.stream().mapToDouble(ScanScore::consolidationFound).toArray()); }
    public double ggoFound() { return mean(chest.stream().mapToDouble(ScanScore::ggoFound).toArray()); }

    /** Predicted infection touching no true lesion on its slice, summed over the chest scans (ml). */
    public double strayInfectionMl() { return chest.stream().mapToDouble(ScanScore::strayInfectionMl).sum(); }

    /** Mean infection Dice with that stray infection removed: the ceiling of a component classifier. */
    public double infectionDiceWithoutStray() {
        return mean(chest.stream().mapToDouble(ScanScore::infectionDiceWithoutStray).toArray());
    }

    /** Chest scans without truth infection. */
    public long healthyScans() {
        return chest.stream().filter(s -> s.truthInfectionMl() == 0).count();
    }

    /**
     * Healthy chest scans (no truth infection) in which the method reports infection: each is a
     * patient told "infected" who is not, whatever the Dice of the infected scans says.
     */
    public long healthyReportedInfected() {
        return chest.stream().filter(s -> s.truthInfectionMl() == 0 && s.predInfectionMl() > 0).count();
    }

    /** The largest infected volume (ml) reported in a healthy scan; 0 when none is reported. */
    public double largestHealthyFindingMl() {
        return chest.stream().filter(s -> s.truthInfectionMl() == 0).mapToDouble(ScanScore::predInfectionMl)
                .max().orElse(0);
    }

    /** How the lung network's stability ranks the scans against their lung Dice. */
    public StabilityRanking lungStabilityRanking() {
        return StabilityRanking.of(chest.stream().mapToDouble(ScanScore::lungStability).toArray(),
                chest.stream().mapToDouble(ScanScore::lungDice).toArray());
    }

    /** The same for infection, over the scans with truth infection (Dice is NaN without). */
    public StabilityRanking infectionStabilityRanking() {
        return StabilityRanking.of(chest.stream().mapToDouble(ScanScore::infectionStability).toArray(),
                chest.stream().mapToDouble(ScanScore::infectionDice).toArray());
    }

    /**
     * Each Table-1 figure's 95% interval over resamples of these chest scans ({@link ScanBootstrap}):
     * how far the figure could move on another cohort of the same kind and size.
     */
    public Map<Figure, ScanBootstrap.Interval> intervals() {
        Map<Figure, ScanBootstrap.Interval> m = new java.util.EnumMap<>(Figure.class);
        for (Figure f : Figure.values()) {
            m.put(f, ScanBootstrap.interval(chest, f, ScanBootstrap.RESAMPLES, ScanBootstrap.SEED));
        }
        return m;
    }

    /** The same for the abdominal figures, over resamples of the abdominal scans. */
    public Map<AbdomenFigure, ScanBootstrap.Interval> abdomenIntervals() {
        Map<AbdomenFigure, ScanBootstrap.Interval> m = new java.util.EnumMap<>(AbdomenFigure.class);
        for (AbdomenFigure f : AbdomenFigure.values()) {
            m.put(f, ScanBootstrap.interval(abdomen, f, ScanBootstrap.RESAMPLES, ScanBootstrap.SEED));
        }
        return m;
    }

    /**
     * A report read back from the document {@link #toJson} wrote (as Jackson reads it: numbers, and
     * NaN written as the string "NaN"). Per-scan fields older reports lack read as NaN, and a report
     * older than the abdominal rows reads without them.
     *
     * @throws IllegalArgumentException a document without the per-scan rows, or a row without its id
     */
    @SuppressWarnings("unchecked")
    public static EvaluationReport fromJson(Map<String, Object> json) {
        Object rows = json.get("scans");
        if (!(rows instanceof List<?> list)) {
            throw new IllegalArgumentException("not a report of `radstream eval --json`: no \"scans\" list");
        }
        List<ScanScore> chest = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof Map<?, ?> row) || !(row.get("scan_id") instanceof String id)) {
                throw new IllegalArgumentException("a scan row without its scan_id: " + o);
            }
            Map<String, Object> r = (Map<String, Object>) row;
            chest.add(new ScanScore(id, number(r, "lung_dice"), number(r, "infection_dice"), number(r, "lung_hd95_mm"),
                    number(r, "infection_hd95_mm"), number(r, "truth_lung_ml"), number(r, "truth_infection_ml"),
                    number(r, "pred_lung_ml"), number(r, "pred_infection_ml"), number(r, "truth_poir"),
                    number(r, "pred_poir"), number(r, "consolidation_found"), number(r, "ggo_found"),
                    number(r, "stray_infection_ml"), number(r, "infection_dice_without_stray"),
                    number(r, "lung_stability"), number(r, "infection_stability")));
        }
        List<AbdomenScore> abdomen = new ArrayList<>();
        Object abdomenRows = json.getOrDefault("abdomen_scans", List.of());
        if (!(abdomenRows instanceof List<?> abdomenList)) {
            throw new IllegalArgumentException("\"abdomen_scans\" is not a list: " + abdomenRows);
        }
        for (Object o : abdomenList) {
            if (!(o instanceof Map<?, ?> row) || !(row.get("scan_id") instanceof String id)) {
                throw new IllegalArgumentException("an abdominal scan row without its scan_id: " + o);
            }
            Map<String, Object> r = (Map<String, Object>) row;
            abdomen.add(new AbdomenScore(id, number(r, "truth_liver_ml"), number(r, "pred_liver_ml"),
                    number(r, "liver_dice"), number(r, "liver_stability"), number(r, "truth_vessel_ml"),
                    number(r, "pred_vessel_ml"), number(r, "vessel_dice"), number(r, "vessel_hd95_mm"),
                    number(r, "vessel_stability")));
        }
        Object parameters = json.get("parameters");
        return new EvaluationReport(String.valueOf(json.getOrDefault("method", "?")),
                String.valueOf(json.getOrDefault("cohort", "?")),
                parameters instanceof Map<?, ?> p ? (Map<String, Object>) p : Map.of(), chest, abdomen,
                String.valueOf(json.getOrDefault("abdomen", "")));
    }

    private static double number(Map<String, Object> row, String key) {
        Object v = row.get(key);
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        if (v == null || "NaN".equals(v)) {
            return Double.NaN;
        }
        throw new IllegalArgumentException("scan " + row.get("scan_id") + ": " + key + " is not a number: " + v);
    }

    static double mean(double[] v) {
        double s = 0;
        int n = 0;
        for (double x : v) {
            if (!Double.isNaN(x)) {
                s += x;
                n++;
            }
        }
        return n == 0 ? Double.NaN : s / n;
    }

    static long finite(double[] v) {
        return java.util.Arrays.stream(v).filter(x -> !Double.isNaN(x)).count();
    }

    /** The JSON document written by {@code radstream eval --json}. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", method);
        m.put("cohort", cohort);
        m.put("parameters", parameters);
        m.put("chest_scans", chest.size());
        m.put("infected_scans", finite(chest.stream().mapToDouble(ScanScore::infectionDice).toArray()));
        m.put("lung_dice", lungDice());
        m.put("infection_dice", infectionDice());
        m.put("lung_hd95_mm", lungHd95());
        m.put("infection_hd95_mm", infectionHd95());
        m.put("poir_pearson", poirPearson());
        m.put("poir_mape", poirMape());
        m.put("consolidation_found", consolidationFound());
        m.put("ggo_found", ggoFound());
        m.put("stray_infection_ml", strayInfectionMl());
        m.put("infection_dice_without_stray", infectionDiceWithoutStray());
        m.put("healthy_scans", healthyScans());
        m.put("healthy_reported_infected", healthyReportedInfected());
        m.put("largest_healthy_finding_ml", largestHealthyFindingMl());
        m.put("lung_stability_spearman", lungStabilityRanking().spearman());
        m.put("infection_stability_spearman", infectionStabilityRanking().spearman());
        Map<String, Object> intervals = new LinkedHashMap<>();
        for (Map.Entry<Figure, ScanBootstrap.Interval> e : intervals().entrySet()) {
            intervals.put(e.getKey().key(), List.of(e.getValue().low(), e.getValue().high()));
        }
        if (!abdomen.isEmpty()) {
            for (Map.Entry<AbdomenFigure, ScanBootstrap.Interval> e : abdomenIntervals().entrySet()) {
                intervals.put(e.getKey().key(), List.of(e.getValue().low(), e.getValue().high()));
            }
        }
        m.put("ci95", intervals);
        m.put("ci95_resamples", ScanBootstrap.RESAMPLES);
        m.put("ci95_seed", ScanBootstrap.SEED);
        m.put("abdomen", abdomenNote);
        m.put("abdominal_scans", abdomen.size());
        m.put("liver_dice", liverDice());
        m.put("vessel_dice", vesselDice());
        m.put("vessel_hd95_mm", vesselHd95());
        List<Map<String, Object>> rows = new ArrayList<>();
        for (ScanScore s : chest) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("scan_id", s.scanId());
            r.put("lung_dice", s.lungDice());
            r.put("infection_dice", s.infectionDice());
            r.put("lung_hd95_mm", s.lungHd95Mm());
            r.put("infection_hd95_mm", s.infectionHd95Mm());
            r.put("truth_lung_ml", s.truthLungMl());
            r.put("pred_lung_ml", s.predLungMl());
            r.put("truth_poir", s.truthPoir());
            r.put("pred_poir", s.predPoir());
            r.put("truth_infection_ml", s.truthInfectionMl());
            r.put("pred_infection_ml", s.predInfectionMl());
            r.put("consolidation_found", s.consolidationFound());
            r.put("ggo_found", s.ggoFound());
            r.put("stray_infection_ml", s.strayInfectionMl());
            r.put("infection_dice_without_stray", s.infectionDiceWithoutStray());
            r.put("lung_stability", s.lungStability());
            r.put("infection_stability", s.infectionStability());
            rows.add(r);
        }
        m.put("scans", rows);
        List<Map<String, Object>> abdomenRows = new ArrayList<>();
        for (AbdomenScore s : abdomen) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("scan_id", s.scanId());
            r.put("truth_liver_ml", s.truthLiverMl());
            r.put("pred_liver_ml", s.predLiverMl());
            r.put("liver_dice", s.liverDice());
            r.put("liver_stability", s.liverStability());
            r.put("truth_vessel_ml", s.truthVesselMl());
            r.put("pred_vessel_ml", s.predVesselMl());
            r.put("vessel_dice", s.vesselDice());
            r.put("vessel_hd95_mm", s.vesselHd95Mm());
            r.put("vessel_stability", s.vesselStability());
            abdomenRows.add(r);
        }
        m.put("abdomen_scans", abdomenRows);
        return m;
    }

    /** A plain-text table like the paper's Table 1. */
    public String toTable() {
        long infected = finite(chest.stream().mapToDouble(ScanScore::infectionDice).toArray());
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "method %s on %s  %s%n", method, cohort, parameters));
        b.append(String.format(Locale.ROOT, "%-8s %-10s %6s %10s %10s%n", "body", "region", "m-Dice", "HD95 (mm)", "scans"));
        b.append(String.format(Locale.ROOT, "%-8s %-10s %6.3f %10.2f %10d%n", "CHEST", "lung", lungDice(), lungHd95(), chest.size()));
        b.append(String.format(Locale.ROOT, "%-8s %-10s %6.3f %10.2f %10d%n", "CHEST", "infection", infectionDice(), infectionHd95(), infected));
        b.append(String.format(Locale.ROOT, "PoIR: Pearson r %.3f, m-APE %.1f%% (%d scans, m-APE over %d with truth PoIR > 0)%n",
                poirPearson(), poirMape(), chest.size(), chest.stream().filter(s -> s.truthPoir() > 0).count()));
        if (chest.size() < ScanBootstrap.MIN_SCANS) {
            b.append(String.format(Locale.ROOT, "95%% intervals: none, %d chest scans are too few (%d or more)%n",
                    chest.size(), ScanBootstrap.MIN_SCANS));
        } else {
            b.append(String.format(Locale.ROOT, "95%% intervals (%d bootstrap resamples of the chest scans): %s%n",
                    ScanBootstrap.RESAMPLES, intervals().entrySet().stream().map(e -> e.getKey().label() + " ["
                            + e.getKey().format(e.getValue().low(), false) + ", " + e.getKey().format(e.getValue().high(), false)
                            + "]").collect(java.util.stream.Collectors.joining(", "))));
        }
        b.append(String.format(Locale.ROOT, "infection found: consolidation (truth > %.0f HU) %.1f%%, ground glass %.1f%%%n",
                ScanScore.DENSE_HU, 100 * consolidationFound(), 100 * ggoFound()));
        b.append(String.format(Locale.ROOT, "infection touching no true lesion on its slice: %.2f ml in all; without it "
                + "(a perfect component classifier) infection m-Dice %.3f%n", strayInfectionMl(), infectionDiceWithoutStray()));
        b.append(String.format(Locale.ROOT, "healthy scans reported infected: %d of %d (largest finding %.2f ml)%n",
                healthyReportedInfected(), healthyScans(), largestHealthyFindingMl()));
        if (lungStabilityRanking().scans() > 1) {
            b.append(String.format(Locale.ROOT, "stability against Dice: lung %s; infection %s%n",
                    lungStabilityRanking(), infectionStabilityRanking()));
        }
        b.append(String.format(Locale.ROOT, "ABDOMEN: %s%n", abdomenNote));
        if (abdomen.size() >= ScanBootstrap.MIN_SCANS) {
            b.append(String.format(Locale.ROOT, "abdomen 95%% intervals (%d bootstrap resamples of the %d abdominal scans): %s%n",
                    ScanBootstrap.RESAMPLES, abdomen.size(), abdomenIntervals().entrySet().stream()
                            .filter(e -> !Double.isNaN(e.getValue().estimate()))
                            .map(e -> e.getKey().label() + " [" + e.getKey().format(e.getValue().low(), false) + ", "
                                    + e.getKey().format(e.getValue().high(), false) + "]")
                            .collect(java.util.stream.Collectors.joining(", "))));
        } else if (!abdomen.isEmpty()) {
            b.append(String.format(Locale.ROOT, "abdomen 95%% intervals: none, %d abdominal scans are too few (%d or more)%n",
                    abdomen.size(), ScanBootstrap.MIN_SCANS));
        }
        return b.toString();
    }
}
