package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

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
    void withoutAChampionOrWithAClassifierTheConfiguredRecipeStays() {
        TrainingRecipe configured = TrainingRecipe.defaults();
        assertThat(TrainerService.recipeFor(configured, Optional.empty())).isEqualTo(configured);
        assertThat(TrainerService.recipeFor(configured, Optional.of(published(NetworkSpec.resnet18(1, 8), 32))))
                .isEqualTo(configured);
    }
}
