package org.radstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.pixelmed.dicom.AttributeList;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.avro.DicomSlice;
import org.radstream.avro.DicomSliceEvent;
import org.radstream.avro.RejectedInstance;
import org.radstream.avro.SeriesComplete;
import org.radstream.imaging.HuConversion;

/** storescu and echoscu against the SCP on the embedded broker. */
class StoreScpIT {
    @TempDir
    static Path dir;
    static TestKafka kafka;
    static IngestService service;

    @BeforeAll
    static void start() throws Exception {
        kafka = TestKafka.shared();
        service = IngestService.start(kafka.settings().withAeTitle("RADSTREAM")
                .withAllowedAes(Set.of("MODALITY1", "ROUTER2")).withCorrectionAes(Set.of("MODALITY1")), kafka.topics);
    }

    @AfterAll
    static void stop() {
        if (service != null) {
            service.close();
        }
    }

    @Test
    void seriesPushedWithStorescuArrivesInOrderWithIdenticalPixelsThenOneMarker() throws Exception {
        TestDicom.Series s = TestDicom.series(dir.resolve("a"), 12, 64, 11);
        try (KafkaConsumer<String, DicomSliceEvent> slices = kafka.consumerAtEnd(kafka.topics.slices())) {
            Dcmtk.Result r = Dcmtk.storescu("MODALITY1", "RADSTREAM", service.dicomPort(), s.files());
            assertThat(r.exitCode()).as(r.output()).isZero();
            assertThat(Dcmtk.storeResponses(r.output())).hasSize(12).containsOnly("(Success)");

            List<DicomSliceEvent> events = ofSeries(TestKafka.poll(slices, Duration.ofSeconds(20),
                    l -> ofSeries(l, s.seriesUid()).size() >= 13), s.seriesUid());
            assertThat(events).hasSize(13);
            for (int i = 0; i < 12; i++) {
                DicomSlice slice = (DicomSlice) events.get(i).getBody();
                Path source = s.files().get(i);
                assertThat(slice.getSopInstanceUid()).isEqualTo(TestDicom.sopUid(source));
                assertThat(slice.getCallingAe()).isEqualTo("MODALITY1");
                short[] expected = TestDicom.storedPixels(source);
                short[] actual = pixels(slice);
                assertThat(actual).containsExactly(expected);
                boolean signed = slice.getPixelRepresentation() == 1;
                assertThat(HuConversion.toHu(actual, signed, slice.getRescaleSlope(), slice.getRescaleIntercept()))
                        .containsExactly(HuConversion.toHu(expected, true, 1, -1024));
            }
            SeriesComplete marker = (SeriesComplete) events.get(12).getBody();
            assertThat(marker.getInstanceCount()).isEqualTo(12);
            assertThat(marker.getStudyUid()).isEqualTo(s.studyUid());
            assertThat(marker.getBodyPartExamined()).isEqualTo("CHEST");
            // nothing more for this series: exactly one marker
            assertThat(ofSeries(TestKafka.poll(slices, Duration.ofMillis(2500), l -> false), s.seriesUid())).isEmpty();
        }
        assertThat(service.metrics().render()).contains("radstream_ingest_instances_published_total{calling_ae=\"MODALITY1\"}");
    }

    @Test
    void echoSucceedsAndCallersOffTheAllowListAreRefusedAtAssociation() throws Exception {
        Dcmtk.Result echo = Dcmtk.echoscu("ROUTER2", "RADSTREAM", service.dicomPort());
        assertThat(echo.exitCode()).as(echo.output()).isZero();
        assertThat(echo.output()).contains("Received Echo Response (Success)");

        Dcmtk.Result refusedEcho = Dcmtk.echoscu("INTRUDER", "RADSTREAM", service.dicomPort());
        assertThat(refusedEcho.exitCode()).isNotZero();
        assertThat(refusedEcho.output()).contains("Association Rejected").contains("Calling AE Title Not Recognized");

        TestDicom.Series s = TestDicom.series(dir.resolve("intruder"), 1, 64, 12);
        Dcmtk.Result refusedStore = Dcmtk.storescu("INTRUDER", "RADSTREAM", service.dicomPort(), s.files());
        assertThat(refusedStore.exitCode()).isNotZero();
        assertThat(refusedStore.output()).contains("Association Rejected");
        assertThat(Dcmtk.storeResponses(refusedStore.output())).isEmpty();
        assertThat(service.metrics().render()).containsPattern("radstream_ingest_associations_rejected_total [1-9]");
    }

    @Test
    void beyondTheMostAssociationsACallerIsToldToRetryAndAnIdleConnectionIsClosed() throws Exception {
        try (IngestService limited = IngestService.start(kafka.settings().withAeTitle("RADSTREAM").withHttpPort(-1)
                .withAssociationLimits(1, Duration.ofSeconds(1)), kafka.topics)) {
            // one association held open (PixelMed's SCU, not released yet) takes the only slot
            var contexts = com.pixelmed.network.PresentationContextListFactory.createNewPresentationContextList(
                    Set.of("1.2.840.10008.1.1"), 0);
            com.pixelmed.network.Association held = com.pixelmed.network.AssociationFactory.createNewAssociation(
                    "127.0.0.1", limited.dicomPort(), "RADSTREAM", "HOLDER", contexts, null, false);
            try {
                Dcmtk.Result busy = Dcmtk.echoscu("MODALITY1", "RADSTREAM", limited.dicomPort());
                assertThat(busy.exitCode()).as(busy.output()).isNotZero();
                assertThat(busy.output()).contains("Association Rejected").contains("Transient")
                        .contains("Local Limit Exceeded");
                assertThat(limited.metrics().associationsBusyCount()).isEqualTo(1);
                assertThat(limited.metrics().render()).contains("radstream_ingest_associations_busy_total 1");
            } finally {
                held.release();
            }
            // the slot is free again once the association is released
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            Dcmtk.Result echo;
            do {
                echo = Dcmtk.echoscu("MODALITY1", "RADSTREAM", limited.dicomPort());
            } while (echo.exitCode() != 0 && System.nanoTime() < deadline);
            assertThat(echo.output()).contains("Received Echo Response (Success)");

            // a connection that never sends its A-ASSOCIATE-RQ is closed after the request timeout, holding no slot
            try (java.net.Socket idle = new java.net.Socket("127.0.0.1", limited.dicomPort())) {
                idle.setSoTimeout(10_000);
                long start = System.nanoTime();
                assertThat(idle.getInputStream().read()).as("closed by the SCP").isEqualTo(-1);
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(500), Duration.ofSeconds(8));
            }
        }
    }

    @Test
    void badInstancesGetFailureStatusesAndDeadLettersWhileValidOnesOfTheSameAssociationArePublished() throws Exception {
        TestDicom.Series s = TestDicom.series(dir.resolve("b"), 3, 64, 13);
        Path good = s.files().get(0);
        AttributeList base = TestDicom.read(good);
        Path bad = Files.createDirectories(dir.resolve("bad"));

        AttributeList nonCt = TestDicom.read(good);
        TestDicom.setCs(nonCt, TestDicom.MODALITY, "MR");
        Path nonCtFile = TestDicom.writeVariant(nonCt, bad.resolve("nonct.dcm"));
        AttributeList noPixels = TestDicom.read(good);
        noPixels.remove(TestDicom.PIXEL_DATA);
        Path noPixelsFile = TestDicom.writeVariant(noPixels, bad.resolve("nopixels.dcm"));
        AttributeList mismatch = TestDicom.read(good);
        TestDicom.setUs(mismatch, TestDicom.COLUMNS, 32);
        Path mismatchFile = TestDicom.writeVariant(mismatch, bad.resolve("mismatch.dcm"));
        TestDicom.writeVariant(base, bad.resolve("for-jpls.dcm"));
        Path jpls = TestDicom.dcmtk("dcmcjpls", bad.resolve("for-jpls.dcm"), bad.resolve("jpls.dcm"));

        // good0, non-CT, good1, no pixels, mismatch, duplicate of good0, good2; then, from a sender that can send
        // CT only as JPEG-LS (which radstream cannot decode), the JPEG-LS instance in an association of its own
        List<Path> sent = List.of(good, nonCtFile, s.files().get(1), noPixelsFile, mismatchFile, good, s.files().get(2));
        try (KafkaConsumer<String, DicomSliceEvent> slices = kafka.consumerAtEnd(kafka.topics.slices());
             KafkaConsumer<String, RejectedInstance> rejected = kafka.consumerAtEnd(kafka.topics.rejected())) {
            Dcmtk.Result r = Dcmtk.storescu("MODALITY1", "RADSTREAM", service.dicomPort(), sent, "-xt", "--no-halt");
            List<String> responses = Dcmtk.storeResponses(r.output());
            assertThat(responses).as(r.output()).hasSize(7);
            assertThat(responses.get(0)).isEqualTo("(Success)");
            assertThat(responses.get(1)).isEqualTo("(Error: DataSetDoesNotMatchSOPClass)");
            assertThat(responses.get(2)).isEqualTo("(Success)");
            assertThat(responses.get(3)).startsWith("(Error: CannotUnderstand");
            assertThat(responses.get(4)).startsWith("(Error: CannotUnderstand");
            assertThat(responses.get(5)).isEqualTo("(Success)");
            assertThat(responses.get(6)).isEqualTo("(Success)");
            Dcmtk.Result onlyJpls = Dcmtk.storescu("MODALITY1", "RADSTREAM", service.dicomPort(), List.of(jpls), "-xf",
                    jpegLsOnlyProfile(bad).toString(), "JPEGLSOnly");
            assertThat(Dcmtk.storeResponses(onlyJpls.output())).as(onlyJpls.output()).singleElement()
                    .satisfies(status -> assertThat(status).startsWith("(Error: CannotUnderstand"));

            List<DicomSliceEvent> events = ofSeries(TestKafka.poll(slices, Duration.ofSeconds(20),
                    l -> ofSeries(l, s.seriesUid()).size() >= 4), s.seriesUid());
            assertThat(events).hasSize(4);
            assertThat(events.subList(0, 3).stream().map(e -> ((DicomSlice) e.getBody()).getSopInstanceUid()).toList())
                    .containsExactly(TestDicom.sopUid(good), TestDicom.sopUid(s.files().get(1)), TestDicom.sopUid(s.files().get(2)));
            assertThat(((SeriesComplete) events.get(3).getBody()).getInstanceCount()).isEqualTo(3);

            Map<String, RejectedInstance> letters = TestKafka.poll(rejected, Duration.ofSeconds(20), l -> l.size() >= 5)
                    .stream().collect(Collectors.toMap(ConsumerRecord::key, ConsumerRecord::value, (a, b) -> b));
            assertThat(letters).hasSize(5);
            assertLetter(letters.get(TestDicom.sopUid(nonCtFile)), DimseStatus.DATA_SET_DOES_NOT_MATCH, "Modality is MR, only CT is accepted");
            assertLetter(letters.get(TestDicom.sopUid(noPixelsFile)), DimseStatus.BAD_PIXEL_DATA, "no PixelData (7FE0,0010)");
            assertLetter(letters.get(TestDicom.sopUid(mismatchFile)), DimseStatus.BAD_PIXEL_DATA,
                    "PixelData holds 8192 bytes, Rows × Columns × BitsAllocated/8 = 64 × 32 × 2 = 4096");
            assertLetter(letters.get(TestDicom.sopUid(jpls)), DimseStatus.UNSUPPORTED_TRANSFER_SYNTAX,
                    "unsupported transfer syntax 1.2.840.10008.1.2.4.80 (JPEG-LS lossless)");
            RejectedInstance duplicate = letters.get(TestDicom.sopUid(good));
            assertLetter(duplicate, DimseStatus.SUCCESS, "duplicate: SOP instance " + TestDicom.sopUid(good));
            assertThat(letters.get(TestDicom.sopUid(jpls)).getTransferSyntaxUid()).isEqualTo("1.2.840.10008.1.2.4.80");
        }
    }

    /** A storescu profile that proposes CT only as JPEG-LS lossless: a sender that cannot send it otherwise. */
    private static Path jpegLsOnlyProfile(Path dir) throws Exception {
        return Files.writeString(dir.resolve("jpls-only.cfg"), String.join("\n",
                "[[TransferSyntaxes]]", "[JPEGLS]", "TransferSyntax1 = JPEGLSLossless", "",
                "[[PresentationContexts]]", "[JPEGLSCT]", "PresentationContext1 = CTImageStorage\\JPEGLS", "",
                "[[Profiles]]", "[JPEGLSOnly]", "PresentationContexts = JPEGLSCT", ""));
    }

    @Test
    void aSenderThatCanDecompressIsSteeredToATransferSyntaxRadstreamDecodes() throws Exception {
        TestDicom.Series s = TestDicom.series(dir.resolve("steer"), 1, 64, 17);
        Path original = s.files().get(0);
        Path jpls = TestDicom.dcmtk("dcmcjpls", original, dir.resolve("steer-jpls.dcm"));
        try (KafkaConsumer<String, DicomSliceEvent> slices = kafka.consumerAtEnd(kafka.topics.slices())) {
            // dcmsend offers the file's JPEG-LS and, able to decompress it, the uncompressed syntaxes: radstream
            // refuses the JPEG-LS context, so the instance comes uncompressed instead of being refused
            Dcmtk.Result r = Dcmtk.run(List.of("dcmsend", "-v", "-aet", "MODALITY1", "-aec", "RADSTREAM", "127.0.0.1",
                    Integer.toString(service.dicomPort()), jpls.toString()));
            assertThat(r.exitCode()).as(r.output()).isZero();
            List<DicomSliceEvent> events = ofSeries(TestKafka.poll(slices, Duration.ofSeconds(20),
                    l -> !ofSeries(l, s.seriesUid()).isEmpty()), s.seriesUid());
            DicomSlice slice = (DicomSlice) events.get(0).getBody();
            assertThat(slice.getSopInstanceUid()).isEqualTo(TestDicom.sopUid(original));
            assertThat(slice.getTransferSyntaxUid()).isEqualTo(CtInstanceReader.SUPPORTED_TRANSFER_SYNTAXES.get(0));
            assertThat(pixels(slice)).as("the decompressed pixels are the original's")
                    .isEqualTo(TestDicom.storedPixels(original));
        }
    }

    @Test
    void aRadiologistsSegmentationIsPublishedForLabellingAndOneNamingNoSeriesIsRefused() throws Exception {
        TestDicom.Series s = TestDicom.series(dir.resolve("seg"), 3, 64, 14);
        List<String> sops = new java.util.ArrayList<>();
        for (Path f : s.files()) {
            sops.add(TestDicom.sopUid(f));
        }
        org.radstream.imaging.Mask3D mask = new org.radstream.imaging.Mask3D(64, 64, 3);
        mask.set(10, 20, 1, true);
        mask.set(11, 20, 1, true);
        org.radstream.imaging.dicom.DicomSeg.Series series = new org.radstream.imaging.dicom.DicomSeg.Series("P14", null,
                s.studyUid(), null, s.seriesUid(), null, null, sops, new double[] {-100, -120, 50}, new double[] {1, 0, 0},
                new double[] {0, 1, 0}, 0.7, 0.7, 2.5, 64, 64, 3);
        var segment = new org.radstream.imaging.dicom.DicomSeg.Segment("infection", "corrected", null);
        Path seg = Files.write(dir.resolve("seg.dcm"), org.radstream.imaging.dicom.DicomSeg.write(mask, series, segment,
                java.time.Instant.parse("2026-12-06T10:00:00Z"), new java.util.Random(9141))); // UIDs no other test makes
        org.radstream.imaging.dicom.DicomSeg.Series unreferenced = new org.radstream.imaging.dicom.DicomSeg.Series("P14",
                null, s.studyUid(), null, s.seriesUid(), null, null, List.of(), series.origin(), series.row(),
                series.column(), 0.7, 0.7, 2.5, 64, 64, 3);
        Path orphan = Files.write(dir.resolve("orphan.dcm"), org.radstream.imaging.dicom.DicomSeg.write(mask, unreferenced,
                segment, java.time.Instant.parse("2026-12-06T10:00:00Z"), new java.util.Random(2)));
        try (KafkaConsumer<String, org.radstream.avro.ReceivedSegmentation> segs = kafka.consumerAtEnd(kafka.topics.segmentations());
             KafkaConsumer<String, RejectedInstance> rejected = kafka.consumerAtEnd(kafka.topics.rejected())) {
            Dcmtk.Result r = Dcmtk.storescu("MODALITY1", "RADSTREAM", service.dicomPort(), List.of(seg, orphan), "--no-halt", "--required");
            assertThat(Dcmtk.storeResponses(r.output())).as(r.output())
                    .containsExactly("(Success)", "(Error: DataSetDoesNotMatchSOPClass)");

            List<ConsumerRecord<String, org.radstream.avro.ReceivedSegmentation>> got =
                    TestKafka.poll(segs, Duration.ofSeconds(20), l -> !l.isEmpty());
            assertThat(got).hasSize(1);
            assertThat(got.get(0).key()).isEqualTo(s.seriesUid());
            org.radstream.avro.ReceivedSegmentation value = got.get(0).value();
            assertThat(value.getSopInstanceUid()).isEqualTo(TestDicom.sopUid(seg));
            assertThat(value.getCallingAe()).isEqualTo("MODALITY1");
            assertThat(value.getReceivedVia()).isEqualTo("c-store");
            byte[] file;
            try (var in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(value.getFileGzip().array()))) {
                file = in.readAllBytes();
            }
            // what arrived is the segmentation as sent: it lays the same voxels onto the series
            assertThat(org.radstream.imaging.dicom.DicomSeg.read(file, series, "infection", null).mask()).isEqualTo(mask);

            List<ConsumerRecord<String, RejectedInstance>> letters = TestKafka.poll(rejected, Duration.ofSeconds(20),
                    l -> !l.isEmpty());
            assertThat(letters).hasSize(1);
            assertLetter(letters.get(0).value(), DimseStatus.DATA_SET_DOES_NOT_MATCH,
                    "the segmentation names no series it was made on (ReferencedSeriesSequence (0008,1115))");
            assertThat(letters.get(0).key()).isEqualTo(TestDicom.sopUid(orphan));

            // a caller allowed to store images but not named to send corrections: refused, and dead-lettered
            Dcmtk.Result other = Dcmtk.storescu("ROUTER2", "RADSTREAM", service.dicomPort(), List.of(seg), "--required");
            assertThat(Dcmtk.storeResponses(other.output())).as(other.output())
                    .containsExactly("(Refused: SOPClassNotSupported)");
            List<ConsumerRecord<String, RejectedInstance>> refused = TestKafka.poll(rejected, Duration.ofSeconds(20),
                    l -> !l.isEmpty());
            assertThat(refused).hasSize(1);
            assertLetter(refused.get(0).value(), DimseStatus.SOP_CLASS_NOT_SUPPORTED, "corrections (DICOM Segmentations, "
                    + "which become training labels) are taken only from the AE titles named by --corrections-from; "
                    + "ROUTER2 is not one of them", "ROUTER2");
            assertThat(TestKafka.poll(segs, Duration.ofSeconds(2), l -> false)).as("nothing more published").isEmpty();

            // the PACS rejects the segmentation (the trainer then drops the labels read from it): sent again, it is
            // answered as stored and recorded, not published for labelling again
            String segSeries = TestDicom.text(seg, TestDicom.SERIES_UID);
            Path note = Files.write(dir.resolve("reject-seg.dcm"), TestDicom.rejectionNote("P14", s.studyUid(), segSeries,
                    List.of(TestDicom.sopUid(seg)), "113001", "Rejected for Quality Reasons", 141));
            // (through an ingest of its own, so this class's shared one counts no note of it)
            try (IngestService own = IngestService.start(kafka.settings().withAeTitle("RADSTREAM")
                    .withAllowedAes(Set.of("MODALITY1")).withHttpPort(-1), kafka.topics)) {
                Dcmtk.Result withdrawn = Dcmtk.storescu("MODALITY1", "RADSTREAM", own.dicomPort(), List.of(note),
                        "--required");
                assertThat(Dcmtk.storeResponses(withdrawn.output())).as(withdrawn.output()).containsExactly("(Success)");
                Dcmtk.Result again = Dcmtk.storescu("MODALITY1", "RADSTREAM", own.dicomPort(), List.of(seg), "--required");
                assertThat(Dcmtk.storeResponses(again.output())).as(again.output()).containsExactly("(Success)");
                List<ConsumerRecord<String, RejectedInstance>> repeated = TestKafka.poll(rejected, Duration.ofSeconds(20),
                        l -> !l.isEmpty());
                assertThat(repeated).hasSize(1);
                assertLetter(repeated.get(0).value(), DimseStatus.SUCCESS, "rejected before: segmentation "
                        + TestDicom.sopUid(seg) + " of series " + s.seriesUid() + " was withdrawn by the PACS's rejection "
                        + "note " + TestDicom.sopUid(note) + " (113001 Rejected for Quality Reasons, received ");
                assertThat(TestKafka.poll(segs, Duration.ofSeconds(2), l -> false)).as("not published again").isEmpty();
                assertThat(own.metrics().rejectedAgainCount("MODALITY1")).isEqualTo(1);
            }
        }
        assertThat(service.metrics().render())
                .contains("radstream_ingest_segmentations_published_total{calling_ae=\"MODALITY1\"} 1");
    }

    @Test
    void aPacsRejectionNoteIsPublishedForThePatientKeyImagesAreRecordedUnusedAndAnotherCallerIsRefused() throws Exception {
        Path note = Files.write(dir.resolve("reject.dcm"), TestDicom.rejectionNote("P21", "1.2.826.0.1.21",
                "1.2.826.0.1.21.1", List.of("1.2.826.0.1.21.1.1", "1.2.826.0.1.21.1.2"), "113038",
                "Incorrect Modality Worklist Entry", 21));
        Path keyImages = Files.write(dir.resolve("key-images.dcm"), TestDicom.rejectionNote("P21", "1.2.826.0.1.21",
                "1.2.826.0.1.21.1", List.of("1.2.826.0.1.21.1.1"), "113000", "Of Interest", 22));
        try (KafkaConsumer<String, org.radstream.avro.RejectionNote> notes = kafka.consumerAtEnd(kafka.topics.rejectionNotes());
             KafkaConsumer<String, RejectedInstance> rejected = kafka.consumerAtEnd(kafka.topics.rejected())) {
            Dcmtk.Result r = Dcmtk.storescu("MODALITY1", "RADSTREAM", service.dicomPort(), List.of(note, keyImages),
                    "--no-halt", "--required");
            assertThat(Dcmtk.storeResponses(r.output())).as(r.output()).containsExactly("(Success)", "(Success)");

            List<ConsumerRecord<String, org.radstream.avro.RejectionNote>> got =
                    TestKafka.poll(notes, Duration.ofSeconds(20), l -> !l.isEmpty());
            assertThat(got).singleElement().satisfies(rec -> {
                assertThat(rec.key()).as("keyed by patient, as the measurements are").isEqualTo("P21");
                assertThat(rec.value().getSopInstanceUid()).isEqualTo(TestDicom.sopUid(note));
                assertThat(rec.value().getReasonCode()).isEqualTo("113038");
                assertThat(rec.value().getSeries()).singleElement().satisfies(s -> {
                    assertThat(s.getSeriesUid()).isEqualTo("1.2.826.0.1.21.1");
                    assertThat(s.getSopInstanceUids()).containsExactly("1.2.826.0.1.21.1.1", "1.2.826.0.1.21.1.2");
                });
                assertThat(rec.value().getCallingAe()).isEqualTo("MODALITY1");
            });
            // key images are not a rejection: answered as stored, and recorded with why they are not used
            List<ConsumerRecord<String, RejectedInstance>> letters = TestKafka.poll(rejected, Duration.ofSeconds(20),
                    l -> !l.isEmpty());
            assertThat(letters).singleElement().satisfies(l -> {
                assertThat(l.key()).isEqualTo(TestDicom.sopUid(keyImages));
                assertThat(l.value().getDicomStatus()).isEqualTo(DimseStatus.SUCCESS);
                assertThat(l.value().getReason()).contains("titled (113000, DCM, \"Of Interest\"), not an IOCM rejection "
                        + "note").endsWith("; answered as stored");
            });

            // a caller allowed to store images but not named to send corrections cannot withdraw series
            Dcmtk.Result other = Dcmtk.storescu("ROUTER2", "RADSTREAM", service.dicomPort(), List.of(note), "--required");
            assertThat(Dcmtk.storeResponses(other.output())).as(other.output())
                    .containsExactly("(Refused: SOPClassNotSupported)");
            List<ConsumerRecord<String, RejectedInstance>> refused = TestKafka.poll(rejected, Duration.ofSeconds(20),
                    l -> !l.isEmpty());
            assertLetter(refused.get(0).value(), DimseStatus.SOP_CLASS_NOT_SUPPORTED, "rejection notes (which withdraw "
                    + "series from patients' timelines and retract their alerts) are taken only from the AE titles named by "
                    + "--rejections-from (else --corrections-from); ROUTER2 is not one of them", "ROUTER2");
            assertThat(TestKafka.poll(notes, Duration.ofSeconds(2), l -> false)).as("nothing more published").isEmpty();

            // with --rejections-from, only the AEs it names withdraw series: not the one that sends corrections
            Path second = Files.write(dir.resolve("reject-2.dcm"), TestDicom.rejectionNote("P22", "1.2.826.0.1.22",
                    "1.2.826.0.1.22.1", List.of("1.2.826.0.1.22.1.1"), "113037", "Rejected for Patient Safety Reasons", 23));
            try (IngestService pacsOnly = IngestService.start(kafka.settings().withAeTitle("RADSTREAM")
                    .withAllowedAes(Set.of("MODALITY1", "ROUTER2")).withCorrectionAes(Set.of("MODALITY1"))
                    .withRejectionAes(Set.of("ROUTER2")), kafka.topics)) {
                Dcmtk.Result viewer = Dcmtk.storescu("MODALITY1", "RADSTREAM", pacsOnly.dicomPort(), List.of(second),
                        "--required");
                assertThat(Dcmtk.storeResponses(viewer.output())).as(viewer.output())
                        .containsExactly("(Refused: SOPClassNotSupported)");
                Dcmtk.Result pacs = Dcmtk.storescu("ROUTER2", "RADSTREAM", pacsOnly.dicomPort(), List.of(second),
                        "--required");
                assertThat(Dcmtk.storeResponses(pacs.output())).as(pacs.output()).containsExactly("(Success)");
                assertThat(TestKafka.poll(notes, Duration.ofSeconds(20), l -> !l.isEmpty())).singleElement()
                        .satisfies(rec -> assertThat(rec.value().getCallingAe()).isEqualTo("ROUTER2"));
            }
        }
        assertThat(service.metrics().render())
                .contains("radstream_ingest_rejection_notes_published_total{calling_ae=\"MODALITY1\"} 1");
    }

    @Test
    void instancesThePacsRejectedAreAnsweredAsStoredAndNotPublishedWhenSentAgain() throws Exception {
        // a seed of its own: the note stays on the shared broker, and would reject the same UIDs of another test
        TestDicom.Series s = TestDicom.series(dir.resolve("rejected-again"), 4, 32, 9031);
        List<String> sops = new java.util.ArrayList<>();
        for (Path f : s.files()) {
            sops.add(TestDicom.sopUid(f));
        }
        Path note = Files.write(dir.resolve("reject-quality.dcm"), TestDicom.rejectionNote("P9031", s.studyUid(),
                s.seriesUid(), sops.subList(0, 2), "113001", "Rejected for Quality Reasons", 9031));
        try (KafkaConsumer<String, DicomSliceEvent> slices = kafka.consumerAtEnd(kafka.topics.slices());
             KafkaConsumer<String, RejectedInstance> rejected = kafka.consumerAtEnd(kafka.topics.rejected())) {
            Dcmtk.Result first = Dcmtk.storescu("MODALITY1", "RADSTREAM", service.dicomPort(), s.files());
            assertThat(Dcmtk.storeResponses(first.output())).as(first.output()).hasSize(4).containsOnly("(Success)");
            assertThat(ofSeries(TestKafka.poll(slices, Duration.ofSeconds(20), l -> ofSeries(l, s.seriesUid()).size() >= 5),
                    s.seriesUid())).hasSize(5); // 4 slices and the marker
            Dcmtk.Result withdrawn = Dcmtk.storescu("MODALITY1", "RADSTREAM", service.dicomPort(), List.of(note),
                    "--required");
            assertThat(Dcmtk.storeResponses(withdrawn.output())).as(withdrawn.output()).containsExactly("(Success)");

            // a note that cannot be read, after it on the topic: skipped, and the reading goes on
            try (org.apache.kafka.clients.producer.KafkaProducer<String, byte[]> producer =
                    new org.apache.kafka.clients.producer.KafkaProducer<>(java.util.Map.of(
                            org.apache.kafka.clients.producer.ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap),
                            new org.apache.kafka.common.serialization.StringSerializer(),
                            new org.apache.kafka.common.serialization.ByteArraySerializer())) {
                producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(kafka.topics.rejectionNotes().name(),
                        "P9031", new byte[] {0, 0, 0, 0, 7, 1})).get();
            }
            // a router sends the whole series again, to an ingest started after the note (it knows no duplicates):
            // the two instances the note names are answered as stored and recorded, the other two are published
            try (IngestService restarted = IngestService.start(kafka.settings().withAeTitle("RADSTREAM")
                    .withAllowedAes(Set.of("ROUTER2")).withHttpPort(-1), kafka.topics)) {
                Dcmtk.Result again = Dcmtk.storescu("ROUTER2", "RADSTREAM", restarted.dicomPort(), s.files());
                assertThat(Dcmtk.storeResponses(again.output())).as(again.output()).hasSize(4).containsOnly("(Success)");
                List<DicomSliceEvent> republished = ofSeries(TestKafka.poll(slices, Duration.ofSeconds(20),
                        l -> ofSeries(l, s.seriesUid()).size() >= 2), s.seriesUid());
                assertThat(republished).filteredOn(e -> e.getBody() instanceof DicomSlice)
                        .extracting(e -> ((DicomSlice) e.getBody()).getSopInstanceUid())
                        .containsExactlyElementsOf(sops.subList(2, 4));
                List<ConsumerRecord<String, RejectedInstance>> letters = TestKafka.poll(rejected, Duration.ofSeconds(20),
                        l -> l.size() >= 2);
                assertThat(letters).extracting(ConsumerRecord::key).containsExactlyElementsOf(sops.subList(0, 2));
                for (int i = 0; i < 2; i++) {
                    assertLetter(letters.get(i).value(), DimseStatus.SUCCESS, "rejected before: SOP instance " + sops.get(i)
                            + " of series " + s.seriesUid() + " was withdrawn by the PACS's rejection note "
                            + TestDicom.sopUid(note) + " (113001 Rejected for Quality Reasons, received ", "ROUTER2");
                    assertThat(letters.get(i).value().getReason()).endsWith("; answered as stored, not published again "
                            + "(ingest --accept-rejected-again processes such instances)");
                }
                assertThat(restarted.metrics().rejectedAgainCount("ROUTER2")).isEqualTo(2);
                assertThat(restarted.metrics().render())
                        .contains("radstream_ingest_instances_rejected_again_total{calling_ae=\"ROUTER2\"} 2");
            }
            // a site that wants them processed says so
            try (IngestService accepting = IngestService.start(kafka.settings().withAeTitle("RADSTREAM")
                    .withAllowedAes(Set.of("ROUTER2")).withHttpPort(-1).withAcceptRejectedAgain(true), kafka.topics)) {
                Dcmtk.Result again = Dcmtk.storescu("ROUTER2", "RADSTREAM", accepting.dicomPort(), s.files().subList(0, 2));
                assertThat(Dcmtk.storeResponses(again.output())).as(again.output()).containsExactly("(Success)", "(Success)");
                assertThat(ofSeries(TestKafka.poll(slices, Duration.ofSeconds(20),
                        l -> ofSeries(l, s.seriesUid()).stream().filter(e -> e.getBody() instanceof DicomSlice).count() >= 2),
                        s.seriesUid())).filteredOn(e -> e.getBody() instanceof DicomSlice)
                        .extracting(e -> ((DicomSlice) e.getBody()).getSopInstanceUid())
                        .containsExactlyElementsOf(sops.subList(0, 2));
                assertThat(accepting.metrics().rejectedAgainCount("ROUTER2")).isZero();
            }
        }
    }

    @Test
    void interleavedSeriesInOneAssociationAndOneSeriesOverTwoAssociations() throws Exception {
        TestDicom.Series a = TestDicom.series(dir.resolve("i1"), 4, 64, 21);
        TestDicom.Series b = TestDicom.series(dir.resolve("i2"), 4, 64, 22);
        List<Path> interleaved = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            interleaved.add(a.files().get(i));
            interleaved.add(b.files().get(i));
        }
        try (KafkaConsumer<String, DicomSliceEvent> slices = kafka.consumerAtEnd(kafka.topics.slices())) {
            // a: all four in one association interleaved with b's first two; b's last two in a second association
            List<Path> first = new ArrayList<>(interleaved.subList(0, 6));
            first.add(a.files().get(3));
            assertThat(Dcmtk.storescu("MODALITY1", "RADSTREAM", service.dicomPort(), first).exitCode()).isZero();
            assertThat(Dcmtk.storescu("ROUTER2", "RADSTREAM", service.dicomPort(), b.files().subList(2, 4)).exitCode()).isZero();
            List<ConsumerRecord<String, DicomSliceEvent>> got = TestKafka.poll(slices, Duration.ofSeconds(20),
                    l -> ofSeries(l, a.seriesUid()).size() >= 5 && ofSeries(l, b.seriesUid()).size() >= 5);
            for (TestDicom.Series s : List.of(a, b)) {
                List<DicomSliceEvent> events = ofSeries(got, s.seriesUid());
                assertThat(events).hasSize(5);
                assertThat(events.subList(0, 4)).allMatch(e -> e.getBody() instanceof DicomSlice);
                assertThat(events.subList(0, 4).stream().map(e -> ((DicomSlice) e.getBody()).getInstanceNumber()).sorted().toList())
                        .containsExactly(1, 2, 3, 4);
                assertThat(((SeriesComplete) events.get(4).getBody()).getInstanceCount()).isEqualTo(4);
            }
        }
    }

    private static void assertLetter(RejectedInstance letter, int status, String reasonStart) throws Exception {
        assertLetter(letter, status, reasonStart, "MODALITY1");
    }

    private static void assertLetter(RejectedInstance letter, int status, String reasonStart, String callingAe)
            throws Exception {
        assertThat(letter).isNotNull();
        assertThat(letter.getDicomStatus()).isEqualTo(status);
        assertThat(letter.getReason()).startsWith(reasonStart);
        assertThat(letter.getCallingAe()).isEqualTo(callingAe);
        assertThat(letter.getReceivedVia()).isEqualTo("c-store");
        byte[] original = new byte[letter.getOriginal().remaining()];
        letter.getOriginal().duplicate().get(original);
        // the original is the received data set as a Part 10 file: it names the same instance
        Path f = Files.write(Files.createTempFile(dir, "letter", ".dcm"), original);
        assertThat(TestDicom.sopUid(f)).isEqualTo(letter.getSopInstanceUid());
    }

    static List<DicomSliceEvent> ofSeries(List<ConsumerRecord<String, DicomSliceEvent>> records, String seriesUid) {
        return records.stream().filter(r -> r.key().equals(seriesUid)).map(ConsumerRecord::value).toList();
    }

    static short[] pixels(DicomSlice slice) {
        short[] out = new short[slice.getRows() * slice.getColumns()];
        slice.getPixels().duplicate().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(out);
        return out;
    }

}
