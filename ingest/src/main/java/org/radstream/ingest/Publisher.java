package org.radstream.ingest;

import org.radstream.avro.DicomSliceEvent;
import org.radstream.avro.ReceivedSegmentation;
import org.radstream.avro.RejectedInstance;
import org.radstream.avro.RejectionNote;

/** Where ingest writes: synchronous, so a caller knows the record is acknowledged when it returns. */
interface Publisher extends AutoCloseable {

    /** Publishes one event of the slices topic keyed by its series UID; returns once acknowledged. */
    void publishSlice(DicomSliceEvent event) throws PublishException, InterruptedException;

    /** Publishes a received DICOM Segmentation keyed by the series it was made on; returns once acknowledged. */
    void publishSegmentation(ReceivedSegmentation segmentation) throws PublishException, InterruptedException;

    /** Publishes an IOCM rejection note keyed by its patient id; returns once acknowledged. */
    void publishRejectionNote(RejectionNote note) throws PublishException, InterruptedException;

    /** Publishes a dead letter keyed by SOP instance UID (or a placeholder when unknown). */
    void publishRejected(RejectedInstance rejected) throws PublishException, InterruptedException;

    /**
     * Why publishing cannot work now although nothing was sent yet, e.g. Kafka refusing this
     * service's credentials; empty when nothing is known to be wrong.
     */
    default java.util.Optional<String> problem() {
        return java.util.Optional.empty();
    }

    @Override
    void close();

    /** The record was not acknowledged within the bound: the sender must be told to retry. */
    final class PublishException extends Exception {
        PublishException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
