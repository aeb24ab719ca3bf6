package org.radstream.imaging;

/**
 * An HU window: clip to [lower, upper] and scale linearly to [0, 1].
 *
 * <p>The constants are the windows of DESIGN.md (from the source papers): the lung window feeds
 * lung and infection models (the COVID-19 paper scaled the same clip to [0, 255]); the liver
 * window feeds liver models; the vessel window (width 300, level 0) feeds the hepatic vessel model.
 */
public record Window(String name, double lower, double upper) {
    public static final Window LUNG = new Window("lung", -1200, 600);
    public static final Window LIVER = new Window("liver", -150, 250);
    public static final Window VESSEL = fromWidthLevel("vessel", 300, 0);

    public Window {
        if (!(upper > lower)) {
            throw new IllegalArgumentException("window upper must exceed lower: [" + lower + ", " + upper + "]");
        }
    }

    /** A window given the radiological width and level (centre). */
    public static Window fromWidthLevel(String name, double width, double level) {
        return new Window(name, level - width / 2, level + width / 2);
    }

    /** The window for a task name (lung, infection, liver, vessel). */
    public static Window forTask(String task) {
        switch (task) {
            case "lung":
            case "infection":
                return LUNG;
            case "liver":
                return LIVER;
            case "vessel":
                return VESSEL;
            default:
                throw new IllegalArgumentException("no window for task '" + task + "' (known: lung, infection, liver, vessel)");
        }
    }

    public float apply(double hu) {
        double c = Math.max(lower, Math.min(upper, hu));
        return (float) ((c - lower) / (upper - lower));
    }

    /** Windows every value into a new array. */
    public float[] apply(float[] hu) {
        float[] out = new float[hu.length];
        double scale = 1.0 / (upper - lower);
        for (int i = 0; i < hu.length; i++) {
            double c = Math.max(lower, Math.min(upper, hu[i]));
            out[i] = (float) ((c - lower) * scale);
        }
        return out;
    }
}
