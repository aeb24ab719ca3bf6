package org.radstream.ingest;

import com.pixelmed.dicom.SetOfDicomFiles;
import com.pixelmed.network.MultipleInstanceTransferStatusHandler;
import com.pixelmed.network.StorageSOPClassSCU;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Stores one DICOM file at a remote SCP with C-STORE (PixelMed's storage SCU), one association per file. */
final class CStoreSender {
    private final String host;
    private final int port;
    private final String calledAe;
    private final String callingAe;

    CStoreSender(String host, int port, String calledAe, String callingAe) {
        this.host = host;
        this.port = port;
        this.calledAe = calledAe;
        this.callingAe = callingAe;
    }

    /** The store failed: no association, or the SCP answered a failure status. */
    static final class StoreFailedException extends Exception {
        StoreFailedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Stores a Part 10 file; returns once the SCP has answered success (or a warning).
     *
     * @param what names the file in messages
     */
    void store(byte[] part10, String what) throws StoreFailedException {
        Path file = null;
        try {
            file = Files.createTempFile("radstream-export-", ".dcm");
            Files.write(file, part10);
            SetOfDicomFiles files = new SetOfDicomFiles();
            files.add(file.toString());
            int[] outcome = new int[3]; // completed, failed, warning
            StorageSOPClassSCU scu = new StorageSOPClassSCU(host, port, calledAe, callingAe, files, 0,
                    new MultipleInstanceTransferStatusHandler() {
                        @Override
                        public void updateStatus(int remaining, int completed, int failed, int warning, String sop) {
                            outcome[0] = completed;
                            outcome[1] = failed;
                            outcome[2] = warning;
                        }
                    });
            if (outcome[1] > 0 || outcome[0] + outcome[2] == 0 || scu.encounteredTrappedExceptions()) {
                throw new StoreFailedException(calledAe + "@" + host + ":" + port + " did not store " + what
                        + (outcome[1] > 0 ? ": it answered a failure status" : ": no success status came back"), null);
            }
        } catch (StoreFailedException e) {
            throw e;
        } catch (Exception e) {
            throw new StoreFailedException("C-STORE of " + what + " to " + calledAe + "@" + host + ":" + port
                    + " failed: " + e, e);
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    // a temp file left behind: the OS clears it
                }
            }
        }
    }
}
