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
    private static final int FORMAT = 1;

    /** The run's state after {@code epochsDone} epochs. */
    record State(long fingerprint, int epochsDone, List<Double> losses, List<Double> dices, int steps,
                 int[] hardAdded, int bestEpoch, double bestDice, double elapsedSeconds, Random random,
                 byte[] weights, byte[] bestWeights) {}

    private EpochCheckpoint() {}

    /** The checkpoint in {@code dir} if there is one of the run {@code fingerprint} names. */
    static Optional<State> read(Path dir, long fingerprint) {
        Path file = dir.resolve(FILE);
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
            Random random;
            try (ObjectInputStream o = new ObjectInputStream(new ByteArrayInputStream(bytes(in)))) {
                random = (Random) o.readObject();
            }
            byte[] weights = bytes(in);
            byte[] best = in.readBoolean() ? bytes(in) : null;
            return Optional.of(new State(fp, epochs, losses, dices, steps, hard, bestEpoch, bestDice, elapsed, random,
                    weights, best));
        } catch (IOException | ClassNotFoundException | RuntimeException e) {
            log.warn("checkpoint {} is unreadable ({}); the run starts from its first epoch", file, e.toString());
            return Optional.empty();
        }
    }

    /** Replaces the checkpoint in {@code dir} with {@code s}. */
    static void write(Path dir, State s) throws IOException {
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
            ByteArrayOutputStream random = new ByteArrayOutputStream();
            try (ObjectOutputStream o = new ObjectOutputStream(random)) {
                o.writeObject(s.random());
            }
            bytes(out, random.toByteArray());
            bytes(out, s.weights());
            out.writeBoolean(s.bestWeights() != null);
            if (s.bestWeights() != null) {
                bytes(out, s.bestWeights());
            }
        }
        AtomicFiles.replace(dir.resolve(FILE), bytes.toByteArray());
    }

    /** Removes the checkpoint in {@code dir} (the run it belonged to has finished). */
    static void delete(Path dir) throws IOException {
        Files.deleteIfExists(dir.resolve(FILE));
        Files.deleteIfExists(dir.resolve(FILE + ".tmp"));
        try {
            Files.deleteIfExists(dir);
        } catch (java.nio.file.DirectoryNotEmptyException e) {
            // something else lives there; leave it
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

    private static List<Double> doubles(DataInputStream in) throws IOException {
        int n = in.readInt();
        List<Double> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(in.readDouble());
        }
        return out;
    }

    private static void doubles(DataOutputStream out, List<Double> values) throws IOException {
        out.writeInt(values.size());
        for (double v : values) {
            out.writeDouble(v);
        }
    }

    private static byte[] bytes(DataInputStream in) throws IOException {
        byte[] b = new byte[in.readInt()];
        in.readFully(b);
        return b;
    }

    private static void bytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }
}
