package org.radstream.trainer;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.radstream.imaging.Window;

/**
 * The tasks the trainer learns, with the task group whose topic carries their images, the plane
 * (window) their networks read and the store name of their models. Labels name one of the four
 * segmentation tasks; the infection classifier is trained from infection labels.
 */
public enum TrainingTask {
    LUNG("lung", "chest", Window.LUNG),
    INFECTION("infection", "chest", Window.LUNG),
    LIVER("liver", "liver", Window.LIVER),
    VESSEL("vessel", "liver", Window.VESSEL),
    /** ResNet-18 candidate-region classifier; learns from infection labels, never labelled itself. */
    INFECTION_CLASSIFIER("infection-classifier", "chest", Window.LUNG);

    private final String id;
    private final String group;
    private final Window window;

    TrainingTask(String id, String group, Window window) {
        this.id = id;
        this.group = group;
        this.window = window;
    }

    /** Name on labels, in the model store and on radstream.models. */
    public String id() {
        return id;
    }

    /** {@code chest} or {@code liver}: the task topic its images arrive on. */
    public String group() {
        return group;
    }

    /** HU window its network reads (also the archived plane of that name, or a wider one). */
    public Window window() {
        return window;
    }

    /**
     * Whether the task's networks learn and infer inside its region only (vessels: the dilated
     * liver, as SU-UNet does), their input zero outside it.
     */
    public boolean regionInput() {
        return this == VESSEL;
    }

    /**
     * Whether the trainer chooses a minimum component volume for the task's masks on validation
     * ({@link MinComponentVolume}): infection, whose lesions are many and of any size. Lung and liver
     * keep their largest components anyway; vessel fragments inside the liver are vessel.
     */
    public boolean prunesComponents() {
        return this == INFECTION;
    }

    /** Tasks a label may name. */
    public static List<TrainingTask> labelled() {
        return List.of(LUNG, INFECTION, LIVER, VESSEL);
    }

    /** The task named {@code id}, or an exception whose message lists the known ones. */
    public static TrainingTask of(String id) {
        String t = id == null ? "" : id.trim().toLowerCase(Locale.ROOT);
        for (TrainingTask task : values()) {
            if (task.id.equals(t)) {
                return task;
            }
        }
        throw new IllegalArgumentException("unknown task '" + id + "' (known: "
                + Arrays.stream(values()).map(TrainingTask::id).toList() + ")");
    }

    /** Whether a corrected label may name {@code id}. */
    public static boolean isLabelled(String id) {
        return labelled().stream().anyMatch(t -> t.id.equals(id));
    }
}
