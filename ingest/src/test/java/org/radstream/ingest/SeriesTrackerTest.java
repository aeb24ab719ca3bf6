package org.radstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.radstream.avro.DicomSlice;
import org.radstream.avro.DicomSliceEvent;
import org.radstream.avro.RejectedInstance;
import org.radstream.avro.SeriesComplete;

class SeriesTrackerTest {
    final AtomicLong clock = new AtomicLong();
    final List<DicomSliceEvent> published = new ArrayList<>();
    boolean down;
    final Publisher publisher = new Publisher() {
        @Override
        public void publishSlice(DicomSliceEvent event) throws PublishException {
            if (down) {
                throw new PublishException("broker down", null);
            }
            published.add(event);
        }

        @Override
        public void publishRejected(RejectedInstance rejected) {}

        @Override
        public void publishSegmentation(org.radstream.avro.ReceivedSegmentation segmentation) {}

        @Override
        public void publishRejectionNote(org.radstream.avro.RejectionNote note) {}

        @Override
        public void close() {}
    };
    final SeriesTracker tracker = new SeriesTracker(publisher, Duration.ofSeconds(1), Duration.ofSeconds(60), clock::get);

    @Test
    void duplicatesPublishOnceMarkerFollowsStabilityAndAReopenedSeriesGetsASecondMarker() throws Exception {
        assertThat(tracker.publish(slice("S", "1"))).isEqualTo(SeriesTracker.Result.PUBLISHED);
        assertThat(tracker.publish(slice("S", "2"))).isEqualTo(SeriesTracker.Result.PUBLISHED);
        assertThat(tracker.publish(slice("S", "1"))).isEqualTo(SeriesTracker.Result.DUPLICATE);
        clock.addAndGet(Duration.ofMillis(999).toNanos());
        assertThat(tracker.sweep(false)).isEmpty();
        clock.addAndGet(Duration.ofMillis(1).toNanos());
        assertThat(tracker.sweep(false)).containsExactly("S");
        assertThat(tracker.sweep(false)).isEmpty();
        assertThat(((SeriesComplete) published.get(2).getBody()).getInstanceCount()).isEqualTo(2);

        // a late duplicate does not reopen; a new instance does, and the next marker counts all three
        assertThat(tracker.publish(slice("S", "2"))).isEqualTo(SeriesTracker.Result.DUPLICATE);
        assertThat(tracker.publish(slice("S", "3"))).isEqualTo(SeriesTracker.Result.PUBLISHED);
        clock.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(tracker.sweep(false)).containsExactly("S");
        assertThat(published).hasSize(5);
        assertThat(((SeriesComplete) published.get(4).getBody()).getInstanceCount()).isEqualTo(3);
    }

    @Test
    void aFailedPublishIsNotRememberedSoTheResendIsPublished() throws Exception {
        down = true;
        assertThatThrownBy(() -> tracker.publish(slice("T", "1"))).isInstanceOf(Publisher.PublishException.class);
        clock.addAndGet(Duration.ofSeconds(5).toNanos());
        assertThat(tracker.sweep(false)).isEmpty(); // nothing published: no marker
        down = false;
        assertThat(tracker.publish(slice("T", "1"))).isEqualTo(SeriesTracker.Result.PUBLISHED);
        assertThat(tracker.sweep(true)).containsExactly("T");
        assertThat(published).hasSize(2);
    }

    private static DicomSlice slice(String series, String sop) {
        return DicomSlice.newBuilder().setPatientId("P").setStudyUid("1").setSeriesUid(series).setSopInstanceUid(sop)
                .setSopClassUid("1.2.840.10008.5.1.4.1.1.2").setModality("CT").setAcquisitionTime(Instant.EPOCH)
                .setInstanceNumber(1).setRows(1).setColumns(1).setPixelSpacingRow(1).setPixelSpacingColumn(1)
                .setImagePositionPatient(List.of(0.0, 0.0, 0.0)).setImageOrientationPatient(List.of(1.0, 0.0, 0.0, 0.0, 1.0, 0.0))
                .setRescaleSlope(1).setRescaleIntercept(0).setBitsAllocated(16).setPixelRepresentation(1)
                .setPixels(ByteBuffer.wrap(new byte[2])).setTransferSyntaxUid("1.2.840.10008.1.2.1").setCallingAe("X")
                .setReceivedAt(Instant.EPOCH).build();
    }
}
