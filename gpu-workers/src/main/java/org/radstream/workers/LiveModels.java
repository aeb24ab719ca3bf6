package org.radstream.workers;

import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.radstream.avro.DeadLetter;

/**
 * The models a worker runs and the ones waiting to replace them. The model watcher loads and
 * verifies a new version in the background and {@link #offer offers} it; the poll thread takes
 * it with {@link #forNextSeries()} before it starts a series, so a series never changes model
 * halfway, and closes the version it replaces (which no series uses any more: series run one at
 * a time on the poll thread).
 */
final class LiveModels implements AutoCloseable {
    private final Map<String, LoadedModel> current = new HashMap<>();
    private final Map<String, LoadedModel> pending = new ConcurrentHashMap<>();
    private final Queue<DeadLetter> refusals = new ConcurrentLinkedQueue<>();
    private final WorkerMetrics metrics;

    LiveModels(WorkerMetrics metrics) {
        this.metrics = metrics;
    }

    /** Called by the watcher: {@code model} replaces the task's model from the next series on. */
    void offer(LoadedModel model) {
        LoadedModel superseded = pending.put(model.task(), model);
        if (superseded != null) {
            superseded.close();
        }
    }

    /** Called by the watcher when an announced version was refused; the poll thread publishes it. */
    void refused(DeadLetter report) {
        refusals.add(report);
    }

    /** Dead letters describing refused versions, drained. */
    DeadLetter pollRefusal() {
        return refusals.poll();
    }

    /** Poll thread: applies waiting swaps and returns the models for the series about to start. */
    ModelSet forNextSeries() {
        for (String task : pending.keySet()) {
            LoadedModel next = pending.remove(task);
            if (next != null) {
                LoadedModel old = current.put(task, next);
                metrics.modelVersion(task, next.version());
                if (old != null) {
                    old.close();
                }
            }
        }
        return current.isEmpty() ? ModelSet.NONE : new ModelSet(current);
    }

    @Override
    public void close() {
        pending.values().forEach(LoadedModel::close);
        pending.clear();
        current.values().forEach(LoadedModel::close);
        current.clear();
    }
}
