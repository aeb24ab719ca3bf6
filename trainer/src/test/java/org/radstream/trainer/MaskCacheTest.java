package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.imaging.Mask3D;
import org.radstream.imaging.Volume;
import org.radstream.models.ModelMetadata;
import org.radstream.models.NetworkSpec;

class MaskCacheTest {
    @TempDir
    Path dir;

    private static ModelMetadata model(int version, Map<String, Double> metrics) {
        return new ModelMetadata("infection", version, NetworkSpec.unet25d(2, 4), 16, 16, -1200, 600, metrics,
                Instant.parse("2026-12-01T00:00:00Z"), "params.bin", "ab12", null);
    }

    private static ScanData scan(String id, float shift) {
        float[] hu = new float[8 * 8 * 3];
        for (int i = 0; i < hu.length; i++) {
            hu[i] = i * 3f + shift;
        }
        return new ScanData(id, new Volume(hu, 8, 8, 3, 1, 1, 2), new Mask3D(8, 8, 3), null, null);
    }

    /** A reader that counts its calls and marks voxel {@code n} of the scan. */
    private static MaskCache.Reader reader(AtomicInteger calls, int n) {
        return () -> {
            calls.incrementAndGet();
            Mask3D m = new Mask3D(8, 8, 3);
            m.set(n, true);
            return m;
        };
    }

    @Test
    void aMaskIsKeptByModelAndScanAndAnyChangeToEitherIsReadAnew() throws Exception {
        MaskCache cache = MaskCache.in(dir);
        AtomicInteger calls = new AtomicInteger();
        Mask3D first = cache.mask(model(1, Map.of()), scan("a", 0), reader(calls, 5));
        Mask3D kept = MaskCache.in(dir).mask(model(1, Map.of()), scan("renamed", 0), reader(calls, 9));
        assertThat(kept).isEqualTo(first); // the same voxels under another id: the same scan
        assertThat(calls).hasValue(1);

        MaskCache other = MaskCache.in(dir);
        other.mask(model(1, Map.of("mask_threshold", 0.3)), scan("a", 0), reader(calls, 9)); // another reading
        other.mask(model(2, Map.of()), scan("a", 0), reader(calls, 9)); // another version
        other.mask(model(1, Map.of()), scan("a", 0.5f), reader(calls, 9)); // other voxels
        assertThat(calls).hasValue(4);
        assertThat(other.describe()).isEqualTo("3 masks made by the models, 0 kept from an earlier run");
    }

    @Test
    void anUnreadableKeptMaskIsReadAnewAndReplaced() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        MaskCache.in(dir).mask(model(1, Map.of()), scan("a", 0), reader(calls, 5));
        try (var files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.write(f, new byte[] {1, 2});
            }
        }
        Mask3D again = MaskCache.in(dir).mask(model(1, Map.of()), scan("a", 0), reader(calls, 7));
        assertThat(again.get(7)).isTrue();
        assertThat(calls).hasValue(2);
        MaskCache third = MaskCache.in(dir);
        assertThat(third.mask(model(1, Map.of()), scan("a", 0), reader(calls, 9))).isEqualTo(again);
        assertThat(third.kept()).isEqualTo(1);
    }

    @Test
    void aSweepDeletesWhatTheRunDidNotUseAndTheFoldersItEmpties() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        MaskCache earlier = MaskCache.in(dir);
        earlier.mask(model(1, Map.of()), scan("a", 0), reader(calls, 1));
        earlier.mask(model(1, Map.of()), scan("b", 1), reader(calls, 2));
        MaskCache run = MaskCache.in(dir);
        run.mask(model(2, Map.of()), scan("a", 0), reader(calls, 3));
        run.mask(model(1, Map.of()), scan("b", 1), reader(calls, 4)); // kept, so it stays
        assertThat(run.sweep()).isEqualTo(1);
        try (var folders = Files.list(dir)) {
            assertThat(folders.count()).isEqualTo(2);
        }
        MaskCache next = MaskCache.in(dir);
        next.mask(model(2, Map.of()), scan("a", 0), reader(calls, 5));
        assertThat(next.sweep()).isEqualTo(1); // model 1's mask of b
        try (var folders = Files.list(dir)) {
            assertThat(folders.map(f -> f.getFileName().toString()).toList()).singleElement()
                    .satisfies(f -> assertThat(f).startsWith("infection-v2-"));
        }
    }

    @Test
    void withoutAFolderEveryMaskIsRead() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        MaskCache none = MaskCache.in(null);
        for (int run = 0; run < 2; run++) {
            assertThat(none.mask(model(1, Map.of()), scan("a", 0), reader(calls, 1)).get(1)).isTrue();
        }
        assertThat(calls).hasValue(2);
        assertThat(none.sweep()).isZero();
    }
}
