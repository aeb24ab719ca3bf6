package org.radstream.imaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RleTest {
    @Test
    void encodesRunsStartingWithZerosAsVarints() {
        Mask3D m = new Mask3D(new boolean[] {false, false, true, true, true, false}, 3, 2, 1);
        assertThat(Rle.encode(m)).containsExactly(2, 3, 1);
        Mask3D first = new Mask3D(new boolean[] {true, false}, 2, 1, 1);
        assertThat(Rle.encode(first)).containsExactly(0, 1, 1);
    }

    @Test
    void edgeCases() {
        Mask3D zeros = new Mask3D(10, 10, 3);
        assertThat(Rle.encode(zeros)).containsExactly(0xAC, 0x02); // 300 as LEB128
        assertThat(Rle.decode(Rle.encode(zeros), 10, 10, 3)).isEqualTo(zeros);
        Mask3D ones = new Mask3D(10, 10, 3);
        java.util.Arrays.fill(ones.data(), true);
        assertThat(Rle.encode(ones)).containsExactly(0, 0xAC, 0x02);
        assertThat(Rle.decode(Rle.encode(ones), 10, 10, 3)).isEqualTo(ones);
        Mask3D empty = new Mask3D(0, 5, 5);
        assertThat(Rle.encode(empty)).isEmpty();
        assertThat(Rle.decode(new byte[0], 0, 5, 5).size()).isZero();
    }

    @Test
    void randomRoundTrip() {
        Random r = new Random(7);
        for (int trial = 0; trial < 20; trial++) {
            Mask3D m = new Mask3D(17, 9, 5);
            double p = r.nextDouble();
            for (int i = 0; i < m.size(); i++) {
                m.set(i, r.nextDouble() < p);
            }
            assertThat(Rle.decode(Rle.encode(m), 17, 9, 5)).isEqualTo(m);
        }
    }

    @Test
    void rejectsEncodingsThatDoNotCoverTheGrid() {
        assertThatThrownBy(() -> Rle.decode(new byte[] {5}, 2, 2, 1)).hasMessageContaining("exceed");
        assertThatThrownBy(() -> Rle.decode(new byte[] {2}, 2, 2, 1)).hasMessageContaining("cover 2 voxels, expected 4");
        assertThatThrownBy(() -> Rle.decode(new byte[] {1, 0, 3}, 2, 2, 1)).hasMessageContaining("empty run");
        assertThatThrownBy(() -> Rle.decode(new byte[] {(byte) 0x80}, 2, 2, 1)).hasMessageContaining("truncated");
    }

    @Test
    void fileRoundTripKeepsDimensions(@TempDir Path dir) throws Exception {
        Mask3D m = new Mask3D(4, 3, 2);
        m.set(1, 2, 1, true);
        Path f = dir.resolve("m.rle");
        Rle.write(f, m);
        Mask3D back = Rle.read(f);
        assertThat(back).isEqualTo(m);
        assertThat(java.nio.file.Files.size(f)).isEqualTo(12 + Rle.encode(m).length);
    }
}
