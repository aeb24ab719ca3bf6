package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RestorationTransformsTest {
    private static final int SIZE = 42;
    private static final int CHANNELS = 3;

    /** Three slices of a ramp, each the one before plus 0.01 (so that channel alignment can be checked). */
    private static float[] ramp() {
        float[] x = new float[CHANNELS * SIZE * SIZE];
        for (int c = 0; c < CHANNELS; c++) {
            for (int i = 0; i < SIZE * SIZE; i++) {
                x[c * SIZE * SIZE + i] = 0.9f * i / (SIZE * SIZE) + 0.01f * c;
            }
        }
        return x;
    }

    @Test
    void theCurveKeepsBlackAndWhiteRisesEverywhereAndIsTheIdentityOnTheDiagonal() {
        float[] grey = new float[101];
        for (int i = 0; i < grey.length; i++) {
            grey[i] = i / 100f;
        }
        float[] identity = grey.clone();
        RestorationTransforms.nonLinear(identity, 1 / 3.0, 1 / 3.0, 2 / 3.0, 2 / 3.0);
        for (int i = 0; i < grey.length; i++) {
            assertThat(identity[i]).isCloseTo(grey[i], within(1e-3f));
        }
        Random random = new Random(5);
        for (int k = 0; k < 50; k++) {
            float[] y = grey.clone();
            RestorationTransforms.nonLinear(y, random.nextDouble(), random.nextDouble(), random.nextDouble(), random.nextDouble());
            assertThat(y[0]).isCloseTo(0f, within(1e-3f));
            assertThat(y[100]).isCloseTo(1f, within(1e-3f));
            for (int i = 1; i < y.length; i++) {
                assertThat(y[i]).isGreaterThanOrEqualTo(y[i - 1]);
            }
        }
        // control points below the diagonal darken the mid-greys, above it brighten them
        float[] dark = {0.5f};
        RestorationTransforms.nonLinear(dark, 0.9, 0.1, 0.9, 0.1);
        float[] bright = {0.5f};
        RestorationTransforms.nonLinear(bright, 0.1, 0.9, 0.1, 0.9);
        assertThat(dark[0]).isLessThan(0.3f);
        assertThat(bright[0]).isGreaterThan(0.7f);
        // values outside the window's range are clipped
        float[] outside = {-0.5f, 1.5f};
        RestorationTransforms.nonLinear(outside, 0.3, 0.6, 0.7, 0.2);
        assertThat(outside).containsExactly(new float[] {0f, 1f}, within(1e-3f));
    }

    @Test
    void oneShuffledBlockMovesItsPixelsWithinIt() {
        for (int seed = 0; seed < 20; seed++) {
            float[] x = ramp();
            RestorationTransforms.localShuffle(x, CHANNELS, SIZE, 1, 5, new Random(seed));
            for (int i = 0; i < SIZE * SIZE; i++) {
                int from = Math.round(x[i] / 0.9f * SIZE * SIZE);
                assertThat(Math.abs(from / SIZE - i / SIZE)).isLessThan(5);
                assertThat(Math.abs(from % SIZE - i % SIZE)).isLessThan(5);
            }
        }
    }

    @Test
    void localShufflingMovesPixelsWithinBlocksAndEveryChannelAlike() {
        float[] x = ramp();
        RestorationTransforms.localShuffle(x, CHANNELS, SIZE, 40, 5, new Random(1));
        float[] before = ramp();
        int moved = 0;
        for (int c = 0; c < CHANNELS; c++) {
            float[] a = Arrays.copyOfRange(x, c * SIZE * SIZE, (c + 1) * SIZE * SIZE);
            float[] b = Arrays.copyOfRange(before, c * SIZE * SIZE, (c + 1) * SIZE * SIZE);
            for (int i = 0; i < a.length; i++) {
                if (a[i] != b[i]) {
                    moved++;
                }
            }
            Arrays.sort(a);
            Arrays.sort(b);
            assertThat(a).as("channel %d holds the same values", c).isEqualTo(b);
        }
        assertThat(moved).isGreaterThan(100);
        for (int i = 0; i < SIZE * SIZE; i++) {
            assertThat(x[SIZE * SIZE + i] - x[i]).isCloseTo(0.01f, within(1e-5f));
            assertThat(x[2 * SIZE * SIZE + i] - x[i]).isCloseTo(0.02f, within(1e-5f));
        }
    }

    @Test
    void innerPaintingNoisesRectanglesAndLeavesTheRest() {
        float[] x = ramp();
        RestorationTransforms.innerPaint(x, CHANNELS, SIZE, new Random(3));
        float[] before = ramp();
        int changed = 0;
        for (int i = 0; i < SIZE * SIZE; i++) {
            boolean c0 = x[i] != before[i];
            for (int c = 1; c < CHANNELS; c++) {
                assertThat(x[c * SIZE * SIZE + i] != before[c * SIZE * SIZE + i]).as("pixel %d alike in every channel", i)
                        .isEqualTo(c0);
            }
            changed += c0 ? 1 : 0;
        }
        int side = SIZE / 6;
        assertThat(changed).isGreaterThanOrEqualTo(side * side).isLessThanOrEqualTo(5 * (SIZE / 3) * (SIZE / 3));
    }

    @Test
    void outerPaintingKeepsWindowsOfTheImageInNoise() {
        float[] x = ramp();
        RestorationTransforms.outerPaint(x, CHANNELS, SIZE, new Random(4));
        float[] before = ramp();
        int kept = 0;
        for (int i = 0; i < x.length; i++) {
            kept += x[i] == before[i] ? 1 : 0;
        }
        int side = 3 * SIZE / 7;
        assertThat(kept).isGreaterThanOrEqualTo(CHANNELS * side * side).isLessThan(x.length);
    }

    @Test
    void transformationsAreDrawnAtModelsGenesisRatesAndRepeatWithTheSeed() {
        Random random = new Random(11);
        int n = 2000;
        int shuffled = 0;
        int curved = 0;
        int painted = 0;
        int inner = 0;
        for (int k = 0; k < n; k++) {
            RestorationTransforms.Applied a = RestorationTransforms.apply(ramp(), CHANNELS, SIZE, random);
            shuffled += a.shuffled() ? 1 : 0;
            curved += a.nonLinear() ? 1 : 0;
            painted += a.painting() != RestorationTransforms.Painting.NONE ? 1 : 0;
            inner += a.painting() == RestorationTransforms.Painting.INNER ? 1 : 0;
        }
        assertThat(shuffled / (double) n).isCloseTo(0.5, within(0.04));
        assertThat(curved / (double) n).isCloseTo(0.9, within(0.03));
        assertThat(painted / (double) n).isCloseTo(0.9, within(0.03));
        assertThat(inner / (double) painted).isCloseTo(0.2, within(0.03));

        float[] a = ramp();
        float[] b = ramp();
        RestorationTransforms.apply(a, CHANNELS, SIZE, new Random(9));
        RestorationTransforms.apply(b, CHANNELS, SIZE, new Random(9));
        assertThat(a).isEqualTo(b).isNotEqualTo(ramp());
    }
}
