package org.radstream.launcher.pipeline;

import com.pixelmed.dicom.SetOfDicomFiles;
import com.pixelmed.network.MultipleInstanceTransferStatusHandler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.radstream.ingest.StorageScu;

/**
 * A DICOM sender, as a modality or PACS pushes a study: every file of a folder in one association
 * by C-STORE, in the order of their names ({@link StorageScu}: PixelMed's storage SCU on a no-delay
 * socket), counting the per-instance statuses the receiver answers.
 */
public final class DicomPush {

    /** What the receiver answered. */
    public record Outcome(int sent, int completed, int failed, int warnings) {
        public boolean allStored() {
            return failed == 0 && completed + warnings == sent;
        }
    }

    private DicomPush() {}

    /**
     * Sends every regular file below {@code folder} to {@code host:port} (called AE {@code calledAe})
     * in the order of their names, as a modality sends a series slice by slice.
     */
    public static Outcome send(Path folder, String host, int port, String calledAe, String callingAe) throws IOException {
        return send(folder, host, port, calledAe, callingAe, true);
    }

    /**
     * The same; with {@code inOrder} false, in the order PixelMed's storage SCU sends a set of files
     * (its hash order: the instance numbers arrive with gaps until late), as radstream pushed before.
     */
    public static Outcome send(Path folder, String host, int port, String calledAe, String callingAe, boolean inOrder)
            throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(folder)) {
            files = walk.filter(Files::isRegularFile).sorted().toList();
        }
        if (files.isEmpty()) {
            throw new IOException("no files to send in " + folder);
        }
        SetOfDicomFiles set = new SetOfDicomFiles();
        for (Path f : files) {
            set.add(f.toFile());
        }
        int[] last = new int[3];
        MultipleInstanceTransferStatusHandler handler = new MultipleInstanceTransferStatusHandler() {
            @Override
            public void updateStatus(int remaining, int completed, int failed, int warning, String sopInstanceUid) {
                last[0] = completed;
                last[1] = failed;
                last[2] = warning;
            }
        };
        try {
            if (inOrder ? StorageScu.sendInOrder(host, port, calledAe, callingAe, files, handler)
                    : StorageScu.send(host, port, calledAe, callingAe, set, handler)) {
                throw new IOException("C-STORE to " + calledAe + "@" + host + ":" + port + " failed during the association");
            }
        } catch (StorageScu.UnreachableException e) {
            throw new IOException(calledAe + "@" + host + ":" + port + " cannot be reached or takes no association: "
                    + e.getMessage(), e);
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("C-STORE to " + calledAe + "@" + host + ":" + port + " failed: " + e.getMessage(), e);
        }
        return new Outcome(files.size(), last[0], last[1], last[2]);
    }
}
