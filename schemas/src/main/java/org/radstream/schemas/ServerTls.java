package org.radstream.schemas;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * The key and certificate a radstream service presents on a TLS port (the DICOM TLS port, an
 * HTTPS port), and the certificates it trusts to name its clients. DICOM's secure transport (PS3.15 Annex B, BCP 195) authenticates both
 * ends: with a trust store, a client must present a certificate one of its entries signed (or is);
 * without one, the port is encrypted and names only the server. Only TLS 1.3 and 1.2 are offered.
 *
 * <p>Both stores are read once, at start, so a wrong password, a store without a private key or an
 * expired certificate stops the service with a message instead of failing every handshake later.
 * Passwords are never printed ({@link #toString}).
 */
public final class ServerTls {
    /** The protocols BCP 195 leaves: TLS 1.0 and 1.1 are refused. */
    public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");
    /** How long a client has to finish the handshake before its connection is closed. */
    public static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(30);

    private final SSLContext context;
    private final X509Certificate certificate;
    private final Path keyStore;
    private final Path trustStore;
    private final int trusted;
    private final Certificate[] chain;
    private final KeyStore trust;

    private ServerTls(SSLContext context, X509Certificate certificate, Certificate[] chain, Path keyStore, Path trustStore,
                      KeyStore trust, int trusted) {
        this.context = context;
        this.chain = chain;
        this.trust = trust;
        this.certificate = certificate;
        this.keyStore = keyStore;
        this.trustStore = trustStore;
        this.trusted = trusted;
    }

    /**
     * Reads the key store (PKCS12 or JKS; its one private key entry's password is the store's) and
     * the optional trust store.
     *
     * @param trustStore null: clients are not asked for a certificate
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    public static ServerTls load(Path keyStore, String keyStorePassword, Path trustStore, String trustStorePassword) {
        return load(keyStore, keyStorePassword, trustStore, trustStorePassword, Clock.systemUTC());
    }

    static ServerTls load(Path keyStore, String keyStorePassword, Path trustStore, String trustStorePassword,
                          Clock clock) {
        Objects.requireNonNull(keyStore, "keyStore");
        KeyStore keys = read(keyStore, keyStorePassword, "key store");
        X509Certificate certificate = certificate(keys, keyStore);
        Instant now = clock.instant();
        if (certificate.getNotAfter().toInstant().isBefore(now)) {
            throw new IllegalArgumentException("TLS key store " + keyStore + ": its certificate ("
                    + certificate.getSubjectX500Principal().getName() + ") expired on " + certificate.getNotAfter().toInstant());
        }
        if (certificate.getNotBefore().toInstant().isAfter(now)) {
            throw new IllegalArgumentException("TLS key store " + keyStore + ": its certificate ("
                    + certificate.getSubjectX500Principal().getName() + ") is valid only from "
                    + certificate.getNotBefore().toInstant());
        }
        try {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, password(keyStorePassword));
            TrustManagerFactory tmf = null;
            int trusted = 0;
            KeyStore trust = null;
            if (trustStore != null) {
                trust = read(trustStore, trustStorePassword, "trust store");
                trusted = trustedCertificates(trust);
                if (trusted == 0) {
                    throw new IllegalArgumentException("TLS trust store " + trustStore
                            + " holds no trusted certificate: no client could connect");
                }
                tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(trust);
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
            return new ServerTls(context, certificate, chain(keys), keyStore, trustStore, trust, trusted);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("TLS key store " + keyStore + ": " + e.getMessage(), e);
        }
    }

    /**
     * A listening TLS socket on {@code port} (0: any free port) of every interface. Accepted
     * sockets have not shaken hands yet: {@link #handshake} does, on the connection's own thread.
     */
    public ServerSocket bind(int port, int backlog) throws IOException {
        SSLServerSocket server = (SSLServerSocket) context.getServerSocketFactory().createServerSocket();
        server.setEnabledProtocols(PROTOCOLS.toArray(String[]::new));
        server.setNeedClientAuth(trustStore != null);
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(port), backlog);
        return server;
    }

    /**
     * Completes the handshake of an accepted socket within {@link #HANDSHAKE_TIMEOUT} and returns
     * the client it names: its certificate's subject, or "no client certificate".
     *
     * @throws IOException the client did not speak TLS, offered nothing in common, presented no
     *                     certificate or one not trusted, or took too long
     */
    public static String handshake(SSLSocket socket) throws IOException {
        int before = socket.getSoTimeout();
        socket.setSoTimeout((int) HANDSHAKE_TIMEOUT.toMillis());
        socket.startHandshake();
        socket.setSoTimeout(before);
        return client(socket.getSession());
    }

    private static String client(SSLSession session) {
        try {
            Certificate[] chain = session.getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate x
                    ? x.getSubjectX500Principal().getName() : "no client certificate";
        } catch (SSLPeerUnverifiedException e) {
            return "no client certificate";
        }
    }

    /**
     * An HTTPS server on {@code address} presenting this key, TLS 1.3/1.2 only. It never asks for
     * a client certificate, whatever the trust store: HTTP callers are authenticated by the
     * services' bearer tokens, and probes and scrapers carry none.
     */
    public HttpServer https(InetSocketAddress address, int backlog) throws IOException {
        HttpsServer server = HttpsServer.create(address, backlog);
        server.setHttpsConfigurator(new HttpsConfigurator(context) {
            @Override
            public void configure(HttpsParameters params) {
                SSLParameters p = context.getDefaultSSLParameters();
                p.setProtocols(PROTOCOLS.toArray(String[]::new));
                p.setNeedClientAuth(false);
                p.setWantClientAuth(false);
                params.setSSLParameters(p);
            }
        });
        return server;
    }

    /** A plain HTTP server on {@code address}, or an HTTPS one when {@code tls} is given. */
    public static HttpServer http(InetSocketAddress address, int backlog, ServerTls tls) throws IOException {
        return tls == null ? HttpServer.create(address, backlog) : tls.https(address, backlog);
    }

    /**
     * The TLS context of requests to other instances of the same service (which present keys like
     * this one's): they are trusted when the trust store holds their certificate or its issuer,
     * or, without a trust store, when their certificate is this one or is issued by a certificate
     * of this one's chain (instances that share a key, or whose keys one CA issued).
     */
    public SSLContext peerContext() {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (trust != null) {
                tmf.init(trust);
            } else {
                KeyStore own = KeyStore.getInstance("PKCS12");
                own.load(null, null);
                for (int i = 0; i < chain.length; i++) {
                    own.setCertificateEntry("chain-" + i, chain[i]);
                }
                tmf.init(own);
            }
            SSLContext peers = SSLContext.getInstance("TLS");
            peers.init(null, tmf.getTrustManagers(), null);
            return peers;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build the TLS context of requests to other instances: " + e, e);
        }
    }

    /** Whether clients must present a trusted certificate. */
    public boolean clientCertificateRequired() {
        return trustStore != null;
    }

    /** When the certificate the service presents expires. */
    public Instant notAfter() {
        return certificate.getNotAfter().toInstant();
    }

    /**
     * A warning to print at start when the certificate expires within {@code within} of
     * {@code now}: every TLS client refuses the port from that day.
     */
    public java.util.Optional<String> expiryWarning(Instant now, Duration within) {
        Instant end = notAfter();
        if (end.isAfter(now.plus(within))) {
            return java.util.Optional.empty();
        }
        long days = Duration.between(now, end).toHours() / 24;
        return java.util.Optional.of("WARNING: the TLS certificate " + subject() + " of " + keyStore + " expires on " + end
                + ", in " + days + (days == 1 ? " day" : " days") + ": renew it, or every TLS client will refuse the port");
    }

    /** Its subject, e.g. {@code CN=ingest.hospital.org}. */
    public String subject() {
        return certificate.getSubjectX500Principal().getName();
    }

    static KeyStore read(Path file, String password, String what) {
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new IllegalArgumentException("TLS " + what + " " + file + " is not a readable file");
        }
        try {
            return KeyStore.getInstance(file.toFile(), password(password));
        } catch (IOException e) {
            throw new IllegalArgumentException("TLS " + what + " " + file + " cannot be read with the password given ("
                    + e.getMessage() + ")", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("TLS " + what + " " + file + " is not a PKCS12 or JKS store: "
                    + e.getMessage(), e);
        }
    }

    /** The certificate chain of the store's one private key (checked by {@link #certificate}). */
    private static Certificate[] chain(KeyStore keys) throws GeneralSecurityException {
        for (String alias : Collections.list(keys.aliases())) {
            if (keys.isKeyEntry(alias)) {
                return keys.getCertificateChain(alias);
            }
        }
        throw new KeyStoreException("no private key");
    }

    /** The certificate of the store's one private key; refused when it has none or several. */
    static X509Certificate certificate(KeyStore keys, Path file) {
        try {
            List<String> keyEntries = new ArrayList<>();
            for (String alias : Collections.list(keys.aliases())) {
                if (keys.isKeyEntry(alias)) {
                    keyEntries.add(alias);
                }
            }
            if (keyEntries.isEmpty()) {
                throw new IllegalArgumentException("TLS key store " + file + " holds no private key");
            }
            if (keyEntries.size() > 1) {
                throw new IllegalArgumentException("TLS key store " + file + " holds " + keyEntries.size()
                        + " private keys " + keyEntries + ": keep the one to present");
            }
            if (!(keys.getCertificate(keyEntries.get(0)) instanceof X509Certificate x)) {
                throw new IllegalArgumentException("TLS key store " + file + ": the key has no X.509 certificate");
            }
            return x;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("TLS key store " + file + ": " + e.getMessage(), e);
        }
    }

    static int trustedCertificates(KeyStore trust) throws GeneralSecurityException {
        int n = 0;
        for (String alias : Collections.list(trust.aliases())) {
            if (trust.getCertificate(alias) != null) {
                n++;
            }
        }
        return n;
    }

    static char[] password(String password) {
        return password == null ? new char[0] : password.toCharArray();
    }

    /** What the port presents and asks for; no password. */
    @Override
    public String toString() {
        return "TLS " + String.join("/", PROTOCOLS) + " as " + subject() + " (key store " + keyStore + ", expires "
                + notAfter() + "), " + (trustStore == null ? "no client certificate asked"
                : "client certificate required (" + trusted + " trusted in " + trustStore + ")");
    }
}
