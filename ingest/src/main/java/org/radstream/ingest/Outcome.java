package org.radstream.ingest;

/**
 * What the sender of one instance is told: a DIMSE status (0 = stored, also for a duplicate of a
 * stored instance) and, for failures, why. UIDs are those that could be read (null for garbage).
 */
public record Outcome(int status, String reason, String sopClassUid, String sopInstanceUid, String seriesUid,
                      String studyUid, boolean duplicate) {

    public boolean stored() {
        return status == DimseStatus.SUCCESS;
    }
}
