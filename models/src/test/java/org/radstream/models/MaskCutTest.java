package org.radstream.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.Model;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MaskCutTest {
    private static final double LOW = -1200;
    private static final double HIGH = 600;

    @TempDir
    Path root;

    private static float windowed(double hu) {
        return (float) ((hu - LOW) / (HIGH - LOW));
    }

    @Test
    void densePixelsAreCutAtTheirOwnThreshold() {
        MaskCut cut = new MaskCut(0.3f, -250, 0.05f);
        float[] p = {0.2f, 0.2f, 0.04f, 0.35f, 0.1f};
        float[] centre = {windowed(-700), windowed(-100), windowed(40), windowed(-900), windowed(-250)};
        // ground glass at 0.2 stays out; consolidation at 0.2 is in; 0.04 is below both; -250 HU itself is dense
        assertThat(cut.apply(p, centre, LOW, HIGH)).containsExactly(false, true, false, true, true);
        assertThat(cut.splitsDensity()).isTrue();
        assertThat(cut.toString()).isEqualTo("threshold 0.30 (0.05 from -250 HU)");
    }

    @Test
    void theLenientAndStrictCutsLieHalfwayToZeroAndToOneFromEachThreshold() {
        MaskCut cut = new MaskCut(0.4f, -250, 0.05f);
        assertThat(cut.lenient()).isEqualTo(new MaskCut(0.2f, -250, 0.025f));
        assertThat(cut.strict()).isEqualTo(new MaskCut(0.7f, -250, 0.525f));
        assertThat(MaskCut.single(0.5f).lenient()).isEqualTo(MaskCut.single(0.25f));
        assertThat(MaskCut.single(0.5f).strict()).isEqualTo(MaskCut.single(0.75f));
        // a dense pixel at 0.1 is in the mask and in the lenient one, not in the strict one
        float[] p = {0.1f, 0.6f, 0.8f, 0.3f};
        boolean[] dense = {true, false, false, false};
        assertThat(cut.lenient().apply(p, dense)).containsExactly(true, true, true, true);
        assertThat(cut.apply(p, dense)).containsExactly(true, true, true, false);
        assertThat(cut.strict().apply(p, dense)).containsExactly(false, false, true, false);
    }

    @Test
    void stabilityIsTheDiceOfTheStrictAndLenientMasks() {
        org.radstream.imaging.Mask3D lenient = new org.radstream.imaging.Mask3D(4, 1, 1);
        org.radstream.imaging.Mask3D strict = new org.radstream.imaging.Mask3D(4, 1, 1);
        assertThat(MaskCut.stability(strict, lenient)).isEqualTo(1.0); // nothing, not even leniently
        lenient.set(0, true);
        assertThat(MaskCut.stability(strict, lenient)).isEqualTo(0.0); // only near the threshold
        lenient.set(1, true);
        lenient.set(2, true);
        strict.set(1, true);
        assertThat(MaskCut.stability(strict, lenient)).isEqualTo(0.5); // 2 x 1 / (1 + 3)
        strict.set(0, true);
        strict.set(2, true);
        assertThat(MaskCut.stability(strict, lenient)).isEqualTo(1.0); // all of it far from the threshold
    }

    @Test
    void aSingleCutIgnoresTheInput() {
        MaskCut cut = MaskCut.single(0.3f);
        float[] p = {0.2f, 0.35f};
        assertThat(cut.apply(p, null, LOW, HIGH)).containsExactly(false, true);
        assertThat(cut.apply(p, (boolean[]) null)).containsExactly(false, true);
        assertThat(cut.splitsDensity()).isFalse();
    }

    @Test
    void impossibleCutsAreRefused() {
        assertThatThrownBy(() -> new MaskCut(0.3f, Double.NaN, 0.05f))
                .hasMessageContaining("needs the HU it starts from");
        assertThatThrownBy(() -> new MaskCut(0.3f, -250, 0f)).hasMessageContaining("threshold must lie in (0, 1)");
        assertThatThrownBy(() -> new MaskCut(0.3f, Double.POSITIVE_INFINITY, 0.1f)).hasMessageContaining("finite");
        MaskCut cut = new MaskCut(0.3f, -250, 0.05f);
        // a liver window (-160..240) cannot tell -250 HU from -160
        assertThatThrownBy(() -> cut.apply(new float[1], new float[1], -160, 240))
                .hasMessageContaining("cannot be told apart in a window of -160..240 HU");
        assertThatThrownBy(() -> cut.apply(new float[2], new float[1], LOW, HIGH))
                .hasMessageContaining("centre slice has 1 values for a map of 2");
    }

    private ModelArtifact save(Map<String, Double> metrics) throws Exception {
        ModelStore store = new ModelStore(root, Clock.fixed(Instant.parse("2026-03-01T10:15:30Z"), ZoneOffset.UTC));
        try (Model model = Architectures.newModel(NetworkSpec.unet(UNetVariant.PLAIN, 3, 2, 4), Device.cpu())) {
            ai.djl.engine.Engine.getInstance().setRandomSeed(7); // the same untrained network every run
            model.getBlock().initialize(model.getNDManager(), ai.djl.ndarray.types.DataType.FLOAT32,
                    new ai.djl.ndarray.types.Shape(1, 3, 16, 16));
            return store.save(model, new ModelDescriptor("infection", 16, 16, LOW, HIGH, metrics));
        }
    }

    /** The workers' masks: a version carrying a dense threshold cuts the dense pixels of each sample's centre slice there. */
    @Test
    void aVersionWithADenseThresholdCutsItsCentreSlicesDensePixelsThere() throws Exception {
        Map<String, Double> metrics = new HashMap<>(Map.of(SegmentationModel.MASK_THRESHOLD_METRIC, 0.5,
                SegmentationModel.DENSE_FROM_HU_METRIC, -250.0, SegmentationModel.DENSE_MASK_THRESHOLD_METRIC, 0.05));
        ModelArtifact a = save(metrics);
        java.util.Random random = new java.util.Random(3);
        float[][] batch = new float[2][3 * 16 * 16];
        for (float[] sample : batch) {
            for (int i = 0; i < sample.length; i++) {
                sample[i] = random.nextFloat();
            }
        }
        try (SegmentationModel m = SegmentationModel.load(a.location(), Device.cpu())) {
            assertThat(m.maskCut()).isEqualTo(new MaskCut(0.5f, -250, 0.05f));
            assertThat(m.maskThreshold()).isEqualTo(0.5f);
            float[][] p = m.predict(batch);
            boolean[][] masks = m.predictMasks(batch);
            int denseCutDiffers = 0;
            for (int s = 0; s < batch.length; s++) {
                for (int k = 0; k < 256; k++) {
                    boolean dense = batch[s][256 + k] >= windowed(-250); // the centre of three slices
                    assertThat(masks[s][k]).isEqualTo(p[s][k] >= (dense ? 0.05f : 0.5f));
                    if (dense && p[s][k] >= 0.05f && p[s][k] < 0.5f) {
                        denseCutDiffers++;
                    }
                }
            }
            assertThat(denseCutDiffers).as("pixels the dense threshold took in").isPositive();
        }
    }

    @Test
    void aVersionWithoutOneCutsEveryPixelAtItsThreshold() throws Exception {
        ModelArtifact a = save(Map.of(SegmentationModel.MASK_THRESHOLD_METRIC, 0.2));
        try (SegmentationModel m = SegmentationModel.load(a.location(), Device.cpu())) {
            assertThat(m.maskCut()).isEqualTo(MaskCut.single(0.2f));
        }
    }

    @Test
    void aVersionWithAnUnreadableDenseThresholdIsRefused() throws Exception {
        ModelArtifact half = save(Map.of(SegmentationModel.DENSE_FROM_HU_METRIC, -250.0));
        assertThatThrownBy(() -> SegmentationModel.load(half.location(), Device.cpu()))
                .hasMessageContaining("dense_from_hu and dense_mask_threshold come together");
        ModelArtifact outside = save(Map.of(SegmentationModel.DENSE_FROM_HU_METRIC, -1500.0,
                SegmentationModel.DENSE_MASK_THRESHOLD_METRIC, 0.1));
        assertThatThrownBy(() -> SegmentationModel.load(outside.location(), Device.cpu()))
                .hasMessageContaining("dense_from_hu -1500 lies outside the input window -1200..600 HU");
    }
}
