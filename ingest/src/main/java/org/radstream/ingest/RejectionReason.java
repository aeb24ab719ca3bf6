package org.radstream.ingest;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Why instances were withdrawn: the titles of IHE IOCM rejection notes (DCM codes; PS3.16 CID 7011),
 * the same whether a PACS sends the note or an operator withdraws a series by hand.
 */
public enum RejectionReason {
    QUALITY("113001", "Rejected for Quality Reasons"),
    SAFETY("113037", "Rejected for Patient Safety Reasons"),
    WORKLIST("113038", "Incorrect Modality Worklist Entry"),
    RETENTION("113039", "Data Retention Policy Expired");

    private final String code;
    private final String meaning;

    RejectionReason(String code, String meaning) {
        this.code = code;
        this.meaning = meaning;
    }

    /** The DCM code of the note's title. */
    public String code() {
        return code;
    }

    /** The code's meaning, as the note's title reads. */
    public String meaning() {
        return meaning;
    }

    /** Every title, code to meaning. */
    static Map<String, String> titles() {
        Map<String, String> out = new LinkedHashMap<>();
        for (RejectionReason r : values()) {
            out.put(r.code, r.meaning);
        }
        return Map.copyOf(out);
    }
}
