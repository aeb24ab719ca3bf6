package org.radstream.workers;

import org.radstream.imaging.HuThresholdBaseline;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Volume;

/**
 * HU-threshold masks for tasks without a trained model, reported as {@code method=hu-threshold}.
 * Chest uses the COVID-19 paper's baseline ({@link HuThresholdBaseline}, its best thresholds).
 * Liver and vessel use HU bands chosen for portal-venous contrast (enhanced liver parenchyma
 * about 100–130 HU, contrast-filled vessels brighter), made of the same body-masked bands.
 */
final class Baselines {
    /** Enhanced liver parenchyma: [LIVER_LOW_HU, LIVER_HIGH_HU). */
    static final double LIVER_LOW_HU = 70;
    static final double LIVER_HIGH_HU = 150;
    /** Contrast-filled hepatic vessels: at least VESSEL_LOW_HU. */
    static final double VESSEL_LOW_HU = 150;

    private Baselines() {}

    static Mask3D lung(Volume hu) {
        return HuThresholdBaseline.lungMask(hu, HuThresholdBaseline.Thresholds.PAPER);
    }

    static Mask3D infection(Volume hu) {
        return HuThresholdBaseline.infectionMask(hu, HuThresholdBaseline.Thresholds.PAPER);
    }

    static Mask3D liver(Volume hu) {
        return HuThresholdBaseline.band(hu, HuThresholdBaseline.bodyMask(hu), LIVER_LOW_HU, LIVER_HIGH_HU);
    }

    static Mask3D vessel(Volume hu) {
        return HuThresholdBaseline.band(hu, HuThresholdBaseline.bodyMask(hu), VESSEL_LOW_HU, Double.POSITIVE_INFINITY);
    }
}
