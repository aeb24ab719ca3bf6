package org.radstream.trainer;

/**
 * A training run stopped because it was asked to stop: an operator's cancel, or the trainer's
 * shutdown. A run asks at each training step and each batch of slices it reads ({@link
 * #throwIfRequested}), so it stops within one of them, not at its next epoch (half an hour for the
 * shipped infection network on two cores). The request is the thread's interrupt, which a run does
 * not otherwise use.
 */
public final class RunCancelledException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    RunCancelledException() {
        this("the run was asked to stop");
    }

    /** @param why who cancelled it, and why */
    RunCancelledException(String why) {
        super(why);
    }

    /** Stops the run on this thread if it was asked to stop. */
    static void throwIfRequested() {
        if (Thread.currentThread().isInterrupted()) {
            throw new RunCancelledException();
        }
    }
}
