package org.radstream.workers;

/**
 * A series that cannot produce a result however often it is retried (wrong slice count,
 * inconsistent slice sizes, undecodable planes) or that failed every attempt: it goes to the
 * dead-letter topic with this message as the reason, and the partition moves on.
 */
final class PoisonedSeriesException extends Exception {
    private static final long serialVersionUID = 1L;

    PoisonedSeriesException(String message) {
        super(message);
    }

    PoisonedSeriesException(String message, Throwable cause) {
        super(message, cause);
    }
}
