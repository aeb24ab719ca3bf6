package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Volume;

class ClassifierEffectTest {
    private static final int W = 32;

    /**
     * One slice: a bright 6×6 lesion (0 HU, the label) and a darker 4×4 false candidate (-600 HU)
     * in air; both are candidates.
     */
    private static ScanData scan(boolean labelled) {
        float[] hu = new float[W * W];
        Arrays.fill(hu, -1000);
        Mask3D label = new Mask3D(W, W, 1);
        for (int y = 4; y < 10; y++) {
            for (int x = 4; x < 10; x++) {
                hu[y * W + x] = 0;
                label.set(y * W + x, labelled);
            }
        }
        for (int y = 20; y < 24; y++) {
            for (int x = 20; x < 24; x++) {
                hu[y * W + x] = -600;
            }
        }
        return new ScanData(labelled ? "infected" : "clear", new Volume(hu, W, W, 1, 1, 1, 1), label, null, null);
    }

    private static Mask3D candidates(ScanData s) {
        Mask3D m = new Mask3D(W, W, 1);
        float[] hu = s.hu().hu();
        for (int i = 0; i < hu.length; i++) {
            m.set(i, hu[i] > -900);
        }
        return m;
    }

    /** Scores a patch by its brightness: the lesion's patches are bright. */
    private static ClassifierRun.PatchScorer scorer(float bright, float dark) {
        return patches -> {
            float[] p = new float[patches.length];
            for (int i = 0; i < patches.length; i++) {
                double mean = 0;
                for (float v : patches[i]) {
                    mean += v;
                }
                p[i] = mean / patches[i].length > 0.5 ? bright : dark;
            }
            return p;
        };
    }

    @Test
    void aClassifierThatRejectsTheFalseCandidateRaisesDiceAtTheThresholdBetweenItsScores() throws Exception {
        ScanData s = scan(true);
        ClassifierEffect effect = new ClassifierEffect(List.of(s), List.of(candidates(s)), 16);
        assertThat(effect.components()).isEqualTo(2);
        ClassifierEffect.Effect e = effect.of(scorer(0.9f, 0.3f));
        assertThat(e.withoutClassifier()).isCloseTo(2.0 * 36 / (36 + 16 + 36), within(1e-9));
        assertThat(e.dice()).isCloseTo(1.0, within(1e-9));
        assertThat(e.threshold()).isCloseTo(0.35f, within(1e-6f)); // the lowest threshold above 0.3
        assertThat(e.adds()).isTrue();
        assertThat(effect.at(scorer(0.9f, 0.3f), 0.5f)).isCloseTo(1.0, within(1e-9));
        assertThat(effect.at(scorer(0.9f, 0.3f), 0.95f)).as("everything rejected").isZero();
    }

    @Test
    void aClassifierThatRanksTheLesionBelowTheFalseCandidateDoesNotAdd() throws Exception {
        ScanData s = scan(true);
        ClassifierEffect.Effect e = new ClassifierEffect(List.of(s), List.of(candidates(s)), 16).of(scorer(0.3f, 0.9f));
        assertThat(e.dice()).as("best is to keep both").isCloseTo(e.withoutClassifier(), within(1e-9));
        assertThat(e.adds()).isFalse();
    }

    @Test
    void scansWithoutInfectionDoNotCount() throws Exception {
        ScanData infected = scan(true);
        ScanData clear = scan(false);
        ClassifierEffect both = new ClassifierEffect(List.of(infected, clear),
                List.of(candidates(infected), candidates(clear)), 16);
        assertThat(both.of(scorer(0.9f, 0.3f)).dice()).isCloseTo(1.0, within(1e-9));
        ClassifierEffect none = new ClassifierEffect(List.of(clear), List.of(candidates(clear)), 16);
        assertThat(none.of(scorer(0.9f, 0.3f)).dice()).isNaN();
    }
}
