package org.radstream.ingest;

/**
 * What the sender of one instance is told: a DIMSE status (0 = stored, also for a duplicate of a
 * stored instance) and, for failures, why. UIDs and the patient id are those that could be read
 * (null for garbage); the audit trail names them.
 */
public record Outcome(int status, String reason, String sopClassUid, String sopInstanceUid, String seriesUid,
                      String studyUid, boolean duplicate, String patientId) {

    /** An outcome whose patient is not known. */
    public Outcome(int status, String reason, String sopClassUid, String sopInstanceUid, String seriesUid,
                   String studyUid, boolean duplicate) {
        this(status, reason, sopClassUid, sopInstanceUid, seriesUid, studyUid, duplicate, null);
    }

    public boolean stored() {
        return status == DimseStatus.SUCCESS;
    }
}
