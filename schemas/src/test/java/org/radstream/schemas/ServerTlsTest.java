package org.radstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerTlsTest {
    private static final String PASSWORD = "store-secret-pw";
    @TempDir
    static Path dir;
    static Path server;
    static Path client;
    static Path stranger;
    static Path clients;
    static Path serverTrust;

    @BeforeAll
    static void certificates() throws Exception {
        server = TestCertificates.keyStore(dir, "server", "ingest.test", PASSWORD);
        client = TestCertificates.keyStore(dir, "modality", "CT1", PASSWORD);
        stranger = TestCertificates.keyStore(dir, "stranger", "STRANGER", PASSWORD);
        clients = TestCertificates.trustStore(dir, "clients", PASSWORD, client);
        serverTrust = TestCertificates.trustStore(dir, "server-trust", PASSWORD, server);
    }

    @Test
    void aKeyStoreIsDescribedWithoutItsPassword() {
        ServerTls open = ServerTls.load(server, PASSWORD, null, null);
        assertThat(open.subject()).isEqualTo("CN=ingest.test");
        assertThat(open.clientCertificateRequired()).isFalse();
        assertThat(open.toString()).startsWith("TLS TLSv1.3/TLSv1.2 as CN=ingest.test (key store " + server + ", expires ")
                .endsWith("no client certificate asked").doesNotContain(PASSWORD);
        ServerTls mutual = ServerTls.load(server, PASSWORD, clients, PASSWORD);
        assertThat(mutual.clientCertificateRequired()).isTrue();
        assertThat(mutual.toString()).endsWith("client certificate required (1 trusted in " + clients + ")")
                .doesNotContain(PASSWORD);
    }

    @Test
    void aCertificateExpiringSoonIsWarnedOf() {
        ServerTls tls = ServerTls.load(server, PASSWORD, null, null); // valid for two days
        java.time.Instant now = java.time.Instant.now();
        assertThat(tls.expiryWarning(now, java.time.Duration.ofDays(1))).isEmpty();
        assertThat(tls.expiryWarning(now, java.time.Duration.ofDays(30))).hasValueSatisfying(w -> assertThat(w)
                .startsWith("WARNING: the TLS certificate CN=ingest.test of " + server + " expires on " + tls.notAfter())
                .contains(", in 1 day: renew it").doesNotContain(PASSWORD));
    }

    @Test
    void storesThatCannotServeAreRefusedAtLoadNamingTheFileAndNeverThePassword() throws Exception {
        assertThatThrownBy(() -> ServerTls.load(server, "wrong-password", null, null))
                .hasMessage("TLS key store " + server + " cannot be read with the password given "
                        + "(keystore password was incorrect)");
        Path missing = dir.resolve("missing.p12");
        assertThatThrownBy(() -> ServerTls.load(missing, PASSWORD, null, null))
                .hasMessage("TLS key store " + missing + " is not a readable file");
        Path text = Files.writeString(dir.resolve("not-a-store.p12"), "-----BEGIN CERTIFICATE-----\n");
        assertThatThrownBy(() -> ServerTls.load(text, PASSWORD, null, null))
                .hasMessageStartingWith("TLS key store " + text + " is not a PKCS12 or JKS store");
        // a trust store holds certificates only: it has no key to present
        assertThatThrownBy(() -> ServerTls.load(clients, PASSWORD, null, null))
                .hasMessage("TLS key store " + clients + " holds no private key");
        assertThatThrownBy(() -> ServerTls.load(server, PASSWORD, clients, "wrong-password"))
                .hasMessageStartingWith("TLS trust store " + clients + " cannot be read with the password given");
        KeyStore empty = KeyStore.getInstance("PKCS12");
        empty.load(null, null);
        Path emptyFile = dir.resolve("empty.p12");
        try (var out = Files.newOutputStream(emptyFile)) {
            empty.store(out, PASSWORD.toCharArray());
        }
        assertThatThrownBy(() -> ServerTls.load(server, PASSWORD, emptyFile, PASSWORD))
                .hasMessage("TLS trust store " + emptyFile + " holds no trusted certificate: no client could connect");
        Path expired = TestCertificates.keyStore(dir, "expired", "old.test", PASSWORD, "-10d", 1);
        assertThatThrownBy(() -> ServerTls.load(expired, PASSWORD, null, null))
                .hasMessageStartingWith("TLS key store " + expired + ": its certificate (CN=old.test) expired on ");
    }

    @Test
    void withATrustStoreOnlyAClientPresentingATrustedCertificateCompletesTheHandshake() throws Exception {
        ServerTls tls = ServerTls.load(server, PASSWORD, clients, PASSWORD);
        try (ServerSocket port = tls.bind(0, 4)) {
            assertThat(handshake(port, clientContext(client), "TLSv1.3")).isEqualTo("CN=CT1");
            assertThat(handshake(port, clientContext(client), "TLSv1.2")).isEqualTo("CN=CT1");
            assertThatThrownBy(() -> handshake(port, clientContext(stranger), "TLSv1.3"))
                    .hasRootCauseInstanceOf(IOException.class);
            assertThatThrownBy(() -> handshake(port, clientContext(null), "TLSv1.3"))
                    .hasRootCauseInstanceOf(IOException.class);
        }
    }

    @Test
    void withoutATrustStoreAnyClientConnectsButOnlyOverTls12Or13() throws Exception {
        ServerTls tls = ServerTls.load(server, PASSWORD, null, null);
        try (ServerSocket port = tls.bind(0, 4)) {
            assertThat(handshake(port, clientContext(null), "TLSv1.3")).isEqualTo("no client certificate");
            assertThat(handshake(port, clientContext(null), "TLSv1.2")).isEqualTo("no client certificate");
            assertThat(((SSLServerSocket) port).getEnabledProtocols()).containsExactly("TLSv1.3", "TLSv1.2");
        }
    }

    /** Connects with {@code protocol} and returns what the server's handshake says of the client. */
    private static String handshake(ServerSocket port, SSLContext client, String protocol) throws Exception {
        CompletableFuture<String> accepted = CompletableFuture.supplyAsync(() -> {
            try (SSLSocket s = (SSLSocket) port.accept()) {
                return ServerTls.handshake(s);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        try (SSLSocket s = (SSLSocket) client.getSocketFactory().createSocket("127.0.0.1", port.getLocalPort())) {
            s.setEnabledProtocols(new String[] {protocol});
            try {
                s.startHandshake();
                s.getOutputStream().write(1); // TLS 1.3 clients learn of a refused certificate only at their first read or write
                s.getInputStream().read();
            } catch (IOException e) {
                // the server's verdict is the one asserted
            }
        }
        return accepted.get(30, TimeUnit.SECONDS);
    }

    /** A client trusting the server's certificate, presenting {@code keyStore}'s key (null: none). */
    private static SSLContext clientContext(Path keyStore) throws Exception {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(KeyStore.getInstance(serverTrust.toFile(), PASSWORD.toCharArray()));
        KeyManagerFactory kmf = null;
        if (keyStore != null) {
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(KeyStore.getInstance(keyStore.toFile(), PASSWORD.toCharArray()), PASSWORD.toCharArray());
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return context;
    }
}
