package org.radstream.ingest;

import com.pixelmed.network.AnyExplicitStorePresentationContextSelectionPolicy;
import com.pixelmed.network.PresentationContext;
import com.pixelmed.network.PresentationContextSelectionPolicy;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedList;
import java.util.List;
import java.util.Set;

/**
 * PixelMed's any-explicit store policy (every storage SOP class and Verification, in any recognised
 * transfer syntax), steering senders to what radstream can decode. Where a sender offers a SOP class
 * in a transfer syntax radstream decodes ({@link CtInstanceReader#SUPPORTED_TRANSFER_SYNTAXES}), the
 * others it offers for that class are dropped from each presentation context, and a context left
 * with none is refused (transfer syntaxes not supported): a PACS that prefers JPEG 2000 but can send
 * uncompressed then sends uncompressed instead of having every instance refused. A SOP class offered
 * only in syntaxes radstream cannot decode is still accepted, so that each instance is received and
 * refused with a status and a dead letter, not lost at negotiation.
 */
final class DecodableFirstPolicy implements PresentationContextSelectionPolicy {
    /** A-ASSOCIATE-AC presentation context result (PS3.8 §9.3.3.2): provider rejection, transfer syntaxes not supported. */
    static final byte TRANSFER_SYNTAXES_NOT_SUPPORTED = 4;

    private final PresentationContextSelectionPolicy any = new AnyExplicitStorePresentationContextSelectionPolicy();

    @Override
    public LinkedList applyPresentationContextSelectionPolicy(LinkedList contexts, int association, int debugLevel) {
        return applyPresentationContextSelectionPolicy(contexts, association);
    }

    @Override
    @SuppressWarnings("unchecked")
    public LinkedList applyPresentationContextSelectionPolicy(LinkedList contexts, int association) {
        Set<String> decodable = new HashSet<>();
        for (Object o : contexts) {
            PresentationContext pc = (PresentationContext) o;
            if (supported(pc).size() > 0) {
                decodable.add(pc.getAbstractSyntaxUID());
            }
        }
        // contexts left with nothing radstream decodes are answered here, unseen by PixelMed's policy (which would
        // otherwise take such an explicit context over an implicit one of the same class)
        LinkedList<Object> offered = new LinkedList<>();
        List<PresentationContext> refused = new ArrayList<>();
        for (Object o : contexts) {
            PresentationContext pc = (PresentationContext) o;
            List<String> keep = supported(pc);
            if (!decodable.contains(pc.getAbstractSyntaxUID()) || keep.size() == pc.getTransferSyntaxUIDs().size()) {
                offered.add(pc);
            } else if (keep.isEmpty()) {
                String first = pc.getTransferSyntaxUIDs().get(0).toString();
                pc.newTransferSyntaxUIDs();
                pc.addTransferSyntaxUID(first); // the answer's transfer syntax item, ignored for a refused context
                pc.setResultReason(TRANSFER_SYNTAXES_NOT_SUPPORTED);
                refused.add(pc);
            } else {
                pc.newTransferSyntaxUIDs();
                keep.forEach(pc::addTransferSyntaxUID);
                offered.add(pc);
            }
        }
        LinkedList<Object> answered = new LinkedList<>(any.applyPresentationContextSelectionPolicy(offered, association));
        answered.addAll(refused);
        answered.sort(Comparator.comparingInt(o -> ((PresentationContext) o).getIdentifier() & 0xff));
        return answered;
    }

    private static List<String> supported(PresentationContext pc) {
        return ((List<?>) pc.getTransferSyntaxUIDs()).stream().map(Object::toString)
                .filter(CtInstanceReader.SUPPORTED_TRANSFER_SYNTAXES::contains).toList();
    }
}
