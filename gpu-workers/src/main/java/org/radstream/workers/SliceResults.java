package org.radstream.workers;

import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import org.radstream.models.SegmentationModel;

/**
 * Per-slice network outputs of one series, computed while the series is still arriving (see
 * {@link SeriesInference#prefetch}) and reused when it completes. An entry is keyed by the model
 * instance and by the exact input it was computed from: the plane and the SOP instance UIDs of
 * the slices stacked as channels, in order. A slice that arrives later and lands between others
 * changes its neighbours' keys, so their entries are simply not found and they are computed
 * again: a result never depends on whether it was computed early. Confined to the poll thread;
 * held by the series' {@link SeriesBuffer} and dropped with it.
 */
final class SliceResults {
    /**
     * A predicted mask on the model's input grid, the masks of the model's lenient and strict cuts
     * of the same probabilities (for the series' stability), and the forward-pass time attributed
     * to it.
     */
    record Entry(boolean[] mask, boolean[] lenient, boolean[] strict, long forwardNanos) {}

    private final Map<SegmentationModel, Map<String, Entry>> byModel = new IdentityHashMap<>();
    private int computed;

    Entry get(SegmentationModel model, String inputKey) {
        Map<String, Entry> m = byModel.get(model);
        return m == null ? null : m.get(inputKey);
    }

    void put(SegmentationModel model, String inputKey, Entry entry) {
        byModel.computeIfAbsent(model, k -> new HashMap<>()).put(inputKey, entry);
        computed++;
    }

    /** Slices forwarded through a network for this series so far (every model, early or not). */
    int computed() {
        return computed;
    }
}
