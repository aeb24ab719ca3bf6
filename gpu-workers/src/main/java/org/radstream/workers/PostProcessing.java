package org.radstream.workers;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import org.radstream.imaging.BoundingSquare;
import org.radstream.imaging.ComponentLabels;
import org.radstream.imaging.Components;
import org.radstream.imaging.Connectivity;
import org.radstream.imaging.InfectedLung;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Morphology;
import org.radstream.imaging.Resample;

/**
 * Post-processing of the source papers, applied to every raw mask whatever produced it.
 * <ul>
 *   <li>lung: keep the two largest 3D components (the lungs; drops stomach gas, specks);</li>
 *   <li>infection (the network's mask already lacks the 3D components below the model's minimum
 *       volume, see {@link SeriesInference}): keep the 3D components that reach into the lung,
 *       whole (dense subpleural consolidation is what a lung network leaves out of the lung), split
 *       them into connected components per slice (the classifier sees 2D patches), crop each to its
 *       minimum enclosing square, resize to the classifier's patch size and drop the components it
 *       rejects; the published lung then includes the infection, as the lung label does
 *       ({@link InfectedLung});</li>
 *   <li>liver: keep the largest 3D component; the dilated liver bounds the vessel search;</li>
 *   <li>vessels: only inside the dilated liver.</li>
 * </ul>
 */
final class PostProcessing {
    /** Face-neighbour dilation steps that grow the liver into the vessel search region. */
    static final int LIVER_DILATION = 3;

    private PostProcessing() {}

    static Mask3D lung(Mask3D raw) {
        return Components.keepLargest(raw, 2, Connectivity.FACE);
    }

    static Mask3D liver(Mask3D raw) {
        return Components.keepLargest(raw, 1, Connectivity.FACE);
    }

    static Mask3D vesselRegion(Mask3D liver) {
        return Morphology.dilate3D(liver, LIVER_DILATION);
    }

    static Mask3D vessels(Mask3D raw, Mask3D dilatedLiver) {
        return raw.and(dilatedLiver);
    }

    /** The infection mask after classification and how many regions were dropped. */
    record Filtered(Mask3D mask, int removed) {}

    /**
     * Keeps the candidates that reach into the lung and, with a classifier, drops the regions it
     * rejects.
     *
     * @param image     slice z as values in the classifier's window, row-major
     * @param batchSize patches per classifier call
     */
    static Filtered infection(Mask3D candidates, Mask3D lung, RegionClassifier classifier,
            IntFunction<float[]> image, int batchSize) throws Exception {
        Mask3D restricted = InfectedLung.reaching(lung, candidates);
        if (classifier == null) {
            return new Filtered(restricted, 0);
        }
        int w = restricted.width();
        int h = restricted.height();
        int n = w * h;
        boolean[] data = restricted.data();
        int removed = 0;
        List<Region> pending = new ArrayList<>();
        float[] cachedImage = null;
        int cachedZ = -1;
        for (int z = 0; z < restricted.depth(); z++) {
            boolean[] slice = restricted.slice(z);
            ComponentLabels labels = Components.label2D(slice, w, h, Connectivity.FULL);
            for (int label = 1; label <= labels.count(); label++) {
                pending.add(new Region(z, label, labels.labels(),
                        BoundingSquare.of(labels.labels(), w, h, label)));
            }
            boolean last = z == restricted.depth() - 1;
            while (pending.size() >= batchSize || (last && !pending.isEmpty())) {
                List<Region> batch = pending.subList(0, Math.min(batchSize, pending.size()));
                float[][] patches = new float[batch.size()][];
                for (int i = 0; i < batch.size(); i++) {
                    Region r = batch.get(i);
                    if (r.z != cachedZ) {
                        cachedImage = image.apply(r.z);
                        cachedZ = r.z;
                    }
                    float[] crop = r.square.crop(cachedImage, w, h, 0f);
                    patches[i] = Resample.bilinear(crop, r.square.size(), r.square.size(),
                            classifier.patchSize(), classifier.patchSize());
                }
                boolean[] keep = classifier.accept(patches);
                for (int i = 0; i < batch.size(); i++) {
                    if (!keep[i]) {
                        Region r = batch.get(i);
                        int base = r.z * n;
                        for (int p = 0; p < n; p++) {
                            if (r.labels[p] == r.label) {
                                data[base + p] = false;
                            }
                        }
                        removed++;
                    }
                }
                batch.clear();
            }
        }
        return new Filtered(restricted, removed);
    }

    private record Region(int z, int label, int[] labels, BoundingSquare square) {}
}
