package org.radstream.imaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ImagingBasicsTest {
    @Test
    void storedToHuRespectsSign() {
        assertThat(HuConversion.toHu((short) 0xFFFF, false, 1, -1024)).isEqualTo(64511.0);
        assertThat(HuConversion.toHu((short) 0xFFFF, true, 1, -1024)).isEqualTo(-1025.0);
        assertThat(HuConversion.toHu((short) 24, false, 1, -1024)).isEqualTo(-1000.0);
        assertThat(HuConversion.toHu((short) 10, true, 2.5, -5)).isEqualTo(20.0);
        assertThat(HuConversion.toStored(-1000, false, 12, 1, -1024)).isEqualTo((short) 24);
        assertThat(HuConversion.toStored(5000, false, 12, 1, -1024)).isEqualTo((short) 4095);
        assertThat(HuConversion.toStored(-2000, false, 12, 1, -1024)).isEqualTo((short) 0);
        assertThat(HuConversion.toStored(-40, true, 16, 1, 0)).isEqualTo((short) -40);
    }

    @Test
    void windowsOfTheDesign() {
        assertThat(Window.LUNG.apply(-1200)).isZero();
        assertThat(Window.LUNG.apply(600)).isEqualTo(1f);
        assertThat(Window.LUNG.apply(-300)).isEqualTo(0.5f);
        assertThat(Window.LIVER.apply(50)).isEqualTo(0.5f);
        assertThat(Window.VESSEL.lower()).isEqualTo(-150);
        assertThat(Window.VESSEL.upper()).isEqualTo(150);
        assertThat(Window.VESSEL.apply(new float[] {-500, 0, 900})).containsExactly(0f, 0.5f, 1f);
        assertThat(Window.forTask("infection")).isEqualTo(Window.LUNG);
        assertThatThrownBy(() -> Window.forTask("brain")).hasMessageContaining("no window for task 'brain'");
    }

    @Test
    void resampleRoundTripsMasksAndInterpolatesImages() {
        boolean[] m = new boolean[16];
        m[5] = true;
        m[6] = true;
        boolean[] up = Resample.nearest(m, 4, 4, 8, 8);
        assertThat(Resample.nearest(up, 8, 8, 4, 4)).containsExactly(m);
        float[] ramp = {0, 10, 20, 30};
        float[] r = Resample.bilinear(ramp, 4, 1, 8, 1);
        assertThat(r[0]).isEqualTo(0f);
        assertThat(r[7]).isEqualTo(30f);
        assertThat(r[3]).isCloseTo(12.5f, within(1e-4f)); // centre 3.5 maps to source 1.25
    }

    @Test
    void volumeGeometry() {
        Volume v = new Volume(new float[2 * 3 * 4], 2, 3, 4, 0.5, 0.5, 2.0);
        assertThat(v.voxelVolumeMl()).isEqualTo(0.0005);
        assertThat(v.index(1, 2, 3)).isEqualTo(23);
        assertThatThrownBy(() -> new Volume(new float[5], 2, 3, 4, 1, 1, 1)).hasMessageContaining("expected 24");
    }

    @Test
    void progressionRule() {
        assertThat(ProgressionRule.isAlert(10, 15.1, 24)).isTrue();
        assertThat(ProgressionRule.isAlert(10, 15.0, 24)).isFalse();
        assertThat(ProgressionRule.isAlert(10, 30, 48.5)).isFalse();
        assertThat(ProgressionRule.isAlert(10, 30, 0)).isFalse();
        assertThat(ProgressionRule.isAlert(0, 1.0, 12)).isTrue();
        assertThat(ProgressionRule.isAlert(0, 0.9, 12)).isFalse();
        assertThat(ProgressionRule.isAlert(0.1, 0.9, 12)).isFalse();
    }
}
