package org.radstream.imaging.dicom;

import java.math.BigInteger;
import java.util.UUID;
import java.util.random.RandomGenerator;

/**
 * DICOM UIDs under the {@code 2.25.} root (ISO/IEC 9834-8: the decimal value of a UUID), which
 * needs no registered organisation root and, from a seeded random source, is reproducible.
 */
public final class Uids {
    private Uids() {}

    /** A random-looking UID drawn from {@code random} (deterministic for a seeded generator). */
    public static String next(RandomGenerator random) {
        long msb = (random.nextLong() & 0xFFFFFFFFFFFF0FFFL) | 0x0000000000004000L;
        long lsb = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return fromUuid(new UUID(msb, lsb));
    }

    public static String fromUuid(UUID uuid) {
        BigInteger hi = BigInteger.valueOf(uuid.getMostSignificantBits()).and(BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE));
        BigInteger lo = BigInteger.valueOf(uuid.getLeastSignificantBits()).and(BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE));
        return "2.25." + hi.shiftLeft(64).or(lo);
    }
}
