package org.radstream.workers;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.radstream.avro.WindowedSlice;

class SeriesInferenceTest {

    static AssembledSeries assemble(List<WindowedSlice> slices) throws Exception {
        List<SeriesBuffer.BufferedSlice> b = new ArrayList<>();
        for (int i = 0; i < slices.size(); i++) {
            b.add(new SeriesBuffer.BufferedSlice(i, slices.get(i)));
        }
        String uid = slices.get(0).getSeriesUid();
        return SeriesAssembly.assemble(uid, b, Scans.marker(uid, slices.size()));
    }

    @Test
    void chestWithoutModelsUsesTheHuBaselineAndSaysSo() throws Exception {
        AssembledSeries s = assemble(Scans.chestSlices("C", 32, 32, 8));
        List<TaskOutput> out = new SeriesInference(TaskGroup.CHEST, 4).run(s, ModelSet.NONE);
        assertThat(out).extracting(TaskOutput::task).containsExactly("lung", "infection");
        TaskOutput lung = out.get(0);
        TaskOutput infection = out.get(1);
        assertThat(lung.method()).isEqualTo("hu-threshold");
        assertThat(lung.modelVersion()).isNull();
        assertThat(infection.method()).isEqualTo("hu-threshold");
        assertThat(infection.modelVersion()).isNull();
        assertThat(infection.classifierVersion()).isNull();
        // two 10×20 lungs on 8 slices; the 2×2 gas speck is not among the two largest components
        assertThat(lung.mask().count()).isEqualTo(2 * 10 * 20 * 8);
        assertThat(lung.mask().get(15, 26, 3)).isFalse();
        // the 4×4 lesion on the middle 4 slices, inside the lung
        assertThat(infection.mask().count()).isEqualTo(16 * 4);
        assertThat(infection.mask().get(6, 8, 2)).isTrue();
        assertThat(infection.mask().get(6, 8, 1)).isFalse();
    }

    @Test
    void liverWithoutModelsKeepsTheLiverAndVesselsInsideIt() throws Exception {
        int w = 32;
        int h = 32;
        int d = 6;
        List<WindowedSlice> slices = new ArrayList<>();
        for (int z = 0; z < d; z++) {
            float[] hu = new float[w * h];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    float v = x < 1 || y < 1 || x >= w - 1 || y >= h - 1 ? -1000 : 40;
                    if (x >= 4 && x < 20 && y >= 4 && y < 20) {
                        v = 110; // liver 16×16
                    }
                    if (x >= 24 && x < 28 && y >= 24 && y < 28) {
                        v = 120; // small organ in the liver band, smaller: dropped
                    }
                    if (y == 10 && x >= 6 && x < 14) {
                        v = 190; // vessel through the liver: 8 voxels
                    }
                    if (y == 26 && x >= 2 && x < 6) {
                        v = 190; // bright structure far from the liver: 4 voxels, outside
                    }
                    hu[y * w + x] = v;
                }
            }
            slices.add(Scans.slice(TaskGroup.LIVER, "L", z + 1, z, hu, w, h));
        }
        AssembledSeries s = assemble(slices);
        List<TaskOutput> out = new SeriesInference(TaskGroup.LIVER, 4).run(s, ModelSet.NONE);
        assertThat(out).extracting(TaskOutput::task).containsExactly("liver", "vessel");
        assertThat(out).extracting(TaskOutput::method).containsOnly("hu-threshold");
        assertThat(out.get(0).mask().count()).isEqualTo((16 * 16 - 8) * d);
        assertThat(out.get(1).mask().count()).isEqualTo(8 * d);
    }

    @Test
    void seriesWithoutTheGroupsWindowIsPoison() throws Exception {
        List<WindowedSlice> slices = new ArrayList<>();
        slices.add(Scans.slice(TaskGroup.LIVER, "X", 1, 0, new float[4], 2, 2));
        AssembledSeries s = assemble(slices);
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> new SeriesInference(TaskGroup.CHEST, 4).run(s, ModelSet.NONE))
                .isInstanceOf(PoisonedSeriesException.class)
                .hasMessageContaining("no 'lung' window");
    }
}
