package org.radstream.workers;

import java.util.List;
import java.util.Locale;

/**
 * A consumer group's share of the work: which task topic it reads, which tasks it publishes
 * results for, and which model-store tasks it watches on {@code radstream.models}.
 */
public enum TaskGroup {
    /** Lung and COVID-19 infection, with the ResNet-18 candidate-region classifier. */
    CHEST("chest", List.of(Tasks.LUNG, Tasks.INFECTION), List.of(Tasks.LUNG, Tasks.INFECTION, Tasks.INFECTION_CLASSIFIER)),
    /** Liver, then hepatic vessels inside the dilated liver. */
    LIVER("liver", List.of(Tasks.LIVER, Tasks.VESSEL), List.of(Tasks.LIVER, Tasks.VESSEL));

    private final String id;
    private final List<String> resultTasks;
    private final List<String> modelTasks;

    TaskGroup(String id, List<String> resultTasks, List<String> modelTasks) {
        this.id = id;
        this.resultTasks = resultTasks;
        this.modelTasks = modelTasks;
    }

    /** {@code chest} or {@code liver}: the name used in topics, group ids and results. */
    public String id() {
        return id;
    }

    /** Tasks this group publishes one result each for, per series. */
    public List<String> resultTasks() {
        return resultTasks;
    }

    /** Model-store tasks this group loads (segmentation models and the classifier). */
    public List<String> modelTasks() {
        return modelTasks;
    }

    public static TaskGroup of(String id) {
        String t = id == null ? "" : id.trim().toLowerCase(Locale.ROOT);
        for (TaskGroup g : values()) {
            if (g.id.equals(t)) {
                return g;
            }
        }
        throw new IllegalArgumentException("unknown task group '" + id + "' (chest or liver)");
    }

    /** Task names shared with the model store and the results topic. */
    public static final class Tasks {
        public static final String LUNG = "lung";
        public static final String INFECTION = "infection";
        public static final String INFECTION_CLASSIFIER = "infection-classifier";
        public static final String LIVER = "liver";
        public static final String VESSEL = "vessel";

        private Tasks() {}
    }
}
