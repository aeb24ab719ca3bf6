package org.radstream.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.Model;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ClassifierTrainingTest {

    private static final int SIZE = 64;

    /**
     * Class 1 ("keep", like a ground-glass lesion): a round blob; class 0 ("reject", like a
     * vessel or airway wall): a thin bright line of random orientation. Both sit near the centre.
     */
    private static float[][] patches(int n, int[] labels, long seed) {
        Random random = new Random(seed);
        float[][] out = new float[n][SIZE * SIZE];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 2;
            double cy = SIZE / 2.0 + random.nextInt(9) - 4;
            double cx = SIZE / 2.0 + random.nextInt(9) - 4;
            double angle = random.nextDouble() * Math.PI;
            double radius = 7 + random.nextInt(6);
            for (int y = 0; y < SIZE; y++) {
                for (int x = 0; x < SIZE; x++) {
                    boolean lit;
                    if (labels[i] == 1) {
                        lit = (y - cy) * (y - cy) + (x - cx) * (x - cx) <= radius * radius;
                    } else {
                        double distance = Math.abs((x - cx) * Math.sin(angle) - (y - cy) * Math.cos(angle));
                        lit = distance <= 1.5;
                    }
                    out[i][y * SIZE + x] = (lit ? 0.7f : 0.3f) + (float) (0.05 * random.nextGaussian());
                }
            }
        }
        return out;
    }

    /**
     * 64 steps, not fewer: batch-norm running statistics start at mean 0, variance 1 and forget
     * that start by 0.9 per step, while the stem's real variance on [0, 1] patches is tiny; after
     * ~30 steps inference still sees a visibly wrong variance.
     */
    @Test
    void resNet18SeparatesTwoKindsOfPatch() {
        int[] labels = new int[64];
        float[][] train = patches(64, labels, 5);
        int[] testLabels = new int[16];
        float[][] test = patches(16, testLabels, 6);
        try (Model model = Architectures.newModel(NetworkSpec.resnet18(1, 8), Device.cpu());
                ClassifierTraining training = ClassifierTraining.start(
                        model, 1, SIZE, SIZE, new TrainingSettings(8, 8, 1e-3f, 3))) {
            TrainingResult result = training.fit(train, labels);

            float[] p = training.predict(test);
            int correct = 0;
            for (int i = 0; i < p.length; i++) {
                correct += (p[i] >= 0.5f) == (testLabels[i] == 1) ? 1 : 0;
            }
            System.out.printf("classifier: loss %s, %.1f ms/step, %d/16 correct%n",
                    result.epochLosses(), result.millisPerStep(), correct);
            assertThat(result.steps()).isEqualTo(64);
            assertThat(result.finalLoss()).isLessThan(0.5 * result.firstLoss());
            assertThat(correct).isGreaterThanOrEqualTo(15);
            assertThatThrownBy(() -> training.step(train, new int[63]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("labels");
            assertThatThrownBy(() -> training.step(new float[][] {train[0]}, new int[] {2}))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("label 2");
        }
    }
}
