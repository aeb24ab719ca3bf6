package org.radstream.trainer;

import java.util.Optional;
import java.util.Set;
import org.radstream.avro.CorrectedLabel;
import org.radstream.avro.Mask;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Rle;

/**
 * Checks one corrected label against what the trainer knows: the task must be one a label may
 * name, the source one of the three known, the RLE must decode to the declared size, and that size
 * must be the archived series' grid. A label whose series is not archived yet is neither good nor
 * bad: it {@linkplain Verdict#waiting() waits}.
 */
final class LabelValidator {
    static final Set<String> SOURCES = Set.of("radiologist", "hu-bootstrap", "simulated");

    /** Outcome: accepted (with the decoded mask), waiting for images, or refused with a reason. */
    record Verdict(Kind kind, Mask3D mask, String reason) {
        enum Kind { ACCEPTED, WAITING, REFUSED }

        static Verdict accepted(Mask3D mask) { return new Verdict(Kind.ACCEPTED, mask, null); }
        static Verdict waiting(String why) { return new Verdict(Kind.WAITING, null, why); }
        static Verdict refused(String reason) { return new Verdict(Kind.REFUSED, null, reason); }

        boolean isAccepted() { return kind == Kind.ACCEPTED; }
        boolean isWaiting() { return kind == Kind.WAITING; }
        boolean isRefused() { return kind == Kind.REFUSED; }
    }

    private LabelValidator() {}

    /**
     * @param archived the header of the label's series, if it is archived
     */
    static Verdict validate(CorrectedLabel label, Optional<ArchivedSeries.Header> archived) {
        String task = String.valueOf(label.getTask());
        String series = String.valueOf(label.getSeriesUid());
        if (!TrainingTask.isLabelled(task)) {
            return Verdict.refused("unknown task '" + task + "' (a label names one of lung, infection, liver, vessel)");
        }
        if (label.getSource() == null || !SOURCES.contains(label.getSource().toString())) {
            return Verdict.refused("unknown source '" + label.getSource() + "' (radiologist, hu-bootstrap or simulated)");
        }
        Mask m = label.getMask();
        if (m == null || m.getWidth() <= 0 || m.getHeight() <= 0 || m.getDepth() <= 0) {
            return Verdict.refused("mask has no positive size: " + (m == null ? "no mask"
                    : m.getWidth() + "×" + m.getHeight() + "×" + m.getDepth()));
        }
        if ((long) m.getWidth() * m.getHeight() * m.getDepth() > Integer.MAX_VALUE) {
            return Verdict.refused("mask of " + m.getWidth() + "×" + m.getHeight() + "×" + m.getDepth() + " is too large");
        }
        if (archived.isEmpty()) {
            return Verdict.waiting("series " + series + " is not archived yet");
        }
        ArchivedSeries.Header h = archived.get();
        String group = TrainingTask.of(task).group();
        if (!group.equals(h.group())) {
            return Verdict.refused("task " + task + " needs a " + group + " series, but series " + series
                    + " arrived on the " + h.group() + " task topic");
        }
        if (m.getWidth() != h.width() || m.getHeight() != h.height() || m.getDepth() != h.depth()) {
            return Verdict.refused("mask size " + m.getWidth() + "×" + m.getHeight() + "×" + m.getDepth()
                    + " does not match series " + series + " (" + h.width() + "×" + h.height() + "×" + h.depth() + ")");
        }
        try {
            return Verdict.accepted(decode(m));
        } catch (IllegalArgumentException e) {
            return Verdict.refused("mask RLE does not decode: " + e.getMessage());
        }
    }

    /** A label's mask as it travels (its size and runs), decoded. */
    static Mask3D decode(org.radstream.avro.Mask m) {
        byte[] rle = new byte[m.getRle().remaining()];
        m.getRle().duplicate().get(rle);
        return Rle.decode(rle, m.getWidth(), m.getHeight(), m.getDepth());
    }
}
