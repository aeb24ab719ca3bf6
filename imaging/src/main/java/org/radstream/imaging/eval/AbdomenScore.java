package org.radstream.imaging.eval;

import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Metrics;

/**
 * Scores of one abdominal scan: the liver, and the hepatic vessels against the exact vessel truth
 * (the SU-UNet comparison: networks trained on noisy labels, scored against what they approximate).
 * Vessel scores are NaN where no vessel network read the scan; HD95 is NaN when one mask is empty.
 *
 * @param liverStability  how firmly the liver network decided its mask (the workers' {@code
 *     maskStability}); NaN for a method without probabilities
 * @param vesselStability the same for the vessel network
 */
public record AbdomenScore(String scanId, double truthLiverMl, double predLiverMl, double liverDice, double liverStability,
                           double truthVesselMl, double predVesselMl, double vesselDice, double vesselHd95Mm,
                           double vesselStability) {

    /**
     * Every score of an abdominal scan from its predicted and truth masks on the scan's grid (mm
     * spacing); {@code vessel} null when no vessel network read it.
     */
    public static AbdomenScore of(String scanId, double sx, double sy, double sz, Mask3D liver, Mask3D liverTruth,
                                  double liverStability, Mask3D vessel, Mask3D vesselTruth, double vesselStability) {
        double truthVessel = vesselTruth == null ? Double.NaN : vesselTruth.volumeMl(sx, sy, sz);
        if (vessel == null) {
            return new AbdomenScore(scanId, liverTruth.volumeMl(sx, sy, sz), liver.volumeMl(sx, sy, sz),
                    Metrics.dice(liver, liverTruth), liverStability, truthVessel, Double.NaN, Double.NaN, Double.NaN,
                    Double.NaN);
        }
        return new AbdomenScore(scanId, liverTruth.volumeMl(sx, sy, sz), liver.volumeMl(sx, sy, sz),
                Metrics.dice(liver, liverTruth), liverStability, truthVessel, vessel.volumeMl(sx, sy, sz),
                Metrics.dice(vessel, vesselTruth), Metrics.hausdorff95Mm(vessel, vesselTruth, sx, sy, sz), vesselStability);
    }
}
