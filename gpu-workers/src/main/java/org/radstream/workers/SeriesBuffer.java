package org.radstream.workers;

import java.util.ArrayList;
import java.util.List;
import org.radstream.avro.WindowedSlice;

/**
 * The slices of one series received so far on one partition, with the offsets that bound it.
 * Confined to the worker's poll thread.
 */
final class SeriesBuffer {
    /** A slice with the offset it was read at. */
    record BufferedSlice(long offset, WindowedSlice slice) {}

    private final String seriesUid;
    private final long firstOffset;
    private final long firstArrivalMs;
    private final List<BufferedSlice> slices = new ArrayList<>();
    private long lastOffset;
    private long bytes;
    private long lastActivityMs;
    private final SliceResults early = new SliceResults();
    private boolean earlyWorkLeft;

    SeriesBuffer(String seriesUid, long firstOffset, long nowMs) {
        this.seriesUid = seriesUid;
        this.firstOffset = firstOffset;
        this.lastOffset = firstOffset;
        this.firstArrivalMs = nowMs;
        this.lastActivityMs = nowMs;
    }

    void add(long offset, WindowedSlice slice, long sliceBytes, long nowMs) {
        slices.add(new BufferedSlice(offset, slice));
        lastOffset = Math.max(lastOffset, offset);
        bytes += sliceBytes;
        lastActivityMs = nowMs;
        earlyWorkLeft = true;
    }

    /** Restarts the idle clock (after the partition was paused: the wait was ours, not the sender's). */
    void touch(long nowMs) {
        lastActivityMs = nowMs;
    }

    /** Moves the idle clock forward by time the worker spent on other series (not the sender's delay). */
    void postpone(long ms) {
        lastActivityMs += ms;
    }

    String seriesUid() { return seriesUid; }
    long firstOffset() { return firstOffset; }
    long lastOffset() { return lastOffset; }
    long bytes() { return bytes; }
    long firstArrivalMs() { return firstArrivalMs; }
    long lastActivityMs() { return lastActivityMs; }
    List<BufferedSlice> slices() { return slices; }
    /** Network outputs computed before the series completed. */
    SliceResults early() { return early; }

    /** Whether early inference may have something to do (a slice arrived since it last found nothing). */
    boolean earlyWorkLeft() { return earlyWorkLeft; }

    void noEarlyWorkLeft() { earlyWorkLeft = false; }

    /** Pixel bytes a slice holds in memory (all its windowed planes). */
    static long bytesOf(WindowedSlice slice) {
        long n = 0;
        for (var plane : slice.getWindows()) {
            n += plane.getValues().remaining();
        }
        return n;
    }
}
