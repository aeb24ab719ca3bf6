package org.radstream.workers;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntPredicate;
import org.radstream.avro.WindowedSlice;
import org.radstream.imaging.Components;
import org.radstream.imaging.Connectivity;
import org.radstream.imaging.InfectedLung;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Resample;
import org.radstream.imaging.Volume;
import org.radstream.models.MaskCut;
import org.radstream.models.SegmentationModel;
import org.radstream.models.SliceStack;
import org.radstream.workers.TaskGroup.Tasks;

/**
 * Runs a task group's segmentations on one assembled series: batched model inference where a
 * model is loaded (slices re-windowed to the model's window, resampled bilinearly to its input
 * size, thresholded at the model's mask threshold, masks resampled back by nearest neighbour, 3D
 * components below the model's minimum volume dropped), the HU-threshold baseline otherwise, then
 * the papers' post-processing. Each output says which of the two made it.
 *
 * <p>Networks see one slice with its neighbours at a time, so most of a series' forward passes
 * need not wait for its series-complete marker: {@link #prefetch} runs them on the slices received
 * so far (during the sender's transfer and the ingest's stability wait), and {@link #run} computes
 * only what is missing when the series completes. Both go through {@link SliceResults}, keyed by
 * the exact input, so the masks are those a single pass at completion would give.
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
    /** Nanoseconds spent measuring stabilities since the last {@link #takeStabilityNanos()}. */
    private long stabilityNanos;

    SeriesInference(TaskGroup group, int batchSize) {
        this.group = group;
        this.batchSize = batchSize;
    }

    List<TaskOutput> run(AssembledSeries series, ModelSet models) throws Exception {
        return run(series, models, new SliceResults());
    }

    /** Runs the group's tasks on a complete series, reusing the slices {@code early} already holds. */
    List<TaskOutput> run(AssembledSeries series, ModelSet models, SliceResults early) throws Exception {
        forwardNanos = 0;
        stabilityNanos = 0;
        return switch (group) {
            case CHEST -> chest(series, models, early);
            case LIVER -> liver(series, models, early);
        };
    }

    /**
     * Forward passes ahead of the series-complete marker, on the slices of {@code seriesUid}
     * received so far, into {@code early}: at most {@code maxSlices} slices (over the group's
     * segmentation models, in batches) whose whole neighbourhood has arrived. A neighbourhood is
     * taken as complete when the slices stacked with it, in position order, have consecutive
     * InstanceNumbers and none is at the current ends of the series: a slice still missing in
     * between would show as a gap. When that does not hold (slices numbered otherwise, or a gap),
     * the slice waits for completion; a wrong guess only costs a second forward pass, never a
     * different result, since {@link SliceResults} is keyed by the exact input. Slices that
     * cannot be assembled yet (inconsistent sizes or windows) are left to completion, which
     * reports them.
     *
     * @return slices forwarded by this call (0: nothing can be done before completion)
     */
    int prefetch(String seriesUid, List<SeriesBuffer.BufferedSlice> buffered, ModelSet models, SliceResults early,
            int maxSlices) throws Exception {
        if (buffered.size() < 3 || group.resultTasks().stream().map(models::get)
                .noneMatch(m -> m != null && m.segmentation() != null)) {
            return 0; // nothing to forward: the HU-threshold fallback runs at completion
        }
        AssembledSeries partial;
        try {
            partial = SeriesAssembly.partial(seriesUid, buffered);
        } catch (PoisonedSeriesException e) {
            return 0;
        }
        List<WindowedSlice> slices = partial.slices();
        int forwarded = 0;
        for (String task : group.resultTasks()) {
            LoadedModel m = models.get(task);
            String plane = plane(partial, task);
            if (m == null || m.segmentation() == null || !partial.hasPlane(plane) || forwarded >= maxSlices
                    || m.segmentation().metadata().inputRegion() != null) {
                continue; // a network trained inside the dilated liver waits for the whole liver
            }
            int half = m.segmentation().channels() / 2;
            forwarded += forward(partial, m.segmentation(), plane, early, z -> settled(slices, z, half),
                    maxSlices - forwarded);
        }
        return forwarded;
    }

    /** Whether slice {@code z}'s stack is away from the ends and numbered without gaps. */
    private static boolean settled(List<WindowedSlice> sorted, int z, int half) {
        if (z - half < 1 || z + half > sorted.size() - 2) {
            return false;
        }
        for (int c = z - half; c < z + half; c++) {
            if (Math.abs(sorted.get(c + 1).getInstanceNumber() - sorted.get(c).getInstanceNumber()) != 1) {
                return false;
            }
        }
        return true;
    }

    /** The plane a task's network reads. */
    private static String plane(AssembledSeries s, String task) {
        return switch (task) {
            case Tasks.LIVER -> LIVER_PLANE;
            case Tasks.VESSEL -> s.hasPlane(VESSEL_PLANE) ? VESSEL_PLANE : LIVER_PLANE;
            default -> LUNG_PLANE;
        };
    }

    private List<TaskOutput> chest(AssembledSeries s, ModelSet models, SliceResults early) throws Exception {
        requirePlane(s, LUNG_PLANE);
        Volume[] hu = new Volume[1];
        LoadedModel lungModel = models.get(Tasks.LUNG);
        long t0 = System.nanoTime();
        Segmented lungRaw = lungModel != null ? segment(s, lungModel.segmentation(), LUNG_PLANE, early)
                : Segmented.baseline(Baselines.lung(huOnce(s, hu, LUNG_PLANE)));
        long t1 = System.nanoTime();
        Mask3D lung = PostProcessing.lung(lungRaw.mask());
        long t2 = System.nanoTime();

        LoadedModel infModel = models.get(Tasks.INFECTION);
        long t3 = System.nanoTime();
        Segmented infRaw = infModel != null ? segment(s, infModel.segmentation(), LUNG_PLANE, early)
                : Segmented.baseline(Baselines.infection(huOnce(s, hu, LUNG_PLANE)));
        long t4 = System.nanoTime();
        LoadedModel clfModel = models.get(Tasks.INFECTION_CLASSIFIER);
        RegionClassifier clf = clfModel == null ? null : clfModel.regionClassifier();
        PostProcessing.Filtered filtered = PostProcessing.infection(infRaw.mask(), lung, clf,
                z -> s.windowed(z, LUNG_PLANE, clf.windowLowHu(), clf.windowHighHu()), batchSize);
        InfectedLung result = InfectedLung.of(lung, filtered.mask());
        long t5 = System.nanoTime();
        List<TaskOutput> out = new ArrayList<>(2);
        out.add(output(Tasks.LUNG, result.lung(), lungRaw.stability(), lungModel, null, 0, t1 - t0, t2 - t1));
        out.add(output(Tasks.INFECTION, result.infection(), infRaw.stability(), infModel, clfModel, filtered.removed(),
                t4 - t3, t5 - t4));
        return out;
    }

    private List<TaskOutput> liver(AssembledSeries s, ModelSet models, SliceResults early) throws Exception {
        requirePlane(s, LIVER_PLANE);
        Volume[] hu = new Volume[1];
        LoadedModel liverModel = models.get(Tasks.LIVER);
        long t0 = System.nanoTime();
        Segmented liverRaw = liverModel != null ? segment(s, liverModel.segmentation(), LIVER_PLANE, early)
                : Segmented.baseline(Baselines.liver(huOnce(s, hu, LIVER_PLANE)));
        long t1 = System.nanoTime();
        Mask3D liver = PostProcessing.liver(liverRaw.mask());
        Mask3D region = PostProcessing.vesselRegion(liver);
        long t2 = System.nanoTime();
        List<TaskOutput> out = new ArrayList<>(2);
        out.add(output(Tasks.LIVER, liver, liverRaw.stability(), liverModel, null, 0, t1 - t0, t2 - t1));

        LoadedModel vesselModel = models.get(Tasks.VESSEL);
        long t3 = System.nanoTime();
        Segmented vesselRaw;
        if (vesselModel != null) {
            SegmentationModel net = vesselModel.segmentation();
            vesselRaw = net.metadata().inputRegion() == null ? segment(s, net, plane(s, Tasks.VESSEL), early)
                    : segmentInside(s, net, plane(s, Tasks.VESSEL), region);
        } else {
            // the liver plane: the vessel window ([-150, 150]) clips contrast-filled vessels
            vesselRaw = Segmented.baseline(Baselines.vessel(huOnce(s, hu, LIVER_PLANE)));
        }
        long t4 = System.nanoTime();
        Mask3D vessels = PostProcessing.vessels(vesselRaw.mask(), region);
        long t5 = System.nanoTime();
        out.add(output(Tasks.VESSEL, vessels, vesselRaw.stability(), vesselModel, null, 0, t4 - t3, t5 - t4));
        return out;
    }

    /**
     * A network's mask of a series on the series grid, and how firmly the network decided it:
     * {@link MaskCut#stability} of its strict and lenient cuts, each without the components below
     * the model's minimum volume (and, for a network read inside a region, inside it), before the
     * task's post-processing; NaN for the HU-threshold baseline, which has no probabilities.
     */
    record Segmented(Mask3D mask, double stability) {
        static Segmented baseline(Mask3D mask) {
            return new Segmented(mask, Double.NaN);
        }
    }

    /**
     * Batched inference of one network over the series, on the series grid: every slice is
     * re-windowed to the model's window and resized to its input (bilinear); 2.5D models get the
     * neighbouring slices as channels; masks come back by nearest neighbour. Slices {@code early}
     * already holds are not forwarded again.
     */
    Segmented segment(AssembledSeries s, SegmentationModel model, String plane, SliceResults early) throws Exception {
        forward(s, model, plane, early, z -> true, Integer.MAX_VALUE);
        return collect(s, model, plane, early, null);
    }

    /**
     * Inference of a network trained inside {@code region} (the dilated liver): its input is zero
     * outside the region, and slices without region are not forwarded (empty masks). Nothing is
     * computed ahead of completion, since the region needs the whole liver.
     */
    Segmented segmentInside(AssembledSeries s, SegmentationModel model, String plane, Mask3D region) throws Exception {
        SliceResults results = new SliceResults();
        forward(s, model, plane, region, results, z -> !region.isSliceEmpty(z), Integer.MAX_VALUE);
        return collect(s, model, plane, results, region);
    }

    /** The masks {@code results} holds for each slice, back on the series grid; slices it lacks stay empty. */
    private Segmented collect(AssembledSeries s, SegmentationModel model, String plane, SliceResults results,
            Mask3D region) {
        int w = s.width();
        int h = s.height();
        Mask3D mask = new Mask3D(w, h, s.depth());
        for (int z = 0; z < s.depth(); z++) {
            SliceResults.Entry e = results.get(model, inputKey(s, z, plane, model.channels()));
            if (e != null) {
                forwardNanos += e.forwardNanos();
                mask.setSlice(z, onSeriesGrid(e.mask(), model, w, h));
            }
        }
        long t0 = System.nanoTime();
        Mask3D lenient = new Mask3D(w, h, s.depth());
        Mask3D strict = new Mask3D(w, h, s.depth());
        for (int z = 0; z < s.depth(); z++) {
            SliceResults.Entry e = results.get(model, inputKey(s, z, plane, model.channels()));
            if (e != null) {
                lenient.setSlice(z, onSeriesGrid(e.lenient(), model, w, h));
                strict.setSlice(z, onSeriesGrid(e.strict(), model, w, h));
            }
        }
        if (region != null) {
            lenient = lenient.and(region);
            strict = strict.and(region);
        }
        double stability = MaskCut.stability(keptComponents(strict, model, s), keptComponents(lenient, model, s));
        stabilityNanos += System.nanoTime() - t0;
        return new Segmented(keptComponents(mask, model, s), stability);
    }

    private static boolean[] onSeriesGrid(boolean[] slice, SegmentationModel model, int w, int h) {
        return w == model.width() && h == model.height() ? slice
                : Resample.nearest(slice, model.width(), model.height(), w, h);
    }

    /** The mask without the 3D components smaller than the model's minimum (none for most models). */
    private static Mask3D keptComponents(Mask3D mask, SegmentationModel model, AssembledSeries s) {
        return Components.withoutSmallerThan(mask, model.minComponentMl(), s.voxelVolumeMm3() / 1000.0,
                Connectivity.FACE);
    }

    private int forward(AssembledSeries s, SegmentationModel model, String plane, SliceResults results,
            IntPredicate which, int maxSlices) throws Exception {
        return forward(s, model, plane, null, results, which, maxSlices);
    }

    /**
     * Forwards up to {@code maxSlices} of the slices accepted by {@code which} that {@code results}
     * lacks, in batches; with a {@code region}, the input is zero outside it.
     *
     * @return slices forwarded
     */
    private int forward(AssembledSeries s, SegmentationModel model, String plane, Mask3D region, SliceResults results,
            IntPredicate which, int maxSlices) throws Exception {
        int channels = model.channels();
        List<Integer> missing = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        for (int z = 0; z < s.depth() && missing.size() < maxSlices; z++) {
            if (!which.test(z)) {
                continue;
            }
            String key = inputKey(s, z, plane, channels);
            if (results.get(model, key) == null) {
                missing.add(z);
                keys.add(key);
            }
        }
        int n = missing.size();
        if (n == 0) {
            return 0;
        }
        float[][] inputs = new float[s.depth()][];
        double low = model.metadata().windowLowHu();
        double high = model.metadata().windowHighHu();
        int half = channels / 2;
        for (int start = 0; start < n; start += batchSize) {
            int m = Math.min(batchSize, n - start);
            float[][] batch = new float[m][];
            for (int i = 0; i < m; i++) {
                int z = missing.get(start + i);
                for (int c = Math.max(0, z - half); c <= Math.min(s.depth() - 1, z + half); c++) {
                    input(s, model, plane, low, high, region, inputs, c);
                }
                input(s, model, plane, low, high, region, inputs, 0); // SliceStack reads slice 0's length
                batch[i] = SliceStack.stack(Arrays.asList(inputs), z, channels);
            }
            long f0 = System.nanoTime();
            SegmentationModel.Cuts[] predicted = model.predictCuts(batch);
            long each = (System.nanoTime() - f0) / m;
            for (int i = 0; i < m; i++) {
                SegmentationModel.Cuts c = predicted[i];
                results.put(model, keys.get(start + i), new SliceResults.Entry(c.mask(), c.lenient(), c.strict(), each));
            }
        }
        return n;
    }

    private static void input(AssembledSeries s, SegmentationModel model, String plane, double low, double high,
            Mask3D region, float[][] inputs, int z) {
        if (inputs[z] == null) {
            float[] windowed = s.windowed(z, plane, low, high);
            if (region != null) {
                int offset = z * s.width() * s.height();
                for (int i = 0; i < windowed.length; i++) {
                    if (!region.get(offset + i)) {
                        windowed[i] = 0f;
                    }
                }
            }
            inputs[z] = s.width() == model.width() && s.height() == model.height() ? windowed
                    : Resample.bilinear(windowed, s.width(), s.height(), model.width(), model.height());
        }
    }

    /** What a slice's network input is made of: the plane and the SOP instances stacked as its channels. */
    private static String inputKey(AssembledSeries s, int z, String plane, int channels) {
        StringBuilder key = new StringBuilder(plane);
        int half = channels / 2;
        for (int c = 0; c < channels; c++) {
            int source = Math.min(s.depth() - 1, Math.max(0, z - half + c));
            key.append('|').append(s.slices().get(source).getSopInstanceUid());
        }
        return key.toString();
    }

    private long takeForwardNanos() {
        long n = forwardNanos;
        forwardNanos = 0;
        return n;
    }

    private long takeStabilityNanos() {
        long n = stabilityNanos;
        stabilityNanos = 0;
        return n;
    }

    private TaskOutput output(String task, Mask3D mask, double stability, LoadedModel model, LoadedModel classifier,
            int removed, long inferenceNanos, long postNanos) {
        return new TaskOutput(task, mask, stability,
                model != null ? TaskOutput.METHOD_MODEL : TaskOutput.METHOD_HU_THRESHOLD,
                model != null ? model.version() : null,
                classifier != null ? classifier.version() : null,
                removed, inferenceNanos / 1e6, postNanos / 1e6, takeForwardNanos() / 1e6, takeStabilityNanos() / 1e6);
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
