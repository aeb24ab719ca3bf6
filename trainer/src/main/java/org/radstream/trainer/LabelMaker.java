package org.radstream.trainer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Random;
import org.radstream.avro.CorrectedLabel;
import org.radstream.avro.Mask;
import org.radstream.imaging.ComponentLabels;
import org.radstream.imaging.Components;
import org.radstream.imaging.Connectivity;
import org.radstream.imaging.HuThresholdBaseline;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Morphology;
import org.radstream.imaging.Rle;
import org.radstream.imaging.Window;

/**
 * Builds corrected-label records for the ways labels come in: a radiologist's mask file (the
 * cohort's {@code .rle} truth format: three big-endian int32 width, height, depth, then the
 * {@link Rle} encoding), the HU-threshold "dirty" bootstrap of an archived chest series, and a
 * simulated radiologist (a cohort's truth with optional annotator noise).
 */
public final class LabelMaker {

    /**
     * Annotator noise of the simulated radiologist.
     *
     * @param boundary       per-slice boundary change in pixels: negative erodes, positive dilates
     * @param missBelowVoxels drop 3D components smaller than this (a busy radiologist misses small lesions)
     * @param missProbability chance of missing each such small component
     */
    public record Noise(int boundary, int missBelowVoxels, double missProbability) {
        public static final Noise NONE = new Noise(0, 0, 0);
    }

    private LabelMaker() {}

    public static CorrectedLabel label(String seriesUid, String task, Mask3D mask, String annotator, String source,
                                       String note) {
        return CorrectedLabel.newBuilder()
                .setSeriesUid(seriesUid)
                .setTask(task)
                .setMask(Mask.newBuilder().setWidth(mask.width()).setHeight(mask.height()).setDepth(mask.depth())
                        .setRle(ByteBuffer.wrap(Rle.encode(mask))).build())
                .setAnnotator(annotator)
                .setSource(source)
                .setSubmittedAt(Instant.now())
                .setNote(note)
                .build();
    }

    /** A radiologist's label from a mask file in the .rle truth format. */
    public static CorrectedLabel fromFile(String seriesUid, String task, Path maskFile, String annotator) throws IOException {
        return label(seriesUid, task, Rle.read(maskFile), annotator, "radiologist", "from " + maskFile.getFileName());
    }

    /** A mask with simulated annotator noise. */
    public static Mask3D withNoise(Mask3D truth, Noise noise, Random random) {
        Mask3D m = truth;
        if (noise.boundary() > 0) {
            m = Morphology.dilate2D(m, noise.boundary());
        } else if (noise.boundary() < 0) {
            m = Morphology.erode2D(m, -noise.boundary());
        }
        if (noise.missBelowVoxels() > 0 && noise.missProbability() > 0) {
            ComponentLabels comps = Components.label3D(m, Connectivity.FACE);
            boolean[] drop = new boolean[comps.count() + 1];
            for (int c = 1; c <= comps.count(); c++) {
                drop[c] = comps.size(c) < noise.missBelowVoxels() && random.nextDouble() < noise.missProbability();
            }
            boolean[] data = m.data().clone();
            for (int i = 0; i < data.length; i++) {
                if (data[i] && drop[comps.label(i)]) {
                    data[i] = false;
                }
            }
            m = new Mask3D(data, m.width(), m.height(), m.depth());
        }
        return m;
    }

    /** HU-threshold "dirty" label (COVID-19 paper) of an archived chest series, for lung or infection. */
    public static CorrectedLabel bootstrap(ArchivedSeries series, String task, HuThresholdBaseline.Thresholds t) {
        if (!task.equals("lung") && !task.equals("infection")) {
            throw new IllegalArgumentException("the HU-threshold bootstrap labels lung and infection, not " + task);
        }
        var hu = series.huVolume(Window.LUNG);
        Mask3D mask = task.equals("lung") ? HuThresholdBaseline.lungMask(hu, t) : HuThresholdBaseline.infectionMask(hu, t);
        return label(series.seriesUid(), task, mask, "hu-threshold", "hu-bootstrap",
                "HU threshold lung " + t.lungHu() + ", infection lower " + t.infectionLowHu());
    }
}
