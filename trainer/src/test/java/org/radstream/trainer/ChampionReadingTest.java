package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Volume;
import org.radstream.imaging.Window;
import org.radstream.models.MaskCut;
import org.radstream.models.SegmentationModel;
import org.radstream.models.TestTimeFlips;

/** A champion's reading kept by a run: on how many scans it was chosen, and its Dice judged as a chosen one's. */
class ChampionReadingTest {
    private static final int SIZE = 8;
    private static final int DEPTH = 4;

    /** A 2×2 lesion on every slice: 16 voxels of 0.01 ml, 0.16 ml. */
    private static Mask3D lesion() {
        return MinComponentVolumeTest.lesion();
    }

    private static ScanData scan(Mask3D label) {
        float[] hu = new float[SIZE * SIZE * DEPTH];
        Arrays.fill(hu, -800f);
        return new ScanData("s", new Volume(hu, SIZE, SIZE, DEPTH, 2, 2, 2.5), label, null, null);
    }

    /** Maps at 0.8 on the lesion, 0.6 on a speck of slice 1 beside it, 0.1 elsewhere. */
    private static float[][] maps() {
        float[][] p = new float[DEPTH][SIZE * SIZE];
        for (int z = 0; z < DEPTH; z++) {
            Arrays.fill(p[z], 0.1f);
            for (int y = 3; y < 5; y++) {
                for (int x = 3; x < 5; x++) {
                    p[z][y * SIZE + x] = 0.8f;
                }
            }
        }
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 2; x++) {
                p[1][y * SIZE + x] = 0.6f;
            }
        }
        return p;
    }

    @Test
    void aReadingIsJudgedAtItsThresholdAndMinimumAsAChosenOneIs() {
        ScanData s = scan(lesion());
        List<float[][]> p = List.<float[][]>of(maps());
        // 0.5 takes the lesion and the speck (16 of 20 marked voxels true: Dice 32/36); from 0.1 ml the speck goes
        ChampionReading pruning = new ChampionReading(9, TestTimeFlips.BOTH, MaskCut.single(0.5f), 0.1, 24);
        TestTimeFlipChoice.Option judged = pruning.judge(p, List.of(s), Window.LUNG, SIZE, true, false);
        assertThat(judged.flips()).isEqualTo(TestTimeFlips.BOTH);
        assertThat(judged.threshold().threshold()).isEqualTo(0.5f);
        assertThat(judged.threshold().dice()).isCloseTo(32.0 / 36, within(1e-12));
        assertThat(judged.minComponent().minMl()).isEqualTo(0.1);
        assertThat(judged.minComponent().dice()).isEqualTo(1.0);
        assertThat(judged.minComponent().diceKeepingAll()).isCloseTo(32.0 / 36, within(1e-12));
        assertThat(judged.dense()).isNull();
        assertThat(judged.dice()).isEqualTo(1.0);
        assertThat(pruning.meanDice(p, List.of(s), Window.LUNG, SIZE, true)).isEqualTo(1.0);

        // 0.7 leaves the speck out by itself; an organ task keeps every component; 0.9 marks nothing
        ChampionReading high = new ChampionReading(3, TestTimeFlips.NONE, MaskCut.single(0.7f), 0.1, 6);
        TestTimeFlipChoice.Option organ = high.judge(p, List.of(s), Window.LUNG, SIZE, false, false);
        assertThat(organ.minComponent()).isNull();
        assertThat(organ.dice()).isEqualTo(1.0);
        assertThat(organ.threshold().diceAtHalf()).isCloseTo(32.0 / 36, within(1e-12));
        ChampionReading none = new ChampionReading(3, TestTimeFlips.NONE, MaskCut.single(0.9f), 0, 6);
        assertThat(none.judge(p, List.of(s), Window.LUNG, SIZE, false, false).dice()).isEqualTo(0.0);
    }

    @Test
    void theReadingAChoiceWouldMakeIsJudgedAsThatChoiceScoredIt() {
        // two scans: the second's label misses the lesion's last slice, so thresholds and minima score apart
        Mask3D partial = lesion();
        for (int y = 3; y < 5; y++) {
            for (int x = 3; x < 5; x++) {
                partial.set(x, y, DEPTH - 1, false);
            }
        }
        List<ScanData> scans = List.of(scan(lesion()), scan(partial));
        List<float[][]> p = List.of(maps(), maps());
        MinComponentVolume.Joint joint = MinComponentVolume.chooseWithThreshold(p, scans);
        ChampionReading same = new ChampionReading(1, TestTimeFlips.NONE,
                MaskCut.single(joint.threshold().threshold()), joint.minComponent().minMl(), 2);
        TestTimeFlipChoice.Option judged = same.judge(p, scans, Window.LUNG, SIZE, true, false);
        assertThat(judged.minComponent().dice()).isCloseTo(joint.minComponent().dice(), within(1e-12));
        assertThat(judged.minComponent().diceKeepingAll()).isCloseTo(joint.minComponent().diceKeepingAll(), within(1e-12));
        assertThat(judged.threshold().diceAtHalf()).isCloseTo(joint.threshold().diceAtHalf(), within(1e-12));
    }

    @Test
    void aReadingWithADenseThresholdIsJudgedBesideItsSingleThreshold() {
        // the lesion is dense (0 HU, above -250) at 0.3, which only the dense pixels' threshold 0.2 takes in
        Mask3D label = lesion();
        float[] hu = new float[SIZE * SIZE * DEPTH];
        Arrays.fill(hu, -800f);
        for (int i = 0; i < hu.length; i++) {
            if (label.data()[i]) {
                hu[i] = 0f;
            }
        }
        ScanData s = new ScanData("d", new Volume(hu, SIZE, SIZE, DEPTH, 2, 2, 2.5), label, null, null);
        float[][] p = new float[DEPTH][SIZE * SIZE];
        for (int z = 0; z < DEPTH; z++) {
            Arrays.fill(p[z], 0.05f);
            for (int i = 0; i < p[z].length; i++) {
                if (label.data()[z * SIZE * SIZE + i]) {
                    p[z][i] = 0.3f;
                }
            }
        }
        ChampionReading split = new ChampionReading(9, TestTimeFlips.NONE, new MaskCut(0.5f, -250, 0.2f), 0, 24);
        TestTimeFlipChoice.Option judged = split.judge(List.<float[][]>of(p), List.of(s), Window.LUNG, SIZE, true, true);
        assertThat(judged.dense().cut()).isEqualTo(new MaskCut(0.5f, -250, 0.2f));
        assertThat(judged.dense().dice()).isEqualTo(1.0);
        assertThat(judged.dense().volumeError()).isEqualTo(0.0);
        assertThat(judged.dense().diceSingle()).isEqualTo(0.0);
        assertThat(judged.dense().volumeErrorSingle()).isEqualTo(1.0);
        assertThat(judged.dice()).isEqualTo(1.0);
        assertThat(split.meanDice(List.<float[][]>of(p), List.of(s), Window.LUNG, SIZE, true)).isEqualTo(1.0);
        assertThat(split.describe()).isEqualTo("1 pass a slice, threshold 0.50 (0.20 for the pixels from -250 HU)");
    }

    @Test
    void onHowManyScansAReadingWasChosen() {
        String threshold = SegmentationModel.MASK_THRESHOLD_METRIC;
        assertThat(ChampionReading.chosenOn(Map.of(threshold, 0.4, "selection_scans", 24.0, "validation_scans", 6.0)))
                .isEqualTo(24);
        assertThat(ChampionReading.chosenOn(Map.of(threshold, 0.4, "validation_scans", 6.0))).isEqualTo(6);
        // a run that kept its champion's reading passes the count on
        assertThat(ChampionReading.chosenOn(Map.of(threshold, 0.4, ChampionReading.CHOSEN_ON_METRIC, 24.0,
                "validation_scans", 1.0))).isEqualTo(24);
        // a version trained before readings were chosen (read at 0.5 by default) chose none
        assertThat(ChampionReading.chosenOn(Map.of("validation_scans", 6.0))).isZero();
        // counts that are none
        assertThat(ChampionReading.chosenOn(Map.of(threshold, 0.4, "selection_scans", Double.NaN, "validation_scans",
                Double.POSITIVE_INFINITY))).isZero();
        assertThat(ChampionReading.chosenOn(Map.of(threshold, 0.4, ChampionReading.CHOSEN_ON_METRIC, 0.0,
                "validation_scans", 2.0))).isEqualTo(2);

        ChampionReading v9 = new ChampionReading(9, TestTimeFlips.BOTH, new MaskCut(0.4f, -250, 0.05f), 1.0, 24);
        assertThat(v9.outweighs(2)).isTrue();
        assertThat(v9.outweighs(23)).isTrue();
        assertThat(v9.outweighs(24)).isFalse();
        assertThat(v9.describe()).isEqualTo("4 passes a slice, threshold 0.40 (0.05 for the pixels from -250 HU), "
                + "components from 1.00 ml");
        assertThatThrownBy(() -> new ChampionReading(1, TestTimeFlips.NONE, MaskCut.single(0.5f), 0, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 or more scans");
    }
}
