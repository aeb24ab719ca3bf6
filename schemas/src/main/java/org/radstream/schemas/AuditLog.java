package org.radstream.schemas;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where a service's audit messages go: an audit record repository that takes them as RFC 5424
 * syslog messages over UDP (RFC 5426), as IHE ATNA's Record Audit Event transaction sends them
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
     * An audit log sending to {@code target}, {@code udp://HOST:PORT} (or {@code syslog://}, the same), as
     * {@code appName} (e.g. {@code radstream-ingest}); null or blank: {@link #NONE}.
     *
     * @throws IllegalArgumentException the target is not of that form, or its host is unknown
     */
    public static AuditLog syslog(String target, String appName) {
        if (target == null || target.isBlank()) {
            return NONE;
        }
        InetSocketAddress address = target(target);
        try {
            return new Syslog(address, appName, Clock.systemUTC());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot open a UDP socket for the audit repository: " + e.getMessage(), e);
        }
    }

    /**
     * The repository's address of {@code target}, {@code udp://HOST:PORT} (or {@code syslog://}).
     *
     * @throws IllegalArgumentException the target is not of that form, or its host is unknown
     */
    public static InetSocketAddress target(String target) {
        URI uri;
        try {
            uri = URI.create(target.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the audit repository must be udp://HOST:PORT, got '" + target + "'");
        }
        if (!("udp".equals(uri.getScheme()) || "syslog".equals(uri.getScheme())) || uri.getHost() == null
                || uri.getPort() <= 0) {
            throw new IllegalArgumentException("the audit repository must be udp://HOST:PORT, got '" + target + "'");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(uri.getHost()), uri.getPort());
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("the audit repository's host " + uri.getHost() + " is unknown");
        }
    }

    /** The name of this host, as audit messages name the system that saw an event. */
    public static String hostName() {
        try {
            String h = InetAddress.getLocalHost().getHostName();
            return h.isBlank() ? "localhost" : h;
        } catch (UnknownHostException e) {
            return "localhost";
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
            // severity notice (5) for what went well, warning (4) for a failure; facility 10 (security/authorization)
            int pri = 10 * 8 + (message.outcome() == AuditMessage.Outcome.SUCCESS ? 5 : 4);
            String header = "<" + pri + ">1 " + clock.instant().truncatedTo(ChronoUnit.MILLIS) + " " + host + " " + appName
                    + " " + procId + " IHE+RFC-3881 - ";
            byte[] head = header.getBytes(StandardCharsets.US_ASCII);
            byte[] xml = message.xml().getBytes(StandardCharsets.UTF_8);
            byte[] datagram = new byte[head.length + BOM.length + xml.length];
            System.arraycopy(head, 0, datagram, 0, head.length);
            System.arraycopy(BOM, 0, datagram, head.length, BOM.length);
            System.arraycopy(xml, 0, datagram, head.length + BOM.length, xml.length);
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
}
