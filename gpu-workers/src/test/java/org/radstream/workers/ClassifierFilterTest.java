package org.radstream.workers;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.Model;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.avro.WindowedSlice;
import org.radstream.imaging.BoundingSquare;
import org.radstream.imaging.Resample;
import org.radstream.models.Architectures;
import org.radstream.models.ClassifierTraining;
import org.radstream.models.ModelArtifact;
import org.radstream.models.ModelDescriptor;
import org.radstream.models.ModelStore;
import org.radstream.models.NetworkSpec;
import org.radstream.models.PatchClassifier;
import org.radstream.models.TrainingSettings;

/**
 * The infection stage with a trained ResNet-18: on a generated chest scan whose HU-threshold
 * candidates are round ground-glass lesions and thin vessel-like lines, the classifier removes
 * the lines from the infection mask and from the infected volume.
 */
class ClassifierFilterTest {
    private static final int PATCH = 32;
    private static final float LUNG = (float) ((-860 + 1200) / 1800.0);
    private static final float GGO = (float) ((-500 + 1200) / 1800.0);
    private static final float LINE = (float) ((-450 + 1200) / 1800.0);

    @TempDir
    Path store;

    /** What the worker would crop for one object: its minimum enclosing square, resized. */
    private static float[] patch(boolean disk, Random r) {
        int n = 48;
        float[] image = new float[n * n];
        boolean[] object = new boolean[n * n];
        java.util.Arrays.fill(image, LUNG);
        int cx = 16 + r.nextInt(16);
        int cy = 16 + r.nextInt(16);
        if (disk) {
            int rad = 3 + r.nextInt(4);
            for (int y = 0; y < n; y++) {
                for (int x = 0; x < n; x++) {
                    object[y * n + x] = (x - cx) * (x - cx) + (y - cy) * (y - cy) <= rad * rad;
                }
            }
        } else {
            int len = 8 + r.nextInt(7);
            int kind = r.nextInt(3);
            for (int i = 0; i < len; i++) {
                int x = kind == 0 ? cx + i - len / 2 : kind == 1 ? cx : cx + i - len / 2;
                int y = kind == 0 ? cy : kind == 1 ? cy + i - len / 2 : cy + i - len / 2;
                object[y * n + x] = true;
            }
        }
        for (int i = 0; i < object.length; i++) {
            if (object[i]) {
                image[i] = disk ? GGO : LINE;
            }
            image[i] += (float) (0.01 * r.nextGaussian());
        }
        BoundingSquare sq = BoundingSquare.of(object, n, n);
        return Resample.bilinear(sq.crop(image, n, n, 0f), sq.size(), sq.size(), PATCH, PATCH);
    }

    private ModelArtifact trainClassifier() throws Exception {
        Random r = new Random(11);
        int count = 64;
        float[][] patches = new float[count][];
        int[] labels = new int[count];
        for (int i = 0; i < count; i++) {
            labels[i] = i % 2;
            patches[i] = patch(labels[i] == 1, r);
        }
        try (Model model = Architectures.newModel(NetworkSpec.resnet18(1, 8), Device.cpu());
                ClassifierTraining training = ClassifierTraining.start(model, 1, PATCH, PATCH,
                        new TrainingSettings(8, 8, 1e-3f, 3))) {
            training.fit(patches, labels);
            return new ModelStore(store).save(model,
                    new ModelDescriptor("infection-classifier", PATCH, PATCH, -1200, 600, Map.of()));
        }
    }

    @Test
    void trainedClassifierRemovesLineCandidatesFromTheInfectionMaskAndVolume() throws Exception {
        ModelArtifact artifact = trainClassifier();
        int w = 64;
        int depth = 4;
        List<WindowedSlice> slices = new ArrayList<>();
        long diskVoxels = 0;
        long lineVoxels = 0;
        for (int z = 0; z < depth; z++) {
            float[] hu = new float[w * w];
            for (int y = 0; y < w; y++) {
                for (int x = 0; x < w; x++) {
                    float v = x < 2 || y < 2 || x >= w - 2 || y >= w - 2 ? -1000 : 40;
                    boolean left = x >= 4 && x < 30 && y >= 4 && y < 56;
                    boolean right = x >= 34 && x < 60 && y >= 4 && y < 56;
                    if (left || right) {
                        v = -860;
                    }
                    boolean disk = (x - 14) * (x - 14) + (y - 15) * (y - 15) <= 16
                            || (x - 18) * (x - 18) + (y - 40) * (y - 40) <= 25;
                    boolean line = (y == 20 && x >= 38 && x < 50) || (x == 52 && y >= 30 && y < 42);
                    if (disk) {
                        v = -500;
                        diskVoxels++;
                    } else if (line) {
                        v = -450;
                        lineVoxels++;
                    }
                    hu[y * w + x] = v;
                }
            }
            slices.add(Scans.slice(TaskGroup.CHEST, "clf", z + 1, z, hu, w, w));
        }
        AssembledSeries series = SeriesInferenceTest.assemble(slices);

        List<TaskOutput> unfiltered = new SeriesInference(TaskGroup.CHEST, 8).run(series, ModelSet.NONE);
        assertThat(unfiltered.get(1).mask().count()).isEqualTo(diskVoxels + lineVoxels);

        LoadedModel classifier = LoadedModel.of("infection-classifier", "7", artifact.location(),
                PatchClassifier.load(artifact.location(), Device.cpu()));
        try (classifier) {
            List<TaskOutput> out = new SeriesInference(TaskGroup.CHEST, 8)
                    .run(series, new ModelSet(Map.of("infection-classifier", classifier)));
            TaskOutput infection = out.get(1);
            assertThat(infection.method()).isEqualTo("hu-threshold");
            assertThat(infection.modelVersion()).isNull();
            assertThat(infection.classifierVersion()).isEqualTo("7");
            assertThat(infection.componentsRemoved()).isEqualTo(2 * depth);
            assertThat(infection.mask().count()).isEqualTo(diskVoxels);
            assertThat(infection.mask().get(14, 15, 2)).isTrue();
            assertThat(infection.mask().get(40, 20, 2)).isFalse();
            double voxelMl = series.voxelVolumeMm3() / 1000;
            assertThat(infection.mask().count() * voxelMl)
                    .isEqualTo((unfiltered.get(1).mask().count() - lineVoxels) * voxelMl);
            assertThat(out.get(0).classifierVersion()).isNull();
        }
    }
}
