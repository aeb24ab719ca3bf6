package org.radstream.delivery;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs each webhook POST with a secret shared with the receiver, so that it can tell radstream's
 * alerts from anyone's and refuse a replayed one: HMAC-SHA256 of {@code "<timestamp>.<body>"}, sent as
 * {@value #SIGNATURE_HEADER}{@code : v1=<hex>} with the timestamp (epoch seconds) as
 * {@value #TIMESTAMP_HEADER}. The receiver computes the same over the bytes it got, compares in
 * constant time and refuses a timestamp further than a few minutes from its clock; {@link #verify}
 * does exactly that. Every attempt of a retried alert is signed anew.
 */
public final class WebhookSigner {
    public static final String TIMESTAMP_HEADER = "X-Radstream-Timestamp";
    public static final String SIGNATURE_HEADER = "X-Radstream-Signature";
    /** The variable the launcher reads the secret from, named in messages. */
    public static final String SECRET_VARIABLE = "RADSTREAM_WEBHOOK_SECRET";
    /** The shortest secret accepted. */
    public static final int MIN_SECRET_LENGTH = 16;
    private static final String ALGORITHM = "HmacSHA256";
    private static final String VERSION = "v1=";

    private final SecretKeySpec key;
    private final Clock clock;

    private WebhookSigner(String secret, Clock clock) {
        if (secret == null || secret.length() < MIN_SECRET_LENGTH) {
            throw new IllegalArgumentException("the webhook secret must have at least " + MIN_SECRET_LENGTH
                    + " characters (" + SECRET_VARIABLE + ")");
        }
        this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), ALGORITHM);
        this.clock = clock;
    }

    /** A signer with {@code secret}; null when it is null or blank (requests go unsigned). */
    public static WebhookSigner of(String secret) {
        return of(secret, Clock.systemUTC());
    }

    static WebhookSigner of(String secret, Clock clock) {
        return secret == null || secret.isBlank() ? null : new WebhookSigner(secret, clock);
    }

    /** The two header values for {@code body} sent now: timestamp, then signature. */
    String[] sign(String body) {
        String timestamp = Long.toString(clock.instant().getEpochSecond());
        return new String[] {timestamp, signature(timestamp, body)};
    }

    /** {@code v1=} and the hex HMAC-SHA256 of {@code timestamp + "." + body}. */
    public String signature(String timestamp, String body) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return VERSION + HexFormat.of().formatHex(mac.doFinal((timestamp + "." + body).getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot compute " + ALGORITHM, e);
        }
    }

    /**
     * What a receiver checks: the signature is this secret's for this timestamp and body, and the
     * timestamp is within {@code tolerance} of now.
     */
    public boolean verify(String timestamp, String body, String signature, Duration tolerance) {
        if (timestamp == null || body == null || signature == null) {
            return false;
        }
        long sent;
        try {
            sent = Long.parseLong(timestamp);
        } catch (NumberFormatException e) {
            return false;
        }
        if (Math.abs(clock.instant().getEpochSecond() - sent) > tolerance.toSeconds()) {
            return false;
        }
        return MessageDigest.isEqual(signature(timestamp, body).getBytes(StandardCharsets.US_ASCII),
                signature.getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public String toString() {
        return "HMAC-SHA256 signer (secret from " + SECRET_VARIABLE + ", hidden)";
    }
}
