package org.radstream.trainer;

import java.time.Duration;
import java.util.Locale;

/**
 * How long, and up to what size, the trainer's image archive keeps series no label names
 * ({@link ArchiveRetention}). Labelled series are never removed by either limit.
 *
 * @param maxAge   an unlabelled series is removed once it was last archived this long ago; zero: no age limit
 * @param maxBytes once the archive holds more, unlabelled series are removed oldest first until it holds no more;
 *                 zero: no size limit
 */
public record ArchivePolicy(Duration maxAge, long maxBytes) {

    /** Unlabelled archived series are removed after this by default. */
    public static final Duration DEFAULT_MAX_AGE = Duration.ofDays(30);

    public ArchivePolicy {
        if (maxAge == null || maxAge.isNegative()) {
            throw new IllegalArgumentException("the archive retention must be zero (no age limit) or positive");
        }
        if (maxBytes < 0) {
            throw new IllegalArgumentException("the archive size cap must be zero (no cap) or positive, got " + maxBytes);
        }
    }

    /** Unlabelled series kept {@link #DEFAULT_MAX_AGE}, no size cap. */
    public static ArchivePolicy defaults() {
        return new ArchivePolicy(DEFAULT_MAX_AGE, 0);
    }

    /** Whether the archive keeps every series for good. */
    boolean keepsEverything() {
        return maxAge.isZero() && maxBytes == 0;
    }

    ArchivePolicy withMaxAge(Duration v) {
        return new ArchivePolicy(v, maxBytes);
    }

    ArchivePolicy withMaxBytes(long v) {
        return new ArchivePolicy(maxAge, v);
    }

    /**
     * What happens to a series no label names, in words for a refusal: "a series no label names is
     * removed from the archive 30 days after it arrived, sooner (oldest first) once the archive holds
     * more than 200 GB"; empty when it is kept for good.
     */
    String describe() {
        if (keepsEverything()) {
            return "";
        }
        String age = maxAge.isZero() ? "" : " " + (maxAge.toSeconds() % 86_400 == 0 ? maxAge.toDays() + " days"
                : maxAge.toString()) + " after it arrived";
        String size = maxBytes == 0 ? "" : (maxAge.isZero() ? " (oldest first)" : ", sooner (oldest first),")
                + " once the archive holds more than " + gigabytes(maxBytes);
        return "a series no label names is removed from the archive" + age + size;
    }

    static String gigabytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f GB", bytes / 1e9);
    }
}
