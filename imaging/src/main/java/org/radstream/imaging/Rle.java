package org.radstream.imaging;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Run-length encoding of binary masks: the wire format of the Avro {@code Mask.rle} field and of
 * the cohort's truth files.
 *
 * <h2>Format (a contract shared by every module)</h2>
 * Voxels are visited x fastest, then y, then z. The encoding is the sequence of run lengths,
 * alternating zeros and ones and <b>starting with a run of zeros</b> (which is 0 when the first voxel
 * is set). Each run length is an unsigned LEB128 varint (7 bits per byte, low bits first, high bit
 * set on every byte but the last). No run other than the first is empty, and the runs sum to
 * width × height × depth, which the decoder checks: an empty mask (0 voxels) encodes as zero bytes,
 * all zeros as one run {@code [n]}, all ones as {@code [0, n]}. Dimensions travel beside the bytes
 * (in the Avro record, or the file header below), not inside them.
 *
 * <p>A 512×512×300 lung mask is a few thousand runs, i.e. kilobytes rather than the 79 MB of
 * voxels, which is what lets masks travel in Kafka records.
 *
 * <h2>File format ({@code .rle} truth files)</h2>
 * A 12-byte header of three big-endian int32 (width, height, depth) followed by the encoding.
 */
public final class Rle {
    private Rle() {}

    /** Encodes a mask. */
    public static byte[] encode(Mask3D mask) {
        return encode(mask.data());
    }

    /** Encodes voxels given in x-fastest order. */
    public static byte[] encode(boolean[] voxels) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        if (voxels.length == 0) {
            return new byte[0];
        }
        boolean current = false;
        long run = 0;
        for (boolean v : voxels) {
            if (v == current) {
                run++;
            } else {
                writeVarint(out, run);
                current = v;
                run = 1;
            }
        }
        writeVarint(out, run);
        return out.toByteArray();
    }

    /** Decodes an encoding made for the given dimensions; throws if the runs do not cover it exactly. */
    public static Mask3D decode(byte[] rle, int width, int height, int depth) {
        Mask3D mask = new Mask3D(width, height, depth);
        boolean[] data = mask.data();
        int pos = 0;
        int[] cursor = {0};
        boolean value = false;
        boolean first = true;
        while (cursor[0] < rle.length) {
            long run = readVarint(rle, cursor);
            if (run == 0 && !first) {
                throw new IllegalArgumentException("empty run at byte " + cursor[0] + " (only the first run may be empty)");
            }
            if (pos + run > data.length) {
                throw new IllegalArgumentException("runs exceed " + data.length + " voxels (" + width + "x" + height + "x" + depth + ")");
            }
            if (value) {
                java.util.Arrays.fill(data, pos, (int) (pos + run), true);
            }
            pos += (int) run;
            value = !value;
            first = false;
        }
        if (pos != data.length) {
            throw new IllegalArgumentException("runs cover " + pos + " voxels, expected " + data.length
                    + " (" + width + "x" + height + "x" + depth + ")");
        }
        return mask;
    }

    /** Writes a truth file ({@link #fileBytes}). */
    public static void write(Path file, Mask3D mask) throws IOException {
        Files.write(file, fileBytes(mask));
    }

    /** A truth file's bytes: header (width, height, depth as big-endian int32) then the encoding. */
    public static byte[] fileBytes(Mask3D mask) {
        byte[] rle = encode(mask);
        return ByteBuffer.allocate(12 + rle.length).putInt(mask.width()).putInt(mask.height())
                .putInt(mask.depth()).put(rle).array();
    }

    /** Reads a truth file written by {@link #write}. */
    public static Mask3D read(Path file) throws IOException {
        try (InputStream is = Files.newInputStream(file); DataInputStream in = new DataInputStream(is)) {
            int w = in.readInt();
            int h = in.readInt();
            int d = in.readInt();
            return decode(in.readAllBytes(), w, h, d);
        } catch (IllegalArgumentException e) {
            throw new IOException("corrupt mask file " + file + ": " + e.getMessage(), e);
        }
    }

    private static void writeVarint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    private static long readVarint(byte[] b, int[] cursor) {
        long result = 0;
        int shift = 0;
        while (true) {
            if (cursor[0] >= b.length) {
                throw new IllegalArgumentException("truncated varint at end of " + b.length + " bytes");
            }
            int x = b[cursor[0]++] & 0xFF;
            result |= (long) (x & 0x7F) << shift;
            if ((x & 0x80) == 0) {
                return result;
            }
            shift += 7;
            if (shift > 35) {
                throw new IllegalArgumentException("varint too long at byte " + cursor[0]);
            }
        }
    }
}
