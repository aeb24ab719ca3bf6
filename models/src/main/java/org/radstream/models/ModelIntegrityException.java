package org.radstream.models;

import java.io.IOException;

/**
 * A stored artifact that must not be used: its parameter file does not match the recorded
 * checksum, its metadata is unreadable, or its weights do not fit its architecture. An
 * {@link IOException} so that callers treating "cannot load" uniformly need nothing special, and
 * a separate type so that a worker can report corruption differently from a missing file.
 */
public final class ModelIntegrityException extends IOException {

    private static final long serialVersionUID = 1L;

    public ModelIntegrityException(String message) {
        super(message);
    }

    public ModelIntegrityException(String message, Throwable cause) {
        super(message, cause);
    }
}
