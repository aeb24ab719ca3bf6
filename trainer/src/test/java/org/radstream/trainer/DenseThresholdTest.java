package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Volume;
import org.radstream.imaging.Window;
import org.radstream.models.MaskCut;

class DenseThresholdTest {
    private static final int SIZE = 8;
    private static final int DEPTH = 4;

    /**
     * Lung at -850 HU; a ground-glass lesion (-600 HU) at x, y 1..2; a consolidation (-50 HU) at
     * x, y 5..6; the chest wall (40 HU, not infection) in column 7.
     */
    private static ScanData scan() {
        return scan(5);
    }

    /** The same with the consolidation at x {@code consolidationX}..+1 (y 5..6). */
    private static ScanData scan(int consolidationX) {
        float[] hu = new float[SIZE * SIZE * DEPTH];
        Mask3D label = new Mask3D(SIZE, SIZE, DEPTH);
        for (int z = 0; z < DEPTH; z++) {
            for (int y = 0; y < SIZE; y++) {
                for (int x = 0; x < SIZE; x++) {
                    int i = (z * SIZE + y) * SIZE + x;
                    hu[i] = -850;
                    if (x == 7) {
                        hu[i] = 40;
                    } else if (x >= 1 && x <= 2 && y >= 1 && y <= 2) {
                        hu[i] = -600;
                        label.set(x, y, z, true);
                    } else if (x >= consolidationX && x <= consolidationX + 1 && y >= 5 && y <= 6) {
                        hu[i] = -50;
                        label.set(x, y, z, true);
                    }
                }
            }
        }
        return new ScanData("s", new Volume(hu, SIZE, SIZE, DEPTH, 1, 1, 1), label, null, null);
    }

    /**
     * Probabilities of a network that finds the ground glass (0.6, its border ring 0.25), barely
     * sees the consolidation ({@code consolidation}) and gives the chest wall 0.03 ({@code wallTop}
     * in its upper half).
     */
    private static float[][] maps(float consolidation) {
        return maps(consolidation, 0.03f);
    }

    private static float[][] maps(float consolidation, float wallTop) {
        return maps(consolidation, wallTop, 5);
    }

    private static float[][] maps(float consolidation, float wallTop, int consolidationX) {
        float[][] p = new float[DEPTH][SIZE * SIZE];
        for (float[] slice : p) {
            for (int y = 0; y < SIZE; y++) {
                for (int x = 0; x < SIZE; x++) {
                    float v = 0.01f;
                    if (x == 7) {
                        v = y < SIZE / 2 ? wallTop : 0.03f;
                    } else if (x >= 1 && x <= 2 && y >= 1 && y <= 2) {
                        v = 0.6f;
                    } else if (x <= 3 && y <= 3) {
                        v = 0.25f;
                    } else if (x >= consolidationX && x <= consolidationX + 1 && y >= 5 && y <= 6) {
                        v = consolidation;
                    }
                    slice[y * SIZE + x] = v;
                }
            }
        }
        return p;
    }

    @Test
    void anUnderConfidentConsolidationGetsItsOwnThreshold() throws Exception {
        ScanData s = scan();
        // one threshold cannot find the consolidation (0.08) without the ground glass's border (0.25)
        assertThat(MaskThreshold.choose(List.<float[][]>of(maps(0.08f)), List.of(s)).dice()).isLessThan(1.0);
        DenseThreshold.Choice c = DenseThreshold.choose(List.<float[][]>of(maps(0.08f)), List.of(s), Window.LUNG, SIZE, 0.5f, 0);
        // 0.05 takes the consolidation in and leaves the wall (0.03) out; 0.02 would take the wall
        assertThat(c.cut()).isEqualTo(new MaskCut(0.5f, MaskCut.DENSE_FROM_HU, 0.05f));
        assertThat(c.dice()).isEqualTo(1.0);
        assertThat(c.volumeError()).isEqualTo(0.0);
        assertThat(c.diceSingle()).isLessThan(0.7);
        assertThat(c.volumeErrorSingle()).isEqualTo(0.5); // half the infected volume (the consolidation) missed
        // and the evaluator (like the workers) cuts a model carrying that cut the same way
        assertThat(Evaluator.segment(reading(maps(0.08f), c.cut()), s)).isEqualTo(s.label());
        assertThat(Evaluator.segment(reading(maps(0.08f), MaskCut.single(0.5f)), s)).isNotEqualTo(s.label());
    }

    @Test
    void theOtherPixelsThresholdIsChosenWithTheDenseOne() {
        // read at 0.2 for every pixel, the ground glass's border ring (0.25) is taken and the
        // consolidation (0.08) is not; the ring is lung (-850 HU), so cutting the others higher and
        // the dense pixels lower reads both lesions exactly
        DenseThreshold.Choice c = DenseThreshold.choose(List.<float[][]>of(maps(0.08f)), List.of(scan()), Window.LUNG,
                SIZE, 0.2f, 0);
        assertThat(c.diceSingle()).isLessThan(0.5);
        assertThat(c.volumeErrorSingle()).isEqualTo(1.0); // 16 + 48 ring voxels for 32 true ones
        // pairs are tried from 0.2's own, then 0.5, 0.4, 0.6 ...: 0.5 is the first exact one
        assertThat(c.cut()).isEqualTo(new MaskCut(0.5f, MaskCut.DENSE_FROM_HU, 0.05f));
        assertThat(c.dice()).isEqualTo(1.0);
        assertThat(c.volumeError()).isEqualTo(0.0);
    }

    @Test
    void withoutAGainOneThresholdStays() {
        DenseThreshold.Choice c = DenseThreshold.choose(List.<float[][]>of(maps(0.6f)), List.of(scan()), Window.LUNG, SIZE, 0.5f, 0);
        assertThat(c.cut()).isEqualTo(MaskCut.single(0.5f));
        assertThat(c.dice()).isEqualTo(1.0).isEqualTo(c.diceSingle());
        assertThat(c.volumeError()).isEqualTo(0.0);
    }

    @Test
    void aSplitThatGetsTheVolumeRightWithTheWrongPixelsIsRefused() {
        // the consolidation is never seen (0.01); at 0.05 the upper chest wall (0.06) makes up its volume
        DenseThreshold.Choice c = DenseThreshold.choose(List.<float[][]>of(maps(0.01f, 0.06f)), List.of(scan()),
                Window.LUNG, SIZE, 0.5f, 0);
        assertThat(c.cut()).isEqualTo(MaskCut.single(0.5f));
        assertThat(c.volumeError()).isEqualTo(0.5);
        assertThat(c.dice()).isEqualTo(c.diceSingle()).isCloseTo(2.0 / 3, org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void scoredAsTheWorkersKeepInfectionTheWallTheyDropDoesNotCount() throws Exception {
        // consolidation at x 4..5, lung (with its lesions) in x 0..6, the chest wall in column 7
        // apart from it; the network gives the consolidation and the whole wall 0.04
        ScanData whole = scan(4);
        Mask3D lungs = new Mask3D(SIZE, SIZE, DEPTH);
        for (int z = 0; z < DEPTH; z++) {
            for (int y = 0; y < SIZE; y++) {
                for (int x = 0; x < 7; x++) {
                    lungs.set(x, y, z, true);
                }
            }
        }
        List<float[][]> p = List.<float[][]>of(maps(0.04f, 0.04f, 4));
        // scored whole, 0.02 doubles the volume with the wall: one threshold stays
        DenseThreshold.Choice onWhole = DenseThreshold.choose(p, List.of(whole), Window.LUNG, SIZE, 0.5f, 0);
        assertThat(onWhole.cut()).isEqualTo(MaskCut.single(0.5f));
        assertThat(onWhole.volumeErrorSingle()).isEqualTo(0.5);
        // the workers keep only the components reaching into the lungs: the wall goes, 0.02 is exact
        DenseThreshold.Choice asKept = DenseThreshold.choose(p, List.of(whole.reaching(lungs)), Window.LUNG, SIZE, 0.5f, 0);
        assertThat(asKept.cut()).isEqualTo(new MaskCut(0.5f, MaskCut.DENSE_FROM_HU, 0.02f));
        assertThat(asKept.dice()).isEqualTo(1.0);
        assertThat(asKept.volumeError()).isEqualTo(0.0);
        assertThat(Evaluator.segment(reading(maps(0.04f, 0.04f, 4), asKept.cut()), whole.reaching(lungs)))
                .isEqualTo(whole.label());
        assertThatThrownBy(() -> whole.reaching(new Mask3D(SIZE, SIZE, DEPTH + 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not fit");
    }

    @Test
    void aScanWithoutInfectionHasNoVolumeErrorToJudge() {
        ScanData healthy = new ScanData("h", scan().hu(), new Mask3D(SIZE, SIZE, DEPTH), null, null);
        DenseThreshold.Choice c = DenseThreshold.choose(List.<float[][]>of(maps(0.08f)), List.of(healthy), Window.LUNG,
                SIZE, 0.5f, 0);
        assertThat(c.cut()).isEqualTo(MaskCut.single(0.5f));
        assertThat(c.volumeErrorSingle()).isNaN();
    }

    @Test
    void onlyWindowsThatTellConsolidationApartHaveIt() {
        assertThat(DenseThreshold.applies(Window.LUNG)).isTrue();
        assertThat(DenseThreshold.applies(Window.LIVER)).isFalse();
        assertThat(DenseThreshold.applies(Window.VESSEL)).isFalse();
    }

    /** A "network" that returns {@code maps} slice by slice, read with {@code cut}. */
    private static SliceModel reading(float[][] maps, MaskCut cut) {
        return new SliceModel() {
            private int next;
            @Override public Window window() { return Window.LUNG; }
            @Override public int size() { return SIZE; }
            @Override public int channels() { return 1; }
            @Override public boolean regionInput() { return false; }
            @Override public float threshold() { return cut.threshold(); }
            @Override public MaskCut cut() { return cut; }
            @Override public float[][] predict(float[][] batch) {
                float[][] out = new float[batch.length][];
                for (int i = 0; i < batch.length; i++) {
                    out[i] = maps[next++];
                }
                return out;
            }
        };
    }
}
