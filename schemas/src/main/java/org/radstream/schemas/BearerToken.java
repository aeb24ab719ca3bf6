package org.radstream.schemas;

import com.sun.net.httpserver.HttpExchange;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The optional shared secret an HTTP endpoint of a radstream service asks for
 * ({@code Authorization: Bearer TOKEN}), set from one environment variable per service. Without a
 * token ({@link #NONE}) every request is admitted. The comparison takes the same time whatever the
 * request carries, and the token is never printed ({@link #toString}).
 */
public final class BearerToken {
    /** The shortest token accepted: a guessable one would protect nothing. */
    public static final int MIN_LENGTH = 16;
    /** No token: the endpoint is open. */
    public static final BearerToken NONE = new BearerToken(null, null);

    private final String token;
    private final String variable;

    private BearerToken(String token, String variable) {
        this.token = token;
        this.variable = variable;
    }

    /**
     * The token from {@code variable} (which names it in messages), or {@link #NONE} when it is
     * null or blank.
     *
     * @throws IllegalArgumentException when it is shorter than {@link #MIN_LENGTH} characters
     */
    public static BearerToken of(String token, String variable) {
        if (token == null || token.isBlank()) {
            return NONE;
        }
        if (token.length() < MIN_LENGTH) {
            throw new IllegalArgumentException("the HTTP token must have at least " + MIN_LENGTH + " characters ("
                    + variable + ")");
        }
        return new BearerToken(token, variable);
    }

    /** Whether requests must carry the token. */
    public boolean required() {
        return token != null;
    }

    /** The variable the token comes from, for messages ({@code null} for {@link #NONE}). */
    public String variable() {
        return variable;
    }

    /** Whether the request carries the token, or no token is required. */
    public boolean admits(HttpExchange exchange) {
        return admits(exchange.getRequestHeaders().getFirst("Authorization"));
    }

    /** Whether an {@code Authorization} header value carries the token, or no token is required. */
    public boolean admits(String authorization) {
        if (token == null) {
            return true;
        }
        return authorization != null && MessageDigest.isEqual(authorization().getBytes(StandardCharsets.UTF_8),
                authorization.getBytes(StandardCharsets.UTF_8));
    }

    /** The {@code Authorization} header value that carries the token (for requests between instances). */
    public String authorization() {
        if (token == null) {
            throw new IllegalStateException("no token is configured");
        }
        return "Bearer " + token;
    }

    /** Adds the {@code WWW-Authenticate} challenge of a 401 answer for {@code realm}. */
    public static void challenge(HttpExchange exchange, String realm) {
        exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"" + realm + "\"");
    }

    @Override
    public String toString() {
        return token == null ? "no token" : "a token from " + variable + " (hidden)";
    }
}
