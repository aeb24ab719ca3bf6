package org.radstream.streams;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.radstream.avro.DicomSlice;
import org.radstream.avro.WindowedPlane;
import org.radstream.imaging.HuConversion;
import org.radstream.imaging.Window;

/**
 * Stored pixel values → Hounsfield units → windowed, quantised planes, through a lookup table.
 *
 * <p>A stored value has at most 2^16 distinct values, and HU conversion plus windowing depend
 * only on (bits allocated, sign, slope, intercept, window, output bits), so each combination is
 * computed once into a table and a slice costs one table read per pixel. Scanners keep slope and
 * intercept constant within a series, so a few tables serve a whole stream.
 *
 * <p>Quantisation: v = round((clip(HU) − low) / (high − low) × (2^bits − 1)); the edges are exact
 * (low → 0, high → 2^bits − 1). Not thread-safe: one instance per processor.
 */
final class SliceWindowing {
    private static final int MAX_TABLES = 32;

    private final int outputBits;
    private final Map<TableKey, Object> tables = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<TableKey, Object> eldest) {
            return size() > MAX_TABLES;
        }
    };

    SliceWindowing(int outputBits) {
        if (outputBits != 8 && outputBits != 16) {
            throw new IllegalArgumentException("output bits must be 8 or 16: " + outputBits);
        }
        this.outputBits = outputBits;
    }

    private record TableKey(int bitsAllocated, boolean signed, double slope, double intercept, Window window,
                            int outputBits) {}

    /** The windowed planes of a validated slice, one per window, in the given order. */
    List<WindowedPlane> planes(DicomSlice s, List<Window> windows) {
        ByteBuffer pixels = s.getPixels();
        int n = s.getRows() * s.getColumns();
        byte[] stored;
        int base;
        if (pixels.hasArray()) { // Avro decodes bytes into a heap buffer: read it in place, no 512 KiB copy
            stored = pixels.array();
            base = pixels.arrayOffset() + pixels.position();
        } else {
            stored = new byte[pixels.remaining()];
            pixels.duplicate().get(stored);
            base = 0;
        }
        List<WindowedPlane> out = new ArrayList<>(windows.size());
        for (Window w : windows) {
            TableKey key = new TableKey(s.getBitsAllocated(), s.getPixelRepresentation() == 1, s.getRescaleSlope(),
                    s.getRescaleIntercept(), w, outputBits);
            Object table = tables.computeIfAbsent(key, SliceWindowing::table);
            byte[] values = outputBits == 8 ? new byte[n] : new byte[2 * n];
            apply(stored, base, s.getBitsAllocated(), table, values, n);
            out.add(WindowedPlane.newBuilder().setName(w.name()).setLowHu(w.lower()).setHighHu(w.upper())
                    .setBits(outputBits).setValues(ByteBuffer.wrap(values)).build());
        }
        return out;
    }

    /** The quantised window value of one HU value (the tables are made of this). */
    static int quantise(double hu, Window w, int bits) {
        double max = (1 << bits) - 1;
        return (int) Math.round(w.apply(hu) * max);
    }

    private static void apply(byte[] stored, int base, int bitsAllocated, Object table, byte[] values, int n) {
        if (table instanceof byte[] t8) {
            if (bitsAllocated == 16) {
                for (int i = 0, j = base; i < n; i++, j += 2) {
                    values[i] = t8[(stored[j] & 0xFF) | (stored[j + 1] & 0xFF) << 8];
                }
            } else {
                for (int i = 0; i < n; i++) {
                    values[i] = t8[stored[base + i] & 0xFF];
                }
            }
        } else {
            char[] t16 = (char[]) table;
            for (int i = 0, o = 0; i < n; i++, o += 2) {
                int index = bitsAllocated == 16 ? (stored[base + 2 * i] & 0xFF) | (stored[base + 2 * i + 1] & 0xFF) << 8
                        : stored[base + i] & 0xFF;
                char v = t16[index];
                values[o] = (byte) v;
                values[o + 1] = (byte) (v >>> 8);
            }
        }
    }

    private static Object table(TableKey k) {
        int size = 1 << k.bitsAllocated();
        byte[] t8 = k.outputBits() == 8 ? new byte[size] : null;
        char[] t16 = k.outputBits() == 16 ? new char[size] : null;
        for (int raw = 0; raw < size; raw++) {
            double hu;
            if (k.bitsAllocated() == 16) {
                hu = HuConversion.toHu((short) raw, k.signed(), k.slope(), k.intercept());
            } else {
                int v = k.signed() ? (byte) raw : raw;
                hu = v * k.slope() + k.intercept();
            }
            int q = quantise(hu, k.window(), k.outputBits());
            if (t8 != null) {
                t8[raw] = (byte) q;
            } else {
                t16[raw] = (char) q;
            }
        }
        return t8 != null ? t8 : t16;
    }

    /** Checks what windowing and the workers rely on; throws with the reason otherwise. */
    static void validate(String seriesUid, DicomSlice s) {
        String where = "slice " + s.getSopInstanceUid() + " of series " + seriesUid + ": ";
        if (!seriesUid.equals(s.getSeriesUid())) {
            throw new InvalidInputException(where + "carries series UID " + s.getSeriesUid());
        }
        if (s.getRows() <= 0 || s.getColumns() <= 0) {
            throw new InvalidInputException(where + "impossible size " + s.getRows() + "x" + s.getColumns());
        }
        if (!positive(s.getPixelSpacingRow()) || !positive(s.getPixelSpacingColumn())) {
            throw new InvalidInputException(where + "impossible pixel spacing " + s.getPixelSpacingRow() + "\\"
                    + s.getPixelSpacingColumn() + " mm");
        }
        if (s.getSliceThickness() != null && !positive(s.getSliceThickness())) {
            throw new InvalidInputException(where + "impossible slice thickness " + s.getSliceThickness() + " mm");
        }
        if (s.getImageOrientationPatient().size() != 6 || !allFinite(s.getImageOrientationPatient())) {
            throw new InvalidInputException(where + "image orientation must be 6 finite values: "
                    + s.getImageOrientationPatient());
        }
        if (s.getImagePositionPatient().size() != 3 || !allFinite(s.getImagePositionPatient())) {
            throw new InvalidInputException(where + "image position must be 3 finite values: "
                    + s.getImagePositionPatient());
        }
        if (s.getBitsAllocated() != 8 && s.getBitsAllocated() != 16) {
            throw new InvalidInputException(where + "bits allocated " + s.getBitsAllocated() + " (8 or 16)");
        }
        if (s.getPixelRepresentation() != 0 && s.getPixelRepresentation() != 1) {
            throw new InvalidInputException(where + "pixel representation " + s.getPixelRepresentation() + " (0 or 1)");
        }
        if (!Double.isFinite(s.getRescaleSlope()) || s.getRescaleSlope() == 0 || !Double.isFinite(s.getRescaleIntercept())) {
            throw new InvalidInputException(where + "rescale slope/intercept " + s.getRescaleSlope() + "/"
                    + s.getRescaleIntercept());
        }
        long expected = (long) s.getRows() * s.getColumns() * (s.getBitsAllocated() / 8);
        if (s.getPixels().remaining() != expected) {
            throw new InvalidInputException(where + "pixel data has " + s.getPixels().remaining() + " bytes, "
                    + s.getRows() + "x" + s.getColumns() + "x" + s.getBitsAllocated() + " bits needs " + expected);
        }
    }

    private static boolean positive(double v) {
        return Double.isFinite(v) && v > 0;
    }

    private static boolean allFinite(List<Double> values) {
        for (Double v : values) {
            if (v == null || !Double.isFinite(v)) {
                return false;
            }
        }
        return true;
    }
}
