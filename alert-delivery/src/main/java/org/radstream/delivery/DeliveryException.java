package org.radstream.delivery;

/** An alert was not accepted by a sink. */
public final class DeliveryException extends Exception {
    private static final long serialVersionUID = 1L;
    private final boolean retriable;

    public DeliveryException(String message, boolean retriable) {
        super(message);
        this.retriable = retriable;
    }

    public DeliveryException(String message, boolean retriable, Throwable cause) {
        super(message, cause);
        this.retriable = retriable;
    }

    /** Whether a later attempt may succeed (server error, timeout, refused connection). */
    public boolean retriable() {
        return retriable;
    }
}
