package org.radstream.workers;

import java.util.ArrayList;
import java.util.List;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Resample;
import org.radstream.imaging.Volume;
import org.radstream.models.SegmentationModel;
import org.radstream.models.SliceStack;
import org.radstream.workers.TaskGroup.Tasks;

/**
 * Runs a task group's segmentations on one assembled series: batched model inference where a
 * model is loaded (slices re-windowed to the model's window, resampled bilinearly to its input
 * size, masks resampled back by nearest neighbour), the HU-threshold baseline otherwise, then
 * the papers' post-processing. Each output says which of the two made it.
 */
final class SeriesInference {
    /** Plane (window) each task reads: lung and infection share the lung window. */
    static final String LUNG_PLANE = "lung";
    static final String LIVER_PLANE = "liver";
    static final String VESSEL_PLANE = "vessel";

    private final TaskGroup group;
    private final int batchSize;
    /** Nanoseconds spent in forward passes since the last {@link #takeForwardNanos()}. */
    private long forwardNanos;

    SeriesInference(TaskGroup group, int batchSize) {
        this.group = group;
        this.batchSize = batchSize;
    }

    List<TaskOutput> run(AssembledSeries series, ModelSet models) throws Exception {
        forwardNanos = 0;
        return switch (group) {
            case CHEST -> chest(series, models);
            case LIVER -> liver(series, models);
        };
    }

    private List<TaskOutput> chest(AssembledSeries s, ModelSet models) throws Exception {
        requirePlane(s, LUNG_PLANE);
        Volume[] hu = new Volume[1];
        LoadedModel lungModel = models.get(Tasks.LUNG);
        long t0 = System.nanoTime();
        Mask3D lungRaw = lungModel != null ? segment(s, lungModel.segmentation(), LUNG_PLANE)
                : Baselines.lung(huOnce(s, hu, LUNG_PLANE));
        long t1 = System.nanoTime();
        Mask3D lung = PostProcessing.lung(lungRaw);
        long t2 = System.nanoTime();
        List<TaskOutput> out = new ArrayList<>(2);
        out.add(output(Tasks.LUNG, lung, lungModel, null, 0, t1 - t0, t2 - t1));

        LoadedModel infModel = models.get(Tasks.INFECTION);
        long t3 = System.nanoTime();
        Mask3D infRaw = infModel != null ? segment(s, infModel.segmentation(), LUNG_PLANE)
                : Baselines.infection(huOnce(s, hu, LUNG_PLANE));
        long t4 = System.nanoTime();
        LoadedModel clfModel = models.get(Tasks.INFECTION_CLASSIFIER);
        RegionClassifier clf = clfModel == null ? null : clfModel.regionClassifier();
        PostProcessing.Filtered filtered = PostProcessing.infection(infRaw, lung, clf,
                z -> s.windowed(z, LUNG_PLANE, clf.windowLowHu(), clf.windowHighHu()), batchSize);
        long t5 = System.nanoTime();
        out.add(output(Tasks.INFECTION, filtered.mask(), infModel, clfModel, filtered.removed(), t4 - t3, t5 - t4));
        return out;
    }

    private List<TaskOutput> liver(AssembledSeries s, ModelSet models) throws Exception {
        requirePlane(s, LIVER_PLANE);
        Volume[] hu = new Volume[1];
        LoadedModel liverModel = models.get(Tasks.LIVER);
        long t0 = System.nanoTime();
        Mask3D liverRaw = liverModel != null ? segment(s, liverModel.segmentation(), LIVER_PLANE)
                : Baselines.liver(huOnce(s, hu, LIVER_PLANE));
        long t1 = System.nanoTime();
        Mask3D liver = PostProcessing.liver(liverRaw);
        Mask3D region = PostProcessing.vesselRegion(liver);
        long t2 = System.nanoTime();
        List<TaskOutput> out = new ArrayList<>(2);
        out.add(output(Tasks.LIVER, liver, liverModel, null, 0, t1 - t0, t2 - t1));

        LoadedModel vesselModel = models.get(Tasks.VESSEL);
        long t3 = System.nanoTime();
        Mask3D vesselRaw;
        if (vesselModel != null) {
            vesselRaw = segment(s, vesselModel.segmentation(), s.hasPlane(VESSEL_PLANE) ? VESSEL_PLANE : LIVER_PLANE);
        } else {
            // the liver plane: the vessel window ([-150, 150]) clips contrast-filled vessels
            vesselRaw = Baselines.vessel(huOnce(s, hu, LIVER_PLANE));
        }
        long t4 = System.nanoTime();
        Mask3D vessels = PostProcessing.vessels(vesselRaw, region);
        long t5 = System.nanoTime();
        out.add(output(Tasks.VESSEL, vessels, vesselModel, null, 0, t4 - t3, t5 - t4));
        return out;
    }

    /**
     * Batched inference of one network over the series, on the series grid: every slice is
     * re-windowed to the model's window and resized to its input (bilinear); 2.5D models get the
     * neighbouring slices as channels; masks come back by nearest neighbour.
     */
    Mask3D segment(AssembledSeries s, SegmentationModel model, String plane) throws Exception {
        int w = s.width();
        int h = s.height();
        int mw = model.width();
        int mh = model.height();
        double low = model.metadata().windowLowHu();
        double high = model.metadata().windowHighHu();
        List<float[]> inputs = new ArrayList<>(s.depth());
        for (int z = 0; z < s.depth(); z++) {
            float[] windowed = s.windowed(z, plane, low, high);
            inputs.add(w == mw && h == mh ? windowed : Resample.bilinear(windowed, w, h, mw, mh));
        }
        Mask3D mask = new Mask3D(w, h, s.depth());
        for (int start = 0; start < s.depth(); start += batchSize) {
            int n = Math.min(batchSize, s.depth() - start);
            float[][] batch = new float[n][];
            for (int i = 0; i < n; i++) {
                batch[i] = SliceStack.stack(inputs, start + i, model.channels());
            }
            long f0 = System.nanoTime();
            boolean[][] predicted = model.predictMasks(batch, 0.5f);
            forwardNanos += System.nanoTime() - f0;
            for (int i = 0; i < n; i++) {
                boolean[] back = w == mw && h == mh ? predicted[i] : Resample.nearest(predicted[i], mw, mh, w, h);
                mask.setSlice(start + i, back);
            }
        }
        return mask;
    }

    private long takeForwardNanos() {
        long n = forwardNanos;
        forwardNanos = 0;
        return n;
    }

    private TaskOutput output(String task, Mask3D mask, LoadedModel model, LoadedModel classifier,
            int removed, long inferenceNanos, long postNanos) {
        return new TaskOutput(task, mask,
                model != null ? TaskOutput.METHOD_MODEL : TaskOutput.METHOD_HU_THRESHOLD,
                model != null ? model.version() : null,
                classifier != null ? classifier.version() : null,
                removed, inferenceNanos / 1e6, postNanos / 1e6, takeForwardNanos() / 1e6);
    }

    private static Volume huOnce(AssembledSeries s, Volume[] cache, String plane) {
        if (cache[0] == null) {
            cache[0] = s.huVolume(plane);
        }
        return cache[0];
    }

    private static void requirePlane(AssembledSeries s, String plane) throws PoisonedSeriesException {
        if (!s.hasPlane(plane)) {
            throw new PoisonedSeriesException("series carries no '" + plane + "' window, which the "
                    + "task group needs");
        }
    }
}
