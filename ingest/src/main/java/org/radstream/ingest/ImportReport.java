package org.radstream.ingest;

import java.nio.file.Path;
import java.util.List;

/**
 * What a folder import did: every file with its outcome. Files that are not DICOM are among the
 * refused ones (status 0xC000), each also dead-lettered.
 */
public record ImportReport(List<FileOutcome> files) {

    /** One file and what became of it. */
    public record FileOutcome(Path file, Outcome outcome) {}

    public ImportReport {
        files = List.copyOf(files);
    }

    public long published() {
        return files.stream().filter(f -> f.outcome().stored() && !f.outcome().duplicate()).count();
    }

    public long duplicates() {
        return files.stream().filter(f -> f.outcome().duplicate()).count();
    }

    public List<FileOutcome> refused() {
        return files.stream().filter(f -> !f.outcome().stored()).toList();
    }

    /** Refused because the file is not DICOM at all. */
    public List<FileOutcome> notDicom() {
        return refused().stream().filter(f -> f.outcome().status() == DimseStatus.CANNOT_UNDERSTAND
                && f.outcome().sopInstanceUid() == null).toList();
    }
}
