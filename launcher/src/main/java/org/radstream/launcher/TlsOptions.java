package org.radstream.launcher;

import java.nio.file.Path;
import org.radstream.schemas.ServerTls;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The key a service presents on its TLS port and the client certificates it trusts, each with its
 * environment variable; passwords are best given through the environment (a command line is
 * visible to every user of the machine).
 */
final class TlsOptions {
    static final String ENV_KEY_STORE = "RADSTREAM_TLS_KEY_STORE";
    static final String ENV_KEY_STORE_PASSWORD = "RADSTREAM_TLS_KEY_STORE_PASSWORD";
    static final String ENV_TRUST_STORE = "RADSTREAM_TLS_TRUST_STORE";
    static final String ENV_TRUST_STORE_PASSWORD = "RADSTREAM_TLS_TRUST_STORE_PASSWORD";

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--tls-key-store", defaultValue = "${env:" + ENV_KEY_STORE + "}", paramLabel = "FILE",
            description = "PKCS12 (or JKS) store of the private key and certificate the TLS port presents "
                    + "(env " + ENV_KEY_STORE + "; password in env " + ENV_KEY_STORE_PASSWORD + ")")
    Path keyStore;

    @Option(names = "--tls-key-store-password", defaultValue = "${env:" + ENV_KEY_STORE_PASSWORD + "}", hidden = true)
    String keyStorePassword;

    @Option(names = "--tls-trust-store", defaultValue = "${env:" + ENV_TRUST_STORE + "}", paramLabel = "FILE",
            description = "store of the certificates (or their CAs) a client must present one of on the TLS port "
                    + "(env " + ENV_TRUST_STORE + "; password in env " + ENV_TRUST_STORE_PASSWORD
                    + "). Unset: clients are not asked for a certificate")
    Path trustStore;

    @Option(names = "--http-tls", defaultValue = "${env:" + ENV_HTTP_TLS + ":-false}",
            description = "Serve the HTTP port (its API, /health and /metrics) over HTTPS only, TLS 1.3/1.2, with the key "
                    + "of --tls-key-store (env " + ENV_HTTP_TLS + "). No client certificate is asked: the token "
                    + "authenticates callers.")
    boolean httpTls;

    @Option(names = "--tls-trust-store-password", defaultValue = "${env:" + ENV_TRUST_STORE_PASSWORD + "}", hidden = true)
    String trustStorePassword;

    static final String ENV_HTTP_TLS = "RADSTREAM_HTTP_TLS";
    /** How long before its certificate expires a service says so at start. */
    static final java.time.Duration EXPIRY_WARNING = java.time.Duration.ofDays(30);

    /**
     * The key of a service whose only TLS port is its HTTP one: null for plain HTTP; refused when a
     * key store is given without {@code --http-tls} (it would be unused), or {@code usesTrustStore}
     * is false and a trust store is given (the service has no use for one).
     *
     * @param usesTrustStore whether the service uses a trust store (streams: to trust the instances it forwards to)
     */
    ServerTls forHttps(boolean usesTrustStore) {
        boolean trust = trustStore != null && !trustStore.toString().isBlank();
        if (trust && !usesTrustStore) {
            throw new ParameterException(spec.commandLine(), "--tls-trust-store (" + ENV_TRUST_STORE + ") has no use here: "
                    + "HTTPS asks no client certificate (the token authenticates callers)");
        }
        if (!httpTls) {
            if (configured()) {
                throw new ParameterException(spec.commandLine(), "--tls-key-store (" + ENV_KEY_STORE + ") is for HTTPS here: "
                        + "add --http-tls (or set " + ENV_HTTP_TLS + "=true)");
            }
            return null;
        }
        if (!configured()) {
            throw new ParameterException(spec.commandLine(), "--http-tls needs --tls-key-store (" + ENV_KEY_STORE + ")");
        }
        return load();
    }

    /** Whether a key store was given. */
    boolean configured() {
        return keyStore != null && !keyStore.toString().isBlank();
    }

    /**
     * The stores read and checked, or a usage error saying what is wrong; null when no key store
     * was given (a trust store alone is refused: it would protect nothing).
     */
    ServerTls load() {
        boolean trust = trustStore != null && !trustStore.toString().isBlank();
        if (!configured()) {
            if (trust) {
                throw new ParameterException(spec.commandLine(), "--tls-trust-store (" + ENV_TRUST_STORE
                        + ") needs --tls-key-store (" + ENV_KEY_STORE + "): the TLS port presents its key");
            }
            return null;
        }
        try {
            ServerTls tls = ServerTls.load(keyStore, keyStorePassword, trust ? trustStore : null, trustStorePassword);
            tls.expiryWarning(java.time.Instant.now(), EXPIRY_WARNING).ifPresent(System.err::println);
            return tls;
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
