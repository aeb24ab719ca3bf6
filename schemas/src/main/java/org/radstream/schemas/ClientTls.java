package org.radstream.schemas;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * How a radstream service connects to a TLS server (a PACS's DICOM TLS port): the certificates it
 * trusts to name the server (a trust store, or the JVM's own CAs), the server's certificate
 * checked against the host name it was reached by, and optionally a key and certificate of its
 * own for servers that authenticate their clients (as DICOM's TLS profiles do). TLS 1.3 and 1.2
 * only ({@link ServerTls#PROTOCOLS}). Stores are read at start; passwords are never printed.
 */
public final class ClientTls {
    private final SSLContext context;
    private final Path trustStore;
    private final Path keyStore;
    private final String subject;
    /** Set when made {@link #of} a context: what {@link #toString} says. */
    private final String description;

    private ClientTls(SSLContext context, Path trustStore, Path keyStore, String subject, String description) {
        this.context = context;
        this.trustStore = trustStore;
        this.keyStore = keyStore;
        this.subject = subject;
        this.description = description;
    }

    /**
     * @param trustStore null: the JVM's trusted CAs
     * @param keyStore   null: no client certificate (a server that asks for one refuses the handshake)
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    public static ClientTls load(Path trustStore, String trustStorePassword, Path keyStore, String keyStorePassword) {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (trustStore == null) {
                tmf.init((KeyStore) null);
            } else {
                KeyStore trust = ServerTls.read(trustStore, trustStorePassword, "trust store");
                if (ServerTls.trustedCertificates(trust) == 0) {
                    throw new IllegalArgumentException("TLS trust store " + trustStore
                            + " holds no trusted certificate: no server could be trusted");
                }
                tmf.init(trust);
            }
            KeyManagerFactory kmf = null;
            String subject = null;
            if (keyStore != null) {
                KeyStore keys = ServerTls.read(keyStore, keyStorePassword, "key store");
                subject = ServerTls.certificate(keys, keyStore).getSubjectX500Principal().getName();
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, ServerTls.password(keyStorePassword));
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return new ClientTls(context, trustStore, keyStore, subject, null);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("TLS client settings (trust store " + trustStore + ", key store " + keyStore
                    + "): " + e.getMessage(), e);
        }
    }

    /** Connections with {@code context} as it is (e.g. the JVM's default, from its javax.net.ssl properties). */
    public static ClientTls of(SSLContext context, String description) {
        return new ClientTls(context, null, null, null, description);
    }

    /**
     * A connected socket to {@code host:port} that has completed its handshake: the server's
     * certificate is trusted and names {@code host}.
     *
     * @throws IOException the server cannot be reached, does not speak TLS, is not trusted, does not
     *                     match the host name, refuses our certificate (or our lack of one), or
     *                     takes longer than {@code timeout}
     */
    public SSLSocket connect(String host, int port, Duration timeout) throws IOException {
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket();
        try {
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setProtocols(ServerTls.PROTOCOLS.toArray(String[]::new));
            parameters.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the host
            socket.setSSLParameters(parameters);
            socket.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
            socket.setSoTimeout((int) timeout.toMillis());
            socket.startHandshake();
            socket.setSoTimeout(0);
            return socket;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** What it trusts and presents; no password. */
    @Override
    public String toString() {
        if (description != null) {
            return description;
        }
        return "TLS " + String.join("/", ServerTls.PROTOCOLS) + ", server trusted by "
                + (trustStore == null ? "the JVM's CAs" : trustStore.toString()) + " and checked against its host name, "
                + (keyStore == null ? "no client certificate" : "client certificate " + subject + " (" + keyStore + ")");
    }
}
