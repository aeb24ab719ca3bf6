package org.radstream.trainer;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.radstream.avro.SeriesComplete;
import org.radstream.avro.TaskSliceEvent;
import org.radstream.avro.WindowedPlane;
import org.radstream.avro.WindowedSlice;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Window;

/** Task-topic events of small synthetic series: a bright disk (the "organ") on a dark background. */
final class Fixtures {
    static final String PATIENT_ID = "PAT-0042-SECRET";
    static final String PATIENT_NAME = "Doe^Jane";
    static final String ACCESSION = "ACC-777";

    private Fixtures() {}

    /** Slices in reverse order (the collector must sort them), then the marker. */
    static List<TaskSliceEvent> series(String uid, String group, int size, int depth) {
        Window w = group.equals("chest") ? Window.LUNG : Window.LIVER;
        List<TaskSliceEvent> out = new ArrayList<>();
        for (int z = depth - 1; z >= 0; z--) {
            byte[] values = new byte[size * size];
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    values[y * size + x] = (byte) (inDisk(x, y, z, size) ? 200 : 30);
                }
            }
            WindowedSlice s = WindowedSlice.newBuilder()
                    .setTask(group).setPatientId(PATIENT_ID).setPatientName(PATIENT_NAME).setStudyUid(uid + ".0")
                    .setSeriesUid(uid).setSopInstanceUid(uid + "." + (z + 1)).setAccessionNumber(ACCESSION)
                    .setAcquisitionTime(Instant.parse("2024-03-01T08:00:00Z")).setInstanceNumber(z + 1)
                    .setRows(size).setColumns(size).setPixelSpacingRow(0.8).setPixelSpacingColumn(0.7).setSliceThickness(2.5)
                    .setImagePositionPatient(List.of(0.0, 0.0, 2.5 * z))
                    .setImageOrientationPatient(List.of(1.0, 0.0, 0.0, 0.0, 1.0, 0.0))
                    .setWindows(List.of(WindowedPlane.newBuilder().setName(w.name()).setLowHu(w.lower())
                            .setHighHu(w.upper()).setBits(8).setValues(ByteBuffer.wrap(values)).build()))
                    .build();
            out.add(TaskSliceEvent.newBuilder().setSeriesUid(uid).setBody(s).build());
        }
        out.add(TaskSliceEvent.newBuilder().setSeriesUid(uid).setBody(SeriesComplete.newBuilder()
                .setSeriesUid(uid).setStudyUid(uid + ".0").setPatientId(PATIENT_ID).setModality("CT")
                .setBodyPartExamined(group.equals("chest") ? "CHEST" : "ABDOMEN").setInstanceCount(depth)
                .setCompletedAt(Instant.now()).setTask(group).build()).build());
        return out;
    }

    static boolean inDisk(int x, int y, int z, int size) {
        double cx = size * (0.4 + 0.02 * z);
        double cy = size * 0.5;
        double r = size * 0.25;
        return (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r;
    }

    /** The exact mask of the disks of {@link #series}. */
    static Mask3D truth(int size, int depth) {
        Mask3D m = new Mask3D(size, size, depth);
        for (int z = 0; z < depth; z++) {
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    m.set(x, y, z, inDisk(x, y, z, size));
                }
            }
        }
        return m;
    }

    static ArchivedSeries assemble(String uid, String group, int size, int depth) {
        SeriesCollector c = new SeriesCollector(Deidentifier.of("a-test-secret-of-32-characters!!"));
        ArchivedSeries result = null;
        for (TaskSliceEvent e : series(uid, group, size, depth)) {
            result = c.accept(e).orElse(result);
        }
        return result;
    }
}
