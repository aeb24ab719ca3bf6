package org.radstream.workers;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * A worker's figures, rendered in the Prometheus text exposition format. Written by the poll
 * thread and the model watcher, read by the HTTP thread: every field is thread-safe.
 */
public final class WorkerMetrics {
    private final String group;
    private final Map<String, Long> lag = new ConcurrentHashMap<>();
    private final LongAdder slices = new LongAdder();
    private final LongAdder slicesSkipped = new LongAdder();
    private final Map<String, LongAdder> results = new ConcurrentHashMap<>();
    private final Summary seriesLatencyMs = new Summary();
    private final Summary inferenceMsPerSlice = new Summary();
    private final DoubleAdder forwardMs = new DoubleAdder();
    private final LongAdder forwardEarly = new LongAdder();
    private final LongAdder forwardAtCompletion = new LongAdder();
    private final Map<String, StabilityHistogram> stability = new ConcurrentHashMap<>();
    private final Map<String, String> modelVersions = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> modelLoadFailures = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> deadLetters = new ConcurrentHashMap<>();
    private final LongAdder markerTimeouts = new LongAdder();
    private final LongAdder aborted = new LongAdder();
    private final AtomicLong bufferedBytes = new AtomicLong();
    private final AtomicLong openSeries = new AtomicLong();
    private final AtomicLong assignedPartitions = new AtomicLong();
    private final AtomicLong pausedPartitions = new AtomicLong();
    private volatile boolean running;
    private volatile String lastError = "";

    WorkerMetrics(String group) {
        this.group = group;
    }

    void lag(String partition, long value) { lag.put(partition, value); }
    void forgetLag(String partition) { lag.remove(partition); }
    void slice() { slices.increment(); }
    void sliceSkipped() { slicesSkipped.increment(); }
    void result(String task, String method) { results.computeIfAbsent(task + "|" + method, k -> new LongAdder()).increment(); }
    /** A published model-made mask's stability ({@link TaskOutput#stability()}). */
    void stability(String task, double value) { stability.computeIfAbsent(task, k -> new StabilityHistogram()).add(value); }
    void seriesLatency(double ms) { seriesLatencyMs.add(ms); }
    void inferencePerSlice(double ms) { inferenceMsPerSlice.add(ms); }
    void forward(double ms) { forwardMs.add(ms); }
    /** Slice forward passes of a completed series: before its marker arrived, and after. */
    void forwardPasses(long early, long atCompletion) {
        forwardEarly.add(early);
        forwardAtCompletion.add(atCompletion);
    }
    /** Milliseconds spent inside network forward passes, all series. */
    public double forwardMs() { return forwardMs.sum(); }
    void modelVersion(String task, String version) { modelVersions.put(task, version); }
    void modelLoadFailed(String task) { modelLoadFailures.computeIfAbsent(task, k -> new LongAdder()).increment(); }
    void deadLetter(String kind) { deadLetters.computeIfAbsent(kind, k -> new LongAdder()).increment(); }
    void markerTimeout() { markerTimeouts.increment(); }
    void aborted() { aborted.increment(); }
    void inFlight(long bytes, long series, long paused) {
        bufferedBytes.set(bytes);
        openSeries.set(series);
        pausedPartitions.set(paused);
    }
    void running(boolean value) { running = value; }
    void lastError(String value) { lastError = value == null ? "" : value; }

    public boolean isRunning() { return running; }
    public String lastError() { return lastError; }
    public long slices() { return slices.sum(); }
    /** Re-read slices skipped because their series was handled before the last commit. */
    public long slicesSkipped() { return slicesSkipped.sum(); }
    public long deadLetters(String kind) { LongAdder a = deadLetters.get(kind); return a == null ? 0 : a.sum(); }
    public long markerTimeouts() { return markerTimeouts.sum(); }
    public long modelLoadFailures(String task) { LongAdder a = modelLoadFailures.get(task); return a == null ? 0 : a.sum(); }
    public long results(String task, String method) { LongAdder a = results.get(task + "|" + method); return a == null ? 0 : a.sum(); }
    public long seriesCompleted() { return seriesLatencyMs.count(); }
    /** Masks of {@code task} whose stability was at most {@code le} (one of {@link StabilityHistogram#BOUNDS}, or +Inf). */
    public long stabilityAtMost(String task, double le) {
        StabilityHistogram h = stability.get(task);
        return h == null ? 0 : h.atMost(le);
    }
    public long bufferedBytes() { return bufferedBytes.get(); }
    public long openSeries() { return openSeries.get(); }

    void assignedPartitions(int n) { assignedPartitions.set(n); }

    /** Partitions of the task topic this worker owns now. */
    public long assignedPartitions() { return assignedPartitions.get(); }
    public long transactionsAborted() { return aborted.sum(); }
    /** The model version a task currently runs (absent: HU baseline). */
    public String modelVersion(String task) { return modelVersions.get(task); }

    /** Prometheus text format, version 0.0.4. */
    public String render() {
        StringBuilder b = new StringBuilder(2048);
        String g = "group=\"" + group + "\"";
        header(b, "radstream_worker_up", "gauge", "1 while the poll loop runs");
        line(b, "radstream_worker_up", g, running ? 1 : 0);
        header(b, "radstream_worker_consumer_lag", "gauge", "records behind the log end, per partition");
        new TreeMap<>(lag).forEach((p, v) -> line(b, "radstream_worker_consumer_lag", g + ",partition=\"" + p + "\"", v));
        header(b, "radstream_worker_assigned_partitions", "gauge", "partitions of the task topic this worker owns");
        line(b, "radstream_worker_assigned_partitions", g, assignedPartitions.get());
        header(b, "radstream_worker_slices_total", "counter", "slices buffered for assembly");
        line(b, "radstream_worker_slices_total", g, slices.sum());
        header(b, "radstream_worker_slices_skipped_total", "counter", "re-read slices of series already handled");
        line(b, "radstream_worker_slices_skipped_total", g, slicesSkipped.sum());
        header(b, "radstream_worker_results_total", "counter", "results published, per task and method");
        new TreeMap<>(results).forEach((k, v) -> {
            String[] parts = k.split("\\|", 2);
            line(b, "radstream_worker_results_total", g + ",task=\"" + parts[0] + "\",method=\"" + parts[1] + "\"", v.sum());
        });
        header(b, "radstream_worker_mask_stability", "histogram", "how firmly the networks decided the masks they"
                + " published, per task (1: every pixel far from the threshold); a share below 0.8 that grows, at one"
                + " model version, means series unlike those it was trained on");
        new TreeMap<>(stability).forEach((t, h) -> h.render(b, "radstream_worker_mask_stability", g + ",task=\"" + t + "\""));
        // times in seconds, Prometheus' base unit (kept in milliseconds here)
        seriesLatencyMs.render(b, "radstream_worker_series_latency_seconds", g,
                "first slice received to result committed, per series", 1e-3);
        inferenceMsPerSlice.render(b, "radstream_worker_slice_inference_seconds", g,
                "segmentation and classification time per slice, all tasks of the group", 1e-3);
        header(b, "radstream_worker_forward_seconds_total", "counter", "time inside network forward passes");
        line(b, "radstream_worker_forward_seconds_total", g, forwardMs.sum() / 1000);
        header(b, "radstream_worker_slice_forward_passes_total", "counter",
                "slice forward passes of completed series, before (early) and after (completion) the series-complete marker");
        line(b, "radstream_worker_slice_forward_passes_total", g + ",when=\"early\"", forwardEarly.sum());
        line(b, "radstream_worker_slice_forward_passes_total", g + ",when=\"completion\"", forwardAtCompletion.sum());
        header(b, "radstream_worker_model_info", "gauge", "model version each task runs (1 = current)");
        new TreeMap<>(modelVersions).forEach((t, v) ->
                line(b, "radstream_worker_model_info", g + ",task=\"" + t + "\",version=\"" + escape(v) + "\"", 1));
        header(b, "radstream_worker_model_load_failures_total", "counter", "announced versions refused (old model kept)");
        new TreeMap<>(modelLoadFailures).forEach((t, v) ->
                line(b, "radstream_worker_model_load_failures_total", g + ",task=\"" + t + "\"", v.sum()));
        header(b, "radstream_worker_dead_letters_total", "counter", "records sent to the dead-letter topic, per kind");
        new TreeMap<>(deadLetters).forEach((k, v) ->
                line(b, "radstream_worker_dead_letters_total", g + ",kind=\"" + k + "\"", v.sum()));
        header(b, "radstream_worker_marker_timeouts_total", "counter", "series dropped for a missing series-complete marker");
        line(b, "radstream_worker_marker_timeouts_total", g, markerTimeouts.sum());
        header(b, "radstream_worker_transactions_aborted_total", "counter", "transactions aborted and retried");
        line(b, "radstream_worker_transactions_aborted_total", g, aborted.sum());
        header(b, "radstream_worker_buffered_bytes", "gauge", "pixel bytes of series being assembled");
        line(b, "radstream_worker_buffered_bytes", g, bufferedBytes.get());
        header(b, "radstream_worker_open_series", "gauge", "series being assembled");
        line(b, "radstream_worker_open_series", g, openSeries.get());
        header(b, "radstream_worker_paused_partitions", "gauge", "partitions paused by the in-flight bound");
        line(b, "radstream_worker_paused_partitions", g, pausedPartitions.get());
        return b.toString();
    }

    private static void header(StringBuilder b, String name, String type, String help) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void line(StringBuilder b, String name, String labels, double value) {
        b.append(name).append('{').append(labels).append("} ");
        if (value == Math.rint(value) && !Double.isInfinite(value)) {
            b.append((long) value);
        } else {
            // six significant digits: a sub-millisecond time in seconds keeps its value
            b.append(String.format(Locale.ROOT, "%.6g", value));
        }
        b.append('\n');
    }

    private static String escape(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    /** Count, sum and maximum: a Prometheus summary without quantiles. */
    private static final class Summary {
        private final LongAdder count = new LongAdder();
        private final DoubleAdder sum = new DoubleAdder();
        private final AtomicLong maxBits = new AtomicLong(Double.doubleToLongBits(0));

        void add(double v) {
            count.increment();
            sum.add(v);
            maxBits.accumulateAndGet(Double.doubleToLongBits(v),
                    (a, x) -> Double.longBitsToDouble(x) > Double.longBitsToDouble(a) ? x : a);
        }

        long count() {
            return count.sum();
        }

        /** Renders the observations times {@code scale} (e.g. 1e-3 from milliseconds to seconds). */
        void render(StringBuilder b, String name, String labels, String help, double scale) {
            header(b, name, "summary", help);
            line(b, name + "_sum", labels, sum.sum() * scale);
            line(b, name + "_count", labels, count.sum());
            header(b, name + "_max", "gauge", "largest observation of " + name);
            line(b, name + "_max", labels, Double.longBitsToDouble(maxBits.get()) * scale);
        }
    }

    /** A Prometheus histogram of stabilities (0..1), cumulative buckets. */
    static final class StabilityHistogram {
        static final double[] BOUNDS = {0.5, 0.6, 0.7, 0.8, 0.9, 0.95};
        private final LongAdder[] buckets = new LongAdder[BOUNDS.length];
        private final LongAdder count = new LongAdder();
        private final DoubleAdder sum = new DoubleAdder();

        StabilityHistogram() {
            for (int i = 0; i < buckets.length; i++) {
                buckets[i] = new LongAdder();
            }
        }

        void add(double v) {
            for (int i = 0; i < BOUNDS.length; i++) {
                if (v <= BOUNDS[i]) {
                    buckets[i].increment();
                }
            }
            count.increment();
            sum.add(v);
        }

        long atMost(double le) {
            if (Double.isInfinite(le)) {
                return count.sum();
            }
            for (int i = 0; i < BOUNDS.length; i++) {
                if (BOUNDS[i] == le) {
                    return buckets[i].sum();
                }
            }
            throw new IllegalArgumentException("no bucket at " + le);
        }

        void render(StringBuilder b, String name, String labels) {
            for (int i = 0; i < BOUNDS.length; i++) {
                line(b, name + "_bucket", labels + ",le=\"" + BOUNDS[i] + "\"", buckets[i].sum());
            }
            line(b, name + "_bucket", labels + ",le=\"+Inf\"", count.sum());
            line(b, name + "_sum", labels, sum.sum());
            line(b, name + "_count", labels, count.sum());
        }
    }
}
