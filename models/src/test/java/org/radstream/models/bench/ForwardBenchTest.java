package org.radstream.models.bench;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import org.junit.jupiter.api.Test;
import org.radstream.models.NetworkSpec;

class ForwardBenchTest {

    @Test
    void measuresAPositiveThroughputOnATinyNetwork() {
        ForwardBench.Result r = ForwardBench.measure(NetworkSpec.unet25d(2, 4), 2, 32, 32, 1, 3,
                Device.cpu());

        assertThat(r.msPerBatch()).isPositive();
        assertThat(r.slicesPerSecond()).isCloseTo(2 * 1000.0 / r.msPerBatch(),
                org.assertj.core.data.Offset.offset(1e-6));
        assertThat(r.toString()).contains("unet in=3 levels=2 width=4 input=32x32 batch=2");
    }
}
