package org.radstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.pixelmed.network.PresentationContext;
import java.util.LinkedHashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which presentation contexts the SCP accepts, and in which transfer syntax. */
class DecodableFirstPolicyTest {
    private static final String CT = "1.2.840.10008.5.1.4.1.1.2";
    private static final String MR = "1.2.840.10008.5.1.4.1.1.4";
    private static final String EXPLICIT_LE = "1.2.840.10008.1.2.1";
    private static final String IMPLICIT_LE = "1.2.840.10008.1.2";
    private static final String JPEG_LS = "1.2.840.10008.1.2.4.80";
    private static final String JPEG_2000 = "1.2.840.10008.1.2.4.90";

    private static PresentationContext context(int id, String sopClass, String... transferSyntaxes) {
        return new PresentationContext((byte) id, sopClass, new LinkedList<>(List.of(transferSyntaxes)));
    }

    /** Each context's result: "accepted TS" or "refused reason". */
    @SuppressWarnings("unchecked")
    private static Map<Integer, String> negotiate(PresentationContext... proposed) {
        LinkedList<Object> contexts = new LinkedList<>(List.of(proposed));
        Map<Integer, String> out = new LinkedHashMap<>();
        for (Object o : new DecodableFirstPolicy().applyPresentationContextSelectionPolicy(contexts, 1)) {
            PresentationContext pc = (PresentationContext) o;
            out.put((int) pc.getIdentifier(), pc.getResultReason() == 0 ? "accepted " + pc.getTransferSyntaxUID()
                    : "refused " + pc.getResultReason());
        }
        return out;
    }

    @Test
    void aSyntaxRadstreamDecodesIsTakenWhereverTheSenderOffersOne() {
        // one context offering JPEG-LS first, then explicit little endian: the latter
        assertThat(negotiate(context(1, CT, JPEG_LS, EXPLICIT_LE))).containsEntry(1, "accepted " + EXPLICIT_LE);
        // a JPEG 2000 context beside an implicit one for the same class: refused, so the sender uses the other
        assertThat(negotiate(context(1, CT, JPEG_2000), context(3, CT, IMPLICIT_LE)))
                .containsEntry(1, "refused " + DecodableFirstPolicy.TRANSFER_SYNTAXES_NOT_SUPPORTED)
                .containsEntry(3, "accepted " + IMPLICIT_LE);
        // a class offered only in what radstream cannot decode: accepted, so each instance is refused with a status
        assertThat(negotiate(context(1, CT, EXPLICIT_LE), context(3, MR, JPEG_2000)))
                .containsEntry(1, "accepted " + EXPLICIT_LE).containsEntry(3, "accepted " + JPEG_2000);
    }
}
