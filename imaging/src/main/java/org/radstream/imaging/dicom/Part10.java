package org.radstream.imaging.dicom;

/** The DICOM file format (PS3.10) as far as telling a file from anything else goes. */
public final class Part10 {
    private Part10() {}

    /**
     * Whether the bytes begin as a DICOM file: "DICM" after the 128-byte preamble. Checked before a
     * parser reads lengths from what may be garbage.
     */
    public static boolean is(byte[] file) {
        return file.length >= 132 && file[128] == 'D' && file[129] == 'I' && file[130] == 'C' && file[131] == 'M';
    }
}
