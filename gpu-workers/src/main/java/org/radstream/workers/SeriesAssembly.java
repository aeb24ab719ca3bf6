package org.radstream.workers;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.radstream.avro.SeriesComplete;
import org.radstream.avro.WindowedPlane;
import org.radstream.avro.WindowedSlice;

/**
 * Turns the buffered slices of a series into an {@link AssembledSeries} when its marker arrives:
 * de-duplicates re-sent instances (by SOP instance UID, the later one wins), checks the count
 * against the marker, checks that every slice has the same size and windows, sorts along the
 * slice normal and measures the spacing between slice centres.
 */
final class SeriesAssembly {

    private SeriesAssembly() {}

    static AssembledSeries assemble(String seriesUid, List<SeriesBuffer.BufferedSlice> buffered,
            SeriesComplete marker) throws PoisonedSeriesException {
        List<WindowedSlice> slices = distinct(buffered);
        if (slices.size() != marker.getInstanceCount()) {
            throw new PoisonedSeriesException("slice count mismatch: marker says " + marker.getInstanceCount()
                    + " instances, received " + slices.size() + " distinct SOP instances");
        }
        if (slices.isEmpty()) {
            throw new PoisonedSeriesException("series has no slices");
        }
        checkConsistent(slices);
        sort(slices);
        WindowedSlice first = slices.get(0);
        return new AssembledSeries(seriesUid, List.copyOf(slices), first.getColumns(), first.getRows(),
                first.getPixelSpacingColumn(), first.getPixelSpacingRow(), sliceSpacing(slices));
    }

    /**
     * The slices received so far, de-duplicated, checked and sorted as {@link #assemble} does, for
     * work that starts before the marker; the slice spacing is not measured (1 mm). Throws when
     * they are inconsistent, which completion will report.
     */
    static AssembledSeries partial(String seriesUid, List<SeriesBuffer.BufferedSlice> buffered)
            throws PoisonedSeriesException {
        List<WindowedSlice> slices = distinct(buffered);
        if (slices.isEmpty()) {
            throw new PoisonedSeriesException("series has no slices");
        }
        checkConsistent(slices);
        sort(slices);
        WindowedSlice first = slices.get(0);
        return new AssembledSeries(seriesUid, List.copyOf(slices), first.getColumns(), first.getRows(),
                first.getPixelSpacingColumn(), first.getPixelSpacingRow(), 1.0);
    }

    /** One slice per SOP instance UID, the later one winning, in arrival order. */
    private static List<WindowedSlice> distinct(List<SeriesBuffer.BufferedSlice> buffered) {
        Map<String, WindowedSlice> bySop = new LinkedHashMap<>();
        for (SeriesBuffer.BufferedSlice b : buffered) {
            bySop.put(b.slice().getSopInstanceUid(), b.slice());
        }
        return new ArrayList<>(bySop.values());
    }

    /** Every slice the same rows, columns, pixel spacing and windows, and every plane the right length. */
    static void checkConsistent(List<WindowedSlice> slices) throws PoisonedSeriesException {
        WindowedSlice first = slices.get(0);
        Set<String> windows = windowNames(first);
        if (windows.isEmpty()) {
            throw new PoisonedSeriesException("slice " + first.getSopInstanceUid() + " carries no windowed plane");
        }
        for (WindowedSlice s : slices) {
            if (s.getRows() != first.getRows() || s.getColumns() != first.getColumns()) {
                throw new PoisonedSeriesException("inconsistent slice sizes: " + first.getSopInstanceUid() + " is "
                        + first.getColumns() + "x" + first.getRows() + ", " + s.getSopInstanceUid() + " is "
                        + s.getColumns() + "x" + s.getRows());
            }
            if (s.getRows() <= 0 || s.getColumns() <= 0) {
                throw new PoisonedSeriesException("slice " + s.getSopInstanceUid() + " has no pixels ("
                        + s.getColumns() + "x" + s.getRows() + ")");
            }
            if (s.getPixelSpacingRow() != first.getPixelSpacingRow()
                    || s.getPixelSpacingColumn() != first.getPixelSpacingColumn()
                    || !(s.getPixelSpacingRow() > 0 && s.getPixelSpacingColumn() > 0)) {
                throw new PoisonedSeriesException("inconsistent pixel spacing: " + s.getSopInstanceUid() + " has "
                        + s.getPixelSpacingRow() + "/" + s.getPixelSpacingColumn() + ", first slice "
                        + first.getPixelSpacingRow() + "/" + first.getPixelSpacingColumn());
            }
            if (!windowNames(s).equals(windows)) {
                throw new PoisonedSeriesException("inconsistent windows: " + s.getSopInstanceUid() + " has "
                        + windowNames(s) + ", first slice " + windows);
            }
            long pixels = (long) s.getRows() * s.getColumns();
            for (WindowedPlane p : s.getWindows()) {
                if (p.getBits() != 8 && p.getBits() != 16) {
                    throw new PoisonedSeriesException("plane " + p.getName() + " of " + s.getSopInstanceUid()
                            + " has " + p.getBits() + " bits (8 or 16)");
                }
                long expected = pixels * (p.getBits() / 8);
                if (p.getValues().remaining() != expected) {
                    throw new PoisonedSeriesException("plane " + p.getName() + " of " + s.getSopInstanceUid()
                            + " has " + p.getValues().remaining() + " bytes, " + s.getColumns() + "x" + s.getRows()
                            + "x" + p.getBits() + " bits needs " + expected);
                }
                if (!(p.getHighHu() > p.getLowHu())) {
                    throw new PoisonedSeriesException("plane " + p.getName() + " of " + s.getSopInstanceUid()
                            + " has an empty window [" + p.getLowHu() + ", " + p.getHighHu() + "]");
                }
            }
        }
    }

    /**
     * Sorts by position along the slice normal (ImagePositionPatient · (row × column direction));
     * when any slice lacks a usable position or orientation, by InstanceNumber. Ties go by
     * InstanceNumber, so the order is total and deterministic.
     */
    static void sort(List<WindowedSlice> slices) {
        double[] normal = normal(slices.get(0));
        boolean byPosition = normal != null && slices.stream().allMatch(s -> s.getImagePositionPatient().size() == 3);
        Comparator<WindowedSlice> byInstance = Comparator.comparingInt(WindowedSlice::getInstanceNumber);
        if (byPosition) {
            slices.sort(Comparator.<WindowedSlice>comparingDouble(s -> along(s, normal)).thenComparing(byInstance));
        } else {
            slices.sort(byInstance);
        }
    }

    /**
     * Distance between slice centres: the median step along the normal between neighbours; the
     * SliceThickness for a single slice or when positions are missing or coincide.
     */
    static double sliceSpacing(List<WindowedSlice> sorted) throws PoisonedSeriesException {
        double[] normal = normal(sorted.get(0));
        if (sorted.size() > 1 && normal != null
                && sorted.stream().allMatch(s -> s.getImagePositionPatient().size() == 3)) {
            double[] steps = new double[sorted.size() - 1];
            for (int i = 1; i < sorted.size(); i++) {
                steps[i - 1] = Math.abs(along(sorted.get(i), normal) - along(sorted.get(i - 1), normal));
            }
            Arrays.sort(steps);
            double median = steps[steps.length / 2];
            if (median > 1e-6) {
                return median;
            }
        }
        Double thickness = sorted.get(0).getSliceThickness();
        if (thickness != null && thickness > 0) {
            return thickness;
        }
        throw new PoisonedSeriesException("cannot determine the slice spacing: no distinct positions along the"
                + " normal and no SliceThickness");
    }

    /** Unit normal of the slice plane, or null when the orientation is missing or degenerate. */
    static double[] normal(WindowedSlice s) {
        List<Double> o = s.getImageOrientationPatient();
        if (o.size() != 6) {
            return null;
        }
        double rx = o.get(0), ry = o.get(1), rz = o.get(2);
        double cx = o.get(3), cy = o.get(4), cz = o.get(5);
        double nx = ry * cz - rz * cy;
        double ny = rz * cx - rx * cz;
        double nz = rx * cy - ry * cx;
        double len = Math.sqrt(nx * nx + ny * ny + nz * nz);
        if (!(len > 1e-6)) {
            return null;
        }
        return new double[] {nx / len, ny / len, nz / len};
    }

    private static double along(WindowedSlice s, double[] normal) {
        List<Double> p = s.getImagePositionPatient();
        return p.get(0) * normal[0] + p.get(1) * normal[1] + p.get(2) * normal[2];
    }

    private static Set<String> windowNames(WindowedSlice s) {
        Set<String> names = new TreeSet<>();
        for (WindowedPlane p : s.getWindows()) {
            names.add(p.getName());
        }
        return names;
    }
}
