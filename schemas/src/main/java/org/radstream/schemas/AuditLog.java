package org.radstream.schemas;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * Where a service's audit messages go: an audit record repository that takes them as RFC 5424
 * syslog messages over UDP (RFC 5426) or TLS (RFC 5425), as IHE ATNA's Record Audit Event transaction sends them
 * (facility 10, security/authorization; MSGID {@code IHE+RFC-3881}), or nowhere ({@link #NONE}).
 * Recording never blocks the service's work and never throws: a message that cannot be sent is
 * counted ({@link #failed}), which the services' /metrics show.
 */
public class AuditLog implements AutoCloseable {
    /** No repository: nothing is recorded. */
    public static final AuditLog NONE = new AuditLog();
    /** The largest message UDP carries. */
    static final int MAX_DATAGRAM = 65_507;
    private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    AuditLog() {}

    /**
     * An audit log sending to {@code target} as {@code appName} (e.g. {@code radstream-ingest}):
     * {@code udp://HOST:PORT} (or {@code syslog://}) for syslog over UDP (RFC 5426), {@code tls://HOST:PORT}
     * for syslog over TLS (RFC 5425), trusting and presenting what the JVM's default TLS context does
     * ({@code javax.net.ssl.trustStore}, {@code javax.net.ssl.keyStore}); null or blank: {@link #NONE}.
     *
     * @throws IllegalArgumentException the target is not of that form, or its host is unknown
     */
    public static AuditLog syslog(String target, String appName) {
        if (target == null || target.isBlank()) {
            return NONE;
        }
        Endpoint endpoint = target(target);
        try {
            return endpoint.tls() ? new TlsSyslog(endpoint, appName, SSLContext.getDefault(), Clock.systemUTC())
                    : new Syslog(endpoint.address(), appName, Clock.systemUTC());
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot open a connection to the audit repository: " + e.getMessage(), e);
        }
    }

    /** Syslog over TLS to {@code tls://HOST:PORT} with {@code context}: for a repository whose CA the JVM does not trust. */
    static AuditLog syslogOverTls(String target, String appName, SSLContext context) {
        Endpoint endpoint = target(target);
        if (!endpoint.tls()) {
            throw new IllegalArgumentException("not a tls:// audit repository: " + target);
        }
        return new TlsSyslog(endpoint, appName, context, Clock.systemUTC());
    }

    /** Where a target points: over TLS or UDP, to this host (as named, for the certificate) and address. */
    public record Endpoint(boolean tls, String host, InetSocketAddress address) {}

    /**
     * The repository {@code target} names: {@code udp://HOST:PORT}, {@code syslog://HOST:PORT} or
     * {@code tls://HOST:PORT}.
     *
     * @throws IllegalArgumentException the target is not of that form, or its host is unknown
     */
    public static Endpoint target(String target) {
        URI uri;
        String form = "the audit repository must be udp://HOST:PORT or tls://HOST:PORT, got '" + target + "'";
        try {
            uri = URI.create(target.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(form);
        }
        String scheme = uri.getScheme();
        if (!("udp".equals(scheme) || "syslog".equals(scheme) || "tls".equals(scheme)) || uri.getHost() == null
                || uri.getPort() <= 0) {
            throw new IllegalArgumentException(form);
        }
        try {
            return new Endpoint("tls".equals(scheme), uri.getHost(),
                    new InetSocketAddress(InetAddress.getByName(uri.getHost()), uri.getPort()));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("the audit repository's host " + uri.getHost() + " is unknown");
        }
    }

    /** The name of this host, as audit messages name the system that saw an event. */
    public static String hostName() {
        return Host.NAME;
    }

    /**
     * The host name, looked up once, on first use: a lookup can wait on DNS, and audit messages are
     * built on request and association threads.
     */
    private static final class Host {
        static final String NAME = lookUp();

        private static String lookUp() {
            try {
                String h = InetAddress.getLocalHost().getHostName();
                return h.isBlank() ? "localhost" : h;
            } catch (UnknownHostException e) {
                return "localhost";
            }
        }
    }

    /** The audit source of {@code service}'s messages, e.g. {@code radstream-ingest@host}. */
    public static String source(String service) {
        return "radstream-" + service + "@" + hostName();
    }

    /**
     * Records a request refused for want of its token: a failed User Authentication (Login) of an
     * unknown user at {@code address}, against {@code service} running as {@code userId}.
     */
    public void authenticationFailed(String service, String userId, String address, String why) {
        if (!enabled()) {
            return;
        }
        record(AuditMessage.of(AuditMessage.USER_AUTHENTICATION, AuditMessage.Action.EXECUTE,
                        AuditMessage.Outcome.MINOR_FAILURE, java.time.Instant.now(), why)
                .eventType(AuditMessage.LOGIN)
                .participant("unknown", null, true, address, null)
                .participant(userId, Long.toString(ProcessHandle.current().pid()), false, hostName(),
                        AuditMessage.APPLICATION)
                .source(source(service)));
    }

    /**
     * Records that {@code service} started or stopped (Application Activity): the repository then
     * knows the span in which its other messages were, and were not, recorded.
     */
    public void applicationActivity(String service, boolean start) {
        if (!enabled()) {
            return;
        }
        record(AuditMessage.of(AuditMessage.APPLICATION_ACTIVITY, AuditMessage.Action.EXECUTE,
                        AuditMessage.Outcome.SUCCESS, java.time.Instant.now(), null)
                .eventType(start ? AuditMessage.APPLICATION_START : AuditMessage.APPLICATION_STOP)
                .participant("radstream-" + service, Long.toString(ProcessHandle.current().pid()), false, hostName(),
                        AuditMessage.APPLICATION)
                .participant(System.getProperty("user.name", "unknown"), null, true, null,
                        AuditMessage.APPLICATION_LAUNCHER)
                .source(source(service)));
    }

    /** Records {@code message}; never throws. */
    public void record(AuditMessage message) {
        // nothing: no repository
    }

    /** Whether messages go anywhere. */
    public boolean enabled() {
        return false;
    }

    /** Messages sent so far. */
    public long sent() {
        return sent.get();
    }

    /** Messages that could not be sent so far. */
    public long failed() {
        return failed.get();
    }

    /** The counters as Prometheus text of {@code service}'s metrics. */
    public void metrics(StringBuilder b, String service) {
        HealthMetricsServer.metric(b, "radstream_" + service + "_audit_messages_sent_total", "counter",
                "Audit messages sent to the audit record repository.", sent.get());
        HealthMetricsServer.metric(b, "radstream_" + service + "_audit_messages_failed_total", "counter",
                "Audit messages that could not be sent to the audit record repository.", failed.get());
    }

    @Override
    public void close() {
        // nothing to close
    }

    @Override
    public String toString() {
        return "no audit repository";
    }

    /**
     * {@code message} as an RFC 5424 syslog message: severity notice (5) for what went well, warning
     * (4) for a failure; facility 10 (security/authorization); MSGID IHE+RFC-3881; the XML after a BOM.
     */
    static byte[] message(AuditMessage message, String host, String appName, String procId, Clock clock) {
        int pri = 10 * 8 + (message.outcome() == AuditMessage.Outcome.SUCCESS ? 5 : 4);
        String header = "<" + pri + ">1 " + clock.instant().truncatedTo(ChronoUnit.MILLIS) + " " + host + " " + appName
                + " " + procId + " IHE+RFC-3881 - ";
        byte[] head = header.getBytes(StandardCharsets.US_ASCII);
        byte[] xml = message.xml().getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[head.length + BOM.length + xml.length];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(BOM, 0, out, head.length, BOM.length);
        System.arraycopy(xml, 0, out, head.length + BOM.length, xml.length);
        return out;
    }

    /** RFC 5424 over UDP. */
    private static final class Syslog extends AuditLog {
        private final DatagramSocket socket;
        private final InetSocketAddress target;
        private final String appName;
        private final String host;
        private final String procId = Long.toString(ProcessHandle.current().pid());
        private final Clock clock;

        Syslog(InetSocketAddress target, String appName, Clock clock) throws IOException {
            this.socket = new DatagramSocket();
            this.target = target;
            this.appName = appName;
            this.clock = clock;
            this.host = hostName().replace(' ', '_');
        }

        @Override
        public void record(AuditMessage message) {
            byte[] datagram = message(message, host, appName, procId, clock);
            if (datagram.length > MAX_DATAGRAM) {
                super.failed.incrementAndGet();
                return;
            }
            try {
                socket.send(new DatagramPacket(datagram, datagram.length, target));
                super.sent.incrementAndGet();
            } catch (IOException | RuntimeException e) {
                super.failed.incrementAndGet();
            }
        }

        @Override
        public boolean enabled() {
            return true;
        }

        @Override
        public void close() {
            socket.close();
        }

        @Override
        public String toString() {
            return "audit messages to udp://" + target.getHostString() + ":" + target.getPort() + " (RFC 5424 syslog, "
                    + "DICOM audit XML)";
        }
    }

    /**
     * RFC 5424 over TLS (RFC 5425: each message framed by its length). Messages are queued and sent
     * by a thread of their own, so a slow or absent repository never holds up the service; the
     * connection is made on the first message and made again after a failure. A message that cannot
     * be sent, or that finds the queue full, is counted as failed.
     */
    private static final class TlsSyslog extends AuditLog {
        private static final int QUEUE = 10_000;
        private static final java.time.Duration CONNECT_TIMEOUT = java.time.Duration.ofSeconds(10);
        private final Endpoint endpoint;
        private final String appName;
        private final String host = hostName().replace(' ', '_');
        private final String procId = Long.toString(ProcessHandle.current().pid());
        private final Clock clock;
        private final ClientTls tls;
        private final java.util.concurrent.BlockingQueue<byte[]> queue = new java.util.concurrent.LinkedBlockingQueue<>(QUEUE);
        private final Thread sender;
        private volatile boolean closing;
        private SSLSocket socket;

        TlsSyslog(Endpoint endpoint, String appName, SSLContext context, Clock clock) {
            this.endpoint = endpoint;
            this.appName = appName;
            this.tls = ClientTls.of(context, "the audit repository's TLS");
            this.clock = clock;
            this.sender = new Thread(this::send, "audit-syslog-tls");
            sender.setDaemon(true);
            sender.start();
        }

        @Override
        public void record(AuditMessage message) {
            byte[] msg = message(message, host, appName, procId, clock);
            byte[] length = (msg.length + " ").getBytes(StandardCharsets.US_ASCII);
            byte[] frame = new byte[length.length + msg.length];
            System.arraycopy(length, 0, frame, 0, length.length);
            System.arraycopy(msg, 0, frame, length.length, msg.length);
            if (closing || !queue.offer(frame)) {
                super.failed.incrementAndGet();
            }
        }

        private void send() {
            while (!closing || !queue.isEmpty()) {
                byte[] frame;
                try {
                    frame = queue.poll(200, java.util.concurrent.TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    return;
                }
                if (frame == null) {
                    continue;
                }
                // one reconnection per message: a repository that is down costs each message one attempt
                boolean sent = false;
                for (int attempt = 0; attempt < 2 && !sent; attempt++) {
                    try {
                        if (socket == null) {
                            socket = connect();
                        }
                        socket.getOutputStream().write(frame);
                        socket.getOutputStream().flush();
                        sent = true;
                    } catch (IOException | RuntimeException e) {
                        closeSocket();
                    }
                }
                if (sent) {
                    super.sent.incrementAndGet();
                } else {
                    super.failed.incrementAndGet();
                }
            }
        }

        private SSLSocket connect() throws IOException {
            return tls.connect(endpoint.host(), endpoint.address().getPort(), CONNECT_TIMEOUT);
        }

        private void closeSocket() {
            if (socket != null) {
                try {
                    socket.close();
                } catch (IOException e) {
                    // closing a broken connection
                }
                socket = null;
            }
        }

        @Override
        public boolean enabled() {
            return true;
        }

        /** Sends what is queued (for up to 5 s), then closes the connection. */
        @Override
        public void close() {
            closing = true;
            try {
                sender.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            sender.interrupt();
            closeSocket();
        }

        @Override
        public String toString() {
            return "audit messages to tls://" + endpoint.host() + ":" + endpoint.address().getPort()
                    + " (RFC 5425 syslog over TLS, DICOM audit XML)";
        }
    }
}
