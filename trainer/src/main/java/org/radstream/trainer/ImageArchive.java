package org.radstream.trainer;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * The trainer's image archive: one gzip file per series, {@code <seriesUid>.rsa.gz}, holding a
 * JSON header ({@link ArchivedSeries.Header}: geometry, pseudonymised patient) followed by every
 * plane's slices as raw windowed values. A file is written to a temporary name and renamed, so a
 * file that exists is complete; storing a series again replaces it.
 *
 * <pre>
 * gzip( "RSA1" | int32 header length | header JSON (UTF-8) | plane 0 slice 0 … plane 0 slice d-1 | plane 1 … )
 * </pre>
 */
public final class ImageArchive {
    static final String FORMAT = "radstream-archive/1";
    private static final byte[] MAGIC = "RSA1".getBytes(StandardCharsets.US_ASCII);
    private static final String SUFFIX = ".rsa.gz";
    private static final Pattern SAFE_UID = Pattern.compile("[0-9A-Za-z._-]{1,128}");
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final Path dir;

    public ImageArchive(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
    }

    public Path dir() {
        return dir;
    }

    /** The file a series is (or would be) archived in. */
    public Path file(String seriesUid) {
        if (!SAFE_UID.matcher(seriesUid).matches() || seriesUid.startsWith(".")) {
            throw new IllegalArgumentException("series UID '" + seriesUid + "' is not a valid file name");
        }
        return dir.resolve(seriesUid + SUFFIX);
    }

    public boolean contains(String seriesUid) {
        return SAFE_UID.matcher(seriesUid).matches() && Files.isRegularFile(file(seriesUid));
    }

    /** Writes (or replaces) a series. */
    public Path store(ArchivedSeries series) throws IOException {
        Path target = file(series.seriesUid());
        Path tmp = dir.resolve(".tmp-" + UUID.randomUUID());
        try {
            try (OutputStream os = new GZIPOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)), 1 << 16);
                 DataOutputStream out = new DataOutputStream(os)) {
                byte[] header = JSON.writeValueAsBytes(series.header());
                out.write(MAGIC);
                out.writeInt(header.length);
                out.write(header);
                for (ArchivedSeries.Plane p : series.header().planes()) {
                    byte[][] slices = series.planes().get(p.name());
                    int expected = series.width() * series.height() * (p.bits() / 8);
                    for (byte[] slice : slices) {
                        if (slice.length != expected) {
                            throw new IllegalArgumentException("plane " + p.name() + " slice has " + slice.length
                                    + " bytes, expected " + expected);
                        }
                        out.write(slice);
                    }
                }
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** One archived series on disk: its size and when it was last written. */
    record Entry(String seriesUid, long bytes, Instant written) {}

    /** Every complete archived series (temporary files of writes in progress are not). */
    List<Entry> entries() throws IOException {
        List<Entry> out = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                String uid = name.substring(0, name.length() - SUFFIX.length());
                try {
                    BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
                    out.add(new Entry(uid, a.size(), a.lastModifiedTime().toInstant()));
                } catch (NoSuchFileException e) {
                    // removed meanwhile
                }
            }
        }
        return out;
    }

    /**
     * Removes a series' file if it was last written before {@code before}; a series stored again
     * since (a newer file) is kept.
     *
     * @return whether it was removed
     */
    boolean removeIfWrittenBefore(String seriesUid, Instant before) throws IOException {
        Path f = file(seriesUid);
        try {
            if (!Files.getLastModifiedTime(f).toInstant().isBefore(before)) {
                return false;
            }
            Files.delete(f);
            return true;
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    /**
     * Removes a series' file whatever its age (the PACS withdrew the series).
     *
     * @return whether there was one
     */
    boolean remove(String seriesUid) throws IOException {
        return Files.deleteIfExists(file(seriesUid));
    }

    /** Reads the header only (cheap: the pixels are not decompressed). */
    public Optional<ArchivedSeries.Header> header(String seriesUid) throws IOException {
        if (!contains(seriesUid)) {
            return Optional.empty();
        }
        try (DataInputStream in = open(file(seriesUid))) {
            return Optional.of(readHeader(in, seriesUid));
        }
    }

    /** Reads a whole series. */
    public Optional<ArchivedSeries> read(String seriesUid) throws IOException {
        if (!contains(seriesUid)) {
            return Optional.empty();
        }
        try (DataInputStream in = open(file(seriesUid))) {
            ArchivedSeries.Header h = readHeader(in, seriesUid);
            Map<String, byte[][]> planes = new LinkedHashMap<>();
            for (ArchivedSeries.Plane p : h.planes()) {
                byte[][] slices = new byte[h.depth()][h.width() * h.height() * (p.bits() / 8)];
                for (byte[] s : slices) {
                    in.readFully(s);
                }
                planes.put(p.name(), slices);
            }
            return Optional.of(new ArchivedSeries(h, planes));
        }
    }

    private static DataInputStream open(Path file) throws IOException {
        InputStream is = new GZIPInputStream(new BufferedInputStream(Files.newInputStream(file)), 1 << 16);
        return new DataInputStream(is);
    }

    private static ArchivedSeries.Header readHeader(DataInputStream in, String seriesUid) throws IOException {
        byte[] magic = new byte[MAGIC.length];
        in.readFully(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            throw new IOException("archive file of series " + seriesUid + " does not start with RSA1");
        }
        int len = in.readInt();
        if (len < 2 || len > 1 << 20) {
            throw new IOException("archive file of series " + seriesUid + " has a header of " + len + " bytes");
        }
        byte[] header = new byte[len];
        in.readFully(header);
        ArchivedSeries.Header h = JSON.readValue(header, ArchivedSeries.Header.class);
        if (!FORMAT.equals(h.format())) {
            throw new IOException("archive file of series " + seriesUid + " has format " + h.format()
                    + ", expected " + FORMAT);
        }
        return h;
    }
}
