package org.radstream.trainer;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.radstream.avro.CorrectedLabel;
import org.radstream.avro.Mask;
import org.radstream.imaging.Mask3D;

/**
 * The label store of the trainer: validates incoming corrected labels, keeps the accepted ones
 * (latest per series and task wins, as on the compacted topic), keeps labels for series not yet
 * archived waiting until their images arrive, and refuses, through the {@link Sink}, what is
 * invalid or what waited longer than the configured time. Thread-safe: the label consumer, the
 * archive consumer and the trainer thread all call it.
 */
final class LabelIntake {

    /** A label as read, with where it came from (for dead letters). */
    record Incoming(String key, CorrectedLabel label, byte[] raw, String topic, int partition, long offset,
                    Instant receivedAt) {}

    /**
     * An accepted label, its key and its offset on the label topic (a corrected label is a new
     * offset under the same key), and the digest of its mask ({@link #maskDigest(CorrectedLabel)}): the
     * same mask sent again is a new offset with the same digest, and teaches a run nothing new. Its
     * mask stays run-length encoded, as it came, and is decoded when a run reads it: decoded, a
     * 512² × 600 series' mask takes 157 MB, and the store holds every label.
     */
    record Accepted(String key, long offset, CorrectedLabel label, Instant acceptedAt, String digest, int partition) {
        Accepted(String key, long offset, CorrectedLabel label, Instant acceptedAt) {
            this(key, offset, label, acceptedAt, maskDigest(label), 0);
        }

        /** The label read from {@code partition} of the label topic. */
        Accepted(String key, int partition, long offset, CorrectedLabel label, Instant acceptedAt) {
            this(key, offset, label, acceptedAt, maskDigest(label), partition);
        }

        String seriesUid() { return label.getSeriesUid().toString(); }
        String task() { return label.getTask().toString(); }

        /** The mask, decoded (validated when the label was accepted). */
        Mask3D mask() {
            return LabelValidator.decode(label.getMask());
        }
    }

    /**
     * The SHA-256 of a label's mask (its grid and its run-length code, which {@code Rle.encode}
     * makes the same for the same voxels), in hex: what a run learns from the label. Who sent it
     * and when are not part of it.
     */
    static String maskDigest(CorrectedLabel label) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            Mask m = label.getMask();
            md.update(ByteBuffer.allocate(12).putInt(m.getWidth()).putInt(m.getHeight()).putInt(m.getDepth())
                    .array());
            md.update(m.getRle().duplicate());
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256 in this JVM", e);
        }
    }

    /** Where decisions go. */
    interface Sink {
        void refused(Incoming label, String reason);

        /** @param replaced the accepted label of the same series and task that {@code label} replaces, if any */
        void accepted(Accepted label, Optional<Accepted> replaced);
    }

    private final Function<String, Optional<ArchivedSeries.Header>> archive;
    private final Duration pendingTimeout;
    private final ArchivePolicy archivePolicy;
    private final Sink sink;
    private final Map<String, Incoming> pending = new LinkedHashMap<>();
    private final Map<String, Accepted> accepted = new LinkedHashMap<>();
    /** Series the PACS withdrew (IOCM rejection notes), with why: their labels are refused. */
    private final Map<String, String> withdrawn = new java.util.HashMap<>();
    /**
     * Instances the PACS rejected, with why: a label read from one of them (a radiologist's DICOM
     * Segmentation, its {@code sourceInstanceUid}) is refused. The newest {@link #REJECTED_KEPT} kept.
     */
    private final Map<String, String> rejectedSources = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > REJECTED_KEPT;
        }
    };
    static final int REJECTED_KEPT = 1_000_000;

    /** @param archivePolicy how long the archive keeps a series no label names, said in refusals */
    LabelIntake(Function<String, Optional<ArchivedSeries.Header>> archive, Duration pendingTimeout, ArchivePolicy archivePolicy,
                Sink sink) {
        this.archive = archive;
        this.pendingTimeout = pendingTimeout;
        this.archivePolicy = archivePolicy;
        this.sink = sink;
    }

    /** Validates a label: accepted, kept waiting, or refused through the sink. */
    synchronized LabelValidator.Verdict offer(Incoming in) {
        String why = withdrawn.get(in.label().getSeriesUid().toString());
        if (why == null && in.label().getSourceInstanceUid() != null) {
            why = rejectedSources.get(in.label().getSourceInstanceUid().toString());
        }
        if (why != null) {
            pending.remove(in.key());
            sink.refused(in, why);
            return LabelValidator.Verdict.refused(why);
        }
        LabelValidator.Verdict v = LabelValidator.validate(in.label(), archive.apply(in.label().getSeriesUid().toString()));
        switch (v.kind()) {
            case ACCEPTED -> {
                pending.remove(in.key());
                Accepted a = new Accepted(in.key(), in.partition(), in.offset(), in.label(), in.receivedAt());
                Accepted replaced = accepted.put(in.key(), a);
                sink.accepted(a, Optional.ofNullable(replaced));
            }
            case WAITING -> pending.merge(in.key(), in, (old, neu) -> new Incoming(neu.key(), neu.label(), neu.raw(),
                    neu.topic(), neu.partition(), neu.offset(), old.receivedAt()));
            case REFUSED -> {
                pending.remove(in.key());
                sink.refused(in, v.reason());
            }
        }
        return v;
    }

    /** Retries the labels waiting for {@code seriesUid}, whose images have just been archived. */
    synchronized int seriesArchived(String seriesUid) {
        List<Incoming> retry = new ArrayList<>();
        for (Incoming in : pending.values()) {
            if (in.label().getSeriesUid().toString().equals(seriesUid)) {
                retry.add(in);
            }
        }
        for (Incoming in : retry) {
            pending.remove(in.key());
            offer(in);
        }
        return retry.size();
    }

    /** Refuses, as unknown series, the labels that have waited longer than the timeout. */
    synchronized int expire(Instant now) {
        int n = 0;
        for (Iterator<Incoming> it = pending.values().iterator(); it.hasNext(); ) {
            Incoming in = it.next();
            if (!in.receivedAt().plus(pendingTimeout).isAfter(now)) {
                it.remove();
                n++;
                sink.refused(in, "unknown series " + in.label().getSeriesUid() + ": no images of it were archived within "
                        + pendingTimeout + " of the label's arrival" + (archivePolicy.keepsEverything() ? ""
                                : " (" + archivePolicy.describe() + ")"));
            }
        }
        return n;
    }

    /** The accepted label under {@code key}, if any. */
    synchronized Optional<Accepted> acceptedLabel(String key) {
        return Optional.ofNullable(accepted.get(key));
    }

    /** The label under {@code key} waiting for its series' images, if any. */
    synchronized Optional<Incoming> waitingLabel(String key) {
        return Optional.ofNullable(pending.get(key));
    }

    synchronized int pendingCount() {
        return pending.size();
    }

    synchronized boolean isPending(String key) {
        return pending.containsKey(key);
    }

    /**
     * Withdraws the label under {@code key} (a tombstone on the label topic): it is no longer
     * accepted or waiting, and no later run trains on it.
     *
     * @return whether there was such a label
     */
    synchronized boolean withdraw(String key) {
        boolean wasAccepted = accepted.remove(key) != null;
        boolean wasPending = pending.remove(key) != null;
        return wasAccepted || wasPending;
    }

    /**
     * The PACS withdrew {@code seriesUid}: its labels, accepted or waiting, are taken out and returned
     * (for their dead letters, with {@code why}), and any label of it that comes later is refused.
     */
    synchronized Withdrawn seriesWithdrawn(String seriesUid, String why) {
        withdrawn.put(seriesUid, why);
        return take(label -> label.getSeriesUid().toString().equals(seriesUid));
    }

    /**
     * Instances the PACS rejected ({@code sops}): each label read from one of them (its
     * {@code sourceInstanceUid}), accepted or waiting, is taken out, and a later one is refused with
     * {@code why} of its instance.
     *
     * @param why the reason per rejected instance
     */
    synchronized Withdrawn instancesRejected(Map<String, String> why) {
        rejectedSources.putAll(why);
        return take(label -> label.getSourceInstanceUid() != null && why.containsKey(label.getSourceInstanceUid().toString()));
    }

    /** Takes out the labels, accepted or waiting, that {@code which} selects. */
    private Withdrawn take(java.util.function.Predicate<CorrectedLabel> which) {
        List<Accepted> wereAccepted = new ArrayList<>();
        for (Iterator<Accepted> it = accepted.values().iterator(); it.hasNext(); ) {
            Accepted a = it.next();
            if (which.test(a.label())) {
                wereAccepted.add(a);
                it.remove();
            }
        }
        List<Incoming> wereWaiting = new ArrayList<>();
        for (Iterator<Incoming> it = pending.values().iterator(); it.hasNext(); ) {
            Incoming in = it.next();
            if (which.test(in.label())) {
                wereWaiting.add(in);
                it.remove();
            }
        }
        return new Withdrawn(wereAccepted, wereWaiting);
    }

    /** The labels a withdrawn series took with it. */
    record Withdrawn(List<Accepted> accepted, List<Incoming> waiting) {}

    /** Why the PACS withdrew {@code seriesUid}, if it did. */
    synchronized Optional<String> withdrawal(String seriesUid) {
        return Optional.ofNullable(withdrawn.get(seriesUid));
    }

    /** The series a label names, accepted or waiting for its images. */
    synchronized java.util.Set<String> labelledSeries() {
        java.util.Set<String> out = new java.util.HashSet<>();
        accepted.values().forEach(a -> out.add(a.seriesUid()));
        pending.values().forEach(in -> out.add(in.label().getSeriesUid().toString()));
        return out;
    }

    /** The keys of a task's labels, accepted or waiting for their images. */
    synchronized java.util.Set<String> keys(String task) {
        java.util.Set<String> out = new java.util.TreeSet<>();
        accepted.values().stream().filter(a -> a.task().equals(task)).forEach(a -> out.add(a.key()));
        pending.values().stream().filter(in -> in.label().getTask().toString().equals(task)).forEach(in -> out.add(in.key()));
        return out;
    }

    /** Accepted labels of a task, oldest first. */
    synchronized List<Accepted> accepted(String task) {
        return accepted.values().stream().filter(a -> a.task().equals(task)).toList();
    }
}
