package org.radstream.workers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.radstream.avro.WindowedSlice;

class SeriesAssemblyTest {

    private static List<SeriesBuffer.BufferedSlice> buffered(List<WindowedSlice> slices) {
        List<SeriesBuffer.BufferedSlice> out = new ArrayList<>();
        for (int i = 0; i < slices.size(); i++) {
            out.add(new SeriesBuffer.BufferedSlice(i, slices.get(i)));
        }
        return out;
    }

    @Test
    void sortsByPositionAlongTheNormalNotByArrivalOrInstanceNumber() throws Exception {
        List<WindowedSlice> slices = new ArrayList<>();
        // instance numbers run opposite to position (feet-first numbering)
        for (int z = 0; z < 8; z++) {
            slices.add(Scans.slice(TaskGroup.CHEST, "S", 8 - z, z, new float[16], 4, 4));
        }
        Collections.shuffle(slices, new Random(3));
        AssembledSeries s = SeriesAssembly.assemble("S", buffered(slices), Scans.marker("S", 8));
        assertThat(s.slices()).extracting(WindowedSlice::getInstanceNumber).containsExactly(8, 7, 6, 5, 4, 3, 2, 1);
        assertThat(s.spacingZ()).isEqualTo(2.5);
        assertThat(s.spacingX()).isEqualTo(0.8);
        assertThat(s.width()).isEqualTo(4);
        assertThat(s.depth()).isEqualTo(8);
        assertThat(s.voxelVolumeMm3()).isCloseTo(0.8 * 0.8 * 2.5, org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void obliqueSeriesSortsAlongItsOwnNormal() throws Exception {
        // rows along x, columns along (0, cos30, -sin30): normal (0, sin30, cos30)
        double c = Math.cos(Math.toRadians(30));
        double sn = Math.sin(Math.toRadians(30));
        List<WindowedSlice> slices = new ArrayList<>();
        for (int k : new int[] {2, 0, 1}) {
            WindowedSlice w = Scans.slice(TaskGroup.CHEST, "O", k + 1, 0, new float[4], 2, 2);
            w.setImageOrientationPatient(List.of(1.0, 0.0, 0.0, 0.0, c, -sn));
            // step 3 mm along the normal, plus an in-plane shift that must not matter
            w.setImagePositionPatient(List.of(5.0 * k, 3.0 * k * sn + 7 * c, 3.0 * k * c - 7 * sn));
            slices.add(w);
        }
        AssembledSeries s = SeriesAssembly.assemble("O", buffered(slices), Scans.marker("O", 3));
        assertThat(s.slices()).extracting(WindowedSlice::getInstanceNumber).containsExactly(1, 2, 3);
        assertThat(s.spacingZ()).isCloseTo(3.0, org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void withoutPositionsFallsBackToInstanceNumberAndSliceThickness() throws Exception {
        List<WindowedSlice> slices = new ArrayList<>();
        for (int i : new int[] {3, 1, 2}) {
            WindowedSlice w = Scans.slice(TaskGroup.CHEST, "N", i, i, new float[4], 2, 2);
            w.setImagePositionPatient(List.of());
            slices.add(w);
        }
        AssembledSeries s = SeriesAssembly.assemble("N", buffered(slices), Scans.marker("N", 3));
        assertThat(s.slices()).extracting(WindowedSlice::getInstanceNumber).containsExactly(1, 2, 3);
        assertThat(s.spacingZ()).isEqualTo(2.0);
    }

    @Test
    void reSentInstancesCountOnce() throws Exception {
        List<WindowedSlice> slices = new ArrayList<>(Scans.chestSlices("D", 4, 4, 3));
        slices.add(Scans.chestSlices("D", 4, 4, 3).get(1));
        AssembledSeries s = SeriesAssembly.assemble("D", buffered(slices), Scans.marker("D", 3));
        assertThat(s.depth()).isEqualTo(3);
    }

    @Test
    void countMismatchIsPoison() {
        List<WindowedSlice> slices = Scans.chestSlices("M", 4, 4, 3);
        assertThatThrownBy(() -> SeriesAssembly.assemble("M", buffered(slices), Scans.marker("M", 4)))
                .isInstanceOf(PoisonedSeriesException.class)
                .hasMessage("slice count mismatch: marker says 4 instances, received 3 distinct SOP instances");
    }

    @Test
    void inconsistentSliceSizesArePoison() {
        List<WindowedSlice> slices = new ArrayList<>(Scans.chestSlices("I", 4, 4, 2));
        slices.add(Scans.slice(TaskGroup.CHEST, "I", 3, 2, new float[6], 3, 2));
        assertThatThrownBy(() -> SeriesAssembly.assemble("I", buffered(slices), Scans.marker("I", 3)))
                .isInstanceOf(PoisonedSeriesException.class)
                .hasMessage("inconsistent slice sizes: I.1 is 4x4, I.3 is 3x2");
    }

    @Test
    void planeOfTheWrongLengthIsPoison() {
        List<WindowedSlice> slices = new ArrayList<>(Scans.chestSlices("L", 4, 4, 2));
        slices.get(1).getWindows().set(0, Scans.plane("lung", -1200, 600, new float[15]));
        assertThatThrownBy(() -> SeriesAssembly.assemble("L", buffered(slices), Scans.marker("L", 2)))
                .isInstanceOf(PoisonedSeriesException.class)
                .hasMessage("plane lung of L.2 has 30 bytes, 4x4x16 bits needs 32");
    }

    @Test
    void huIsRecoveredFromTheWindowedPlane() throws Exception {
        float[] hu = {-1200, -860, -500, 0, 40, 600, 900, -2000};
        WindowedSlice w = Scans.slice(TaskGroup.CHEST, "H", 1, 0, hu, 4, 2);
        AssembledSeries s = SeriesAssembly.assemble("H", List.of(new SeriesBuffer.BufferedSlice(0, w)),
                Scans.marker("H", 1));
        float[] back = s.hu(0, "lung");
        float[] expected = {-1200, -860, -500, 0, 40, 600, 600, -1200}; // clipped to the window
        for (int i = 0; i < hu.length; i++) {
            assertThat(back[i]).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(0.02f));
        }
        float[] rewindowed = s.windowed(0, "lung", -1000, 0);
        assertThat(rewindowed[0]).isEqualTo(0f);
        assertThat(rewindowed[2]).isCloseTo(0.5f, org.assertj.core.data.Offset.offset(1e-4f));
        assertThat(rewindowed[5]).isEqualTo(1f);
    }
}
