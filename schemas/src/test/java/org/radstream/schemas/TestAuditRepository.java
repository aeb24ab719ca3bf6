package org.radstream.schemas;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A UDP audit record repository as the tests see one: the syslog datagrams that reached a socket. */
public final class TestAuditRepository {
    private TestAuditRepository() {}

    /** The datagrams that reach {@code repository} until none has for {@code quiet}, as text. */
    public static List<String> receiveAll(DatagramSocket repository, Duration quiet) throws IOException {
        List<String> out = new ArrayList<>();
        repository.setSoTimeout((int) quiet.toMillis());
        while (true) {
            DatagramPacket p = new DatagramPacket(new byte[65_536], 65_536);
            try {
                repository.receive(p);
            } catch (SocketTimeoutException e) {
                return out;
            }
            out.add(new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8));
        }
    }
}
