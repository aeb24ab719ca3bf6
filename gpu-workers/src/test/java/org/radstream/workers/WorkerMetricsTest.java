package org.radstream.workers;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WorkerMetricsTest {

    @Test
    void timesAreServedInSecondsWithTheirSubMillisecondDigits() {
        WorkerMetrics m = new WorkerMetrics("chest");
        m.seriesLatency(1500);
        m.seriesLatency(2500);
        m.inferencePerSlice(0.25);
        m.forward(1234.5);
        String text = m.render();

        assertThat(text).contains(
                "# TYPE radstream_worker_series_latency_seconds summary\n",
                "radstream_worker_series_latency_seconds_sum{group=\"chest\"} 4\n",
                "radstream_worker_series_latency_seconds_count{group=\"chest\"} 2\n",
                "radstream_worker_series_latency_seconds_max{group=\"chest\"} 2.50000\n",
                "radstream_worker_slice_inference_seconds_sum{group=\"chest\"} 0.000250000\n",
                "radstream_worker_slice_inference_seconds_max{group=\"chest\"} 0.000250000\n",
                "# TYPE radstream_worker_forward_seconds_total counter\n",
                "radstream_worker_forward_seconds_total{group=\"chest\"} 1.23450\n")
                .doesNotContain("_ms");
        // the milliseconds stay what the benchmarks read
        assertThat(m.forwardMs()).isEqualTo(1234.5);
    }
}
