package org.radstream.workers;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.radstream.avro.SeriesComplete;
import org.radstream.avro.TaskSliceEvent;
import org.radstream.avro.WindowedPlane;
import org.radstream.avro.WindowedSlice;

/** Builds task-topic records from HU arrays, windowed exactly as the stream processors do. */
final class Scans {
    static final double SPACING = 0.8;
    static final double SLICE_STEP = 2.5;

    private Scans() {}

    /** Axial slice {@code z} of a series: position (0, 0, z × 2.5 mm), 0.8 mm pixels, 16-bit planes. */
    static WindowedSlice slice(TaskGroup group, String seriesUid, int instance, int z, float[] hu, int w, int h) {
        List<WindowedPlane> planes = new ArrayList<>();
        if (group == TaskGroup.CHEST) {
            planes.add(plane("lung", -1200, 600, hu));
        } else {
            planes.add(plane("liver", -150, 250, hu));
            planes.add(plane("vessel", -150, 150, hu));
        }
        return WindowedSlice.newBuilder()
                .setTask(group.id())
                .setPatientId("P-" + seriesUid)
                .setStudyUid("1.2.3." + seriesUid)
                .setSeriesUid(seriesUid)
                .setSopInstanceUid(seriesUid + "." + instance)
                .setSopClassUid("1.2.840.10008.5.1.4.1.1.2")
                .setFrameOfReferenceUid("1.2.3." + seriesUid + ".9")
                .setAccessionNumber("A" + instance)
                .setAcquisitionTime(Instant.parse("2024-03-01T10:00:00Z"))
                .setInstanceNumber(instance)
                .setRows(h)
                .setColumns(w)
                .setPixelSpacingRow(SPACING)
                .setPixelSpacingColumn(SPACING)
                .setSliceThickness(2.0)
                .setImagePositionPatient(List.of(0.0, 0.0, z * SLICE_STEP))
                .setImageOrientationPatient(List.of(1.0, 0.0, 0.0, 0.0, 1.0, 0.0))
                .setWindows(planes)
                .build();
    }

    static WindowedPlane plane(String name, double low, double high, float[] hu) {
        ByteBuffer b = ByteBuffer.allocate(hu.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : hu) {
            double clipped = Math.max(low, Math.min(high, v));
            b.putShort((short) Math.round((clipped - low) / (high - low) * 65535));
        }
        b.flip();
        return WindowedPlane.newBuilder().setName(name).setLowHu(low).setHighHu(high).setBits(16).setValues(b).build();
    }

    static SeriesComplete marker(String seriesUid, int count) {
        return SeriesComplete.newBuilder()
                .setSeriesUid(seriesUid)
                .setStudyUid("1.2.3." + seriesUid)
                .setPatientId("P-" + seriesUid)
                .setModality("CT")
                .setInstanceCount(count)
                .setCompletedAt(Instant.parse("2024-03-01T10:01:00Z"))
                .build();
    }

    static TaskSliceEvent event(WindowedSlice s) {
        return TaskSliceEvent.newBuilder().setSeriesUid(s.getSeriesUid()).setBody(s).build();
    }

    static TaskSliceEvent event(SeriesComplete m) {
        return TaskSliceEvent.newBuilder().setSeriesUid(m.getSeriesUid()).setBody(m).build();
    }

    /**
     * A tiny chest: body (40 HU) filling the image except a 2-pixel air border, two lungs (-860 HU)
     * as boxes on every slice, a ground-glass lesion (-500 HU) inside the left lung on the middle
     * slices, and a speck of gas (-1000 HU, 2×2) low in the body outside the lungs.
     */
    static float[][] chest(int w, int h, int depth) {
        float[][] out = new float[depth][w * h];
        for (int z = 0; z < depth; z++) {
            float[] s = out[z];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    float v = -1000;
                    if (x >= 2 && y >= 2 && x < w - 2 && y < h - 2) {
                        v = 40;
                    }
                    if (inLeftLung(x, y, w, h) || inRightLung(x, y, w, h)) {
                        v = -860;
                    }
                    if (inLesion(x, y, z, w, h, depth)) {
                        v = -500;
                    }
                    if (x >= w / 2 - 1 && x <= w / 2 && y >= h - 6 && y <= h - 5) {
                        v = -1000;
                    }
                    s[y * w + x] = v;
                }
            }
        }
        return out;
    }

    static boolean inLeftLung(int x, int y, int w, int h) {
        return x >= 4 && x < w / 2 - 2 && y >= 4 && y < h - 8;
    }

    static boolean inRightLung(int x, int y, int w, int h) {
        return x >= w / 2 + 2 && x < w - 4 && y >= 4 && y < h - 8;
    }

    static boolean inLesion(int x, int y, int z, int w, int h, int depth) {
        return z >= depth / 4 && z < depth - depth / 4 && x >= 6 && x < 10 && y >= 8 && y < 12;
    }

    /** Records of a whole chest series, slices in instance order. */
    static List<WindowedSlice> chestSlices(String uid, int w, int h, int depth) {
        float[][] hu = chest(w, h, depth);
        List<WindowedSlice> out = new ArrayList<>();
        for (int z = 0; z < depth; z++) {
            out.add(slice(TaskGroup.CHEST, uid, z + 1, z, hu[z], w, h));
        }
        return out;
    }
}
