package org.radstream.ingest;

/**
 * The C-STORE response statuses radstream answers (PS3.4 Annex B.2.3, PS3.7 Annex C), also used as
 * FailureReason (0008,1197) of STOW-RS. Failures in the Axxx "refused" range tell the sender to
 * retry later; Cxxx "cannot understand" and A9xx "does not match" tell it the instance itself is wrong.
 */
public final class DimseStatus {
    /** Stored: the slice is acknowledged by Kafka, or it was a duplicate of one that is. */
    public static final int SUCCESS = 0x0000;
    /** Refused, out of resources: Kafka (or the schema registry) did not acknowledge in time; retry. */
    public static final int OUT_OF_RESOURCES = 0xA700;
    /** Error, data set does not match SOP class: not CT, a required attribute missing or invalid. */
    public static final int DATA_SET_DOES_NOT_MATCH = 0xA900;
    /** Error, cannot understand: not DICOM, unreadable, truncated. */
    public static final int CANNOT_UNDERSTAND = 0xC000;
    /** Error, cannot understand: a transfer syntax whose pixel data radstream cannot decode. */
    public static final int UNSUPPORTED_TRANSFER_SYNTAX = 0xC001;
    /** Error, cannot understand: pixel data missing or not Rows × Columns × BitsAllocated/8 bytes. */
    public static final int BAD_PIXEL_DATA = 0xC002;
    /** Processing failure: an unexpected error inside radstream. */
    public static final int PROCESSING_FAILURE = 0x0110;
    /** Refused: SOP class not supported (for this caller: a correction from an AE not named to send them). */
    public static final int SOP_CLASS_NOT_SUPPORTED = 0x0122;

    private DimseStatus() {}

    /** {@code 0xA700} style, for logs and reasons. */
    public static String hex(int status) {
        return String.format("0x%04X", status);
    }
}
