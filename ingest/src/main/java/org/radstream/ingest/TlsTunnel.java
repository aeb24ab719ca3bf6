package org.radstream.ingest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLSocket;
import org.radstream.schemas.ClientTls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One association's TLS connection to a remote SCP. PixelMed's storage SCU opens its own plain
 * socket (its built-in secure transport offers only TLS 1.0 with a retired cipher, which Java 17
 * refuses), so the SCU is pointed at a loopback port of this tunnel instead, and the tunnel relays
 * its bytes over a TLS connection it has already established and verified.
 *
 * <p>The loopback port takes one connection, within the accept timeout, and is closed as soon as
 * it has: it exists for the few milliseconds between the handshake and PixelMed's connect, and
 * only processes of this host can reach it.
 */
final class TlsTunnel implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TlsTunnel.class);
    private static final Duration ACCEPT_TIMEOUT = Duration.ofSeconds(30);
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    private final SSLSocket remote;
    private final ServerSocket local;
    private final String target;
    private volatile Socket accepted;

    private TlsTunnel(SSLSocket remote, ServerSocket local, String target) {
        this.remote = remote;
        this.local = local;
        this.target = target;
    }

    /**
     * Connects to {@code host:port} over TLS (handshake done, certificate checked) and opens the
     * loopback port that relays to it.
     *
     * @throws IOException the TLS connection failed; the message says why
     */
    static TlsTunnel open(ClientTls tls, String host, int port, Duration timeout) throws IOException {
        SSLSocket remote;
        try {
            remote = tls.connect(host, port, timeout);
        } catch (IOException e) {
            throw new IOException("TLS connection to " + host + ":" + port + " failed: " + e.getMessage(), e);
        }
        ServerSocket local = null;
        try {
            remote.setTcpNoDelay(true);
            local = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
            local.setSoTimeout((int) ACCEPT_TIMEOUT.toMillis());
            TlsTunnel tunnel = new TlsTunnel(remote, local, host + ":" + port);
            Thread t = new Thread(tunnel::relay, "tls-tunnel-" + SEQUENCE.incrementAndGet());
            t.setDaemon(true);
            t.start();
            return tunnel;
        } catch (IOException | RuntimeException e) {
            remote.close();
            if (local != null) {
                local.close();
            }
            throw e;
        }
    }

    /** The loopback port the SCU connects to. */
    int localPort() {
        return local.getLocalPort();
    }

    /** Accepts the SCU's one connection, then copies the remote's bytes to it while this thread's helper copies the other way. */
    private void relay() {
        Socket scu;
        try (local) {
            scu = local.accept();
        } catch (IOException e) {
            log.info("TLS tunnel to {}: no connection from the storage SCU ({})", target, e.toString());
            closeQuietly(remote);
            return;
        }
        accepted = scu;
        try {
            scu.setTcpNoDelay(true);
            Thread up = new Thread(() -> copy(scu, remote), Thread.currentThread().getName() + "-out");
            up.setDaemon(true);
            up.start();
            copy(remote, scu);
        } catch (IOException e) {
            log.debug("TLS tunnel to {}: {}", target, e.toString());
            closeQuietly(scu);
            closeQuietly(remote);
        }
    }

    /** Copies until {@code from} ends, then ends both: an association is over when either side closes. */
    private void copy(Socket from, Socket to) {
        byte[] buffer = new byte[64 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            for (int n; (n = in.read(buffer)) >= 0; ) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            log.debug("TLS tunnel to {}: {}", target, e.toString());
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            log.debug("closing: {}", e.toString());
        }
    }

    @Override
    public void close() {
        closeQuietly(local);
        Socket scu = accepted;
        if (scu != null) {
            closeQuietly(scu);
        }
        closeQuietly(remote);
    }

    /** The loopback address the SCU connects to. */
    String localHost() {
        return local.getInetAddress().getHostAddress();
    }
}
