package org.radstream.workers;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * The metadata string committed with a partition's offset: series already handled (result or
 * dead letter published) whose records lie at or beyond the committed offset, each with the
 * offset of its last record (the marker, or the last slice of a series dropped for a missing
 * marker). A worker that re-reads from the committed offset skips every record of such a series
 * at or below that offset, so a completed series is never published twice.
 *
 * <p>Format: {@code rs1:} followed by base64url (no padding) of the DEFLATE-compressed lines
 * {@code <seriesUid> <offset>}, one per series. Series UIDs share long roots, so they compress
 * several-fold; the broker limits metadata to {@code offset.metadata.max.bytes} (4096 by default).
 */
final class CommitMetadata {
    static final String PREFIX = "rs1:";

    private CommitMetadata() {}

    /** Encodes the handled series; an empty map encodes as the bare prefix. */
    static String encode(Map<String, Long> handled) {
        if (handled.isEmpty()) {
            return PREFIX;
        }
        StringBuilder text = new StringBuilder();
        handled.forEach((uid, offset) -> text.append(uid).append(' ').append(offset).append('\n'));
        byte[] raw = text.toString().getBytes(StandardCharsets.UTF_8);
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
        try {
            deflater.setInput(raw);
            deflater.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length / 2 + 16);
            byte[] buf = new byte[1024];
            while (!deflater.finished()) {
                out.write(buf, 0, deflater.deflate(buf));
            }
            return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(out.toByteArray());
        } finally {
            deflater.end();
        }
    }

    /**
     * Decodes metadata written by {@link #encode}. Null, empty or foreign metadata (committed by a
     * tool, not by a worker) decodes to an empty map; metadata that starts with our prefix but does
     * not decode is an error, because guessing would publish duplicates.
     */
    static Map<String, Long> decode(String metadata) {
        Map<String, Long> out = new LinkedHashMap<>();
        if (metadata == null || !metadata.startsWith(PREFIX)) {
            return out;
        }
        String body = metadata.substring(PREFIX.length());
        if (body.isEmpty()) {
            return out;
        }
        byte[] compressed;
        try {
            compressed = Base64.getUrlDecoder().decode(body);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("commit metadata is not base64url: " + abbreviate(metadata), e);
        }
        Inflater inflater = new Inflater(true);
        String text;
        try {
            inflater.setInput(compressed);
            ByteArrayOutputStream out2 = new ByteArrayOutputStream(compressed.length * 4);
            byte[] buf = new byte[4096];
            while (!inflater.finished()) {
                int n = inflater.inflate(buf);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw new IllegalArgumentException("commit metadata is truncated: " + abbreviate(metadata));
                }
                out2.write(buf, 0, n);
            }
            text = out2.toString(StandardCharsets.UTF_8);
        } catch (DataFormatException e) {
            throw new IllegalArgumentException("commit metadata does not inflate: " + abbreviate(metadata), e);
        } finally {
            inflater.end();
        }
        for (String line : text.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            if (space <= 0) {
                throw new IllegalArgumentException("bad commit metadata line '" + line + "'");
            }
            try {
                out.put(line.substring(0, space), Long.parseLong(line.substring(space + 1)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad offset in commit metadata line '" + line + "'", e);
            }
        }
        return out;
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
