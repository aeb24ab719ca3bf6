package org.radstream.ingest;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomOutputStream;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.TransferSyntax;
import com.pixelmed.network.AReleaseException;
import com.pixelmed.network.Association;
import com.pixelmed.network.AssociationFactory;
import com.pixelmed.network.DicomNetworkException;
import com.pixelmed.network.PresentationContextSelectionPolicy;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import javax.net.ssl.SSLSocket;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.radstream.schemas.ServerTls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The C-STORE and C-ECHO SCP. PixelMed negotiates the association ({@link DecodableFirstPolicy}:
 * every storage SOP class and Verification, in a transfer syntax radstream decodes wherever the
 * sender offers one, else in any recognised one, so that an instance radstream cannot decode is
 * received and refused with a status and a dead letter rather than failing at negotiation) and
 * frames PDUs; this class answers each C-STORE itself, with the
 * status {@link InstanceIngest} returns after Kafka's acknowledgement.
 *
 * <p>Calling AE titles not on the allow-list get an A-ASSOCIATE-RJ (rejected-permanent,
 * service-user, "calling AE title not recognized"): the request is read here before PixelMed sees
 * it. A wrong called AE title is rejected by PixelMed. One thread per association; TCP_NODELAY on.
 * On the TLS port the handshake comes first, on the association's thread; a connection whose
 * handshake fails (not TLS, or no trusted client certificate) is closed and counted, and the
 * association carries on as on the plain port.
 */
final class StoreScp implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StoreScp.class);
    private static final int A_ASSOCIATE_RQ = 0x01;
    private static final int MAX_ASSOCIATE_RQ_BYTES = 1 << 20;
    /** Largest P-DATA PDU we offer to receive: a 512² slice in a few PDUs instead of PixelMed's 16 KiB default's 32. */
    private static final int MAX_PDU_LENGTH = 256 * 1024;
    private static final int SOCKET_BUFFER_BYTES = 1024 * 1024;
    /** Connections the operating system queues while the accept loop hands one to its thread. */
    static final int BACKLOG = 64;
    /** A-ASSOCIATE-RJ (PS3.8 §9.3.4): result 1 rejected-permanent, source 1 service-user, reason 3 calling AE not recognized. */
    private static final byte[] ASSOCIATE_RJ_CALLING_AE_NOT_RECOGNIZED = {0x03, 0, 0, 0, 0, 4, 0, 1, 1, 3};
    /**
     * A-ASSOCIATE-RJ: result 2 rejected-transient, source 3 service-provider (presentation related
     * function), reason 2 local limit exceeded: the sender may try again later.
     */
    private static final byte[] ASSOCIATE_RJ_LOCAL_LIMIT_EXCEEDED = {0x03, 0, 0, 0, 0, 4, 0, 2, 3, 2};
    private static final AttributeTag AFFECTED_SOP_CLASS = new AttributeTag(0x0000, 0x0002);
    private static final AttributeTag MESSAGE_ID = new AttributeTag(0x0000, 0x0110);
    private static final AttributeTag AFFECTED_SOP_INSTANCE = new AttributeTag(0x0000, 0x1000);

    private final IngestSettings settings;
    private final InstanceIngest ingest;
    private final IngestMetrics metrics;
    private final IngestAudit audit;
    private final ServerSocket server;
    private final ExecutorService associations;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    /** Associations that may be open at once, shared by the service's DICOM ports. */
    private final Semaphore slots;
    private final Thread acceptor;
    private final PresentationContextSelectionPolicy policy = new DecodableFirstPolicy();
    private volatile boolean closing;

    /** The plain DICOM port of {@code settings}, taking its associations from {@code slots}. */
    StoreScp(IngestSettings settings, InstanceIngest ingest, IngestMetrics metrics, IngestAudit audit, Semaphore slots)
            throws IOException {
        this(settings, ingest, metrics, audit, plain(settings.dicomPort()), slots);
    }

    /**
     * Serves associations accepted on {@code server}: a plain socket, or the TLS port's
     * ({@link ServerTls#bind}), whose connections shake hands on their own thread first.
     */
    StoreScp(IngestSettings settings, InstanceIngest ingest, IngestMetrics metrics, IngestAudit audit, ServerSocket server,
             Semaphore slots) {
        this.audit = audit;
        this.slots = slots;
        this.settings = settings;
        this.ingest = ingest;
        this.metrics = metrics;
        this.server = server;
        AtomicInteger n = new AtomicInteger();
        this.associations = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "ingest-association-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.acceptor = new Thread(this::acceptLoop, "ingest-scp-accept-" + port());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    private static ServerSocket plain(int port) throws IOException {
        ServerSocket server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress((InetAddress) null, port), BACKLOG);
        return server;
    }

    int port() {
        return server.getLocalPort();
    }

    private void acceptLoop() {
        while (!closing) {
            try {
                Socket socket = server.accept();
                socket.setTcpNoDelay(true);
                open.add(socket);
                associations.execute(() -> serve(socket));
            } catch (IOException e) {
                if (!closing) {
                    log.error("DICOM port {} stopped accepting: {}", port(), e.toString());
                }
                return;
            }
        }
    }

    private void serve(Socket socket) {
        String callingAe = "?";
        String peer = String.valueOf(socket.getRemoteSocketAddress());
        String address = socket.getInetAddress().getHostAddress();
        try {
            if (socket instanceof SSLSocket tls) {
                try {
                    peer = peer + " (" + ServerTls.handshake(tls) + ")";
                } catch (IOException e) {
                    metrics.tlsHandshakeFailed();
                    audit.nodeRefused("unknown", address, "TLS handshake on the DICOM TLS port failed: " + e.getMessage());
                    log.warn("TLS handshake with {} on DICOM port {} failed, connection closed: {}", peer, port(),
                            e.getMessage());
                    return;
                }
            }
            socket.setSoTimeout((int) settings.requestTimeout().toMillis()); // the ARTIM timer
            byte[] request;
            try {
                request = readAssociateRequest(socket.getInputStream());
            } catch (SocketTimeoutException e) {
                log.info("connection from {} sent no A-ASSOCIATE-RQ within {}: closed", peer, settings.requestTimeout());
                return;
            }
            if (request == null) {
                return;
            }
            socket.setSoTimeout(0);
            callingAe = aeField(request, 26);
            if (!settings.allows(callingAe)) {
                metrics.associationRejected();
                audit.nodeRefused(callingAe, address, "calling AE title " + callingAe + " is not on the allow-list");
                log.warn("association from {} at {} to {} rejected: calling AE title not on the allow-list",
                        callingAe, peer, aeField(request, 10));
                socket.getOutputStream().write(ASSOCIATE_RJ_CALLING_AE_NOT_RECOGNIZED);
                socket.getOutputStream().flush();
                return;
            }
            if (!slots.tryAcquire()) {
                metrics.associationBusy();
                log.warn("association from {} at {} rejected (transient): {} associations are open, the most allowed",
                        callingAe, peer, settings.maxAssociations());
                socket.getOutputStream().write(ASSOCIATE_RJ_LOCAL_LIMIT_EXCEEDED);
                socket.getOutputStream().flush();
                return;
            }
            try {
                associate(socket, request, callingAe, peer, address);
            } finally {
                slots.release();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.info("association from {} at {} interrupted by shutdown", callingAe, peer);
        } catch (DicomNetworkException | DicomException | IOException e) {
            if (!closing) {
                log.info("association from {} at {} ended: {}", callingAe, peer, e.getMessage());
            }
        } catch (RuntimeException e) {
            log.error("association from {} at {} failed", callingAe, peer, e);
        } finally {
            open.remove(socket);
            closeQuietly(socket);
        }
    }

    /** Negotiates the association PixelMed-side and answers its requests until it is released. */
    private void associate(Socket socket, byte[] request, String callingAe, String peer, String address)
            throws DicomNetworkException, DicomException, IOException, InterruptedException {
        Association association = AssociationFactory.createNewAssociation(
                new ReplaySocket(socket, request), settings.aeTitle(), MAX_PDU_LENGTH, SOCKET_BUFFER_BYTES,
                SOCKET_BUFFER_BYTES, policy);
        log.debug("association {} from {} at {}", association.getAssociationNumber(), callingAe, peer);
        IngestAudit.Transfer transfer = audit.transfer(callingAe, address);
        try {
            while (!closing) {
                DimseRequestReceiver receiver = new DimseRequestReceiver(600 * 1024);
                association.setReceivedDataHandler(receiver);
                try {
                    association.waitForPDataPDUsUntilHandlerReportsDone();
                } catch (AReleaseException released) {
                    return;
                }
                respond(association, receiver, callingAe, transfer);
            }
        } finally {
            transfer.end(); // released, aborted or broken: what was received is audited either way
        }
    }

    private void respond(Association association, DimseRequestReceiver receiver, String callingAe,
                         IngestAudit.Transfer transfer)
            throws DicomNetworkException, DicomException, IOException, InterruptedException {
        AttributeList command = receiver.commandList();
        String sopClass = CtInstanceReader.text(command, AFFECTED_SOP_CLASS);
        int messageId = Attribute.getSingleIntegerValueOrDefault(command, MESSAGE_ID, 0);
        byte pcid = receiver.presentationContextId();
        switch (receiver.commandField()) {
            case DimseRequestReceiver.C_ECHO_RQ -> association.send(pcid, DimseResponses.cEcho(sopClass, messageId), null);
            case DimseRequestReceiver.C_STORE_RQ -> {
                String sop = CtInstanceReader.text(command, AFFECTED_SOP_INSTANCE);
                String ts = association.getTransferSyntaxForPresentationContextID(pcid);
                byte[] part10 = part10(receiver.dataSet(), sopClass, sop, ts, callingAe);
                Outcome outcome = ingest.ingest(part10, callingAe, Channel.C_STORE);
                transfer.add(outcome);
                association.send(pcid, DimseResponses.cStore(sopClass, sop, messageId, outcome.status(), outcome.reason()), null);
            }
            default -> {
                log.warn("unsupported DIMSE command 0x{} from {}: aborting the association",
                        Integer.toHexString(receiver.commandField()), callingAe);
                association.abort();
                throw new DicomNetworkException("unsupported command");
            }
        }
    }

    /** The received data set behind a file meta header: the form every channel validates and dead-letters. */
    static byte[] part10(byte[] dataSet, String sopClass, String sopInstance, String ts, String callingAe)
            throws DicomException, IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(dataSet.length + 512);
        FileMetaInformation meta = new FileMetaInformation(
                sopClass == null ? "" : sopClass, sopInstance == null ? "" : sopInstance, ts, callingAe);
        DicomOutputStream dout = new DicomOutputStream(out, TransferSyntax.ExplicitVRLittleEndian, null);
        meta.getAttributeList().write(dout);
        dout.flush();
        out.writeBytes(dataSet);
        return out.toByteArray();
    }

    /** Reads the first PDU; null when the peer closed without sending one. */
    private static byte[] readAssociateRequest(InputStream in) throws IOException, DicomNetworkException {
        DataInputStream data = new DataInputStream(in);
        byte[] header = new byte[6];
        try {
            data.readFully(header);
        } catch (EOFException e) {
            return null;
        }
        if ((header[0] & 0xff) != A_ASSOCIATE_RQ) {
            throw new DicomNetworkException("first PDU is type 0x" + Integer.toHexString(header[0] & 0xff)
                    + ", not A-ASSOCIATE-RQ");
        }
        long length = ((header[2] & 0xffL) << 24) | ((header[3] & 0xff) << 16) | ((header[4] & 0xff) << 8) | (header[5] & 0xff);
        if (length < 68 || length > MAX_ASSOCIATE_RQ_BYTES) {
            throw new DicomNetworkException("A-ASSOCIATE-RQ of implausible length " + length);
        }
        byte[] pdu = new byte[6 + (int) length];
        System.arraycopy(header, 0, pdu, 0, 6);
        data.readFully(pdu, 6, (int) length);
        return pdu;
    }

    /** A 16-byte AE title field of the A-ASSOCIATE-RQ (called at 10, calling at 26), trimmed. */
    private static String aeField(byte[] pdu, int offset) {
        return new String(pdu, offset, 16, StandardCharsets.US_ASCII).trim();
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            log.debug("closing {}: {}", socket, e.toString());
        }
    }

    @Override
    public void close() {
        closing = true;
        try {
            server.close();
        } catch (IOException e) {
            log.debug("closing DICOM port: {}", e.toString());
        }
        open.forEach(StoreScp::closeQuietly);
        associations.shutdownNow();
        try {
            if (!associations.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("associations still running after 10 s at shutdown");
            }
            acceptor.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
