package org.radstream.ingest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * only processes of this host can reach it. A connection from another process that races for it
 * is refused ({@link #fromThisProcess}): the TLS connection, which may carry radstream's client
 * certificate, is lent to nothing else.
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
        if (!fromThisProcess(scu, local.getLocalPort())) {
            log.warn("TLS tunnel to {}: the loopback port was taken by a connection from another process (port {}); "
                    + "closed, and this association fails rather than lend the TLS connection to it", target, scu.getPort());
            closeQuietly(scu);
            closeQuietly(remote);
            return;
        }
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

    /**
     * Whether the client end of {@code accepted} (a loopback connection to {@code localPort}) is a
     * socket of this process: its inode, found in /proc/net/tcp[6] by its two ports, is one of
     * /proc/self/fd's. Where /proc cannot be read (not Linux) the connection is taken as ours, as
     * only processes of this host can reach the loopback port in the milliseconds it is open.
     */
    static boolean fromThisProcess(Socket accepted, int localPort) {
        try {
            String inode = null;
            for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
                Path file = Path.of(table);
                if (!Files.isReadable(file)) {
                    continue;
                }
                for (String line : Files.readAllLines(file)) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 9 && f[1].contains(":") && port(f[1]) == accepted.getPort() && port(f[2]) == localPort) {
                        inode = f[9];
                    }
                }
            }
            Path fds = Path.of("/proc/self/fd");
            if (inode == null || !Files.isDirectory(fds)) {
                return inode == null && !Files.isReadable(Path.of("/proc/net/tcp"));
            }
            String wanted = "socket:[" + inode + "]";
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(fds)) {
                for (Path fd : entries) {
                    try {
                        if (Files.readSymbolicLink(fd).toString().equals(wanted)) {
                            return true;
                        }
                    } catch (IOException e) {
                        // closed since listed
                    }
                }
            }
            return false;
        } catch (IOException | RuntimeException e) {
            log.info("cannot tell which process holds a loopback connection ({}): taken as ours", e.toString());
            return true;
        }
    }

    /** The port of a /proc/net/tcp address, {@code HEXIP:HEXPORT}. */
    private static int port(String address) {
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1), 16);
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
