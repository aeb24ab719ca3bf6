package org.radstream.trainer;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Hard-sample mining of the data-balancing paper: train on one half of the slices, score the
 * other half by Dice, and add the slices the network still gets wrong (Dice below a threshold) to
 * the training set, with their flipped copies, before training on. The easy majority of slices
 * (large, clear organ cross-sections) then no longer dominates what the network learns.
 */
public final class HardSampleMining {

    /** The two halves of a slice set. */
    public record Split(int[] train, int[] scored) {}

    private HardSampleMining() {}

    /** A seeded random half/half split of {@code n} slice indices (the first half gets the odd one). */
    public static Split split(int n, long seed) {
        List<Integer> order = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        java.util.Collections.shuffle(order, new Random(seed));
        int half = (n + 1) / 2;
        int[] a = order.subList(0, half).stream().mapToInt(Integer::intValue).sorted().toArray();
        int[] b = order.subList(half, n).stream().mapToInt(Integer::intValue).sorted().toArray();
        return new Split(a, b);
    }

    /**
     * Indices (into {@code scored}) of the hard slices: Dice strictly below {@code threshold}, in
     * ascending Dice order (hardest first), ties by index.
     */
    public static int[] hard(double[] dice, double threshold) {
        List<Integer> hard = new ArrayList<>();
        for (int i = 0; i < dice.length; i++) {
            if (Double.isNaN(dice[i]) || dice[i] < threshold) {
                hard.add(i);
            }
        }
        hard.sort((x, y) -> {
            double dx = Double.isNaN(dice[x]) ? -1 : dice[x];
            double dy = Double.isNaN(dice[y]) ? -1 : dice[y];
            return dx != dy ? Double.compare(dx, dy) : Integer.compare(x, y);
        });
        return hard.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Dice of a predicted slice against its truth; 1 when both are empty. */
    public static double dice(boolean[] predicted, float[] target) {
        long inter = 0;
        long p = 0;
        long t = 0;
        for (int i = 0; i < predicted.length; i++) {
            boolean ti = target[i] >= 0.5f;
            if (predicted[i]) {
                p++;
            }
            if (ti) {
                t++;
            }
            if (predicted[i] && ti) {
                inter++;
            }
        }
        return p + t == 0 ? 1.0 : 2.0 * inter / (p + t);
    }
}
