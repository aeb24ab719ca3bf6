package org.radstream.imaging.eval;

/**
 * Scores of one chest scan. Infection Dice and HD95 are NaN for scans without truth infection
 * (Dice of "nothing" is not informative about segmentation); HD95 is NaN when one mask is empty.
 */
public record ScanScore(String scanId, double lungDice, double infectionDice, double lungHd95Mm, double infectionHd95Mm,
                        double truthLungMl, double truthInfectionMl, double predLungMl, double predInfectionMl,
                        double truthPoir, double predPoir) {}
