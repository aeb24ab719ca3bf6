package org.radstream.trainer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a segmentation run stood after its last finished epoch, on disk, so that a run the process
 * did not finish (libtorch crashing, the machine restarting, the trainer stopped) goes on from there
 * instead of from its first epoch: on 2 CPU cores an epoch of the shipped infection network takes
 * half an hour. A run that dies after its last epoch, while its reading is chosen or its gate
 * scored, goes straight to them.
 *
 * <p>It holds the weights after the epoch, the best epoch's weights, the losses and validation Dice
 * so far, the slices hard-sample mining added and the shuffling and augmentation generator, under a
 * fingerprint of the run (recipe, starting weights, training slices, validation scans); a checkpoint
 * whose fingerprint differs belongs to another run and is not used. Adam's moment estimates are not
 * kept (DJL does not expose them): a resumed run starts them again, so it does not repeat the
 * uninterrupted run to the last digit.
 *
 * <p>Written to a temporary file and moved into place, so a crash while writing leaves the previous
 * epoch's checkpoint; an unreadable one is logged and ignored (the run starts from its first epoch).
 */
final class EpochCheckpoint {
    private static final Logger log = LoggerFactory.getLogger(EpochCheckpoint.class);
    static final String FILE = "checkpoint.bin";
    /**
     * Where restoration pretraining ({@link SelfSupervisedPretraining}) keeps its epochs, beside the
     * segmentation run's checkpoint: the losses, the generator and the weights after each pretraining
     * epoch (no validation Dice, hard slices or best epoch), kept until the whole run has returned,
     * so that a run cut short during its segmentation epochs does not pretrain again.
     */
    static final String PRETRAINING_FILE = "pretraining.bin";
    private static final int FORMAT = 1;

    /** The run's state after {@code epochsDone} epochs. */
    record State(long fingerprint, int epochsDone, List<Double> losses, List<Double> dices, int steps,
                 int[] hardAdded, int bestEpoch, double bestDice, double elapsedSeconds, Random random,
                 byte[] weights, byte[] bestWeights) {}

    private EpochCheckpoint() {}

    /** The checkpoint in {@code dir} if there is one of the run {@code fingerprint} names. */
    static Optional<State> read(Path dir, long fingerprint) {
        return read(dir, FILE, fingerprint);
    }

    /** The checkpoint {@code name} in {@code dir} if there is one of the run {@code fingerprint} names. */
    static Optional<State> read(Path dir, String name, long fingerprint) {
        Path file = dir.resolve(name);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(Files.readAllBytes(file)))) {
            if (in.readInt() != FORMAT) {
                log.warn("checkpoint {} has another format; the run starts from its first epoch", file);
                return Optional.empty();
            }
            long fp = in.readLong();
            if (fp != fingerprint) {
                log.info("checkpoint {} belongs to another run (other recipe, weights or data); the run starts from its first epoch", file);
                return Optional.empty();
            }
            int epochs = in.readInt();
            List<Double> losses = doubles(in);
            List<Double> dices = doubles(in);
            int steps = in.readInt();
            int[] hard = new int[in.readInt()];
            for (int i = 0; i < hard.length; i++) {
                hard[i] = in.readInt();
            }
            int bestEpoch = in.readInt();
            double bestDice = in.readDouble();
            double elapsed = in.readDouble();
            Random random = random(in);
            byte[] weights = bytes(in);
            byte[] best = in.readBoolean() ? bytes(in) : null;
            return Optional.of(new State(fp, epochs, losses, dices, steps, hard, bestEpoch, bestDice, elapsed, random,
                    weights, best));
        } catch (IOException | RuntimeException e) {
            log.warn("checkpoint {} is unreadable ({}); the run starts from its first epoch", file, e.toString());
            return Optional.empty();
        }
    }

    /** Replaces the checkpoint in {@code dir} with {@code s}. */
    static void write(Path dir, State s) throws IOException {
        write(dir, FILE, s);
    }

    /** Replaces the checkpoint {@code name} in {@code dir} with {@code s}. */
    static void write(Path dir, String name, State s) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(FORMAT);
            out.writeLong(s.fingerprint());
            out.writeInt(s.epochsDone());
            doubles(out, s.losses());
            doubles(out, s.dices());
            out.writeInt(s.steps());
            out.writeInt(s.hardAdded().length);
            for (int i : s.hardAdded()) {
                out.writeInt(i);
            }
            out.writeInt(s.bestEpoch());
            out.writeDouble(s.bestDice());
            out.writeDouble(s.elapsedSeconds());
            random(out, s.random());
            bytes(out, s.weights());
            out.writeBoolean(s.bestWeights() != null);
            if (s.bestWeights() != null) {
                bytes(out, s.bestWeights());
            }
        }
        AtomicFiles.replace(dir.resolve(name), bytes.toByteArray());
    }

    /** Removes the checkpoint in {@code dir} (the run it belonged to has finished). */
    static void delete(Path dir) throws IOException {
        delete(dir, FILE);
    }

    /** Removes checkpoint {@code file} (and a temporary one beside it) from {@code dir}, and {@code dir} once empty. */
    static void delete(Path dir, String file) throws IOException {
        Files.deleteIfExists(dir.resolve(file));
        Files.deleteIfExists(dir.resolve(file + ".tmp"));
        try {
            Files.deleteIfExists(dir);
        } catch (java.nio.file.DirectoryNotEmptyException e) {
            // something else lives there (the task's other kind of checkpoint); leave it
        }
    }

    /**
     * A fingerprint of a run: its recipe, starting weights, training slices (inputs and targets) and
     * validation scans. Two runs with the same fingerprint train the same network on the same data
     * the same way.
     */
    static long fingerprint(TrainingRecipe r, byte[] startingWeights, List<float[]> inputs, List<float[]> targets,
                            List<ScanData> validation) {
        long h = r.toString().hashCode();
        h = 31 * h + Arrays.hashCode(startingWeights);
        h = 31 * h + inputs.size();
        for (int i = 0; i < inputs.size(); i++) {
            h = 31 * h + Arrays.hashCode(inputs.get(i));
            h = 31 * h + Arrays.hashCode(targets.get(i));
        }
        for (ScanData s : validation) {
            h = 31 * h + s.id().hashCode();
        }
        return h;
    }

    /**
     * A generator where it stood, as Java serialisation writes it (java.util.Random is serialisable);
     * nothing but a Random is deserialised from the file.
     */
    static Random random(DataInputStream in) throws IOException {
        try (ObjectInputStream o = new ObjectInputStream(new ByteArrayInputStream(bytes(in)))) {
            o.setObjectInputFilter(java.io.ObjectInputFilter.Config.createFilter("java.util.Random;!*"));
            return (Random) o.readObject();
        } catch (ClassNotFoundException e) {
            throw new IOException("not a generator: " + e.getMessage(), e);
        }
    }

    static void random(DataOutputStream out, Random random) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (ObjectOutputStream o = new ObjectOutputStream(b)) {
            o.writeObject(random);
        }
        bytes(out, b.toByteArray());
    }

    static List<Double> doubles(DataInputStream in) throws IOException {
        int n = in.readInt();
        List<Double> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(in.readDouble());
        }
        return out;
    }

    static void doubles(DataOutputStream out, List<Double> values) throws IOException {
        out.writeInt(values.size());
        for (double v : values) {
            out.writeDouble(v);
        }
    }

    static byte[] bytes(DataInputStream in) throws IOException {
        byte[] b = new byte[in.readInt()];
        in.readFully(b);
        return b;
    }

    static void bytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }
}
