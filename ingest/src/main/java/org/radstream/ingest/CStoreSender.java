package org.radstream.ingest;

import com.pixelmed.dicom.SetOfDicomFiles;
import com.pixelmed.network.MultipleInstanceTransferStatusHandler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.radstream.schemas.ClientTls;

/**
 * Stores DICOM files at a remote SCP with C-STORE ({@link StorageScu}): one file, or several over
 * one association, as a storage SCU sends a study (a PACS counts and logs associations, and
 * each one costs a connection and a negotiation).
 */
final class CStoreSender {
    private final String host;
    private final int port;
    private final String calledAe;
    private final String callingAe;
    private final ClientTls tls;

    /** @param tls null: plain TCP */
    CStoreSender(String host, int port, ClientTls tls, String calledAe, String callingAe) {
        this.tls = tls;
        this.host = host;
        this.port = port;
        this.calledAe = calledAe;
        this.callingAe = callingAe;
    }

    /** The store failed: no association, or the SCP answered a failure status. */
    static class StoreFailedException extends Exception {
        StoreFailedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * The PACS could not be reached (no connection, the TLS handshake failed) or rejected the
     * association: nothing was sent, and every object would fail alike until it takes one, so the
     * caller waits rather than give up on them one by one.
     */
    static final class PacsUnreachableException extends StoreFailedException {
        PacsUnreachableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A Part 10 file to store, and what it is called in messages. */
    record Instance(byte[] part10, String what) {}

    /**
     * Stores a Part 10 file; returns once the SCP has answered success (or a warning).
     *
     * @param what names the file in messages
     * @throws PacsUnreachableException the SCP could not be reached or rejected the association
     * @throws StoreFailedException     it did not store the file
     */
    void store(byte[] part10, String what) throws StoreFailedException {
        String failure = storeAll(List.of(new Instance(part10, what))).get(0);
        if (failure != null) {
            throw new StoreFailedException(failure, null);
        }
    }

    /**
     * Stores {@code instances} over one association, in their order, and returns for each one null
     * when the SCP answered success (or a warning), else why it was not stored (its SOP class not
     * taken, a failure status, the association broken before its status came).
     *
     * @throws PacsUnreachableException the SCP could not be reached or rejected the association: none was sent
     */
    List<String> storeAll(List<Instance> instances) throws PacsUnreachableException {
        List<Path> files = new ArrayList<>();
        List<String> outcome = new ArrayList<>();
        try {
            SetOfDicomFiles set = new SetOfDicomFiles();
            List<String> uids = new ArrayList<>();
            for (Instance instance : instances) {
                Path file = Files.createTempFile("radstream-export-", ".dcm");
                files.add(file);
                Files.write(file, instance.part10());
                uids.add(set.add(file.toString()).getSOPInstanceUID());
            }
            Map<String, Integer> status = new HashMap<>(); // SOP instance UID → 0 stored, 1 failed
            int[] failedSoFar = {0};
            boolean trapped = StorageScu.send(host, port, tls, calledAe, callingAe, set,
                    new MultipleInstanceTransferStatusHandler() {
                        @Override
                        public void updateStatus(int remaining, int completed, int failed, int warning, String sop) {
                            status.put(sop, failed > failedSoFar[0] ? 1 : 0);
                            failedSoFar[0] = failed;
                        }
                    });
            for (int i = 0; i < instances.size(); i++) {
                Integer s = status.get(uids.get(i));
                String what = instances.get(i).what();
                if (s == null) {
                    outcome.add(calledAe + "@" + host + ":" + port + " did not store " + what + ": no success status came back"
                            + (trapped ? " (the association failed)" : ""));
                } else if (s == 1) {
                    outcome.add(calledAe + "@" + host + ":" + port + " did not store " + what + ": it answered a failure status");
                } else {
                    outcome.add(null);
                }
            }
        } catch (StorageScu.UnreachableException e) {
            throw new PacsUnreachableException(calledAe + "@" + host + ":" + port + " cannot be reached or takes no "
                    + "association from us: " + e.getMessage(), e);
        } catch (Exception e) {
            outcome.clear();
            for (Instance instance : instances) {
                outcome.add("C-STORE of " + instance.what() + " to " + calledAe + "@" + host + ":" + port + " failed: " + e);
            }
        } finally {
            for (Path file : files) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    // a temp file left behind: the OS clears it
                }
            }
        }
        return outcome;
    }
}
