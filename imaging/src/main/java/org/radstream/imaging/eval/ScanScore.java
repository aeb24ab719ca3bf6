package org.radstream.imaging.eval;

import org.radstream.imaging.ComponentLabels;
import org.radstream.imaging.Components;
import org.radstream.imaging.Connectivity;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Metrics;
import org.radstream.imaging.Volume;

/**
 * Scores of one chest scan. Infection Dice and HD95 are NaN for scans without truth infection
 * (Dice of "nothing" is not informative about segmentation); HD95 is NaN when one mask is empty.
 *
 * @param consolidationFound share of the truth infection denser than {@link #DENSE_HU} (consolidation,
 *     as dense as the chest wall it touches) that the predicted infection contains; NaN without any
 * @param ggoFound           the same for the rest of the truth infection (ground glass)
 * @param strayInfectionMl   predicted infection in 2D components (per slice, as the workers' candidate
 *     classifier sees them) that touch no truth infection on their slice: all a component classifier
 *     can remove without removing a true lesion
 * @param infectionDiceWithoutStray infection Dice with those components removed: the most a perfect
 *     component classifier could make of this segmentation; NaN without truth infection
 * @param lungStability      how firmly the lung network decided its mask (the workers' {@code
 *     maskStability}: Dice of its strict and lenient cuts); NaN for a method without probabilities
 * @param infectionStability the same for the infection network
 */
public record ScanScore(String scanId, double lungDice, double infectionDice, double lungHd95Mm, double infectionHd95Mm,
                        double truthLungMl, double truthInfectionMl, double predLungMl, double predInfectionMl,
                        double truthPoir, double predPoir, double consolidationFound, double ggoFound,
                        double strayInfectionMl, double infectionDiceWithoutStray, double lungStability,
                        double infectionStability) {

    /** Scores of a method that measures no stability. */
    public ScanScore(String scanId, double lungDice, double infectionDice, double lungHd95Mm, double infectionHd95Mm,
                     double truthLungMl, double truthInfectionMl, double predLungMl, double predInfectionMl,
                     double truthPoir, double predPoir, double consolidationFound, double ggoFound,
                     double strayInfectionMl, double infectionDiceWithoutStray) {
        this(scanId, lungDice, infectionDice, lungHd95Mm, infectionHd95Mm, truthLungMl, truthInfectionMl, predLungMl,
                predInfectionMl, truthPoir, predPoir, consolidationFound, ggoFound, strayInfectionMl,
                infectionDiceWithoutStray, Double.NaN, Double.NaN);
    }

    /** These scores with the networks' stabilities. */
    public ScanScore withStability(double lung, double infection) {
        return new ScanScore(scanId, lungDice, infectionDice, lungHd95Mm, infectionHd95Mm, truthLungMl, truthInfectionMl,
                predLungMl, predInfectionMl, truthPoir, predPoir, consolidationFound, ggoFound, strayInfectionMl,
                infectionDiceWithoutStray, lung, infection);
    }

    /** HU from which infection counts as consolidation here: the HU baseline's lung threshold. */
    public static final double DENSE_HU = -250;

    /** Every score of a chest scan from its predicted and truth masks on the scan's grid. */
    public static ScanScore of(String scanId, Volume hu, Mask3D lung, Mask3D inf, Mask3D lungTruth, Mask3D infTruth) {
        double sx = hu.spacingX();
        double sy = hu.spacingY();
        double sz = hu.spacingZ();
        boolean infected = !infTruth.isEmpty();
        double tl = lungTruth.volumeMl(sx, sy, sz);
        double ti = infTruth.volumeMl(sx, sy, sz);
        double pl = lung.volumeMl(sx, sy, sz);
        double pi = inf.volumeMl(sx, sy, sz);
        Mask3D stray = stray(inf, infTruth);
        return new ScanScore(scanId, Metrics.dice(lung, lungTruth), infected ? Metrics.dice(inf, infTruth) : Double.NaN,
                Metrics.hausdorff95Mm(lung, lungTruth, sx, sy, sz),
                infected ? Metrics.hausdorff95Mm(inf, infTruth, sx, sy, sz) : Double.NaN,
                tl, ti, pl, pi, Metrics.poir(ti, tl), Metrics.poir(pi, pl),
                Metrics.recallInBand(inf, infTruth, hu, DENSE_HU, Double.POSITIVE_INFINITY),
                Metrics.recallInBand(inf, infTruth, hu, Double.NEGATIVE_INFINITY, DENSE_HU),
                stray.volumeMl(sx, sy, sz), infected ? Metrics.dice(inf.andNot(stray), infTruth) : Double.NaN);
    }

    /** The predicted 2D components (8-connected, per slice) with no truth voxel on their slice. */
    static Mask3D stray(Mask3D predicted, Mask3D truth) {
        int w = predicted.width();
        int h = predicted.height();
        Mask3D out = new Mask3D(w, h, predicted.depth());
        for (int z = 0; z < predicted.depth(); z++) {
            if (predicted.isSliceEmpty(z)) {
                continue;
            }
            ComponentLabels comps = Components.label2D(predicted.slice(z), w, h, Connectivity.FULL);
            boolean[] touches = new boolean[comps.count() + 1];
            int base = z * w * h;
            for (int i = 0; i < w * h; i++) {
                if (truth.get(base + i)) {
                    touches[comps.label(i)] = true;
                }
            }
            for (int i = 0; i < w * h; i++) {
                int c = comps.label(i);
                if (c > 0 && !touches[c]) {
                    out.set(base + i, true);
                }
            }
        }
        return out;
    }
}
