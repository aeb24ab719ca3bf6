package org.radstream.trainer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Rle;
import org.radstream.imaging.Volume;
import org.radstream.models.ModelMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The masks published segmentation models made of the scans a classifier run reads, kept on disk
 * between runs. Reading every labelled scan with the infection model (four passes each) and the
 * lung model is most of a classifier run; the next run with the same models (the next periodic
 * one, or the same run again after a crash or a cancel) reads only the scans it has not read.
 *
 * <p>A mask is found by what made it: the model's version, weights and the metadata that decide
 * its reading (window, thresholds, test-time flips, minimum component), and the scan's voxels and
 * spacing (and its region, for a network that reads only its region). So a new model version or
 * changed images read anew. A file that cannot be read is read anew and replaced. After a run
 * that finished, {@link #sweep} deletes every mask it did not use: those of superseded models and
 * of scans no longer trained on.
 */
final class MaskCache {
    private static final Logger log = LoggerFactory.getLogger(MaskCache.class);
    private static final String SUFFIX = ".rle";

    /** Makes a mask when it is not kept. */
    interface Reader {
        Mask3D read() throws Exception;
    }

    private final Path dir;
    private final Set<Path> used = new HashSet<>();
    private int kept;
    private int read;

    private MaskCache(Path dir) {
        this.dir = dir;
    }

    /** A cache under {@code dir}; {@code null} keeps nothing (every mask is read). */
    static MaskCache in(Path dir) {
        return new MaskCache(dir);
    }

    /** The mask {@code model} makes of {@code scan}: kept, or made by {@code reader} and kept. */
    Mask3D mask(ModelMetadata model, ScanData scan, Reader reader) throws Exception {
        if (dir == null) {
            read++;
            return reader.read();
        }
        Path file = dir.resolve(modelKey(model)).resolve(scanKey(scan, model.inputRegion() != null) + SUFFIX);
        used.add(file);
        if (Files.isRegularFile(file)) {
            try {
                Mask3D mask = Rle.read(file);
                if (mask.width() == scan.hu().width() && mask.height() == scan.hu().height()
                        && mask.depth() == scan.depth()) {
                    kept++;
                    return mask;
                }
                log.warn("kept mask {} has the shape {}, not scan {}'s; reading the scan anew", file, mask, scan.id());
            } catch (IOException e) {
                log.warn("kept mask {} cannot be read ({}); reading scan {} anew", file, e.getMessage(), scan.id());
            }
        }
        Mask3D mask = reader.read();
        read++;
        AtomicFiles.replace(file, Rle.fileBytes(mask));
        return mask;
    }

    /** Masks read from the cache so far. */
    int kept() {
        return kept;
    }

    /** Masks made by their model so far. */
    int read() {
        return read;
    }

    /** What this run's masks cost, for its progress lines. */
    String describe() {
        return String.format(Locale.ROOT, "%d masks made by the models, %d kept from an earlier run", read, kept);
    }

    /**
     * Deletes every kept mask this cache was not asked for (and the folders they leave empty);
     * returns how many. Call it after a run that finished, not one cut short.
     */
    int sweep() throws IOException {
        if (dir == null || !Files.isDirectory(dir)) {
            return 0;
        }
        List<Path> stale = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            files.filter(f -> f.getFileName().toString().endsWith(SUFFIX) && !used.contains(f)).forEach(stale::add);
        }
        for (Path f : stale) {
            Files.deleteIfExists(f);
        }
        try (Stream<Path> folders = Files.list(dir)) {
            for (Path folder : folders.filter(Files::isDirectory).toList()) {
                try (Stream<Path> left = Files.list(folder)) {
                    if (left.findAny().isEmpty()) {
                        Files.delete(folder);
                    }
                }
            }
        }
        return stale.size();
    }

    /** The model's folder: task and version for people, a digest of what decides its reading for the cache. */
    static String modelKey(ModelMetadata m) {
        Map<String, Double> metrics = new TreeMap<>(m.metrics());
        String decides = String.join("|", m.task(), Integer.toString(m.version()), m.sha256(), String.valueOf(m.network()),
                m.inputHeight() + "x" + m.inputWidth(), m.windowLowHu() + ".." + m.windowHighHu(), metrics.toString(),
                String.valueOf(m.inputRegion()));
        return m.task() + "-v" + m.version() + "-" + hex(sha256().digest(decides.getBytes(StandardCharsets.UTF_8)), 16);
    }

    /** A digest of the scan's grid, spacing and voxels (and its region when the model reads only that). */
    static String scanKey(ScanData scan, boolean withRegion) {
        Volume v = scan.hu();
        MessageDigest d = sha256();
        ByteBuffer header = ByteBuffer.allocate(3 * Integer.BYTES + 3 * Double.BYTES).order(ByteOrder.BIG_ENDIAN);
        header.putInt(v.width()).putInt(v.height()).putInt(v.depth())
                .putDouble(v.spacingX()).putDouble(v.spacingY()).putDouble(v.spacingZ());
        d.update(header.array());
        float[] hu = v.hu();
        ByteBuffer chunk = ByteBuffer.allocate(64 * 1024).order(ByteOrder.BIG_ENDIAN);
        for (float f : hu) {
            if (!chunk.hasRemaining()) {
                d.update(chunk.array(), 0, chunk.position());
                chunk.clear();
            }
            chunk.putFloat(f);
        }
        d.update(chunk.array(), 0, chunk.position());
        if (withRegion) {
            d.update(scan.region() == null ? new byte[] {0} : Rle.encode(scan.region()));
        }
        return hex(d.digest(), 32);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    private static String hex(byte[] digest, int chars) {
        return HexFormat.of().formatHex(digest).substring(0, chars);
    }
}
