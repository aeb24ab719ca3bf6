package org.radstream.streams;

/**
 * A record that can never be processed as it is (impossible geometry, pixel data that does not
 * match its header, a result that contradicts its key). The processing exception handler sends
 * it to the dead-letter topic with this message as the reason and processing continues; other
 * exceptions are not input problems and are classified separately.
 */
public class InvalidInputException extends RuntimeException {
    public InvalidInputException(String reason) {
        super(reason);
    }
}
