package org.radstream.ingest;

import java.util.List;

/**
 * The STOW-RS response (PS3.18 §10.5.3): a DICOM JSON data set with ReferencedSOPSequence
 * (0008,1199) for stored instances and FailedSOPSequence (0008,1198) with FailureReason
 * (0008,1197) for the others, and the HTTP status: 200 all stored, 202 some failed, 409 all failed.
 * A duplicate of a stored instance counts as stored.
 */
final class StowResponse {
    static final int OK = 200;
    static final int ACCEPTED = 202;
    static final int CONFLICT = 409;

    private StowResponse() {}

    static int httpStatus(List<Outcome> outcomes) {
        long stored = outcomes.stream().filter(Outcome::stored).count();
        if (stored == outcomes.size()) {
            return OK;
        }
        return stored == 0 ? CONFLICT : ACCEPTED;
    }

    /** The application/dicom+json body. */
    static String json(List<Outcome> outcomes) {
        StringBuilder referenced = new StringBuilder();
        StringBuilder failed = new StringBuilder();
        for (Outcome o : outcomes) {
            StringBuilder item = o.stored() ? referenced : failed;
            if (item.length() > 0) {
                item.append(',');
            }
            item.append('{');
            boolean first = true;
            if (o.sopClassUid() != null) {
                item.append("\"00081150\":{\"vr\":\"UI\",\"Value\":[").append(quote(o.sopClassUid())).append("]}");
                first = false;
            }
            if (o.sopInstanceUid() != null) {
                item.append(first ? "" : ",").append("\"00081155\":{\"vr\":\"UI\",\"Value\":[")
                        .append(quote(o.sopInstanceUid())).append("]}");
                first = false;
            }
            if (!o.stored()) {
                item.append(first ? "" : ",").append("\"00081197\":{\"vr\":\"US\",\"Value\":[").append(o.status()).append("]}");
            }
            item.append('}');
        }
        StringBuilder out = new StringBuilder("{");
        boolean any = false;
        if (failed.length() > 0) {
            out.append("\"00081198\":{\"vr\":\"SQ\",\"Value\":[").append(failed).append("]}");
            any = true;
        }
        if (referenced.length() > 0) {
            out.append(any ? "," : "").append("\"00081199\":{\"vr\":\"SQ\",\"Value\":[").append(referenced).append("]}");
        }
        return out.append('}').toString();
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
