package org.radstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.schemas.ClientTls;
import org.radstream.schemas.ServerTls;
import org.radstream.schemas.TestCertificates;

/** The export's TLS relay: it carries bytes both ways, and lends its TLS connection to no other process. */
class TlsTunnelTest {
    @TempDir
    Path dir;

    /** A process of its own that connects to {@code port} on loopback and holds the connection a while. */
    private static Process connectFromAnotherProcess(int port) throws IOException {
        return new ProcessBuilder("bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/" + port + " && sleep 5")
                .redirectErrorStream(true).start();
    }

    @Test
    void aLoopbackConnectionIsTheProcesssOwnOnlyWhenThisProcessOpenedIt() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 2, InetAddress.getLoopbackAddress())) {
            try (Socket mine = new Socket(server.getInetAddress(), server.getLocalPort()); Socket accepted = server.accept()) {
                assertThat(TlsTunnel.fromThisProcess(accepted, server.getLocalPort())).isTrue();
            }
            Process other = connectFromAnotherProcess(server.getLocalPort());
            try (Socket accepted = server.accept()) {
                assertThat(TlsTunnel.fromThisProcess(accepted, server.getLocalPort())).isFalse();
            } finally {
                other.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void relaysBothWaysAndRefusesAConnectionFromAnotherProcess() throws Exception {
        String pw = "tls-test-password";
        Path keys = TestCertificates.keyStore(dir, "server", "localhost", pw);
        ServerTls serverTls = ServerTls.load(keys, pw, null, null);
        ClientTls clientTls = ClientTls.load(TestCertificates.trustStore(dir, "trust", pw, keys), pw, null, null);
        try (ServerSocket echo = serverTls.bind(0, 4)) {
            Thread echoing = new Thread(() -> {
                while (!echo.isClosed()) {
                    try (SSLSocket s = (SSLSocket) echo.accept()) {
                        ServerTls.handshake(s);
                        s.getInputStream().transferTo(s.getOutputStream());
                    } catch (IOException e) {
                        // the next connection
                    }
                }
            }, "tls-echo");
            echoing.setDaemon(true);
            echoing.start();

            try (TlsTunnel tunnel = TlsTunnel.open(clientTls, "localhost", echo.getLocalPort(), Duration.ofSeconds(10));
                 Socket plain = new Socket(tunnel.localHost(), tunnel.localPort())) {
                OutputStream out = plain.getOutputStream();
                out.write("A-ASSOCIATE".getBytes());
                out.flush();
                InputStream in = plain.getInputStream();
                assertThat(new String(in.readNBytes(11))).isEqualTo("A-ASSOCIATE");
            }

            // another process takes the loopback port first: it must get nothing through to the TLS server
            try (TlsTunnel raced = TlsTunnel.open(clientTls, "localhost", echo.getLocalPort(), Duration.ofSeconds(10))) {
                Process other = new ProcessBuilder("bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/" + raced.localPort()
                        + " && printf hello >&3 && timeout 3 head -c 5 <&3; echo \"[end]\"").redirectErrorStream(true).start();
                String heard = new String(other.getInputStream().readAllBytes());
                assertThat(other.waitFor(20, TimeUnit.SECONDS)).isTrue();
                assertThat(heard).as("what the other process read back").endsWith("[end]\n").doesNotContain("hello");
            }
        }
        assertThatThrownBy(() -> TlsTunnel.open(clientTls, "localhost", freePort(), Duration.ofSeconds(5)))
                .isInstanceOf(IOException.class).hasMessageStartingWith("TLS connection to localhost:");
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
