package org.radstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.TagFromName;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.radstream.avro.InferenceResult;
import org.radstream.avro.PoirMeasurement;
import org.junit.jupiter.api.Test;

/**
 * The PoIR report references the segmentations the export makes of the results the measurement was
 * measured from: the same SOP instances, read from the written segmentations themselves.
 */
class ResultReportTest {
    private static final String SERIES = "1.2.76.1";
    /** Pertinent Other Evidence Sequence (0040,A385): not in PixelMed's tag dictionary. */
    private static final com.pixelmed.dicom.AttributeTag PERTINENT_OTHER_EVIDENCE = new com.pixelmed.dicom.AttributeTag(0x0040, 0xA385);
    private static final Set<String> EVERY_TASK = Set.of("lung", "infection", ExportSettings.POIR);

    /** The measurement the PoIR join makes of these two results. */
    static PoirMeasurement measuredFrom(InferenceResult lung, InferenceResult infection) {
        PoirMeasurement m = ResultExportIT.measurement(lung.getSeriesUid().toString(), lung.getVolumeMl() * 1000,
                infection.getVolumeMl() * 1000);
        m.setStudyUid(lung.getStudyUid());
        m.setLungMethod(lung.getMethod());
        m.setLungModelVersion(lung.getModelVersion());
        m.setInfectionMethod(infection.getMethod());
        m.setInfectionModelVersion(infection.getModelVersion());
        m.setSopClassUid(lung.getGeometry().getSopClassUid());
        m.setSopInstanceUids(lung.getGeometry().getSopInstanceUids());
        m.setFrameOfReferenceUid(lung.getGeometry().getFrameOfReferenceUid());
        m.setLungResultAt(lung.getProducedAt());
        m.setInfectionResultAt(infection.getProducedAt());
        return m;
    }

    /** Lung model v1's result of the series (the infection results are v9's). */
    static InferenceResult lung(String series) {
        InferenceResult lung = ResultExportIT.result(series, "lung", ResultExportIT.mask(1, 2, 3, 500), true);
        lung.setModelVersion("1");
        return lung;
    }

    @Test
    void eachGroupReferencesSegmentOneOfTheSegmentationOfItsResult() throws Exception {
        for (String frameOfReference : java.util.Arrays.asList("1.2.77.9", null)) {
            InferenceResult lung = lung(SERIES);
            InferenceResult infection = ResultExportIT.result(SERIES, "infection", ResultExportIT.mask(5, 40), true);
            infection.setProducedAt(lung.getProducedAt().plusSeconds(7));
            lung.getGeometry().setFrameOfReferenceUid(frameOfReference);
            infection.getGeometry().setFrameOfReferenceUid(frameOfReference);
            AttributeList lungSeg = read(ResultSegmentation.write(lung));
            AttributeList infectionSeg = read(ResultSegmentation.write(infection));

            AttributeList report = read(ResultReport.write(measuredFrom(lung, infection), null, EVERY_TASK));
            assertThat(groups(report)).as("frame of reference %s", frameOfReference).containsExactly(
                    "1411 lung " + sop(lungSeg) + " 1 radstream lung 1",
                    "1411 infection " + sop(infectionSeg) + " 1 radstream infection 9");
            // the segmentations are the report's other evidence, each in its own series of the study
            AttributeList other = item(report, PERTINENT_OTHER_EVIDENCE);
            assertThat(Attribute.getSingleStringValueOrNull(other, TagFromName.StudyInstanceUID)).isEqualTo(lung.getStudyUid());
            SequenceAttribute series = (SequenceAttribute) other.get(TagFromName.ReferencedSeriesSequence);
            List<String> listed = new ArrayList<>();
            for (int i = 0; i < series.getNumberOfItems(); i++) {
                AttributeList s = series.getItem(i).getAttributeList();
                listed.add(Attribute.getSingleStringValueOrNull(s, TagFromName.SeriesInstanceUID) + ":"
                        + Attribute.getSingleStringValueOrNull(item(s, TagFromName.ReferencedSOPSequence),
                        TagFromName.ReferencedSOPInstanceUID));
            }
            assertThat(listed).containsExactly(seriesOf(lungSeg) + ":" + sop(lungSeg),
                    seriesOf(infectionSeg) + ":" + sop(infectionSeg));
        }
    }

    @Test
    void withoutItsResultsSegmentedTheReportMeasuresTheSeriesAsAWhole() throws Exception {
        InferenceResult lung = lung(SERIES);
        InferenceResult infection = ResultExportIT.result(SERIES, "infection", ResultExportIT.mask(5, 40), true);
        PoirMeasurement m = measuredFrom(lung, infection);
        // the export stores no segmentation of either task: nothing to reference
        assertThat(groups(read(ResultReport.write(m, null, Set.of(ExportSettings.POIR))))).containsExactly(
                "1501 lung - - radstream lung 1", "1501 infection - - radstream infection 9");
        // only the infection results are stored as segmentations
        assertThat(groups(read(ResultReport.write(m, null, Set.of("infection", ExportSettings.POIR))))).containsExactly(
                "1501 lung - - radstream lung 1",
                "1411 infection " + sop(read(ResultSegmentation.write(infection))) + " 1 radstream infection 9");
        // measured before measurements named their results, or from results without geometry
        m.setLungResultAt(null);
        m.setInfectionResultAt(null);
        AttributeList report = read(ResultReport.write(m, null, EVERY_TASK));
        assertThat(groups(report)).containsExactly("1501 lung - - radstream lung 1", "1501 infection - - radstream infection 9");
        assertThat(report.get(PERTINENT_OTHER_EVIDENCE)).isNull();
        // the HU-threshold method has no versions: no algorithm is named, the comment still says how
        m.setLungMethod("hu-threshold");
        m.setLungModelVersion(null);
        assertThat(groups(read(ResultReport.write(m, null, EVERY_TASK)))).containsExactly(
                "1501 lung - - - -", "1501 infection - - radstream infection 9");
    }

    @Test
    void theCommentSaysHowFirmlyEachNetworkDecidedItsMaskWhereThatIsKnown() throws Exception {
        PoirMeasurement m = measuredFrom(lung(SERIES), ResultExportIT.result(SERIES, "infection", ResultExportIT.mask(5, 40),
                true));
        assertThat(ResultReport.comment(m)).isEqualTo("lung: model v1; infection: model v9; PoIR = infected volume / lung "
                + "volume × 100 (radstream, not reviewed by a radiologist)");
        m.setLungStability(0.981);
        m.setInfectionStability(0.776);
        String comment = "lung: model v1 (stability 0.98); infection: model v9 (stability 0.78); PoIR = infected volume "
                + "/ lung volume × 100 (radstream, not reviewed by a radiologist)";
        assertThat(ResultReport.comment(m)).isEqualTo(comment);
        // as the report carries it, at its end
        assertThat(new String(ResultReport.write(m, null, EVERY_TASK), java.nio.charset.StandardCharsets.UTF_8))
                .contains("stability 0.78");
    }

    @Test
    void aFindingKeepsItsTrackingUidFromScanToScanOfThePatient() throws Exception {
        PoirMeasurement first = ResultExportIT.measurement("1.2.76.10", 4000, 400);
        PoirMeasurement later = ResultExportIT.measurement("1.2.76.11", 3900, 700);
        later.setMeasuredAt(first.getMeasuredAt().plusSeconds(86_400));
        PoirMeasurement other = ResultExportIT.measurement("1.2.76.12", 4000, 400);
        first.setPatientId("P-1");
        later.setPatientId("P-1");
        other.setPatientId("P-2");
        List<String> firstUids = trackingUids(read(ResultReport.write(first, null, EVERY_TASK)));
        List<String> laterUids = trackingUids(read(ResultReport.write(later, null, EVERY_TASK)));
        List<String> otherUids = trackingUids(read(ResultReport.write(other, null, EVERY_TASK)));
        assertThat(firstUids).hasSize(2).doesNotHaveDuplicates().isEqualTo(laterUids);
        assertThat(otherUids).hasSize(2).doesNotContainAnyElementsOf(firstUids);
    }

    /** The tracking unique identifier of each measurement group, in order. */
    private static List<String> trackingUids(AttributeList report) {
        List<String> out = new ArrayList<>();
        for (AttributeList measurements : children(report)) {
            if ("126010".equals(concept(measurements))) {
                for (AttributeList group : children(measurements)) {
                    for (AttributeList c : children(group)) {
                        if ("112040".equals(concept(c))) {
                            out.add(Attribute.getSingleStringValueOrNull(c, TagFromName.UID));
                        }
                    }
                }
            }
        }
        return out;
    }

    @Test
    void aLiverOrVesselResultsVolumeIsReportedOverItsSegmentation() throws Exception {
        InferenceResult liver = ResultExportIT.result("1.2.76.20", "liver", ResultExportIT.mask(1, 2, 3, 4, 500), true);
        liver.setModelVersion("2");
        AttributeList report = read(ResultReport.writeVolume(liver, Set.of("liver", ExportSettings.VOLUMES)));
        assertThat(groups(report)).containsExactly("1411 liver " + sop(read(ResultSegmentation.write(liver)))
                + " 1 radstream liver 2");
        assertThat(numbers(report)).containsExactly("0.01 ml");
        String text = new com.pixelmed.dicom.StructuredReport(report).toString();
        assertThat(text).contains("Liver").contains("Finding Site");
        assertThat(Attribute.getSingleStringValueOrNull(report, TagFromName.SeriesInstanceUID))
                .as("a report series of its own").isNotEqualTo(seriesOf(read(ResultSegmentation.write(liver))));
        // the same result, the same report; its segmentation not stored: the series as a whole
        assertThat(ResultReport.writeVolume(liver, Set.of("liver", ExportSettings.VOLUMES)))
                .isEqualTo(ResultReport.writeVolume(liver, Set.of("liver", ExportSettings.VOLUMES)));
        assertThat(groups(read(ResultReport.writeVolume(liver, Set.of(ExportSettings.VOLUMES)))))
                .containsExactly("1501 liver - - radstream liver 2");
        // a vessel result without geometry: its volume, with no evidence and no segment
        InferenceResult vessel = ResultExportIT.result("1.2.76.20", "vessel", ResultExportIT.mask(7, 8), false);
        AttributeList vesselReport = read(ResultReport.writeVolume(vessel, Set.of("vessel", ExportSettings.VOLUMES)));
        assertThat(groups(vesselReport)).containsExactly("1501 vessel - - radstream vessel 9");
        assertThat(new com.pixelmed.dicom.StructuredReport(vesselReport).toString()).contains("Blood vessel");
        assertThat(vesselReport.get(TagFromName.CurrentRequestedProcedureEvidenceSequence)).isNull();
        // tracked per patient and finding, apart from the PoIR report's lung and infection
        assertThat(trackingUids(report)).doesNotContainAnyElementsOf(trackingUids(vesselReport));
    }

    /** Each NUM item's value and unit, in order: "3812.25 ml". */
    private static List<String> numbers(AttributeList item) {
        List<String> out = new ArrayList<>();
        for (AttributeList c : children(item)) {
            if ("NUM".equals(Attribute.getSingleStringValueOrEmptyString(c, TagFromName.ValueType).trim())) {
                AttributeList value = item(c, TagFromName.MeasuredValueSequence);
                out.add(Attribute.getSingleStringValueOrEmptyString(value, TagFromName.NumericValue).trim() + " "
                        + Attribute.getSingleStringValueOrEmptyString(item(value, TagFromName.MeasurementUnitsCodeSequence),
                        TagFromName.CodeValue).trim());
            }
            out.addAll(numbers(c));
        }
        return out;
    }

    /**
     * Each measurement group as "template tracking-id segmentation segment-number algorithm-name
     * algorithm-version", "-" for what it does not say.
     */
    static List<String> groups(AttributeList report) throws Exception {
        List<String> out = new ArrayList<>();
        for (AttributeList measurements : children(report)) {
            if (!"126010".equals(concept(measurements))) {
                continue;
            }
            for (AttributeList group : children(measurements)) {
                String template = Attribute.getSingleStringValueOrNull(item(group, TagFromName.ContentTemplateSequence),
                        TagFromName.TemplateIdentifier);
                String tracking = "-";
                String segment = "- -";
                String name = "-";
                String version = "-";
                for (AttributeList c : children(group)) {
                    switch (concept(c)) {
                        case "112039" -> tracking = text(c);
                        case "121191" -> {
                            AttributeList ref = item(c, TagFromName.ReferencedSOPSequence);
                            segment = Attribute.getSingleStringValueOrNull(ref, TagFromName.ReferencedSOPInstanceUID) + " "
                                    + Attribute.getSingleStringValueOrNull(ref, TagFromName.ReferencedSegmentNumber);
                        }
                        case "111001" -> name = text(c);
                        case "111003" -> version = text(c);
                        default -> { }
                    }
                }
                out.add(template + " " + tracking + " " + segment + " " + name + " " + version);
            }
        }
        return out;
    }

    /** A TEXT item's value, without the padding to an even length. */
    private static String text(AttributeList item) {
        return Attribute.getSingleStringValueOrEmptyString(item, TagFromName.TextValue).trim();
    }

    private static List<AttributeList> children(AttributeList item) {
        List<AttributeList> out = new ArrayList<>();
        if (item.get(TagFromName.ContentSequence) instanceof SequenceAttribute s) {
            for (int i = 0; i < s.getNumberOfItems(); i++) {
                out.add(s.getItem(i).getAttributeList());
            }
        }
        return out;
    }

    private static String concept(AttributeList item) {
        return item.get(TagFromName.ConceptNameCodeSequence) == null ? ""
                : Attribute.getSingleStringValueOrEmptyString(item(item, TagFromName.ConceptNameCodeSequence),
                TagFromName.CodeValue);
    }

    private static AttributeList item(AttributeList list, com.pixelmed.dicom.AttributeTag sequence) {
        return ((SequenceAttribute) list.get(sequence)).getItem(0).getAttributeList();
    }

    static String sop(AttributeList list) {
        return Attribute.getSingleStringValueOrNull(list, TagFromName.SOPInstanceUID);
    }

    private static String seriesOf(AttributeList list) {
        return Attribute.getSingleStringValueOrNull(list, TagFromName.SeriesInstanceUID);
    }

    static AttributeList read(byte[] part10) throws Exception {
        AttributeList list = new AttributeList();
        try (DicomInputStream in = new DicomInputStream(new ByteArrayInputStream(part10))) {
            list.read(in);
        }
        return list;
    }
}
