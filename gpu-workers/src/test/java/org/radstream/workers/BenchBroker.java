package org.radstream.workers;

/**
 * Starts the test broker and keeps it running, for {@code WorkerBench} in another JVM:
 * {@code java -cp <test classpath> org.radstream.workers.BenchBroker} prints its bootstrap address.
 */
public final class BenchBroker {
    private BenchBroker() {}

    public static void main(String[] args) throws Exception {
        TestBroker broker = TestBroker.get();
        System.out.println("bootstrap " + broker.bootstrap);
        Thread.currentThread().join();
    }
}
