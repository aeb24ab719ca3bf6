package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.avro.CorrectedLabel;
import org.radstream.imaging.Mask3D;

class LabelIntakeTest {
    @TempDir
    Path dir;
    ImageArchive archive;
    LabelIntake intake;
    final List<String> refused = new ArrayList<>();
    final List<String> accepted = new ArrayList<>();
    /** Per accepted label: whether it replaced one with the same mask. */
    final List<Boolean> sameAsReplaced = new ArrayList<>();
    final Instant t0 = Instant.parse("2024-01-01T00:00:00Z");

    @BeforeEach
    void setUp() throws Exception {
        archive = new ImageArchive(dir);
        intake = new LabelIntake(uid -> {
            try {
                return archive.header(uid);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, Duration.ofMinutes(10), ArchivePolicy.defaults(), new LabelIntake.Sink() {
            @Override public void refused(LabelIntake.Incoming label, String reason) { refused.add(label.key() + ": " + reason); }
            @Override public void accepted(LabelIntake.Accepted label, Optional<LabelIntake.Accepted> replaced) {
                accepted.add(label.seriesUid() + ":" + label.task());
                sameAsReplaced.add(replaced.filter(r -> r.digest().equals(label.digest())).isPresent());
            }
        });
    }

    private LabelIntake.Incoming in(CorrectedLabel l, Instant at) {
        return new LabelIntake.Incoming(l.getSeriesUid() + ":" + l.getTask(), l, new byte[] {1}, "t", 0, offset++, at);
    }

    private long offset;

    @Test
    void aLabelSaysWhetherItRepeatsTheMaskOfTheLabelItReplaces() throws Exception {
        archive.store(Fixtures.assemble("7.8", "chest", 16, 4));
        Mask3D truth = Fixtures.truth(16, 4);
        intake.offer(in(LabelMaker.label("7.8", "lung", truth, "dr", "radiologist", null), t0));
        intake.offer(in(LabelMaker.label("7.8", "lung", truth.copy(), "another reader", "radiologist", "re-sent"), t0));
        Mask3D corrected = truth.copy();
        corrected.set(0, !corrected.get(0));
        intake.offer(in(LabelMaker.label("7.8", "lung", corrected, "dr", "radiologist", null), t0));

        assertThat(accepted).containsExactly("7.8:lung", "7.8:lung", "7.8:lung");
        assertThat(sameAsReplaced).containsExactly(false, true, false);
        assertThat(intake.accepted("lung")).singleElement().satisfies(a -> assertThat(a.mask()).isEqualTo(corrected));
        // the digest is the voxels' and their grid's, not the sender's
        assertThat(LabelIntake.maskDigest(LabelMaker.label("7.8", "lung", truth, "x", "simulated", null)))
                .isEqualTo(LabelIntake.maskDigest(LabelMaker.label("7.9", "lung", truth, "y", "radiologist", "n")))
                .isNotEqualTo(LabelIntake.maskDigest(LabelMaker.label("7.8", "lung", corrected, "x", "simulated", null)));
        // two empty masks have the same run-length code; their grids tell them apart
        assertThat(LabelIntake.maskDigest(LabelMaker.label("7.8", "lung", new Mask3D(16, 16, 4), "x", "simulated", null)))
                .isNotEqualTo(LabelIntake.maskDigest(LabelMaker.label("7.8", "lung", new Mask3D(16, 4, 16), "x", "simulated", null)));
    }

    private static CorrectedLabel fromSeg(String series, String task, Mask3D mask, String segSop) {
        return CorrectedLabel.newBuilder(LabelMaker.label(series, task, mask, "dr", "radiologist", "DICOM SEG " + segSop))
                .setSourceInstanceUid(segSop).build();
    }

    @Test
    void aSegmentationThePacsRejectedTakesTheLabelsReadFromItAndALaterOneFromItIsRefused() throws Exception {
        archive.store(Fixtures.assemble("7.8", "chest", 16, 4));
        archive.store(Fixtures.assemble("7.11", "chest", 16, 4));
        Mask3D truth = Fixtures.truth(16, 4);
        intake.offer(in(fromSeg("7.8", "lung", truth, "9.1"), t0));
        intake.offer(in(fromSeg("7.8", "infection", new Mask3D(16, 16, 4), "9.1"), t0)); // the same SEG, a second segment
        intake.offer(in(fromSeg("7.9", "lung", truth, "9.2"), t0)); // waits for its images
        intake.offer(in(fromSeg("7.10", "lung", truth, "9.3"), t0)); // another SEG: stays
        intake.offer(in(LabelMaker.label("7.11", "lung", truth, "dr", "radiologist", null), t0)); // a file: no source

        LabelIntake.Withdrawn took = intake.instancesRejected(java.util.Map.of("9.1", "SEG 9.1 rejected",
                "9.2", "SEG 9.2 rejected", "1.2.3.4", "a CT slice rejected"));
        assertThat(took.accepted()).extracting(LabelIntake.Accepted::key).containsExactly("7.8:lung", "7.8:infection");
        assertThat(took.waiting()).extracting(LabelIntake.Incoming::key).containsExactly("7.9:lung");
        assertThat(intake.accepted("lung")).extracting(LabelIntake.Accepted::key).containsExactly("7.11:lung");
        assertThat(intake.isPending("7.10:lung")).isTrue();
        // the series themselves stay: a new correction of them is taken
        assertThat(intake.withdrawal("7.8")).isEmpty();
        assertThat(intake.offer(in(fromSeg("7.8", "lung", truth, "9.4"), t0)).isRefused()).isFalse();

        // the rejected SEG read again (the label topic at a restart, or the SEG forwarded again) is refused
        LabelValidator.Verdict again = intake.offer(in(fromSeg("7.8", "lung", truth, "9.1"), t0));
        assertThat(again.isRefused()).isTrue();
        assertThat(refused).containsExactly("7.8:lung: SEG 9.1 rejected");
    }

    @Test
    void aSeriesThePacsWithdrewTakesItsLabelsWithItAndALaterLabelOfItIsRefused() throws Exception {
        archive.store(Fixtures.assemble("7.8", "chest", 16, 4));
        Mask3D truth = Fixtures.truth(16, 4);
        intake.offer(in(LabelMaker.label("7.8", "lung", truth, "dr", "radiologist", null), t0));
        intake.offer(in(LabelMaker.label("7.8", "infection", new Mask3D(16, 16, 4), "dr", "radiologist", null), t0));
        intake.offer(in(LabelMaker.label("7.9", "lung", truth, "dr", "radiologist", null), t0)); // waits for its images
        intake.offer(in(LabelMaker.label("7.10", "lung", truth, "dr", "radiologist", null), t0)); // another series: stays

        LabelIntake.Withdrawn took = intake.seriesWithdrawn("7.8", "withdrawn by the PACS");
        assertThat(took.accepted()).extracting(LabelIntake.Accepted::key).containsExactly("7.8:lung", "7.8:infection");
        assertThat(took.accepted()).allMatch(a -> a.partition() == 0);
        assertThat(took.waiting()).isEmpty();
        assertThat(intake.seriesWithdrawn("7.9", "withdrawn too").waiting()).extracting(LabelIntake.Incoming::key)
                .containsExactly("7.9:lung");
        assertThat(intake.accepted("lung")).isEmpty();
        assertThat(intake.accepted("infection")).isEmpty();
        assertThat(intake.isPending("7.10:lung")).isTrue();
        assertThat(intake.withdrawal("7.8")).hasValue("withdrawn by the PACS");
        assertThat(intake.withdrawal("7.10")).isEmpty();

        LabelValidator.Verdict later = intake.offer(in(LabelMaker.label("7.8", "lung", truth, "dr", "radiologist", null), t0));
        assertThat(later.isRefused()).isTrue();
        assertThat(refused).containsExactly("7.8:lung: withdrawn by the PACS");
        assertThat(intake.accepted("lung")).isEmpty();
    }

    @Test
    void labelWaitsForItsImagesAndIsUsedWhenTheyArrive() throws Exception {
        Mask3D truth = Fixtures.truth(16, 4);
        LabelValidator.Verdict v = intake.offer(in(LabelMaker.label("7.7", "lung", truth, "dr", "radiologist", null), t0));
        assertThat(v.isWaiting()).isTrue();
        assertThat(intake.pendingCount()).isEqualTo(1);
        assertThat(intake.accepted("lung")).isEmpty();

        archive.store(Fixtures.assemble("7.7", "chest", 16, 4));
        assertThat(intake.seriesArchived("7.7")).isEqualTo(1);
        assertThat(intake.pendingCount()).isZero();
        assertThat(accepted).containsExactly("7.7:lung");
        assertThat(intake.accepted("lung")).singleElement().satisfies(a -> assertThat(a.mask()).isEqualTo(truth));
        assertThat(refused).isEmpty();
    }

    @Test
    void labelForASeriesThatNeverArrivesIsRefusedAfterTheTimeout() {
        intake.offer(in(LabelMaker.label("8.8", "liver", new Mask3D(4, 4, 2), "dr", "radiologist", null), t0));
        assertThat(intake.expire(t0.plus(Duration.ofMinutes(9)))).isZero();
        assertThat(intake.expire(t0.plus(Duration.ofMinutes(10)))).isEqualTo(1);
        assertThat(refused).containsExactly("8.8:liver: unknown series 8.8: no images of it were archived within PT10M of the label's arrival "
                + "(a series no label names is removed from the archive 30 days after it arrived)");
    }

    @Test
    void unknownTaskIsRefused() {
        intake.offer(in(LabelMaker.label("7.7", "spleen", new Mask3D(4, 4, 2), "dr", "radiologist", null), t0));
        assertThat(refused).containsExactly("7.7:spleen: unknown task 'spleen' (a label names one of lung, infection, liver, vessel)");
    }

    @Test
    void maskOfTheWrongSizeIsRefused() throws Exception {
        archive.store(Fixtures.assemble("7.8", "chest", 16, 4));
        intake.offer(in(LabelMaker.label("7.8", "lung", new Mask3D(16, 16, 5), "dr", "radiologist", null), t0));
        assertThat(refused).containsExactly("7.8:lung: mask size 16×16×5 does not match series 7.8 (16×16×4)");
        assertThat(intake.accepted("lung")).isEmpty();
    }

    @Test
    void taskOfTheWrongBodyPartIsRefused() throws Exception {
        archive.store(Fixtures.assemble("7.9", "chest", 16, 4));
        intake.offer(in(LabelMaker.label("7.9", "liver", new Mask3D(16, 16, 4), "dr", "radiologist", null), t0));
        assertThat(refused).containsExactly("7.9:liver: task liver needs a liver series, but series 7.9 arrived on the chest task topic");
    }

    @Test
    void laterLabelOfTheSameSeriesAndTaskReplacesTheEarlier() throws Exception {
        archive.store(Fixtures.assemble("7.6", "chest", 16, 4));
        intake.offer(in(LabelMaker.label("7.6", "lung", new Mask3D(16, 16, 4), "dr", "hu-bootstrap", null), t0));
        intake.offer(in(LabelMaker.label("7.6", "lung", Fixtures.truth(16, 4), "dr", "radiologist", null), t0.plusSeconds(5)));
        assertThat(intake.accepted("lung")).singleElement().satisfies(a -> {
            assertThat(a.label().getSource()).isEqualTo("radiologist");
            assertThat(a.key()).isEqualTo("7.6:lung");
            assertThat(a.offset()).isEqualTo(1);
        });
    }

    @Test
    void aWithdrawnLabelIsNoLongerAcceptedOrWaiting() throws Exception {
        archive.store(Fixtures.assemble("7.7", "chest", 16, 4));
        intake.offer(in(LabelMaker.label("7.7", "lung", Fixtures.truth(16, 4), "dr", "radiologist", null), t0));
        intake.offer(in(LabelMaker.label("8.8", "lung", Fixtures.truth(16, 4), "dr", "radiologist", null), t0));
        assertThat(intake.accepted("lung")).hasSize(1);
        assertThat(intake.pendingCount()).isEqualTo(1);
        assertThat(intake.labelledSeries()).containsExactlyInAnyOrder("7.7", "8.8");

        assertThat(intake.withdraw("7.7:lung")).isTrue();
        assertThat(intake.withdraw("8.8:lung")).isTrue();
        assertThat(intake.withdraw("9.9:lung")).isFalse();

        assertThat(intake.accepted("lung")).isEmpty();
        assertThat(intake.pendingCount()).isZero();
        assertThat(intake.labelledSeries()).isEmpty();
        // the images of 8.8 arriving later find no label waiting
        archive.store(Fixtures.assemble("8.8", "chest", 16, 4));
        assertThat(intake.seriesArchived("8.8")).isZero();
        assertThat(refused).isEmpty();
    }
}
