package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Volume;
import org.radstream.imaging.Window;

/** Vessel networks learn and infer inside the dilated liver only (SU-UNet): what they are fed. */
class RegionInputTest {
    private static final int SIZE = 16;
    private static final int DEPTH = 6;

    /** Bright (190 HU) everywhere; the region is a 4×4 square on slices 2 and 3 only. */
    private static ScanData scan() {
        float[] hu = new float[SIZE * SIZE * DEPTH];
        java.util.Arrays.fill(hu, 190f);
        Mask3D region = new Mask3D(SIZE, SIZE, DEPTH);
        for (int z = 2; z <= 3; z++) {
            for (int y = 6; y < 10; y++) {
                for (int x = 6; x < 10; x++) {
                    region.set(x, y, z, true);
                }
            }
        }
        Mask3D label = new Mask3D(SIZE, SIZE, DEPTH);
        label.set(7, 7, 2, true);
        label.set(0, 0, 2, true); // outside the region: never a target
        return new ScanData("s", new Volume(hu, SIZE, SIZE, DEPTH, 1, 1, 1), label, region, null);
    }

    private static int nonZero(float[] values, int from, int to) {
        int n = 0;
        for (int i = from; i < to; i++) {
            if (values[i] != 0f) {
                n++;
            }
        }
        return n;
    }

    @Test
    void trainingSamplesAreTheRegionsSlicesWithZeroOutsideIt() {
        TrainingRecipe r = TrainingRecipe.defaults().withInputSize(SIZE).withSliceChannels(3);
        SegmentationRun.Samples inside = SegmentationRun.samples(List.of(scan()), Window.VESSEL, r, true);
        assertThat(inside.size()).isEqualTo(2);
        int plane = SIZE * SIZE;
        for (float[] x : inside.inputs()) {
            // middle channel: the 4×4 region at 1.0 (190 HU clipped), zero elsewhere
            assertThat(nonZero(x, plane, 2 * plane)).isEqualTo(16);
        }
        assertThat(nonZero(inside.targets().get(0), 0, plane)).isEqualTo(1);

        SegmentationRun.Samples whole = SegmentationRun.samples(List.of(scan()), Window.VESSEL, r, false);
        assertThat(whole.size()).isEqualTo(DEPTH);
        assertThat(nonZero(whole.inputs().get(0), plane, 2 * plane)).isEqualTo(plane);
    }

    @Test
    void aRegionNetworkIsForwardedOnlyTheRegionsSlicesAndSeesNothingOutside() throws Exception {
        List<float[]> seen = new ArrayList<>();
        SliceModel recorder = new SliceModel() {
            @Override public Window window() { return Window.VESSEL; }
            @Override public int size() { return SIZE; }
            @Override public int channels() { return 1; }
            @Override public boolean regionInput() { return true; }
            @Override public float threshold() { return 0.5f; }
            @Override public float[][] predict(float[][] batch) {
                float[][] out = new float[batch.length][];
                for (int i = 0; i < batch.length; i++) {
                    seen.add(batch[i]);
                    out[i] = new float[SIZE * SIZE];
                    java.util.Arrays.fill(out[i], 1f); // "vessel" everywhere it is asked
                }
                return out;
            }
        };
        Mask3D mask = Evaluator.segment(recorder, scan());
        assertThat(seen).hasSize(2).allSatisfy(x -> assertThat(nonZero(x, 0, x.length)).isEqualTo(16));
        assertThat(mask.count()).isEqualTo(2 * 16);
        assertThat(mask.isSliceEmpty(0)).isTrue();
    }
}
