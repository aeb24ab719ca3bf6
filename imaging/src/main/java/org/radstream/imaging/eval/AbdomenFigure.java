package org.radstream.imaging.eval;

import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The abdominal figures (liver Dice; the SU-UNet paper's vessel Dice and HD95 against the exact
 * vessel truth) as functions of the abdominal scans they are computed over, so that two vessel
 * networks can be compared paired, scan by scan, like the chest figures ({@link Figure}).
 */
public enum AbdomenFigure implements ScanFigure<AbdomenScore> {
    LIVER_DICE("liver Dice", "liver_dice", true, 3, AbdomenScore::liverDice),
    VESSEL_DICE("vessel Dice", "vessel_dice", true, 3, AbdomenScore::vesselDice),
    /** Over the scans where both masks hold a voxel (HD95 is undefined otherwise). */
    VESSEL_HD95("vessel HD95 mm", "vessel_hd95_mm", false, 2, AbdomenScore::vesselHd95Mm);

    private final String label;
    private final String key;
    private final boolean higherIsBetter;
    private final int decimals;
    private final ToDoubleFunction<AbdomenScore> value;

    AbdomenFigure(String label, String key, boolean higherIsBetter, int decimals, ToDoubleFunction<AbdomenScore> value) {
        this.label = label;
        this.key = key;
        this.higherIsBetter = higherIsBetter;
        this.decimals = decimals;
        this.value = value;
    }

    /** The mean over the scans where it is a number; NaN where it is one on none (no vessel network). */
    @Override
    public double of(List<AbdomenScore> scans) {
        return EvaluationReport.mean(scans.stream().mapToDouble(value).toArray());
    }

    @Override
    public String label() { return label; }

    @Override
    public String key() { return key; }

    @Override
    public boolean higherIsBetter() { return higherIsBetter; }

    @Override
    public int decimals() { return decimals; }

    @Override
    public boolean percent() { return false; }
}
