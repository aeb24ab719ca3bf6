package org.radstream.ingest;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A parsed {@code multipart/related} body (RFC 2387 over RFC 2046 framing) as STOW-RS sends it:
 * parts separated by {@code --boundary} lines, each with its headers, a blank line and its bytes;
 * the body ends with {@code --boundary--}. Preamble and epilogue are ignored.
 */
final class MultipartRelated {

    /** One part: lower-cased header names to values, and the body bytes. */
    record Part(Map<String, String> headers, byte[] body) {
        String contentType() {
            String ct = headers.get("content-type");
            return ct == null ? null : ct.trim();
        }
    }

    /** The request is not a well-formed multipart/related body: STOW-RS answers 400 or 415. */
    static final class MalformedException extends Exception {
        final int httpStatus;

        MalformedException(int httpStatus, String message) {
            super(message);
            this.httpStatus = httpStatus;
        }
    }

    /** The media type and parameters of a Content-Type header; names lower-cased, quotes removed. */
    record MediaType(String type, Map<String, String> parameters) {
        static MediaType parse(String header) {
            List<String> pieces = splitParameters(header == null ? "" : header);
            String type = pieces.isEmpty() ? "" : pieces.get(0).trim().toLowerCase(Locale.ROOT);
            Map<String, String> params = new LinkedHashMap<>();
            for (int i = 1; i < pieces.size(); i++) {
                String p = pieces.get(i);
                int eq = p.indexOf('=');
                if (eq <= 0) {
                    continue;
                }
                String name = p.substring(0, eq).trim().toLowerCase(Locale.ROOT);
                String value = p.substring(eq + 1).trim();
                if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                    value = value.substring(1, value.length() - 1);
                }
                params.put(name, value);
            }
            return new MediaType(type, params);
        }

        /** Splits at semicolons outside quotes. */
        private static List<String> splitParameters(String s) {
            List<String> out = new ArrayList<>();
            StringBuilder cur = new StringBuilder();
            boolean quoted = false;
            for (char c : s.toCharArray()) {
                if (c == '"') {
                    quoted = !quoted;
                }
                if (c == ';' && !quoted) {
                    out.add(cur.toString());
                    cur.setLength(0);
                } else {
                    cur.append(c);
                }
            }
            out.add(cur.toString());
            return out;
        }
    }

    private MultipartRelated() {}

    /**
     * Checks the request's Content-Type (multipart/related with a boundary and, when present, type
     * application/dicom) and splits the body.
     */
    static List<Part> parse(String contentType, byte[] body) throws MalformedException {
        MediaType media = MediaType.parse(contentType);
        if (!"multipart/related".equals(media.type())) {
            throw new MalformedException(415, "Content-Type must be multipart/related; type=\"application/dicom\", got "
                    + contentType);
        }
        String type = media.parameters().get("type");
        if (type != null && !"application/dicom".equalsIgnoreCase(type.trim())) {
            throw new MalformedException(415, "only type=\"application/dicom\" is supported, got type=\"" + type + "\"");
        }
        String boundary = media.parameters().get("boundary");
        if (boundary == null || boundary.isEmpty() || boundary.length() > 70) {
            throw new MalformedException(400, "Content-Type has no usable boundary parameter: " + contentType);
        }
        return split(body, ("--" + boundary).getBytes(StandardCharsets.US_ASCII));
    }

    private static List<Part> split(byte[] body, byte[] delimiter) throws MalformedException {
        int pos = indexOf(body, delimiter, 0);
        if (pos < 0 || (pos > 0 && !precededByLineBreak(body, pos))) {
            throw new MalformedException(400, "multipart body does not contain its boundary");
        }
        List<Part> parts = new ArrayList<>();
        while (true) {
            int after = pos + delimiter.length;
            if (after + 1 < body.length && body[after] == '-' && body[after + 1] == '-') {
                break; // close delimiter
            }
            int lineEnd = indexOf(body, new byte[] {'\r', '\n'}, after);
            if (lineEnd < 0) {
                throw new MalformedException(400, "multipart body ends without the closing boundary");
            }
            int headersEnd = indexOf(body, new byte[] {'\r', '\n', '\r', '\n'}, lineEnd);
            int bodyStart;
            Map<String, String> headers;
            if (headersEnd == lineEnd) {
                headers = Map.of();
                bodyStart = lineEnd + 4;
            } else {
                if (headersEnd < 0) {
                    throw new MalformedException(400, "part " + (parts.size() + 1) + " has no end of headers");
                }
                headers = headers(new String(body, lineEnd + 2, headersEnd - lineEnd - 2, StandardCharsets.ISO_8859_1));
                bodyStart = headersEnd + 4;
            }
            int next = indexOf(body, crlf(delimiter), bodyStart);
            if (next < 0) {
                throw new MalformedException(400, "part " + (parts.size() + 1) + " is not followed by a boundary");
            }
            parts.add(new Part(headers, java.util.Arrays.copyOfRange(body, bodyStart, next)));
            pos = next + 2;
        }
        if (parts.isEmpty()) {
            throw new MalformedException(400, "multipart body has no parts");
        }
        return parts;
    }

    private static Map<String, String> headers(String block) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : block.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                out.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
            }
        }
        return out;
    }

    private static byte[] crlf(byte[] delimiter) {
        byte[] d = new byte[delimiter.length + 2];
        d[0] = '\r';
        d[1] = '\n';
        System.arraycopy(delimiter, 0, d, 2, delimiter.length);
        return d;
    }

    private static boolean precededByLineBreak(byte[] body, int pos) {
        return pos >= 2 && body[pos - 2] == '\r' && body[pos - 1] == '\n';
    }

    /** First index of {@code pattern} in {@code data} at or after {@code from}; -1 if none. */
    static int indexOf(byte[] data, byte[] pattern, int from) {
        int last = data.length - pattern.length;
        byte first = pattern[0];
        outer:
        for (int i = Math.max(0, from); i <= last; i++) {
            if (data[i] != first) {
                continue;
            }
            for (int j = 1; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
