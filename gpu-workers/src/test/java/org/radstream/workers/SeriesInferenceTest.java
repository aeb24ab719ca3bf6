package org.radstream.workers;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.initializer.NormalInitializer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.avro.WindowedSlice;
import org.radstream.imaging.Mask3D;
import org.radstream.models.Architectures;
import org.radstream.models.ModelDescriptor;
import org.radstream.models.ModelStore;
import org.radstream.models.NetworkSpec;
import org.radstream.models.SegmentationModel;
import org.radstream.workers.TaskGroup.Tasks;

class SeriesInferenceTest {

    static AssembledSeries assemble(List<WindowedSlice> slices) throws Exception {
        String uid = slices.get(0).getSeriesUid();
        return SeriesAssembly.assemble(uid, buffered(slices), Scans.marker(uid, slices.size()));
    }

    @Test
    void chestWithoutModelsUsesTheHuBaselineAndSaysSo() throws Exception {
        AssembledSeries s = assemble(Scans.chestSlices("C", 32, 32, 8));
        List<TaskOutput> out = new SeriesInference(TaskGroup.CHEST, 4).run(s, ModelSet.NONE);
        assertThat(out).extracting(TaskOutput::task).containsExactly("lung", "infection");
        TaskOutput lung = out.get(0);
        TaskOutput infection = out.get(1);
        assertThat(lung.method()).isEqualTo("hu-threshold");
        assertThat(lung.modelVersion()).isNull();
        assertThat(infection.method()).isEqualTo("hu-threshold");
        assertThat(infection.modelVersion()).isNull();
        assertThat(infection.classifierVersion()).isNull();
        // two 10×20 lungs on 8 slices; the 2×2 gas speck is not among the two largest components
        assertThat(lung.mask().count()).isEqualTo(2 * 10 * 20 * 8);
        assertThat(lung.mask().get(15, 26, 3)).isFalse();
        // the 4×4 lesion on the middle 4 slices, inside the lung
        assertThat(infection.mask().count()).isEqualTo(16 * 4);
        assertThat(infection.mask().get(6, 8, 2)).isTrue();
        assertThat(infection.mask().get(6, 8, 1)).isFalse();
    }

    @Test
    void liverWithoutModelsKeepsTheLiverAndVesselsInsideIt() throws Exception {
        int w = 32;
        int h = 32;
        int d = 6;
        List<WindowedSlice> slices = new ArrayList<>();
        for (int z = 0; z < d; z++) {
            float[] hu = new float[w * h];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    float v = x < 1 || y < 1 || x >= w - 1 || y >= h - 1 ? -1000 : 40;
                    if (x >= 4 && x < 20 && y >= 4 && y < 20) {
                        v = 110; // liver 16×16
                    }
                    if (x >= 24 && x < 28 && y >= 24 && y < 28) {
                        v = 120; // small organ in the liver band, smaller: dropped
                    }
                    if (y == 10 && x >= 6 && x < 14) {
                        v = 190; // vessel through the liver: 8 voxels
                    }
                    if (y == 26 && x >= 2 && x < 6) {
                        v = 190; // bright structure far from the liver: 4 voxels, outside
                    }
                    hu[y * w + x] = v;
                }
            }
            slices.add(Scans.slice(TaskGroup.LIVER, "L", z + 1, z, hu, w, h));
        }
        AssembledSeries s = assemble(slices);
        List<TaskOutput> out = new SeriesInference(TaskGroup.LIVER, 4).run(s, ModelSet.NONE);
        assertThat(out).extracting(TaskOutput::task).containsExactly("liver", "vessel");
        assertThat(out).extracting(TaskOutput::method).containsOnly("hu-threshold");
        assertThat(out.get(0).mask().count()).isEqualTo((16 * 16 - 8) * d);
        assertThat(out.get(1).mask().count()).isEqualTo(8 * d);
    }

    /** A 32² liver series: a 16×16 liver (110 HU) on slices 0..3 of 8 with a vessel, bright things far outside. */
    private static List<WindowedSlice> liverSeries(String uid, float farHu) {
        int w = 32;
        int h = 32;
        List<WindowedSlice> slices = new ArrayList<>();
        for (int z = 0; z < 8; z++) {
            float[] hu = new float[w * h];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    float v = 40;
                    if (z < 4 && x >= 4 && x < 20 && y >= 4 && y < 20) {
                        v = y == 10 && x >= 6 && x < 14 ? 190 : 110;
                    }
                    if (x >= 25 || y >= 25 || z == 7) {
                        v = farHu; // beyond the dilated liver (3 steps)
                    }
                    hu[y * w + x] = v;
                }
            }
            slices.add(Scans.slice(TaskGroup.LIVER, uid, z + 1, z, hu, w, h));
        }
        return slices;
    }

    @Test
    void aVesselNetworkTrainedInsideTheDilatedLiverSeesNothingOutsideIt() throws Exception {
        LoadedModel vessel = untrained(Tasks.VESSEL, new ModelDescriptor(Tasks.VESSEL, 16, 16, -150, 150,
                Map.of(), ModelDescriptor.DILATED_LIVER));
        try (vessel) {
            ModelSet models = new ModelSet(Map.of(Tasks.VESSEL, vessel));
            SeriesInference inference = new SeriesInference(TaskGroup.LIVER, 4);
            AssembledSeries bright = assemble(liverSeries("VB", 300));
            AssembledSeries dark = assemble(liverSeries("VD", -1000));
            List<TaskOutput> a = inference.run(bright, models);
            List<TaskOutput> b = inference.run(dark, models);
            assertThat(a.get(0).mask()).isEqualTo(b.get(0).mask()); // the same liver (HU baseline)
            assertThat(a.get(1).method()).isEqualTo("model");
            assertThat(a.get(1).mask()).isEqualTo(b.get(1).mask());

            Mask3D region = PostProcessing.vesselRegion(a.get(0).mask());
            assertThat(region.isSliceEmpty(7)).isTrue();
            Mask3D raw = inference.segmentInside(bright, vessel.segmentation(), SeriesInference.VESSEL_PLANE, region).mask();
            assertThat(raw.isSliceEmpty(7)).isTrue(); // not forwarded
            // a whole-slice network with the same weights is not blind there
            try (LoadedModel whole = untrained("vessel-whole", new ModelDescriptor("vessel-whole", 16, 16, -150, 150, Map.of()))) {
                Mask3D rawWhole = inference.segment(bright, whole.segmentation(), SeriesInference.VESSEL_PLANE,
                        new SliceResults()).mask();
                assertThat(rawWhole.isSliceEmpty(7)).isFalse();
            }
            // and prefetch leaves the region network to completion
            assertThat(inference.prefetch("VB", buffered(liverSeries("VB", 300)), models, new SliceResults(), 100))
                    .isZero();
        }
    }

    @Test
    void networksAreCutAtTheirOwnMaskThreshold() throws Exception {
        AssembledSeries s = assemble(Scans.chestSlices("T", 32, 32, 6));
        SeriesInference inference = new SeriesInference(TaskGroup.CHEST, 4);
        // the same weights published twice: once without a threshold (0.5), once cut at 0.05
        java.net.URI half;
        java.net.URI low;
        try (Model model = Architectures.newModel(NetworkSpec.unet25d(2, 4), ai.djl.Device.cpu())) {
            model.getBlock().setInitializer(new NormalInitializer(0.5f), ai.djl.nn.Parameter.Type.WEIGHT);
            ai.djl.engine.Engine.getInstance().setRandomSeed(7); // the same untrained network every run
            model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 3, 16, 16));
            ModelStore store = new ModelStore(storeDir.resolve("thresholds"));
            half = store.save(model, new ModelDescriptor(Tasks.LUNG, 16, 16, -1200, 600, Map.of())).location();
            low = store.save(model, new ModelDescriptor(Tasks.LUNG, 16, 16, -1200, 600,
                    Map.of(SegmentationModel.MASK_THRESHOLD_METRIC, 0.05))).location();
        }
        try (SegmentationModel a = SegmentationModel.load(half, ai.djl.Device.cpu());
             SegmentationModel b = SegmentationModel.load(low, ai.djl.Device.cpu())) {
            assertThat(a.maskThreshold()).isEqualTo(0.5f);
            assertThat(b.maskThreshold()).isEqualTo(0.05f);
            Mask3D atHalf = inference.segment(s, a, SeriesInference.LUNG_PLANE, new SliceResults()).mask();
            Mask3D atLow = inference.segment(s, b, SeriesInference.LUNG_PLANE, new SliceResults()).mask();
            assertThat(atLow.and(atHalf)).isEqualTo(atHalf); // a lower cut only adds
            assertThat(atLow.count()).isGreaterThan(atHalf.count());
        }
    }

    @Test
    void aMasksStabilityIsTheDiceOfTheNetworksStrictAndLenientCuts() throws Exception {
        AssembledSeries s = assemble(Scans.chestSlices("S", 32, 32, 6));
        SeriesInference inference = new SeriesInference(TaskGroup.CHEST, 4);
        Map<Double, java.net.URI> byThreshold = new java.util.TreeMap<>();
        try (Model model = Architectures.newModel(NetworkSpec.unet25d(2, 4), ai.djl.Device.cpu())) {
            model.getBlock().setInitializer(new NormalInitializer(0.5f), ai.djl.nn.Parameter.Type.WEIGHT);
            ai.djl.engine.Engine.getInstance().setRandomSeed(7); // the same untrained network every run
            model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 3, 16, 16));
            ModelStore store = new ModelStore(storeDir.resolve("stability"));
            // the same weights cut at 0.4, and at its lenient (0.2) and strict (0.7) cuts
            for (double t : new double[] {0.4, 0.2, 0.7}) {
                byThreshold.put(t, store.save(model, new ModelDescriptor(Tasks.LUNG, 16, 16, -1200, 600,
                        Map.of(SegmentationModel.MASK_THRESHOLD_METRIC, t))).location());
            }
        }
        try (SegmentationModel m = SegmentationModel.load(byThreshold.get(0.4), ai.djl.Device.cpu());
             SegmentationModel lenient = SegmentationModel.load(byThreshold.get(0.2), ai.djl.Device.cpu());
             SegmentationModel strict = SegmentationModel.load(byThreshold.get(0.7), ai.djl.Device.cpu())) {
            SeriesInference.Segmented at = inference.segment(s, m, SeriesInference.LUNG_PLANE, new SliceResults());
            Mask3D l = inference.segment(s, lenient, SeriesInference.LUNG_PLANE, new SliceResults()).mask();
            Mask3D st = inference.segment(s, strict, SeriesInference.LUNG_PLANE, new SliceResults()).mask();
            assertThat(st.count()).isLessThan(at.mask().count());
            assertThat(at.mask().count()).isLessThan(l.count());
            long both = st.and(l).count();
            assertThat(both).isEqualTo(st.count()); // the strict mask lies inside the lenient one
            assertThat(at.stability()).isCloseTo(2.0 * st.count() / (st.count() + l.count()),
                    org.assertj.core.data.Offset.offset(1e-12));
            assertThat(at.stability()).isBetween(0.0, 1.0);
        }
        // the HU baseline has no probabilities, so no stability
        List<TaskOutput> baseline = inference.run(s, new ModelSet(Map.of()));
        assertThat(baseline).allSatisfy(o -> assertThat(o.stability()).isNaN());
    }

    @Test
    void networksDropTheComponentsBelowTheirOwnMinimumVolume() throws Exception {
        AssembledSeries s = assemble(Scans.chestSlices("M", 32, 32, 6));
        SeriesInference inference = new SeriesInference(TaskGroup.CHEST, 4);
        double voxelMl = s.voxelVolumeMm3() / 1000.0;
        Map<String, java.net.URI> versions = new java.util.HashMap<>();
        org.radstream.imaging.ComponentLabels c;
        Mask3D every;
        try (Model model = Architectures.newModel(NetworkSpec.unet25d(2, 4), ai.djl.Device.cpu())) {
            model.getBlock().setInitializer(new NormalInitializer(0.5f), ai.djl.nn.Parameter.Type.WEIGHT);
            ai.djl.engine.Engine.getInstance().setRandomSeed(7); // the same untrained network every run
            model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 3, 16, 16));
            ModelStore store = new ModelStore(storeDir.resolve("min-component"));
            java.net.URI all = store.save(model, new ModelDescriptor(Tasks.INFECTION, 16, 16, -1200, 600,
                    Map.of())).location();
            try (SegmentationModel m = SegmentationModel.load(all, ai.djl.Device.cpu())) {
                assertThat(m.minComponentMl()).isZero(); // a version without one keeps every component
                every = inference.segment(s, m, SeriesInference.LUNG_PLANE, new SliceResults()).mask();
            }
            c = org.radstream.imaging.Components.label3D(every, org.radstream.imaging.Connectivity.FACE);
            assertThat(c.count()).isPositive();
            // the largest component's own volume as the minimum, and one voxel more
            versions.put("at", store.save(model, new ModelDescriptor(Tasks.INFECTION, 16, 16, -1200, 600,
                    Map.of(SegmentationModel.MIN_COMPONENT_ML_METRIC, c.size(1) * voxelMl))).location());
            versions.put("above", store.save(model, new ModelDescriptor(Tasks.INFECTION, 16, 16, -1200, 600,
                    Map.of(SegmentationModel.MIN_COMPONENT_ML_METRIC, (c.size(1) + 1) * voxelMl))).location());
            versions.put("negative", store.save(model, new ModelDescriptor(Tasks.INFECTION, 16, 16, -1200, 600,
                    Map.of(SegmentationModel.MIN_COMPONENT_ML_METRIC, -1.0))).location());
        }
        try (SegmentationModel at = SegmentationModel.load(versions.get("at"), ai.djl.Device.cpu());
             SegmentationModel above = SegmentationModel.load(versions.get("above"), ai.djl.Device.cpu())) {
            Mask3D kept = inference.segment(s, at, SeriesInference.LUNG_PLANE, new SliceResults()).mask();
            assertThat(kept).isEqualTo(c.atLeast(c.size(1))); // a component of exactly the minimum stays
            assertThat(kept.isEmpty()).isFalse();
            Mask3D none = inference.segment(s, above, SeriesInference.LUNG_PLANE, new SliceResults()).mask();
            assertThat(none.isEmpty()).isTrue(); // every component is below the minimum now
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> SegmentationModel.load(versions.get("negative"), ai.djl.Device.cpu()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("min_component_ml must be finite and >= 0");
    }

    @Test
    void seriesWithoutTheGroupsWindowIsPoison() throws Exception {
        List<WindowedSlice> slices = new ArrayList<>();
        slices.add(Scans.slice(TaskGroup.LIVER, "X", 1, 0, new float[4], 2, 2));
        AssembledSeries s = assemble(slices);
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> new SeriesInference(TaskGroup.CHEST, 4).run(s, ModelSet.NONE))
                .isInstanceOf(PoisonedSeriesException.class)
                .hasMessageContaining("no 'lung' window");
    }

    @TempDir
    Path storeDir;

    /** An untrained 2.5D U-Net on 16² inputs: its masks are arbitrary but deterministic. */
    private LoadedModel untrained(String task) throws Exception {
        return untrained(task, new ModelDescriptor(task, 16, 16, -1200, 600, Map.of("dice", 0.5)));
    }

    private LoadedModel untrained(String task, ModelDescriptor descriptor) throws Exception {
        return untrained(task, descriptor, 3);
    }

    private LoadedModel untrained(String task, ModelDescriptor descriptor, int slices) throws Exception {
        NetworkSpec spec = new NetworkSpec(Architectures.UNET, slices, 1, 2, 4);
        try (Model model = Architectures.newModel(spec, ai.djl.Device.cpu())) {
            model.getBlock().setInitializer(new NormalInitializer(0.5f), ai.djl.nn.Parameter.Type.WEIGHT);
            // the same weights every run and for every network of one shape: an unseeded draw made
            // the vessel test's whole-slice network blind on its bright slice in a CI run
            ai.djl.engine.Engine.getInstance().setRandomSeed(7);
            model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, slices, 16, 16));
            var artifact = new ModelStore(storeDir.resolve(task)).save(model, descriptor);
            return LoadedModel.of(task, "1", artifact.location(), SegmentationModel.load(artifact.location(), ai.djl.Device.cpu()));
        }
    }

    /** Untrained lung and infection networks, closed together. */
    private record ChestModels(LoadedModel lung, LoadedModel infection) implements AutoCloseable {
        ModelSet models() {
            return new ModelSet(Map.of(Tasks.LUNG, lung, Tasks.INFECTION, infection));
        }

        @Override
        public void close() {
            lung.close();
            infection.close();
        }
    }

    private ChestModels chestModels() throws Exception {
        return new ChestModels(untrained(Tasks.LUNG), untrained(Tasks.INFECTION));
    }

    private static List<SeriesBuffer.BufferedSlice> buffered(List<WindowedSlice> slices) {
        List<SeriesBuffer.BufferedSlice> out = new ArrayList<>();
        for (int i = 0; i < slices.size(); i++) {
            out.add(new SeriesBuffer.BufferedSlice(i, slices.get(i)));
        }
        return out;
    }

    private static void assertSameMasks(List<TaskOutput> actual, List<TaskOutput> expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int t = 0; t < expected.size(); t++) {
            Mask3D a = actual.get(t).mask();
            Mask3D e = expected.get(t).mask();
            assertThat(a.data()).as(expected.get(t).task()).isEqualTo(e.data());
        }
    }

    @Test
    void slicesForwardedBeforeCompletionAreNotForwardedAgainAndGiveTheSameMasks() throws Exception {
        List<WindowedSlice> slices = Scans.chestSlices("E", 32, 32, 12);
        try (ChestModels c = chestModels()) {
            ModelSet models = c.models();
            SeriesInference inference = new SeriesInference(TaskGroup.CHEST, 4);
            List<TaskOutput> reference = inference.run(assemble(slices), models);
            assertThat(reference.get(0).mask().count()).as("the untrained net marks some voxels").isPositive();

            SliceResults early = new SliceResults();
            // 8 of 12 arrived: slices 2..5 have both neighbours and are away from the current ends
            assertThat(inference.prefetch("E", buffered(slices.subList(0, 8)), models, early, 100)).isEqualTo(8);
            // all 12: slices 2..9, 4 of them new per model; a limit of 3 is kept
            assertThat(inference.prefetch("E", buffered(slices), models, early, 3)).isEqualTo(3);
            assertThat(inference.prefetch("E", buffered(slices), models, early, 100)).isEqualTo(5);
            assertThat(inference.prefetch("E", buffered(slices), models, early, 100)).isZero();
            List<TaskOutput> out = inference.run(assemble(slices), models, early);
            assertSameMasks(out, reference);
            assertThat(early.computed()).as("each slice forwarded once per model").isEqualTo(2 * 12);
            assertThat(out.get(0).forwardMs()).isPositive();
        }
    }

    @Test
    void aNetworkReadingFiveSlicesIsForwardedEarlyOnlyWhereBothItsNeighboursEitherSideHaveArrived() throws Exception {
        List<WindowedSlice> slices = Scans.chestSlices("W", 32, 32, 12);
        try (ChestModels c = new ChestModels(untrained(Tasks.LUNG),
                untrained(Tasks.INFECTION, new ModelDescriptor(Tasks.INFECTION, 16, 16, -1200, 600,
                        Map.of(SegmentationModel.MASK_THRESHOLD_METRIC, 0.05)), 5))) {
            assertThat(c.infection().segmentation().channels()).isEqualTo(5);
            ModelSet models = c.models();
            SeriesInference inference = new SeriesInference(TaskGroup.CHEST, 4);
            List<TaskOutput> reference = inference.run(assemble(slices), models);
            Mask3D infection = reference.stream().filter(o -> o.task().equals(Tasks.INFECTION)).findFirst()
                    .orElseThrow().mask();
            assertThat(infection.count()).as("the untrained net marks some voxels").isPositive();

            SliceResults early = new SliceResults();
            // 8 of 12 arrived: the lung network (3 slices) forwards slices 2..5, the infection one (5) only 3..4
            assertThat(inference.prefetch("W", buffered(slices.subList(0, 8)), models, early, 100)).isEqualTo(4 + 2);
            // all 12: lung 6..9, infection 5..8; the ends wait for completion
            assertThat(inference.prefetch("W", buffered(slices), models, early, 100)).isEqualTo(4 + 4);
            List<TaskOutput> out = inference.run(assemble(slices), models, early);
            assertSameMasks(out, reference);
            assertThat(early.computed()).as("each slice forwarded once per model").isEqualTo(2 * 12);
        }
    }

    @Test
    void aGapInTheInstanceNumbersKeepsItsNeighboursForCompletion() throws Exception {
        List<WindowedSlice> slices = Scans.chestSlices("F", 32, 32, 12);
        try (ChestModels c = chestModels()) {
            ModelSet models = c.models();
            SeriesInference inference = new SeriesInference(TaskGroup.CHEST, 4);
            List<TaskOutput> reference = inference.run(assemble(slices), models);

            List<WindowedSlice> arrived = new ArrayList<>(slices);
            WindowedSlice late = arrived.remove(5); // instance 6: a gap between 5 and 7
            SliceResults early = new SliceResults();
            while (inference.prefetch("F", buffered(arrived), models, early, 4) > 0) {
                // as a worker does between polls
            }
            assertThat(early.computed()).as("slices 2..8 except those stacked across the gap, per model")
                    .isEqualTo(2 * 5);
            arrived.add(late);
            assertSameMasks(inference.run(assemble(arrived), models, early), reference);
            assertThat(early.computed()).as("no slice forwarded twice").isEqualTo(2 * 12);
        }
    }

    @Test
    void slicesNumberedOutOfPositionOrderAreForwardedAgainWhereTheGuessWasWrong() throws Exception {
        List<WindowedSlice> slices = Scans.chestSlices("H", 32, 32, 12);
        try (ChestModels c = chestModels()) {
            ModelSet models = c.models();
            SeriesInference inference = new SeriesInference(TaskGroup.CHEST, 4);
            List<TaskOutput> reference = inference.run(assemble(slices), models);

            // the slice at position 5 arrives last and carries instance 12; the others are renumbered
            // 1..11 in position order, so nothing shows that one is missing between 5 and 6
            List<WindowedSlice> arrived = new ArrayList<>();
            for (int z = 0; z < 12; z++) {
                if (z != 5) {
                    arrived.add(WindowedSlice.newBuilder(slices.get(z)).setInstanceNumber(arrived.size() + 1).build());
                }
            }
            WindowedSlice late = WindowedSlice.newBuilder(slices.get(5)).setInstanceNumber(12).build();
            SliceResults early = new SliceResults();
            inference.prefetch("H", buffered(arrived), models, early, 100);
            arrived.add(late);
            assertSameMasks(inference.run(assemble(arrived), models, early), reference);
            assertThat(early.computed()).as("the late slice's two neighbours forwarded twice, per model")
                    .isEqualTo(2 * (12 + 2));
        }
    }

    @Test
    void prefetchLeavesASeriesWithInconsistentSlicesToCompletion() throws Exception {
        List<WindowedSlice> slices = new ArrayList<>(Scans.chestSlices("G", 32, 32, 6));
        slices.addAll(Scans.chestSlices("G", 16, 16, 6).subList(0, 2));
        try (LoadedModel lung = untrained(Tasks.LUNG)) {
            SliceResults early = new SliceResults();
            int n = new SeriesInference(TaskGroup.CHEST, 4).prefetch("G", buffered(slices),
                    new ModelSet(Map.of(Tasks.LUNG, lung)), early, 100);
            assertThat(n).isZero();
            assertThat(early.computed()).isZero();
        }
    }
}
