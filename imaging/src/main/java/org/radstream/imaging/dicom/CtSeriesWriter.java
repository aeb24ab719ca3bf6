package org.radstream.imaging.dicom;

import static org.radstream.imaging.dicom.DicomAttributes.ds;
import static org.radstream.imaging.dicom.DicomAttributes.put;
import static org.radstream.imaging.dicom.DicomAttributes.putUs;
import static org.radstream.imaging.dicom.DicomAttributes.tag;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.CodeStringAttribute;
import com.pixelmed.dicom.DateAttribute;
import com.pixelmed.dicom.DateTimeAttribute;
import com.pixelmed.dicom.DecimalStringAttribute;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.IntegerStringAttribute;
import com.pixelmed.dicom.LongStringAttribute;
import com.pixelmed.dicom.OtherWordAttribute;
import com.pixelmed.dicom.PersonNameAttribute;
import com.pixelmed.dicom.SOPClass;
import com.pixelmed.dicom.ShortStringAttribute;
import com.pixelmed.dicom.TimeAttribute;
import com.pixelmed.dicom.TransferSyntax;
import com.pixelmed.dicom.UniqueIdentifierAttribute;
import com.pixelmed.dicom.UnsignedShortAttribute;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.random.RandomGenerator;
import org.radstream.imaging.HuConversion;
import org.radstream.imaging.Volume;

/**
 * Writes a {@link Volume} as a single-frame CT Image Storage series (explicit VR little endian),
 * one file per slice, with consistent geometry: axial ImageOrientationPatient 1\0\0\0\1\0,
 * ImagePositionPatient = origin + k × spacingZ along z, SliceLocation = that z, PixelSpacing
 * row\column = spacingY\spacingX, SpacingBetweenSlices = spacingZ. The attribute set is what
 * dciodvfy requires of the CT Image IOD (Type 2 attributes present, possibly empty).
 *
 * <p>HU are rounded to the storage's integer steps; with slope 1 a volume of integer HU reads back
 * exactly.
 */
public final class CtSeriesWriter {
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyyMMdd", Locale.ROOT);
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HHmmss.SSS", Locale.ROOT);
    private static final DateTimeFormatter DATETIME = DateTimeFormatter.ofPattern("yyyyMMddHHmmss.SSS", Locale.ROOT);

    private CtSeriesWriter() {}

    /**
     * Writes one file per slice into {@code dir} (created if missing), named {@code IM00001.dcm}...
     * in slice order, SOP instance UIDs drawn from {@code uidSource}.
     *
     * @return the files written, in slice order
     */
    public static List<Path> write(Volume volume, SeriesHeader header, Path dir, RandomGenerator uidSource) throws IOException {
        Files.createDirectories(dir);
        List<Path> files = new ArrayList<>(volume.depth());
        int w = volume.width();
        int h = volume.height();
        float[] hu = volume.hu();
        PixelStorage st = header.storage();
        var t = header.acquisition().atOffset(ZoneOffset.UTC);
        try {
            for (int z = 0; z < volume.depth(); z++) {
                AttributeList list = new AttributeList();
                double posZ = volume.originZ() + z * volume.spacingZ();
                String sop = Uids.next(uidSource);
                put(list, new UniqueIdentifierAttribute(tag(0x0008, 0x0016)), SOPClass.CTImageStorage);
                put(list, new UniqueIdentifierAttribute(tag(0x0008, 0x0018)), sop);
                put(list, new CodeStringAttribute(tag(0x0008, 0x0008)), "ORIGINAL", "PRIMARY", "AXIAL");
                put(list, new CodeStringAttribute(tag(0x0008, 0x0005)), "ISO_IR 100");
                put(list, new DateAttribute(tag(0x0008, 0x0020)), DATE.format(t));
                put(list, new TimeAttribute(tag(0x0008, 0x0030)), TIME.format(t));
                put(list, new DateAttribute(tag(0x0008, 0x0022)), DATE.format(t));
                put(list, new TimeAttribute(tag(0x0008, 0x0032)), TIME.format(t));
                put(list, new DateTimeAttribute(tag(0x0008, 0x002A)), DATETIME.format(t));
                put(list, new ShortStringAttribute(tag(0x0008, 0x0201)), "+0000");
                put(list, new ShortStringAttribute(tag(0x0008, 0x0050)), header.accessionNumber());
                put(list, new CodeStringAttribute(tag(0x0008, 0x0060)), "CT");
                put(list, new LongStringAttribute(tag(0x0008, 0x0070)), "radstream synthetic");
                put(list, new PersonNameAttribute(tag(0x0008, 0x0090)));
                put(list, new LongStringAttribute(tag(0x0008, 0x103E)), header.seriesDescription());
                put(list, new PersonNameAttribute(tag(0x0010, 0x0010)), header.patientName());
                put(list, new LongStringAttribute(tag(0x0010, 0x0020)), header.patientId());
                put(list, new DateAttribute(tag(0x0010, 0x0030)));
                put(list, new CodeStringAttribute(tag(0x0010, 0x0040)));
                put(list, new CodeStringAttribute(tag(0x0018, 0x0015)), header.bodyPartExamined());
                put(list, new DecimalStringAttribute(tag(0x0018, 0x0050)), ds(header.sliceThickness()));
                put(list, new DecimalStringAttribute(tag(0x0018, 0x0060)), "120");
                put(list, new DecimalStringAttribute(tag(0x0018, 0x0088)), ds(volume.spacingZ()));
                put(list, new CodeStringAttribute(tag(0x0018, 0x5100)), "HFS");
                put(list, new UniqueIdentifierAttribute(tag(0x0020, 0x000D)), header.studyInstanceUid());
                put(list, new UniqueIdentifierAttribute(tag(0x0020, 0x000E)), header.seriesInstanceUid());
                put(list, new ShortStringAttribute(tag(0x0020, 0x0010)), "1");
                put(list, new IntegerStringAttribute(tag(0x0020, 0x0011)), Integer.toString(header.seriesNumber()));
                put(list, new IntegerStringAttribute(tag(0x0020, 0x0012)), "1");
                put(list, new IntegerStringAttribute(tag(0x0020, 0x0013)), Integer.toString(z + 1));
                put(list, new DecimalStringAttribute(tag(0x0020, 0x0032)),
                        ds(volume.originX()), ds(volume.originY()), ds(posZ));
                put(list, new DecimalStringAttribute(tag(0x0020, 0x0037)), "1", "0", "0", "0", "1", "0");
                put(list, new UniqueIdentifierAttribute(tag(0x0020, 0x0052)), header.frameOfReferenceUid());
                put(list, new LongStringAttribute(tag(0x0020, 0x1040)));
                put(list, new DecimalStringAttribute(tag(0x0020, 0x1041)), ds(posZ));
                putUs(list, tag(0x0028, 0x0002), 1);
                put(list, new CodeStringAttribute(tag(0x0028, 0x0004)), "MONOCHROME2");
                putUs(list, tag(0x0028, 0x0010), h);
                putUs(list, tag(0x0028, 0x0011), w);
                put(list, new DecimalStringAttribute(tag(0x0028, 0x0030)), ds(volume.spacingY()), ds(volume.spacingX()));
                putUs(list, tag(0x0028, 0x0100), 16);
                putUs(list, tag(0x0028, 0x0101), st.bitsStored());
                putUs(list, tag(0x0028, 0x0102), st.bitsStored() - 1);
                putUs(list, tag(0x0028, 0x0103), st.signed() ? 1 : 0);
                put(list, new DecimalStringAttribute(tag(0x0028, 0x1050)), "-600");
                put(list, new DecimalStringAttribute(tag(0x0028, 0x1051)), "1500");
                put(list, new DecimalStringAttribute(tag(0x0028, 0x1052)), ds(st.intercept()));
                put(list, new DecimalStringAttribute(tag(0x0028, 0x1053)), ds(st.slope()));
                put(list, new LongStringAttribute(tag(0x0028, 0x1054)), "HU");
                short[] px = new short[w * h];
                int base = z * w * h;
                for (int i = 0; i < px.length; i++) {
                    px[i] = HuConversion.toStored(hu[base + i], st.signed(), st.bitsStored(), st.slope(), st.intercept());
                }
                OtherWordAttribute pixels = new OtherWordAttribute(tag(0x7FE0, 0x0010));
                pixels.setValues(px);
                list.put(pixels);
                FileMetaInformation.addFileMetaInformation(list, TransferSyntax.ExplicitVRLittleEndian, "RADSTREAM");
                Path file = dir.resolve(String.format(Locale.ROOT, "IM%05d.dcm", z + 1));
                list.write(new File(file.toString()), TransferSyntax.ExplicitVRLittleEndian, true, true);
                files.add(file);
            }
        } catch (DicomException e) {
            throw new IOException("cannot build DICOM for series " + header.seriesInstanceUid() + ": " + e.getMessage(), e);
        }
        return files;
    }
}
