package org.radstream.trainer;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Replaces patient identifiers by a keyed hash (HMAC-SHA256 under a configured secret). The same
 * patient always maps to the same pseudonym, so longitudinal training data stays linked, while
 * nobody without the secret can test a guessed identifier against the archive (as they could
 * with a plain hash of a short medical record number).
 */
public final class Deidentifier {
    private static final String ALGORITHM = "HmacSHA256";
    private final SecretKeySpec key;

    /** @param secret at least 16 bytes of secret; never stored in the archive */
    public Deidentifier(byte[] secret) {
        if (secret == null || secret.length < 16) {
            throw new IllegalArgumentException("the de-identification secret must have at least 16 bytes");
        }
        this.key = new SecretKeySpec(secret.clone(), ALGORITHM);
    }

    public static Deidentifier of(String secret) {
        return new Deidentifier(secret == null ? null : secret.getBytes(StandardCharsets.UTF_8));
    }

    /** Lower-case hex HMAC-SHA256 of {@code identifier}, prefixed {@code hmac:}; null stays null. */
    public String pseudonym(String identifier) {
        if (identifier == null) {
            return null;
        }
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return "hmac:" + HexFormat.of().formatHex(mac.doFinal(identifier.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("every JVM has " + ALGORITHM, e);
        }
    }
}
