package org.radstream.models;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the {@code --device} option. Goes through DJL's engine-neutral {@link Engine} so that
 * the choice works with whichever libtorch flavour is on the runtime classpath (CPU here, CUDA on
 * a GPU host) without compiling against the PyTorch engine.
 */
public final class Devices {

    private static final Pattern GPU = Pattern.compile("(?:gpu|cuda)(?::(\\d+))?");

    private Devices() {}

    /**
     * {@code cpu}, {@code gpu} (= {@code gpu:0}) or {@code gpu:N}; {@code cuda} is accepted as a
     * synonym of {@code gpu}.
     *
     * @throws IllegalArgumentException for anything else
     */
    public static Device parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("cpu")) {
            return Device.cpu();
        }
        Matcher m = GPU.matcher(t);
        if (m.matches()) {
            return Device.gpu(m.group(1) == null ? 0 : Integer.parseInt(m.group(1)));
        }
        throw new IllegalArgumentException("device must be 'cpu' or 'gpu:N', got '" + text + "'");
    }

    /**
     * Fails early, with a message an operator can act on, when a GPU is asked for but the engine
     * sees fewer GPUs (e.g. only the CPU libtorch is installed).
     */
    public static Device requireAvailable(Device device) {
        if (device.isGpu()) {
            int gpus = Engine.getInstance().getGpuCount();
            if (device.getDeviceId() >= gpus) {
                throw new IllegalArgumentException("device " + device + " requested but the "
                        + Engine.getInstance().getEngineName() + " engine sees " + gpus
                        + " GPU(s); install a CUDA libtorch or use --device cpu");
            }
        }
        return device;
    }
}
