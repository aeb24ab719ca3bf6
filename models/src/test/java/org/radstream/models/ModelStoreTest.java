package org.radstream.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.Model;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelStoreTest {

    private static final int SIZE = 32;
    private static final Instant NOW = Instant.parse("2026-03-01T10:15:30Z");

    @TempDir
    Path root;

    private final ModelDescriptor lung = new ModelDescriptor("lung", SIZE, SIZE, -1200, 600,
            Map.of("dice", 0.91, "loss", 0.2));

    private ModelStore store() {
        return new ModelStore(root, Clock.fixed(NOW, ZoneOffset.UTC));
    }

    /** Trains a 2.5D U-Net for two steps so that weights and batch-norm statistics are not trivial. */
    private float[][] trainAndSave(ModelStore store, float[][] probe, ModelArtifact[] saved)
            throws Exception {
        SyntheticDisks data = new SyntheticDisks(8, SIZE, 11);
        float[][] inputs = new float[8][];
        for (int i = 0; i < 8; i++) {
            inputs[i] = SliceStack.stack(List.of(data.images), i, 3);
        }
        try (Model model = Architectures.newModel(
                        NetworkSpec.unet(UNetVariant.SQUEEZE_EXCITATION, 3, 3, 4), Device.cpu());
                SegmentationTraining training = SegmentationTraining.start(
                        model, 3, SIZE, SIZE, TrainingSettings.defaults())) {
            training.step(inputs, data.masks);
            training.step(inputs, data.masks);
            saved[0] = store.save(model, lung);
            return training.predict(probe);
        }
    }

    private static float[][] probe() {
        SyntheticDisks d = new SyntheticDisks(3, SIZE, 12);
        return SliceStack.stackAll(List.of(d.images), 3);
    }

    @Test
    void roundTripGivesIdenticalPredictionsAndFullMetadata() throws Exception {
        ModelStore store = store();
        ModelArtifact[] saved = new ModelArtifact[1];
        float[][] probe = probe();
        float[][] expected = trainAndSave(store, probe, saved);

        ModelMetadata m = saved[0].metadata();
        assertThat(m.task()).isEqualTo("lung");
        assertThat(m.version()).isEqualTo(1);
        assertThat(m.network()).isEqualTo(new NetworkSpec("se-unet", 3, 1, 3, 4));
        assertThat(m.created()).isEqualTo(NOW);
        assertThat(m.sha256()).hasSize(64).isEqualTo(
                ModelStore.sha256(Path.of(saved[0].location()).resolve(m.parametersFile())));
        assertThat(saved[0].location()).isEqualTo(root.resolve("lung").resolve("v0001").toUri());
        assertThat(ModelStore.readMetadata(saved[0].location())).isEqualTo(m);
        String json = Files.readString(Path.of(saved[0].location()).resolve("metadata.json"));
        assertThat(json).contains("\"name\" : \"se-unet\"", "\"lowHu\" : -1200.0",
                "\"dice\" : 0.91", "\"created\" : \"2026-03-01T10:15:30Z\"");

        try (SegmentationModel loaded = SegmentationModel.load(saved[0].location(), Device.cpu())) {
            assertThat(loaded.metadata()).isEqualTo(m);
            assertThat(loaded.channels()).isEqualTo(3);
            float[][] actual = loaded.predict(probe);
            assertThat(actual).hasNumberOfRows(3);
            for (int i = 0; i < probe.length; i++) {
                assertThat(actual[i]).hasSize(SIZE * SIZE)
                        .containsExactly(expected[i], org.assertj.core.data.Offset.offset(1e-5f));
            }
            boolean[][] masks = loaded.predictMasks(probe, 0.5f);
            assertThat(masks[0][0]).isEqualTo(actual[0][0] >= 0.5f);
        }
    }

    /** A transfer or SUM run starts training from a loaded version, keeping its weights, and publishes it. */
    @Test
    void aLoadedVersionStartsTrainingWithItsWeightsAndSavesAgain() throws Exception {
        ModelStore store = store();
        ModelArtifact[] saved = new ModelArtifact[1];
        trainAndSave(store, probe(), saved);
        try (StoredModel loaded = ModelStore.load(saved[0].location(), Device.cpu());
             SegmentationTraining training = SegmentationTraining.start(loaded.model(), 3, SIZE, SIZE,
                     TrainingSettings.defaults())) {
            ModelArtifact again = store.save(loaded.model(), lung);
            assertThat(again.metadata().version()).isEqualTo(2);
            assertThat(again.metadata().network()).isEqualTo(saved[0].metadata().network());
            assertThat(again.metadata().sha256()).isEqualTo(saved[0].metadata().sha256());

            // and the loaded weights learn: one step changes them
            SyntheticDisks data = new SyntheticDisks(4, SIZE, 13);
            training.step(SliceStack.stackAll(List.of(data.images), 3), data.masks);
            assertThat(store.save(loaded.model(), lung).metadata().sha256()).isNotEqualTo(saved[0].metadata().sha256());
        }
    }

    @Test
    void aLoadedVersionFrozenBeforeTrainingKeepsItsFrozenStage() throws Exception {
        ModelStore store = store();
        ModelArtifact[] saved = new ModelArtifact[1];
        trainAndSave(store, probe(), saved);
        try (StoredModel loaded = ModelStore.load(saved[0].location(), Device.cpu())) {
            UNet net = (UNet) loaded.model().getBlock();
            net.freezeEncoder(1, true);
            float[] frozenBefore = net.encoderParameters(0).valueAt(0).getArray().toFloatArray();
            float[] trainableBefore = net.encoderParameters(1).valueAt(0).getArray().toFloatArray();
            try (SegmentationTraining training = SegmentationTraining.start(loaded.model(), 3, SIZE, SIZE,
                    TrainingSettings.defaults())) {
                SyntheticDisks data = new SyntheticDisks(4, SIZE, 13);
                training.step(SliceStack.stackAll(List.of(data.images), 3), data.masks);
            }
            assertThat(net.encoderParameters(0).valueAt(0).getArray().toFloatArray()).containsExactly(frozenBefore);
            assertThat(net.encoderParameters(1).valueAt(0).getArray().toFloatArray()).isNotEqualTo(trainableBefore);
        }
    }

    @Test
    void flippedByteInParametersIsRefused() throws Exception {
        ModelStore store = store();
        ModelArtifact[] saved = new ModelArtifact[1];
        trainAndSave(store, probe(), saved);
        Path params = Path.of(saved[0].location()).resolve(saved[0].metadata().parametersFile());
        try (RandomAccessFile file = new RandomAccessFile(params.toFile(), "rw")) {
            long at = file.length() / 2;
            file.seek(at);
            int b = file.read();
            file.seek(at);
            file.write(b ^ 0x01);
        }

        assertThatThrownBy(() -> SegmentationModel.load(saved[0].location(), Device.cpu()))
                .isInstanceOf(ModelIntegrityException.class)
                .hasMessageContaining("checksum mismatch")
                .hasMessageContaining(saved[0].metadata().sha256())
                .hasMessageContaining("lung v1");
    }

    @Test
    void versionsCountUpAndLatestIsTheNewest() throws Exception {
        ModelStore store = store();
        assertThat(store.latest("lung")).isEmpty();
        try (Model model = Architectures.newModel(NetworkSpec.unet2d(2, 2), Device.cpu());
                SegmentationTraining ignored = SegmentationTraining.start(
                        model, 1, SIZE, SIZE, TrainingSettings.defaults())) {
            URI first = store.save(model, lung).location();
            URI second = store.save(model, lung).location();
            store.save(model, new ModelDescriptor("liver", SIZE, SIZE, -150, 250, Map.of()));
            ModelArtifact vessel = store.save(model, new ModelDescriptor("vessel", SIZE, SIZE, -150, 150, Map.of(),
                    ModelDescriptor.DILATED_LIVER));

            assertThat(store.versions("lung")).extracting(ModelArtifact::location)
                    .containsExactly(first, second);
            assertThat(store.latest("lung")).get().extracting(a -> a.metadata().version())
                    .isEqualTo(2);
            assertThat(store.latest("liver")).get()
                    .extracting(a -> a.metadata().windowHighHu()).isEqualTo(250.0);
            assertThat(root.resolve("lung")).isDirectoryNotContaining("glob:**/.tmp-*");
            // the input region travels in metadata.json; a model without one reads whole slices
            assertThat(ModelStore.readMetadata(vessel.location()).inputRegion()).isEqualTo("dilated-liver");
            assertThat(store.latest("liver")).get().extracting(a -> a.metadata().inputRegion()).isNull();
            assertThatThrownBy(() -> new ModelDescriptor("vessel", SIZE, SIZE, -150, 150, Map.of(), "whole-abdomen"))
                    .hasMessageContaining("unknown input region 'whole-abdomen'");
        }
    }

    @Test
    void anEarlierVersionOrARefusedChallengerIsCopiedAsTheNextVersionAndAnAlteredOneIsNot() throws Exception {
        ModelStore store = store();
        SyntheticDisks data = new SyntheticDisks(4, SIZE, 13);
        try (Model model = Architectures.newModel(NetworkSpec.unet2d(2, 2), Device.cpu());
                SegmentationTraining training = SegmentationTraining.start(
                        model, 1, SIZE, SIZE, TrainingSettings.defaults())) {
            ModelArtifact v1 = store.save(model, lung);
            training.step(data.images, data.masks);
            ModelArtifact v2 = store.save(model, new ModelDescriptor("lung", SIZE, SIZE, -1200, 600, Map.of("dice", 0.95)));
            training.step(data.images, data.masks);
            ModelArtifact r1 = store.keepRefused(model, lung);
            assertThat(v2.metadata().sha256()).isNotEqualTo(v1.metadata().sha256());

            // back to v1: its weights and metrics as version 3, what workers now load
            ModelArtifact v3 = store.copyAsVersion(v1.location());
            assertThat(Path.of(v3.location())).isEqualTo(root.resolve("lung/v0003"));
            assertThat(v3.metadata().version()).isEqualTo(3);
            assertThat(v3.metadata().sha256()).isEqualTo(v1.metadata().sha256());
            assertThat(v3.metadata().metrics()).isEqualTo(Map.of("dice", 0.91, "loss", 0.2));
            assertThat(v3.metadata().created()).isEqualTo(NOW);
            assertThat(Path.of(v3.location()).resolve(v3.metadata().parametersFile()))
                    .hasSameBinaryContentAs(Path.of(v1.location()).resolve(v1.metadata().parametersFile()));
            assertThat(store.latest("lung")).get().extracting(ModelArtifact::location).isEqualTo(v3.location());
            try (StoredModel loaded = ModelStore.load(v3.location())) {
                assertThat(loaded.artifact().metadata().version()).isEqualTo(3);
            }
            // a refused challenger shipped by hand
            ModelArtifact v4 = store.copyAsVersion(r1.location());
            assertThat(v4.metadata().version()).isEqualTo(4);
            assertThat(v4.metadata().sha256()).isEqualTo(r1.metadata().sha256());

            // an altered source is not copied, and nothing is left behind
            Path params = Path.of(v2.location()).resolve(v2.metadata().parametersFile());
            byte[] bytes = Files.readAllBytes(params);
            bytes[bytes.length / 2] ^= 0x01;
            Files.write(params, bytes);
            assertThatThrownBy(() -> store.copyAsVersion(v2.location()))
                    .isInstanceOf(ModelIntegrityException.class)
                    .hasMessageContaining("checksum mismatch")
                    .hasMessageContaining("refusing to copy lung v2");
            assertThat(store.versions("lung")).hasSize(4);
            assertThat(root.resolve("lung")).isDirectoryNotContaining("glob:**/.tmp-*");

            // a version whose announcement failed is taken back; a refused challenger is not a version
            store.discard(v4);
            assertThat(store.latest("lung")).get().extracting(ModelArtifact::location).isEqualTo(v3.location());
            assertThatThrownBy(() -> store.discard(r1)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("is not a version of this store");
            assertThat(Path.of(r1.location())).isDirectory();
        }
    }

    @Test
    void aVersionIsWrittenOnlyOverTheVersionItsWriterDecidedAgainst() throws Exception {
        ModelStore store = store();
        withSmallNetwork(model -> {
            assertThatThrownBy(() -> store.save(model, lung, 1)).isInstanceOf(SupersededException.class)
                    .hasMessage("lung has no version now (expected the newest version to be v1)");
            ModelArtifact v1 = store.save(model, lung, 0);
            ModelArtifact v2 = store.save(model, lung, 1);
            assertThat(v2.metadata().version()).isEqualTo(2);

            // a run that decided against v1, and an operator who chose to go back from v1, are both too late
            assertThatThrownBy(() -> store.save(model, lung, 1)).isInstanceOf(SupersededException.class)
                    .hasMessage("lung v2 was published meanwhile (expected the newest version to be v1)")
                    .satisfies(e -> assertThat(((SupersededException) e).newest()).isEqualTo(2));
            assertThatThrownBy(() -> store.copyAsVersion(v1.location(), 1)).isInstanceOf(SupersededException.class);
            assertThat(store.versions("lung")).hasSize(2);
            assertThat(root.resolve("lung")).isDirectoryNotContaining("glob:**/.tmp-*");

            // four writers at once, all over v2: exactly one publishes
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<ModelArtifact>> copies = new ArrayList<>();
                CountDownLatch start = new CountDownLatch(1);
                for (int i = 0; i < 4; i++) {
                    copies.add(pool.submit(() -> {
                        start.await();
                        return store.copyAsVersion(v1.location(), 2);
                    }));
                }
                start.countDown();
                int published = 0;
                for (Future<ModelArtifact> f : copies) {
                    try {
                        assertThat(f.get(30, TimeUnit.SECONDS).metadata().version()).isEqualTo(3);
                        published++;
                    } catch (ExecutionException e) {
                        assertThat(e.getCause()).isInstanceOf(SupersededException.class)
                                .hasMessageStartingWith("lung v3 was published meanwhile");
                    }
                }
                assertThat(published).isEqualTo(1);
            } finally {
                pool.shutdownNow();
            }
            assertThat(store.versions("lung")).hasSize(3);
        });
    }

    private interface WithModel {
        void accept(Model model) throws Exception;
    }

    /** Runs {@code body} with a small initialised 2D U-Net. */
    private static void withSmallNetwork(WithModel body) throws Exception {
        try (Model model = Architectures.newModel(NetworkSpec.unet2d(2, 2), Device.cpu());
                SegmentationTraining ignored = SegmentationTraining.start(
                        model, 1, SIZE, SIZE, TrainingSettings.defaults())) {
            body.accept(model);
        }
    }

    @Test
    void aStoreWhoseFileSystemGivesNoLockStillPublishes() throws Exception {
        ModelStore store = store();
        // a lock file that cannot be opened for writing, as on a file system that refuses locks
        Files.createDirectories(root.resolve("lung").resolve(ModelStore.PUBLISH_LOCK));
        withSmallNetwork(model -> {
            assertThat(store.save(model, lung, 0).metadata().version()).isEqualTo(1);
            assertThatThrownBy(() -> store.save(model, lung, 0)).isInstanceOf(SupersededException.class);
            assertThat(store.save(model, lung, 1).metadata().version()).isEqualTo(2);
        });
    }

    @Test
    void aWriterWaitsForTheTaskLockHeldByAnotherProcess() throws Exception {
        ModelStore store = store();
        ModelArtifact[] first = new ModelArtifact[1];
        withSmallNetwork(model -> first[0] = store.save(model, lung, 0));
        ModelArtifact v1 = first[0];
        Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), PublishLockHolder.class.getName(),
                root.resolve("lung").resolve(ModelStore.PUBLISH_LOCK).toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("locked");

            CompletableFuture<ModelArtifact> copy = CompletableFuture.supplyAsync(() -> {
                try {
                    return store.copyAsVersion(v1.location(), 1);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            Thread.sleep(500);
            assertThat(copy).isNotDone();
            assertThat(store.versions("lung")).hasSize(1);

            holder.getOutputStream().close();
            assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(copy.get(30, TimeUnit.SECONDS).metadata().version()).isEqualTo(2);
        } finally {
            holder.destroyForcibly();
        }
    }

    @Test
    void refusedChallengersAreKeptAsideNeverAsVersionsAndOnlyTheNewestAreKept() throws Exception {
        ModelStore store = store();
        try (Model model = Architectures.newModel(NetworkSpec.unet2d(2, 2), Device.cpu());
                SegmentationTraining ignored = SegmentationTraining.start(
                        model, 1, SIZE, SIZE, TrainingSettings.defaults())) {
            URI v1 = store.save(model, lung).location();
            ModelArtifact r1 = store.keepRefused(model, lung);
            ModelArtifact r2 = store.keepRefused(model, lung);

            // kept under refused/, numbered in order, each naming the version it contended for
            assertThat(Path.of(r1.location())).isEqualTo(root.resolve("lung/refused/r0001"));
            assertThat(Path.of(r2.location())).isEqualTo(root.resolve("lung/refused/r0002"));
            assertThat(r1.metadata().version()).isEqualTo(2);
            // never a version: what workers load is unchanged, and the next version is still 2
            assertThat(store.versions("lung")).extracting(ModelArtifact::location).containsExactly(v1);
            assertThat(store.latest("lung")).get().extracting(ModelArtifact::location).isEqualTo(v1);
            ModelArtifact v2 = store.save(model, lung);
            assertThat(v2.metadata().version()).isEqualTo(2);
            assertThat(store.latest("lung")).get().isEqualTo(v2);
            ModelArtifact r3 = store.keepRefused(model, lung);
            assertThat(r3.metadata().version()).isEqualTo(3);
            assertThat(store.refused("lung")).extracting(ModelArtifact::location)
                    .containsExactly(r1.location(), r2.location(), r3.location());
            assertThat(store.refused("liver")).isEmpty();
            // a kept challenger loads like a version, its checksum verified
            try (StoredModel loaded = ModelStore.load(r3.location())) {
                assertThat(loaded.artifact().metadata().sha256()).isEqualTo(r3.metadata().sha256());
            }

            assertThat(store.pruneRefused("lung", 2)).containsExactly(r1.location());
            assertThat(store.refused("lung")).extracting(ModelArtifact::location)
                    .containsExactly(r2.location(), r3.location());
            assertThat(root.resolve("lung/refused/r0001")).doesNotExist();
            assertThat(root.resolve("lung/refused")).isDirectoryNotContaining("glob:**/.tmp-*");
            // numbers are not reused after pruning
            assertThat(Path.of(store.keepRefused(model, lung).location())).isEqualTo(root.resolve("lung/refused/r0004"));
            assertThat(store.pruneRefused("lung", 0)).hasSize(3);
            assertThat(store.refused("lung")).isEmpty();
            assertThat(store.versions("lung")).hasSize(2);
            assertThatThrownBy(() -> store.pruneRefused("lung", -1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(">= 0");
        }
    }

    @Test
    void unusableArtifactsAreRefusedWithTheReason() throws Exception {
        Path broken = Files.createDirectories(root.resolve("lung").resolve("v0001"));
        Files.writeString(broken.resolve("metadata.json"), "{\"format\": 1, \"task\": \"lung\"}");

        assertThatThrownBy(() -> ModelStore.load(broken.toUri()))
                .isInstanceOf(ModelIntegrityException.class)
                .hasMessageContaining("missing field 'architecture'");
        assertThatThrownBy(() -> ModelStore.load(root.resolve("nothing").toUri()))
                .hasMessageContaining("no model artifact");
        assertThatThrownBy(() -> ModelStore.load(URI.create("s3://bucket/lung/v1")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("file:");
        assertThatThrownBy(() -> new ModelDescriptor("Lung/../x", 1, 1, 0, 1, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("task");
        assertThatThrownBy(() -> new ModelDescriptor("lung", 32, 32, 600, -1200, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("window");
    }

    @Test
    void classifierRoundTripThroughPatchClassifier() throws Exception {
        ModelStore store = store();
        float[][] patches = new SyntheticDisks(4, SIZE, 13).images;
        float[] expected;
        ModelArtifact saved;
        try (Model model = Architectures.newModel(NetworkSpec.resnet18(1, 4), Device.cpu());
                ClassifierTraining training = ClassifierTraining.start(
                        model, 1, SIZE, SIZE, TrainingSettings.defaults())) {
            training.step(patches, new int[] {0, 1, 0, 1});
            saved = store.save(model, new ModelDescriptor("infection-classifier", SIZE, SIZE,
                    -1200, 600, Map.of("accuracy", 0.5)));
            expected = training.predict(patches);
        }
        try (PatchClassifier classifier = PatchClassifier.load(saved.location(), Device.cpu())) {
            assertThat(classifier.predict(patches))
                    .containsExactly(expected, org.assertj.core.data.Offset.offset(1e-5f));
            assertThat(classifier.accept(patches, 0.5f)[1]).isEqualTo(expected[1] >= 0.5f);
        }
        assertThatThrownBy(() -> SegmentationModel.load(saved.location(), Device.cpu()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a segmentation network");
    }
}
