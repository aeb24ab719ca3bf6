package org.radstream.models;

import java.util.Random;

/** Bright disks of random position and radius on a noisy background: a trivially learnable task. */
final class SyntheticDisks {

    final float[][] images;
    final float[][] masks;

    SyntheticDisks(int count, int size, long seed) {
        Random random = new Random(seed);
        images = new float[count][size * size];
        masks = new float[count][size * size];
        for (int n = 0; n < count; n++) {
            double radius = size * (0.12 + 0.15 * random.nextDouble());
            double cy = radius + random.nextDouble() * (size - 2 * radius);
            double cx = radius + random.nextDouble() * (size - 2 * radius);
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    boolean inside = (y - cy) * (y - cy) + (x - cx) * (x - cx) <= radius * radius;
                    float base = inside ? 0.65f : 0.35f;
                    float value = base + (float) (0.1 * random.nextGaussian());
                    images[n][y * size + x] = Math.max(0f, Math.min(1f, value));
                    masks[n][y * size + x] = inside ? 1f : 0f;
                }
            }
        }
    }

    boolean[][] truth() {
        return Probabilities.threshold(masks, 0.5f);
    }
}
