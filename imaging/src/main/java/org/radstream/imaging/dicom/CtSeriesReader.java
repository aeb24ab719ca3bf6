package org.radstream.imaging.dicom;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.radstream.imaging.HuConversion;
import org.radstream.imaging.Volume;

/**
 * Reads a directory of single-frame CT files (one series) into an HU {@link Volume}.
 *
 * <p>Slices are ordered by ImagePositionPatient projected on the slice normal, not by file name or
 * InstanceNumber, and the z spacing is the distance between the first two positions, because
 * SliceThickness can differ from the spacing. Only axial series are accepted. PixelMed does not
 * throw on truncated files, so the PixelData length is checked.
 */
public final class CtSeriesReader {
    private CtSeriesReader() {}

    public static CtSeries read(Path dir) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".dcm")).sorted().toList();
        }
        if (files.isEmpty()) {
            throw new IOException("no .dcm files in " + dir);
        }
        List<Slice> slices = new ArrayList<>();
        for (Path f : files) {
            slices.add(readSlice(f));
        }
        slices.sort(Comparator.comparingDouble(Slice::z));
        Slice first = slices.get(0);
        int w = first.width;
        int h = first.height;
        double dz = slices.size() > 1 ? slices.get(1).z - first.z : first.thickness;
        if (!(dz > 0)) {
            throw new IOException("slices of " + dir + " share a position or lack ImagePositionPatient");
        }
        float[] hu = new float[w * h * slices.size()];
        for (int k = 0; k < slices.size(); k++) {
            Slice s = slices.get(k);
            if (s.width != w || s.height != h) {
                throw new IOException("slice " + s.file + " is " + s.width + "x" + s.height + ", expected " + w + "x" + h);
            }
            float[] v = HuConversion.toHu(s.pixels, s.signed, s.slope, s.intercept);
            System.arraycopy(v, 0, hu, k * w * h, w * h);
        }
        Volume volume = new Volume(hu, w, h, slices.size(), first.spacingX, first.spacingY, dz, first.x, first.y, first.z);
        return new CtSeries(volume, first.seriesUid, first.studyUid, first.patientId, first.bodyPart, first.acquisitionDateTime);
    }

    private record Slice(Path file, short[] pixels, int width, int height, boolean signed, double slope, double intercept,
                         double x, double y, double z, double spacingX, double spacingY, double thickness,
                         String seriesUid, String studyUid, String patientId, String bodyPart, String acquisitionDateTime) {}

    private static Slice readSlice(Path f) throws IOException {
        AttributeList list = new AttributeList();
        try {
            list.read(f.toString());
            int rows = Attribute.getSingleIntegerValueOrDefault(list, tag(0x0028, 0x0010), 0);
            int cols = Attribute.getSingleIntegerValueOrDefault(list, tag(0x0028, 0x0011), 0);
            Attribute pd = list.get(tag(0x7FE0, 0x0010));
            if (pd == null) {
                throw new IOException("no PixelData in " + f);
            }
            short[] px = pd.getShortValues();
            if (px == null || px.length < rows * cols || rows == 0) {
                throw new IOException("truncated PixelData in " + f + ": " + (px == null ? 0 : px.length) + " of " + rows * cols + " words");
            }
            double[] iop = Attribute.getDoubleValues(list, tag(0x0020, 0x0037));
            if (iop == null || iop.length != 6 || Math.abs(iop[0] - 1) > 1e-3 || Math.abs(iop[4] - 1) > 1e-3) {
                throw new IOException("only axial series (ImageOrientationPatient 1\\0\\0\\0\\1\\0) are supported: " + f);
            }
            double[] ipp = Attribute.getDoubleValues(list, tag(0x0020, 0x0032));
            double[] ps = Attribute.getDoubleValues(list, tag(0x0028, 0x0030));
            if (ipp == null || ipp.length != 3 || ps == null || ps.length != 2) {
                throw new IOException("missing ImagePositionPatient or PixelSpacing in " + f);
            }
            boolean signed = Attribute.getSingleIntegerValueOrDefault(list, tag(0x0028, 0x0103), 0) == 1;
            double slope = Attribute.getSingleDoubleValueOrDefault(list, tag(0x0028, 0x1053), 1.0);
            double intercept = Attribute.getSingleDoubleValueOrDefault(list, tag(0x0028, 0x1052), 0.0);
            double thickness = Attribute.getSingleDoubleValueOrDefault(list, tag(0x0018, 0x0050), 1.0);
            short[] exact = px.length == rows * cols ? px : java.util.Arrays.copyOf(px, rows * cols);
            return new Slice(f, exact, cols, rows, signed, slope, intercept, ipp[0], ipp[1], ipp[2], ps[1], ps[0], thickness,
                    str(list, 0x0020, 0x000E), str(list, 0x0020, 0x000D), str(list, 0x0010, 0x0020),
                    str(list, 0x0018, 0x0015), str(list, 0x0008, 0x002A));
        } catch (DicomException e) {
            throw new IOException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    private static String str(AttributeList list, int g, int e) {
        return Attribute.getSingleStringValueOrEmptyString(list, tag(g, e));
    }

    private static AttributeTag tag(int g, int e) {
        return new AttributeTag(g, e);
    }
}
