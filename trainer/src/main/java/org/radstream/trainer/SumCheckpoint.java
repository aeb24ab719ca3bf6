package org.radstream.trainer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a SUM run stood after its last finished epoch, so that a run the process did not finish
 * (a crash, a stop, an operator's cancel) goes on from there: a SUM epoch trains two networks and
 * takes about seven minutes at 256² on two cores. As {@link EpochCheckpoint} for single networks,
 * plus what SUM alone carries: both networks' weights and best self-updating epochs, the pool's
 * current soft labels (they self-update every epoch and cannot be recomputed), the hard slices mining
 * added, and the label-movement figures so far. Gzipped (soft labels are mostly zero), written to a
 * temporary file and moved into place; an unreadable one is logged and the run starts afresh.
 */
final class SumCheckpoint {
    private static final Logger log = LoggerFactory.getLogger(SumCheckpoint.class);
    static final String FILE = "sum-checkpoint.bin.gz";
    private static final int FORMAT = 1;

    /** One network's best self-updating epoch so far: 0 before the first; its weights, or null for none kept. */
    record Kept(int epoch, double dice, byte[] snapshot) {}

    /** The run after {@code epochsDone} epochs. */
    record State(long fingerprint, int epochsDone, List<Double> lossA, List<Double> lossB, List<Double> diceA,
                 List<Double> diceB, List<Double> change, List<Double> noisyToTruth, List<Double> softToTruth,
                 List<Double> majorityToTruth, int steps, int[] hardRows, double elapsedSeconds, Random random,
                 byte[] weightsA, byte[] weightsB, Kept keptA, Kept keptB, List<float[]> poolSoft) {}

    private SumCheckpoint() {}

    static Optional<State> read(Path dir, long fingerprint) {
        Path file = dir.resolve(FILE);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try (DataInputStream in = new DataInputStream(new GZIPInputStream(new ByteArrayInputStream(Files.readAllBytes(file)),
                1 << 16))) {
            if (in.readInt() != FORMAT) {
                log.warn("SUM checkpoint {} has another format; the run starts from its first epoch", file);
                return Optional.empty();
            }
            long fp = in.readLong();
            if (fp != fingerprint) {
                log.info("SUM checkpoint {} belongs to another run (other recipe, weights or data); the run starts from "
                        + "its first epoch", file);
                return Optional.empty();
            }
            int epochs = in.readInt();
            List<List<Double>> figures = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                figures.add(EpochCheckpoint.doubles(in));
            }
            int steps = in.readInt();
            int[] hard = new int[in.readInt()];
            for (int i = 0; i < hard.length; i++) {
                hard[i] = in.readInt();
            }
            double elapsed = in.readDouble();
            Random random = EpochCheckpoint.random(in);
            byte[] a = EpochCheckpoint.bytes(in);
            byte[] b = EpochCheckpoint.bytes(in);
            Kept keptA = kept(in);
            Kept keptB = kept(in);
            int n = in.readInt();
            List<float[]> soft = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                ByteBuffer bytes = ByteBuffer.wrap(EpochCheckpoint.bytes(in));
                float[] f = new float[bytes.remaining() / Float.BYTES];
                bytes.asFloatBuffer().get(f);
                soft.add(f);
            }
            return Optional.of(new State(fp, epochs, figures.get(0), figures.get(1), figures.get(2), figures.get(3),
                    figures.get(4), figures.get(5), figures.get(6), figures.get(7), steps, hard, elapsed, random, a, b,
                    keptA, keptB, soft));
        } catch (IOException | RuntimeException e) {
            log.warn("SUM checkpoint {} is unreadable ({}); the run starts from its first epoch", file, e.toString());
            return Optional.empty();
        }
    }

    static void write(Path dir, State s) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(new GZIPOutputStream(bytes, 1 << 16))) {
            out.writeInt(FORMAT);
            out.writeLong(s.fingerprint());
            out.writeInt(s.epochsDone());
            for (List<Double> f : List.of(s.lossA(), s.lossB(), s.diceA(), s.diceB(), s.change(), s.noisyToTruth(),
                    s.softToTruth(), s.majorityToTruth())) {
                EpochCheckpoint.doubles(out, f);
            }
            out.writeInt(s.steps());
            out.writeInt(s.hardRows().length);
            for (int i : s.hardRows()) {
                out.writeInt(i);
            }
            out.writeDouble(s.elapsedSeconds());
            EpochCheckpoint.random(out, s.random());
            EpochCheckpoint.bytes(out, s.weightsA());
            EpochCheckpoint.bytes(out, s.weightsB());
            kept(out, s.keptA());
            kept(out, s.keptB());
            out.writeInt(s.poolSoft().size());
            for (float[] f : s.poolSoft()) {
                ByteBuffer b = ByteBuffer.allocate(f.length * Float.BYTES);
                b.asFloatBuffer().put(f);
                EpochCheckpoint.bytes(out, b.array());
            }
        }
        AtomicFiles.replace(dir.resolve(FILE), bytes.toByteArray());
    }

    /** Removes the checkpoint in {@code dir} (its run has finished), and the directory when nothing else is there. */
    static void delete(Path dir) throws IOException {
        EpochCheckpoint.delete(dir, FILE);
    }

    /**
     * A SUM run's fingerprint: its recipe and warm-up, both starting networks, the training slices
     * with their noisy labels, and the validation scans.
     */
    static long fingerprint(TrainingRecipe r, int warmup, byte[] startA, byte[] startB, List<float[]> inputs,
                            List<float[]> targets, List<ScanData> validation) {
        long h = EpochCheckpoint.fingerprint(r, startA, inputs, targets, validation);
        h = 31 * h + Arrays.hashCode(startB);
        return 31 * h + warmup;
    }

    private static Kept kept(DataInputStream in) throws IOException {
        int epoch = in.readInt();
        double dice = in.readDouble();
        byte[] snapshot = in.readBoolean() ? EpochCheckpoint.bytes(in) : null;
        return new Kept(epoch, dice, snapshot);
    }

    private static void kept(DataOutputStream out, Kept k) throws IOException {
        out.writeInt(k.epoch());
        out.writeDouble(k.dice());
        out.writeBoolean(k.snapshot() != null);
        if (k.snapshot() != null) {
            EpochCheckpoint.bytes(out, k.snapshot());
        }
    }
}
