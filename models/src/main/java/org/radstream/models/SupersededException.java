package org.radstream.models;

import java.io.IOException;

/**
 * A version was not written because its task's newest version is no longer the one the writer
 * based its decision on: another version was published meanwhile (an operator's promotion, another
 * trainer). Nothing was written; the writer decides again against {@link #newest()}.
 */
public final class SupersededException extends IOException {

    private static final long serialVersionUID = 1L;

    private final String task;
    private final int expected;
    private final int newest;

    SupersededException(String task, int expected, int newest) {
        super((newest == 0 ? task + " has no version now" : task + " v" + newest + " was published meanwhile")
                + " (expected the newest version to be " + (expected == 0 ? "none" : "v" + expected) + ")");
        this.task = task;
        this.expected = expected;
        this.newest = newest;
    }

    /** The same refusal, told in {@code message} (the caller's words for what was not done). */
    public SupersededException(SupersededException refusal, String message) {
        super(message, refusal);
        this.task = refusal.task;
        this.expected = refusal.expected;
        this.newest = refusal.newest;
    }

    public String task() {
        return task;
    }

    /** The newest version the writer expected; 0 for none. */
    public int expected() {
        return expected;
    }

    /** The task's newest version when the write was refused. */
    public int newest() {
        return newest;
    }
}
