package org.radstream.ingest;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Encodes C-STORE-RSP and C-ECHO-RSP command sets (implicit VR little endian, PS3.7 §9.3 and §E).
 * PixelMed's response messages take no Error Comment (0000,0902); radstream puts the refusal's
 * reason there (first 64 characters) so that the sender's log says why, as storescu prints it.
 */
final class DimseResponses {
    private static final int C_STORE_RSP = 0x8001;
    private static final int C_ECHO_RSP = 0x8030;
    private static final int NO_DATA_SET = 0x0101;

    private DimseResponses() {}

    static byte[] cStore(String sopClassUid, String sopInstanceUid, int messageId, int status, String errorComment) {
        ByteArrayOutputStream body = new ByteArrayOutputStream(256);
        uid(body, 0x0002, sopClassUid);
        us(body, 0x0100, C_STORE_RSP);
        us(body, 0x0120, messageId);
        us(body, 0x0800, NO_DATA_SET);
        us(body, 0x0900, status);
        if (status != DimseStatus.SUCCESS && errorComment != null && !errorComment.isEmpty()) {
            String lo = errorComment.replace('\\', '/').replaceAll("[\\p{Cntrl}]", " ");
            element(body, 0x0902, padEven(lo.length() > 64 ? lo.substring(0, 64) : lo, ' '));
        }
        uid(body, 0x1000, sopInstanceUid);
        return withGroupLength(body);
    }

    static byte[] cEcho(String sopClassUid, int messageId) {
        ByteArrayOutputStream body = new ByteArrayOutputStream(96);
        uid(body, 0x0002, sopClassUid);
        us(body, 0x0100, C_ECHO_RSP);
        us(body, 0x0120, messageId);
        us(body, 0x0800, NO_DATA_SET);
        us(body, 0x0900, DimseStatus.SUCCESS);
        return withGroupLength(body);
    }

    private static byte[] withGroupLength(ByteArrayOutputStream body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.size() + 12);
        header(out, 0x0000, 4);
        int n = body.size();
        out.write(n);
        out.write(n >>> 8);
        out.write(n >>> 16);
        out.write(n >>> 24);
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }

    private static void uid(ByteArrayOutputStream out, int element, String uid) {
        element(out, element, padEven(uid == null ? "" : uid, '\0'));
    }

    private static void us(ByteArrayOutputStream out, int element, int value) {
        header(out, element, 2);
        out.write(value);
        out.write(value >>> 8);
    }

    private static void element(ByteArrayOutputStream out, int element, byte[] value) {
        header(out, element, value.length);
        out.writeBytes(value);
    }

    /** Group 0000, implicit VR: tag (little endian) and a 4-byte length. */
    private static void header(ByteArrayOutputStream out, int element, int length) {
        out.write(0);
        out.write(0);
        out.write(element);
        out.write(element >>> 8);
        out.write(length);
        out.write(length >>> 8);
        out.write(length >>> 16);
        out.write(length >>> 24);
    }

    private static byte[] padEven(String s, char pad) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        if (b.length % 2 == 0) {
            return b;
        }
        byte[] p = java.util.Arrays.copyOf(b, b.length + 1);
        p[b.length] = (byte) pad;
        return p;
    }
}
