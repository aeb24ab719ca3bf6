package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Volume;
import org.radstream.imaging.Window;

class MinComponentVolumeTest {
    private static final int SIZE = 8;
    private static final int DEPTH = 4;

    /** A scan of 0.01 ml voxels (2 × 2 × 2.5 mm) that is bright where {@code bright} is set, its label {@code label}. */
    private static ScanData scan(String id, Mask3D bright, Mask3D label) {
        float[] hu = new float[SIZE * SIZE * DEPTH];
        Arrays.fill(hu, -1000f);
        for (int i = 0; i < hu.length; i++) {
            if (bright.data()[i]) {
                hu[i] = 500f;
            }
        }
        return new ScanData(id, new Volume(hu, SIZE, SIZE, DEPTH, 2, 2, 2.5), label, null, null);
    }

    /** A 2×2 lesion on every slice: 16 voxels, 0.16 ml. */
    static Mask3D lesion() {
        Mask3D m = new Mask3D(SIZE, SIZE, DEPTH);
        for (int z = 0; z < DEPTH; z++) {
            for (int y = 3; y < 5; y++) {
                for (int x = 3; x < 5; x++) {
                    m.set(x, y, z, true);
                }
            }
        }
        return m;
    }

    /** A 2×2 speck on one slice: 4 voxels, 0.04 ml. */
    private static Mask3D speck() {
        Mask3D m = new Mask3D(SIZE, SIZE, DEPTH);
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 2; x++) {
                m.set(x, y, 1, true);
            }
        }
        return m;
    }

    /** A "network" that marks every bright pixel, cut at 0.5 with {@code minMl}. */
    private static SliceModel brightness(double minMl) {
        return new SliceModel() {
            @Override public Window window() { return Window.LUNG; }
            @Override public int size() { return SIZE; }
            @Override public int channels() { return 1; }
            @Override public boolean regionInput() { return false; }
            @Override public float threshold() { return 0.5f; }
            @Override public double minComponentMl() { return minMl; }
            @Override public float[][] predict(float[][] batch) {
                float[][] out = new float[batch.length][];
                for (int i = 0; i < batch.length; i++) {
                    out[i] = new float[batch[i].length];
                    for (int k = 0; k < out[i].length; k++) {
                        out[i][k] = batch[i][k] > 0.5f ? 0.9f : 0.1f;
                    }
                }
                return out;
            }
        };
    }

    private static MinComponentVolume.Choice choose(List<ScanData> validation) throws Exception {
        List<float[][]> p = new ArrayList<>();
        for (ScanData s : validation) {
            p.add(Evaluator.probabilities(brightness(0), s));
        }
        return MinComponentVolume.choose(p, 0.5f, validation);
    }

    @Test
    void aSpeckInAHealthyScanGetsTheLargestMinimumThatDropsItAndKeepsTheLesion() throws Exception {
        Mask3D empty = new Mask3D(SIZE, SIZE, DEPTH);
        ScanData healthy = scan("healthy", speck(), empty);
        ScanData infected = scan("infected", lesion(), lesion());
        MinComponentVolume.Choice c = choose(List.of(healthy, infected));
        // 0.05 and 0.1 both drop the 0.04 ml speck and keep the 0.16 ml lesion: the larger one wins the tie
        assertThat(c.minMl()).isEqualTo(0.1);
        assertThat(c.dice()).isEqualTo(1.0);
        assertThat(c.diceKeepingAll()).isEqualTo(0.5); // the healthy scan reported infected: Dice 0
        // the evaluator (like the workers) drops what is below the model's minimum, nothing else
        assertThat(Evaluator.segment(brightness(c.minMl()), healthy).isEmpty()).isTrue();
        assertThat(Evaluator.segment(brightness(c.minMl()), infected)).isEqualTo(lesion());
        assertThat(Evaluator.segment(brightness(0), healthy)).isEqualTo(speck());
    }

    @Test
    void whenValidationCannotTellMinimumsApartTheLargestThatKeepsTheLesionsIsTaken() throws Exception {
        // no speck: 0.05 and 0.1 change nothing, 0.25 drops the 0.16 ml lesion
        MinComponentVolume.Choice c = choose(List.of(scan("infected", lesion(), lesion())));
        assertThat(c.minMl()).isEqualTo(0.1);
        assertThat(c.dice()).isEqualTo(c.diceKeepingAll()).isEqualTo(1.0);
    }

    @Test
    void aLesionAsSmallAsTheSpecksIsNotDroppedWithThem() throws Exception {
        // the lesion to find is itself 0.04 ml: dropping specks would cost it, so nothing is dropped
        Mask3D empty = new Mask3D(SIZE, SIZE, DEPTH);
        ScanData healthy = scan("healthy", speck(), empty);
        Mask3D small = new Mask3D(SIZE, SIZE, DEPTH);
        for (int y = 5; y < 7; y++) {
            for (int x = 5; x < 7; x++) {
                small.set(x, y, 2, true);
            }
        }
        ScanData a = scan("a", small, small);
        ScanData b = scan("b", small, small);
        MinComponentVolume.Choice c = choose(List.of(healthy, a, b));
        assertThat(c.minMl()).isEqualTo(0.0);
        assertThat(c.dice()).isCloseTo(2 / 3.0, org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void aMinimumThatCostsMoreThanATieIsNotChosen() throws Exception {
        // a lesion of 0.16 ml and one of 0.04 ml in one scan: any minimum costs Dice (0.2 of its volume)
        Mask3D both = lesion().or(speck());
        MinComponentVolume.Choice c = choose(List.of(scan("infected", both, both)));
        assertThat(c.minMl()).isEqualTo(0.0);
        assertThat(c.dice()).isEqualTo(1.0);
    }

    /** Probability maps, one per slice, that are {@code p} where {@code where} is set and 0 elsewhere, over {@code base}. */
    private static float[][] probabilities(float[][] base, Mask3D where, float p) {
        for (int z = 0; z < DEPTH; z++) {
            boolean[] slice = where.slice(z);
            for (int k = 0; k < slice.length; k++) {
                if (slice[k]) {
                    base[z][k] = p;
                }
            }
        }
        return base;
    }

    @Test
    void theThresholdIsChosenTogetherWithTheMinimumNotBeforeIt() {
        // infected: a 4×4 lesion on every slice (64 voxels, 0.64 ml), the network sure of its 2×2 core
        // (0.9) and unsure of its rim (0.45); healthy: a 0.04 ml speck at 0.7
        Mask3D rimmed = new Mask3D(SIZE, SIZE, DEPTH);
        for (int z = 0; z < DEPTH; z++) {
            for (int y = 2; y < 6; y++) {
                for (int x = 2; x < 6; x++) {
                    rimmed.set(x, y, z, true);
                }
            }
        }
        Mask3D empty = new Mask3D(SIZE, SIZE, DEPTH);
        List<ScanData> scans = List.of(scan("infected", rimmed, rimmed), scan("healthy", speck(), empty));
        List<float[][]> p = List.of(
                probabilities(probabilities(new float[DEPTH][SIZE * SIZE], rimmed, 0.45f), lesion(), 0.9f),
                probabilities(new float[DEPTH][SIZE * SIZE], speck(), 0.7f));

        // alone, with every component kept, only a threshold above the speck clears the healthy scan;
        // it cuts the rim, and no minimum gives it back: (0.4 + 1) / 2
        MaskThreshold.Choice alone = MaskThreshold.choose(p, scans);
        assertThat(alone.threshold()).isEqualTo(0.8f);
        assertThat(MinComponentVolume.choose(p, alone.threshold(), scans).dice())
                .isCloseTo(0.7, org.assertj.core.data.Offset.offset(1e-9));

        // together: 0.4 keeps the whole lesion and the largest minimum that drops the speck and keeps it is 0.5 ml
        MinComponentVolume.Joint joint = MinComponentVolume.chooseWithThreshold(p, scans);
        assertThat(joint.threshold().threshold()).isEqualTo(0.4f);
        assertThat(joint.minComponent().minMl()).isEqualTo(0.5);
        assertThat(joint.minComponent().dice()).isEqualTo(1.0);
        assertThat(joint.minComponent().diceKeepingAll()).isEqualTo(0.5); // the speck kept: healthy Dice 0
        assertThat(joint.threshold().dice()).isEqualTo(0.5);
        assertThat(joint.threshold().diceAtHalf()).isCloseTo(0.2, org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void theEpochThatKeepsTheWeightsIsScoredAsTheWorkersWouldReadItWhereComponentsArePruned() throws Exception {
        // a healthy scan with a 0.04 ml speck and an infected one the network gets exactly: read at 0.5
        // keeping every component the speck costs half the Dice, read as it would ship it costs nothing
        Mask3D empty = new Mask3D(SIZE, SIZE, DEPTH);
        List<ScanData> validation = List.of(scan("healthy", speck(), empty), scan("infected", lesion(), lesion()));

        SegmentationRun.EpochDice pruned = SegmentationRun.epochDice(brightness(0), validation, true);
        assertThat(pruned.dice()).isEqualTo(1.0);
        assertThat(pruned.minMl()).isEqualTo(0.1);
        assertThat(pruned.threshold()).isEqualTo(0.5);
        assertThat(pruned.atHalfKeepingAll()).isEqualTo(0.5);
        assertThat(pruned.describe()).contains("components >= 0.10 ml").contains("every component 0.5000");

        // lung, liver, vessel keep every component: their epochs are scored at 0.5 as before
        SegmentationRun.EpochDice whole = SegmentationRun.epochDice(brightness(0), validation, false);
        assertThat(whole.dice()).isEqualTo(0.5);
        assertThat(whole.describe()).isEmpty();
    }

    @Test
    void withoutValidationScansNothingIsChosen() {
        MinComponentVolume.Choice c = MinComponentVolume.choose(List.of(), 0.5f, List.of());
        assertThat(c.minMl()).isEqualTo(0.0);
        assertThat(c.dice()).isNaN();
    }
}
