package org.radstream.imaging.dicom;

import java.time.Instant;

/**
 * The identifying and descriptive attributes of one CT series, everything but geometry and pixels
 * (which come from the {@link org.radstream.imaging.Volume}).
 *
 * @param bodyPartExamined CHEST or ABDOMEN: the stream router decides on it
 * @param acquisition acquisition date-time; written in UTC with TimezoneOffsetFromUTC +0000
 * @param sliceThickness nominal SliceThickness (mm); SpacingBetweenSlices comes from the volume
 */
public record SeriesHeader(String patientId, String patientName, String studyInstanceUid, String seriesInstanceUid,
                           String frameOfReferenceUid, String accessionNumber, String bodyPartExamined,
                           String seriesDescription, Instant acquisition, int seriesNumber, double sliceThickness,
                           PixelStorage storage) {
}
