package org.radstream.ingest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Backfills from a folder: every regular file below it, whatever its name, is ingested like a
 * C-STORE from caller {@code IMPORT}, in path order. Files that are not DICOM are reported (and
 * dead-lettered); one unreadable file does not stop the import. Series get their markers after
 * the stability time as usual, or at once through {@link IngestService#completeOpenSeries()}.
 */
public final class FolderImporter {
    static final String IMPORT_CALLER = "IMPORT";
    private static final Logger log = LoggerFactory.getLogger(FolderImporter.class);

    private final InstanceIngest ingest;

    FolderImporter(InstanceIngest ingest) {
        this.ingest = ingest;
    }

    public ImportReport importFolder(Path root) throws IOException, InterruptedException {
        if (!Files.isDirectory(root)) {
            throw new IOException("not a directory: " + root);
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(root)) {
            files = walk.filter(Files::isRegularFile).sorted().toList();
        }
        List<ImportReport.FileOutcome> outcomes = new ArrayList<>(files.size());
        for (Path file : files) {
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(file);
            } catch (IOException e) {
                log.warn("import: cannot read {}: {}", file, e.toString());
                outcomes.add(new ImportReport.FileOutcome(file, new Outcome(DimseStatus.PROCESSING_FAILURE,
                        "cannot read the file: " + e.getMessage(), null, null, null, null, false)));
                continue;
            }
            Outcome outcome = ingest.ingest(bytes, IMPORT_CALLER, Channel.IMPORT);
            if (!outcome.stored()) {
                log.info("import: {} refused with {}: {}", file, DimseStatus.hex(outcome.status()), outcome.reason());
            }
            outcomes.add(new ImportReport.FileOutcome(file, outcome));
        }
        return new ImportReport(outcomes);
    }
}
