package org.radstream.streams;

import java.util.List;
import org.radstream.imaging.Window;

/**
 * The task groups a series can be routed to and the HU windows each one receives: the chest
 * group feeds the lung and infection models from one lung window; the liver group feeds the
 * liver model (liver window) and the hepatic vessel model (vessel window). Windows are the
 * constants of {@link Window} (DESIGN.md), shared with the trainer and the workers.
 */
public final class TaskGroups {
    public static final String CHEST = "chest";
    public static final String LIVER = "liver";
    public static final List<String> ALL = List.of(CHEST, LIVER);

    private TaskGroups() {}

    /** The windows sent to a task group, in plane order. */
    public static List<Window> windows(String taskGroup) {
        return switch (require(taskGroup)) {
            case CHEST -> List.of(Window.LUNG);
            case LIVER -> List.of(Window.LIVER, Window.VESSEL);
            default -> throw new IllegalStateException(taskGroup);
        };
    }

    static String require(String taskGroup) {
        if (!ALL.contains(taskGroup)) {
            throw new IllegalArgumentException("unknown task group '" + taskGroup + "' (known: " + ALL + ")");
        }
        return taskGroup;
    }
}
