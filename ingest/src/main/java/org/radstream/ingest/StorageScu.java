package org.radstream.ingest;

import com.pixelmed.dicom.SetOfDicomFiles;
import com.pixelmed.network.Association;
import com.pixelmed.network.AssociationFactory;
import com.pixelmed.network.DicomNetworkException;
import com.pixelmed.network.MultipleInstanceTransferStatusHandler;
import com.pixelmed.network.PresentationContextListFactory;
import com.pixelmed.network.StorageSOPClassSCU;
import java.io.IOException;
import java.lang.reflect.Field;
import java.net.Socket;
import java.nio.file.Path;
import java.util.LinkedList;
import java.util.List;
import org.radstream.schemas.ClientTls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends DICOM files over one association with C-STORE (PixelMed's storage SCU), as a set or in
 * order, on a socket with TCP_NODELAY set. PixelMed's own SCU leaves Nagle's algorithm on, and each small
 * instance then waits for the SCP's delayed acknowledgement: 44 ms a 4 KiB report to dcmtk's
 * storescp on this machine, against 2 ms on a no-delay socket (BENCHMARKS.md, "Export to the PACS").
 */
public final class StorageScu {
    private static final Logger log = LoggerFactory.getLogger(StorageScu.class);

    /** How long connecting and the TLS handshake may take. */
    private static final java.time.Duration TLS_TIMEOUT = java.time.Duration.ofSeconds(30);

    private StorageScu() {}

    /**
     * The association's socket: PixelMed creates it inside its association initiator (a class private
     * to its package) and offers neither a socket factory nor a getter, so the field is read here.
     */
    private static final Field SOCKET = socketField();

    private static Field socketField() {
        try {
            Field f = Association.class.getDeclaredField("socket");
            f.setAccessible(true);
            return f;
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.warn("cannot reach the socket of PixelMed's associations ({}): C-STORE is sent with Nagle's algorithm on, "
                    + "about 40 ms slower an instance", e.toString());
            return null;
        }
    }

    /** The socket of {@code association}; empty where PixelMed's field cannot be reached. */
    static java.util.Optional<Socket> socket(Association association) {
        try {
            return SOCKET == null ? java.util.Optional.empty() : java.util.Optional.of((Socket) SOCKET.get(association));
        } catch (ReflectiveOperationException e) {
            return java.util.Optional.empty();
        }
    }

    /** Sets TCP_NODELAY on {@code association}'s socket, where it can be reached. */
    static void noDelay(Association association) {
        Socket socket = socket(association).orElse(null);
        if (socket != null) {
            try {
                socket.setTcpNoDelay(true);
            } catch (IOException | RuntimeException e) {
                log.info("TCP_NODELAY not set on the association with {}: {}", association.getCalledAETitle(), e.toString());
            }
        }
    }

    /**
     * Sends {@code files} (not empty) in their order, as a modality sends a series slice by slice,
     * over one association; each file's status goes to {@code handler} with the counts of the whole
     * send. PixelMed's SCU sends a set of files in the set's (hash) order, which leaves gaps in a
     * series' instance numbers until late; a receiver that works on slices as they arrive sees the
     * series as a modality sends it only this way.
     *
     * @return whether PixelMed trapped an exception while sending (the association broke mid-way)
     * @throws DicomNetworkException no association (refused, or no presentation context accepted)
     * @throws IOException the SCP could not be reached, or a file could not be read
     */
    public static boolean sendInOrder(String host, int port, String calledAe, String callingAe, List<Path> files,
                                      MultipleInstanceTransferStatusHandler handler)
            throws DicomNetworkException, IOException {
        return sendInOrder(host, port, null, calledAe, callingAe, files, handler);
    }

    /** {@link #sendInOrder(String, int, String, String, List, MultipleInstanceTransferStatusHandler)} over {@code tls} (null: plain TCP). */
    public static boolean sendInOrder(String host, int port, ClientTls tls, String calledAe, String callingAe, List<Path> files,
                                      MultipleInstanceTransferStatusHandler handler)
            throws DicomNetworkException, IOException {
        SetOfDicomFiles all = new SetOfDicomFiles();
        for (Path f : files) {
            all.add(f.toFile());
        }
        Connection connection = open(host, port, tls, calledAe, callingAe, all);
        Association association = connection.association();
        boolean trapped = false;
        int[] done = new int[3]; // completed, failed, warning before the current file
        try {
            for (int i = 0; i < files.size() && !trapped; i++) {
                SetOfDicomFiles one = new SetOfDicomFiles();
                one.add(files.get(i).toFile());
                int remaining = files.size() - i - 1;
                int[] now = new int[3];
                trapped = new StorageSOPClassSCU(association, one, new MultipleInstanceTransferStatusHandler() {
                    @Override
                    public void updateStatus(int left, int completed, int failed, int warning, String sop) {
                        now[0] = completed;
                        now[1] = failed;
                        now[2] = warning;
                        handler.updateStatus(remaining, done[0] + completed, done[1] + failed, done[2] + warning, sop);
                    }
                }).encounteredTrappedExceptions();
                for (int k = 0; k < 3; k++) {
                    done[k] += now[k];
                }
            }
        } finally {
            connection.release(host, port, calledAe);
        }
        return trapped;
    }

    /**
     * Sends {@code files} (not empty) to {@code calledAe} at {@code host:port} over one association,
     * reporting each instance's status to {@code handler}, and releases it.
     *
     * @return whether PixelMed trapped an exception while sending (the association broke mid-way;
     *         the instances without a status were not stored)
     * @throws DicomNetworkException no association (refused, or no presentation context accepted)
     * @throws IOException the SCP could not be reached
     */
    public static boolean send(String host, int port, String calledAe, String callingAe, SetOfDicomFiles files,
                               MultipleInstanceTransferStatusHandler handler) throws DicomNetworkException, IOException {
        return send(host, port, null, calledAe, callingAe, files, handler);
    }

    /**
     * {@link #send(String, int, String, String, SetOfDicomFiles, MultipleInstanceTransferStatusHandler)}
     * over {@code tls} (null: plain TCP).
     *
     * @throws IOException also when the TLS connection fails (untrusted server, wrong host name, our
     *                     certificate refused); the message says why
     */
    public static boolean send(String host, int port, ClientTls tls, String calledAe, String callingAe, SetOfDicomFiles files,
                               MultipleInstanceTransferStatusHandler handler) throws DicomNetworkException, IOException {
        Connection connection = open(host, port, tls, calledAe, callingAe, files);
        boolean trapped;
        try {
            trapped = new StorageSOPClassSCU(connection.association(), files, handler).encounteredTrappedExceptions();
        } finally {
            connection.release(host, port, calledAe);
        }
        return trapped;
    }

    /** An association and, over TLS, the tunnel it runs through. */
    private record Connection(Association association, TlsTunnel tunnel) {
        void release(String host, int port, String calledAe) {
            try {
                association.release();
            } catch (Exception e) {
                log.info("releasing the association with {}@{}:{}: {}", calledAe, host, port, e.toString());
            } finally {
                if (tunnel != null) {
                    tunnel.close();
                }
            }
        }
    }

    /**
     * No association could be had with the SCP: no connection (refused, timed out, no route, an
     * unknown host), its TLS handshake failed, or it rejected the association. Nothing was sent, and
     * every file would fail alike; trying later may succeed (once it is up, or configured to take
     * us), unlike a file refused with a failure status.
     */
    public static final class UnreachableException extends IOException {
        UnreachableException(String message, IOException cause) {
            super(message, cause);
        }
    }

    /** Connection failures under which no association was tried: the SCP was not reached. */
    private static final List<String> NO_CONNECTION = List.of("java.net.ConnectException", "java.net.UnknownHostException",
            "java.net.NoRouteToHostException", "java.net.SocketTimeoutException");

    /**
     * Whether {@code e}, thrown while the association was requested, says no association could be had,
     * whatever the files: PixelMed reports a failed connection as an A-P-ABORT whose message holds the
     * socket's exception (and no cause), so the message is read; a connection the SCP closed before it
     * answered the request (a TLS server refusing our certificate after the handshake, an SCP going
     * down) and an association the SCP rejected (A-ASSOCIATE-RJ: our AE title unknown to it, too busy)
     * count too. A file whose SOP class the SCP does not take is refused within the association instead.
     */
    static boolean noAssociation(DicomNetworkException e) {
        String m = String.valueOf(e.getMessage());
        return m.contains("A-P-ABORT") && NO_CONNECTION.stream().anyMatch(m::contains)
                || m.startsWith("Connection closed while reading") || m.startsWith("A-ASSOCIATE-RJ");
    }

    /**
     * An association proposing the SOP classes and transfer syntaxes of {@code files}, its socket
     * without delay; over TLS, through a {@link TlsTunnel} whose handshake is done first.
     *
     * @throws UnreachableException no connection, the TLS handshake failed, or the association was rejected
     */
    private static Connection open(String host, int port, ClientTls tls, String calledAe, String callingAe,
                                   SetOfDicomFiles files) throws DicomNetworkException, IOException {
        LinkedList<?> contexts = PresentationContextListFactory.createNewPresentationContextList(files, 0);
        TlsTunnel tunnel;
        try {
            tunnel = tls == null ? null : TlsTunnel.open(tls, host, port, TLS_TIMEOUT);
        } catch (IOException e) {
            throw new UnreachableException(e.getMessage(), e);
        }
        try {
            Association association = tunnel == null
                    ? AssociationFactory.createNewAssociation(host, port, calledAe, callingAe, contexts, null, false)
                    : AssociationFactory.createNewAssociation(tunnel.localHost(), tunnel.localPort(), calledAe, callingAe,
                            contexts, null, false);
            noDelay(association);
            return new Connection(association, tunnel);
        } catch (IOException e) {
            if (tunnel != null) {
                tunnel.close();
            }
            throw new UnreachableException(e.toString(), e);
        } catch (DicomNetworkException e) {
            if (tunnel != null) {
                tunnel.close();
            }
            if (noAssociation(e)) {
                throw new UnreachableException(e.getMessage(), new IOException(e));
            }
            throw e;
        } catch (RuntimeException e) {
            if (tunnel != null) {
                tunnel.close();
            }
            throw e;
        }
    }
}
