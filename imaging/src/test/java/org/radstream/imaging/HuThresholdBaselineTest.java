package org.radstream.imaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HuThresholdBaselineTest {
    /** 9×7 slice: outside air, a body ring at +40, inside: lung -850, GGO -500, an air pocket, tissue. */
    static Volume phantom() {
        String[] rows = {
                ".........",
                ".BBBBBBB.",
                ".BLLGBAB.",
                ".BLLTBAB.",
                ".BBBBBBB.",
                ".........",
                "........."};
        float[] hu = new float[63];
        for (int y = 0; y < 7; y++) {
            for (int x = 0; x < 9; x++) {
                char c = rows[y].charAt(x);
                hu[y * 9 + x] = switch (c) {
                    case 'B', 'T' -> 40;
                    case 'L' -> -850;
                    case 'G' -> -500;
                    case 'A' -> -1000;
                    default -> -1000;
                };
            }
        }
        return new Volume(hu, 9, 7, 1, 1, 1, 1);
    }

    @Test
    void lungIsDarkBodyVoxelsIncludingInternalAir() {
        Volume v = phantom();
        Mask3D lung = HuThresholdBaseline.lungMask(v, new HuThresholdBaseline.Thresholds(-200, -750));
        // 4 lung + 1 GGO + 2 internal air, none of the outside air
        assertThat(lung.count()).isEqualTo(7);
        assertThat(lung.get(6, 2, 0)).isTrue();
        assertThat(lung.get(0, 0, 0)).isFalse();
        Mask3D inf = HuThresholdBaseline.infectionMask(v, new HuThresholdBaseline.Thresholds(-200, -750));
        assertThat(inf.count()).isEqualTo(1);
        assertThat(inf.get(4, 2, 0)).isTrue();
    }

    @Test
    void thresholdsMustBeOrdered() {
        assertThatThrownBy(() -> new HuThresholdBaseline.Thresholds(-750, -200)).hasMessageContaining("must be below");
    }
}
