package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.radstream.models.Architectures;
import org.radstream.models.ModelArtifact;
import org.radstream.models.ModelMetadata;
import org.radstream.models.NetworkSpec;
import org.radstream.models.UNetVariant;

class TrainingRecipeTest {
    private static ModelArtifact published(NetworkSpec network, int size) {
        return new ModelArtifact(URI.create("file:///store/infection/v0003/"), new ModelMetadata("infection", 3, network,
                size, size, -1200, 600, Map.of(), Instant.EPOCH, "model-0000.params", "00", null));
    }

    @Test
    void vesselsAreRetrainedAsTheirChampionWasMade() throws Exception {
        NetworkSpec single = NetworkSpec.unet25d(4, 8);
        ModelArtifact singleMade = new ModelArtifact(URI.create("file:///store/vessel/v0001/"), new ModelMetadata("vessel", 1,
                single, 256, 256, -100, 300, Map.of("epochs", 12.0), Instant.EPOCH, "model-0000.params", "00", "dilated-liver"));
        ModelArtifact sumMade = new ModelArtifact(URI.create("file:///store/vessel/v0002/"), new ModelMetadata("vessel", 2,
                NetworkSpec.unet(UNetVariant.RESIDUAL, 3, 4, 8), 256, 256, -100, 300,
                Map.of(TaskTrainer.SUM_WARMUP_EPOCHS_METRIC, 0.0), Instant.EPOCH, "model-0000.params", "00", "dilated-liver"));
        assertThat(TaskTrainer.methodOf(Optional.of(singleMade))).isEqualTo(TaskTrainer.VesselMethod.SINGLE);
        assertThat(TaskTrainer.methodOf(Optional.of(sumMade))).isEqualTo(TaskTrainer.VesselMethod.SUM);
        assertThat(TaskTrainer.methodOf(Optional.empty())).as("the paper's method when nothing is published")
                .isEqualTo(TaskTrainer.VesselMethod.SUM);
        // the shipped vessel model is a single U-Net, and the trainer service retrains it as one by default
        assertThat(TaskTrainer.methodOf(new org.radstream.models.ModelStore(java.nio.file.Path.of("../models-default"))
                .latest("vessel"))).isEqualTo(TaskTrainer.VesselMethod.SINGLE);
        assertThat(TrainerSettings.defaults("localhost:9092", java.nio.file.Path.of("w"), java.nio.file.Path.of("s"),
                "0123456789abcdef").vesselMethod()).isEqualTo(TaskTrainer.VesselMethod.CHAMPION);
    }

    @Test
    void retrainingFollowsTheShapeOfThePublishedChampion() {
        TrainingRecipe configured = TrainingRecipe.defaults().withEpochs(3).withSeed(9);
        TrainingRecipe r = TrainerService.recipeFor(configured,
                Optional.of(published(NetworkSpec.unet25d(5, 8), 256)));
        assertThat(r.inputSize()).isEqualTo(256);
        assertThat(r.levels()).isEqualTo(5);
        assertThat(r.baseWidth()).isEqualTo(8);
        assertThat(r.sliceChannels()).isEqualTo(3);
        assertThat(r.variant()).isEqualTo(UNetVariant.PLAIN);
        // the schedule is the configured one
        assertThat(r.epochs()).isEqualTo(3);
        assertThat(r.seed()).isEqualTo(9);
        assertThat(r.withInputSize(128).withNetwork(configured.levels(), configured.baseWidth())).isEqualTo(configured);

        TrainingRecipe gn = configured.following(published(new NetworkSpec(Architectures.UNET_GROUP_NORM, 1, 1, 4, 16),
                192).metadata());
        assertThat(gn.variant()).isEqualTo(UNetVariant.GROUP_NORM);
        assertThat(gn.sliceChannels()).isEqualTo(1);
        assertThat(gn.inputSize()).isEqualTo(192);
        assertThat(gn.unetVariant().architecture()).isEqualTo(Architectures.UNET_GROUP_NORM);
    }

    @Test
    void retrainingLearnsWithTheLossItsChampionRecordsAndKeepsTheConfiguredOneWhereItRecordsNone() {
        TrainingRecipe configured = TrainingRecipe.defaults();
        ModelArtifact focal = new ModelArtifact(URI.create("file:///store/infection/v0007/"), new ModelMetadata("infection",
                7, NetworkSpec.unet25d(5, 8), 256, 256, -1200, 600, Map.of("focal_gamma", 2.0, "dense_weight", 3.0, "dense_term", 1.0, "dense_band", 8.0),
                Instant.EPOCH, "model-0000.params", "00", null));
        TrainingRecipe r = TrainerService.recipeFor(configured, Optional.of(focal));
        assertThat(r.focalGamma()).isEqualTo(2f);
        assertThat(r.denseWeight()).isEqualTo(3f);
        assertThat(r.denseTerm()).isEqualTo(1f);
        assertThat(r.denseBand()).isEqualTo(8);

        TrainingRecipe plain = TrainerService.recipeFor(configured.withFocalGamma(1f),
                Optional.of(published(NetworkSpec.unet25d(5, 8), 256)));
        assertThat(plain.focalGamma()).isEqualTo(1f);
        assertThat(plain.denseWeight()).isEqualTo(1f);
        assertThat(plain.denseTerm()).isZero();

        // a figure outside what a recipe accepts is not followed
        ModelArtifact odd = new ModelArtifact(URI.create("file:///store/infection/v0008/"), new ModelMetadata("infection",
                8, NetworkSpec.unet25d(5, 8), 256, 256, -1200, 600, Map.of("focal_gamma", 9.0, "dense_weight", 0.0, "dense_term", 50.0, "dense_band", 2.5),
                Instant.EPOCH, "model-0000.params", "00", null));
        assertThat(TrainerService.recipeFor(configured, Optional.of(odd)).focalGamma()).isEqualTo(0f);
        assertThat(TrainerService.recipeFor(configured, Optional.of(odd)).denseWeight()).isEqualTo(1f);
        assertThat(TrainerService.recipeFor(configured, Optional.of(odd)).denseTerm()).isZero();
        assertThat(TrainerService.recipeFor(configured, Optional.of(odd)).denseBand()).isZero();
    }

    @Test
    void withoutAChampionOrWithAClassifierTheConfiguredRecipeStays() {
        TrainingRecipe configured = TrainingRecipe.defaults();
        assertThat(TrainerService.recipeFor(configured, Optional.empty())).isEqualTo(configured);
        assertThat(TrainerService.recipeFor(configured, Optional.of(published(NetworkSpec.resnet18(1, 8), 32))))
                .isEqualTo(configured);
    }

    @Test
    void aRecipeReadsAnOddNumberOfSlicesUpToSevenAndARetrainingChallengerAsManyAsItsChampion() {
        assertThat(TrainingRecipe.defaults().withSliceChannels(5).sliceChannels()).isEqualTo(5);
        assertThat(TrainingRecipe.defaults().withSliceChannels(7).sliceChannels()).isEqualTo(7);
        for (int refused : new int[] {0, 2, 4, 9}) {
            assertThatThrownBy(() -> TrainingRecipe.defaults().withSliceChannels(refused))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("sliceChannels must be 1 (2D) or 3, 5 or 7 (2.5D), got " + refused);
        }
        TrainingRecipe five = TrainerService.recipeFor(TrainingRecipe.defaults(),
                Optional.of(published(new NetworkSpec(Architectures.UNET, 5, 1, 5, 8), 256)));
        assertThat(five.sliceChannels()).isEqualTo(5);
    }
}
