package org.radstream.workers;

import java.util.Map;

/**
 * The models one series runs on, fixed when its inference starts: a swap that lands meanwhile
 * applies from the next series on.
 */
record ModelSet(Map<String, LoadedModel> byTask) {
    static final ModelSet NONE = new ModelSet(Map.of());

    ModelSet {
        byTask = Map.copyOf(byTask);
    }

    /** The loaded model of a task, or null when the task has none (baseline). */
    LoadedModel get(String task) {
        return byTask.get(task);
    }
}
