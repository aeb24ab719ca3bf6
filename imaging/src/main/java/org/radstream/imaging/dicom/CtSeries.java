package org.radstream.imaging.dicom;

import org.radstream.imaging.Volume;

/** A CT series read from DICOM: the HU volume and the attributes downstream code keys on. */
public record CtSeries(Volume volume, String seriesInstanceUid, String studyInstanceUid, String patientId,
                       String bodyPartExamined, String acquisitionDateTime) {
}
