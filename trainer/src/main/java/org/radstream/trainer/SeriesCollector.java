package org.radstream.trainer;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.radstream.avro.SeriesComplete;
import org.radstream.avro.TaskSliceEvent;
import org.radstream.avro.WindowedPlane;
import org.radstream.avro.WindowedSlice;

/**
 * Gathers the windowed slices of each series from a task topic until its series-complete marker,
 * then turns them into one de-identified {@link ArchivedSeries}: slices sorted along the patient
 * axis (projection of ImagePositionPatient on the slice normal), duplicates (same SOP instance UID)
 * kept once, the patient id replaced by its keyed hash and the patient name and accession number
 * dropped. Not thread-safe: one consumer thread owns it.
 */
final class SeriesCollector {
    private final Deidentifier deidentifier;
    private final Map<String, Map<String, WindowedSlice>> open = new HashMap<>();

    SeriesCollector(Deidentifier deidentifier) {
        this.deidentifier = deidentifier;
    }

    /** Adds one event; returns the assembled series when the event completes it. */
    Optional<ArchivedSeries> accept(TaskSliceEvent event) {
        Object body = event.getBody();
        String uid = event.getSeriesUid().toString();
        if (body instanceof WindowedSlice slice) {
            open.computeIfAbsent(uid, k -> new LinkedHashMap<>()).put(slice.getSopInstanceUid().toString(), slice);
            return Optional.empty();
        }
        if (body instanceof SeriesComplete complete) {
            Map<String, WindowedSlice> slices = open.remove(uid);
            if (slices == null || slices.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(assemble(uid, complete, new ArrayList<>(slices.values())));
        }
        throw new IllegalArgumentException("unexpected task event body " + (body == null ? null : body.getClass()));
    }

    /** Drops the slices collected of {@code seriesUid} (its partition went to another consumer, which reads them again). */
    void drop(String seriesUid) {
        open.remove(seriesUid);
    }

    /** Series with slices but no marker yet. */
    int openSeries() {
        return open.size();
    }

    ArchivedSeries assemble(String seriesUid, SeriesComplete complete, List<WindowedSlice> slices) {
        WindowedSlice first = slices.get(0);
        double[] normal = normal(first.getImageOrientationPatient());
        slices.sort(Comparator.comparingDouble((WindowedSlice s) -> position(s, normal))
                .thenComparingInt(WindowedSlice::getInstanceNumber));
        int w = first.getColumns();
        int h = first.getRows();
        int d = slices.size();
        List<ArchivedSeries.Plane> planes = new ArrayList<>();
        Map<String, byte[][]> data = new LinkedHashMap<>();
        for (WindowedPlane p : first.getWindows()) {
            planes.add(new ArchivedSeries.Plane(p.getName().toString(), p.getLowHu(), p.getHighHu(), p.getBits()));
            data.put(p.getName().toString(), new byte[d][]);
        }
        for (int z = 0; z < d; z++) {
            WindowedSlice s = slices.get(z);
            if (s.getColumns() != w || s.getRows() != h) {
                throw new IllegalArgumentException("series " + seriesUid + ": slice " + s.getSopInstanceUid() + " is "
                        + s.getColumns() + "×" + s.getRows() + ", the first is " + w + "×" + h);
            }
            for (WindowedPlane p : s.getWindows()) {
                byte[][] target = data.get(p.getName().toString());
                if (target != null) {
                    target[z] = bytes(p.getValues());
                }
            }
        }
        for (ArchivedSeries.Plane p : planes) {
            byte[][] slicesOfPlane = data.get(p.name());
            for (int z = 0; z < d; z++) {
                if (slicesOfPlane[z] == null) {
                    throw new IllegalArgumentException("series " + seriesUid + ": slice " + z + " lacks plane " + p.name());
                }
            }
        }
        double spacingZ = d > 1
                ? Math.abs(position(slices.get(d - 1), normal) - position(first, normal)) / (d - 1)
                : (first.getSliceThickness() == null ? 1.0 : first.getSliceThickness());
        if (!(spacingZ > 0)) {
            spacingZ = first.getSliceThickness() == null ? 1.0 : first.getSliceThickness();
        }
        String patient = complete.getPatientId() != null ? complete.getPatientId().toString()
                : first.getPatientId().toString();
        ArchivedSeries.Header header = new ArchivedSeries.Header(ImageArchive.FORMAT, seriesUid,
                first.getStudyUid().toString(), deidentifier.pseudonym(patient), String.valueOf(first.getTask()),
                first.getAcquisitionTime().toEpochMilli(), w, h, d,
                first.getPixelSpacingColumn(), first.getPixelSpacingRow(), spacingZ, planes);
        return new ArchivedSeries(header, data);
    }

    private static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer b = buffer.duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    private static double[] normal(List<Double> orientation) {
        if (orientation == null || orientation.size() != 6) {
            return new double[] {0, 0, 1};
        }
        double[] r = {orientation.get(0), orientation.get(1), orientation.get(2)};
        double[] c = {orientation.get(3), orientation.get(4), orientation.get(5)};
        double[] n = {r[1] * c[2] - r[2] * c[1], r[2] * c[0] - r[0] * c[2], r[0] * c[1] - r[1] * c[0]};
        double len = Math.sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
        return len == 0 ? new double[] {0, 0, 1} : new double[] {n[0] / len, n[1] / len, n[2] / len};
    }

    private static double position(WindowedSlice s, double[] normal) {
        List<Double> p = s.getImagePositionPatient();
        if (p == null || p.size() != 3) {
            return s.getInstanceNumber();
        }
        return p.get(0) * normal[0] + p.get(1) * normal[1] + p.get(2) * normal[2];
    }
}
