package org.radstream.imaging.dicom;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.LongStringAttribute;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.ShortStringAttribute;
import com.pixelmed.dicom.UnsignedShortAttribute;
import java.util.Locale;

/** Building PixelMed attribute lists: what the DICOM writers here share. */
final class DicomAttributes {
    private DicomAttributes() {}

    static AttributeTag tag(int group, int element) {
        return new AttributeTag(group, element);
    }

    static void put(AttributeList list, Attribute a, String... values) throws DicomException {
        for (String v : values) {
            a.addValue(v);
        }
        list.put(a);
    }

    static void putUs(AttributeList list, AttributeTag t, int value) throws DicomException {
        Attribute a = new UnsignedShortAttribute(t);
        a.addValue(value);
        list.put(a);
    }

    /** A code sequence item: CodeValue, CodingSchemeDesignator, CodeMeaning. */
    static AttributeList code(String value, String scheme, String meaning) throws DicomException {
        AttributeList item = new AttributeList();
        put(item, new ShortStringAttribute(tag(0x0008, 0x0100)), value);
        put(item, new ShortStringAttribute(tag(0x0008, 0x0102)), scheme);
        put(item, new LongStringAttribute(tag(0x0008, 0x0104)), meaning);
        return item;
    }

    static SequenceAttribute sequence(AttributeTag t, AttributeList... items) {
        SequenceAttribute s = new SequenceAttribute(t);
        for (AttributeList item : items) {
            s.addItem(item);
        }
        return s;
    }

    /** A Decimal String of at most 16 characters. */
    static String ds(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e12) {
            return Long.toString((long) v);
        }
        String s = String.format(Locale.ROOT, "%.6f", v);
        s = s.replaceAll("0+$", "");
        if (s.endsWith(".")) {
            s = s.substring(0, s.length() - 1);
        }
        return s.length() > 16 ? s.substring(0, 16) : s;
    }
}
