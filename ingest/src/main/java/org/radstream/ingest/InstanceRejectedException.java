package org.radstream.ingest;

/**
 * Why an instance cannot become a slice, with the DIMSE status the sender gets. Whatever of the
 * instance's identity could be read travels along for the dead letter.
 */
public final class InstanceRejectedException extends Exception {
    private final int status;
    private final String sopInstanceUid;
    private final String seriesUid;
    private final String transferSyntaxUid;

    public InstanceRejectedException(int status, String reason, String sopInstanceUid, String seriesUid,
                                     String transferSyntaxUid) {
        super(reason);
        this.status = status;
        this.sopInstanceUid = sopInstanceUid;
        this.seriesUid = seriesUid;
        this.transferSyntaxUid = transferSyntaxUid;
    }

    public int status() { return status; }

    public String reason() { return getMessage(); }

    /** May be null (unreadable input). */
    public String sopInstanceUid() { return sopInstanceUid; }

    /** May be null. */
    public String seriesUid() { return seriesUid; }

    /** May be null. */
    public String transferSyntaxUid() { return transferSyntaxUid; }
}
