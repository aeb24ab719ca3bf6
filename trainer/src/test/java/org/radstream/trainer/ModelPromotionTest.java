package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.Model;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.avro.ModelPublished;
import org.radstream.models.Architectures;
import org.radstream.models.ModelArtifact;
import org.radstream.models.ModelStore;
import org.radstream.models.NetworkSpec;
import org.radstream.models.SegmentationTraining;
import org.radstream.models.TrainingSettings;

/** An operator goes back to an earlier version, or ships a refused challenger, over the gate. */
class ModelPromotionTest {
    @TempDir
    Path dir;

    @Test
    void anEarlierVersionOrARefusedChallengerIsPublishedAgainAsTheNextVersionAndAnnounced() throws Exception {
        ModelStore store = ModelListingTest.history(dir);
        List<ModelPublished> announced = new ArrayList<>();

        ModelPublished back = ModelPromotion.promote(store, "infection", new ModelPromotion.Version(1), "ops-a",
                " v2 over-reads small lesions ", announced::add);

        ModelArtifact v3 = store.latest("infection").orElseThrow();
        assertThat(v3.metadata().version()).isEqualTo(3);
        assertThat(v3.metadata().sha256()).isEqualTo(store.versions("infection").get(0).metadata().sha256());
        assertThat(v3.metadata().metrics()).containsEntry("gate_dice", 0.80);
        assertThat(announced).containsExactly(back);
        assertThat(back.getVersion()).isEqualTo("3");
        assertThat(back.getPreviousVersion()).isEqualTo("2");
        assertThat(back.getLocation()).isEqualTo(v3.location().toString());
        assertThat(back.getSha256()).isEqualTo(v3.metadata().sha256());
        assertThat(back.getChampionMetrics()).containsEntry("gate_dice", 0.81);
        assertThat(back.getGateDecision())
                .isEqualTo("published by ops-a over the quality gate: v2 over-reads small lesions (a copy of v0001)");
        // the model list shows who decided, and why
        List<ModelListing.Entry> entries = ModelListing.of(store, List.of("infection"));
        assertThat(entries.get(2).name()).isEqualTo("v0003");
        assertThat(entries.get(2).decision()).isEqualTo(back.getGateDecision());

        ModelPublished shipped = ModelPromotion.promote(store, "infection", new ModelPromotion.Refused(1), "ops-b",
                "the radiologists prefer its borders", announced::add);
        assertThat(shipped.getVersion()).isEqualTo("4");
        assertThat(shipped.getSha256()).isEqualTo(store.refused("infection").get(0).metadata().sha256());
        assertThat(shipped.getGateDecision()).endsWith("(a copy of refused/r0001)");
        assertThat(announced).hasSize(2);
    }

    @Test
    void whatCannotBePromotedIsRefusedWithTheReasonAndAFailedAnnouncementLeavesNoVersion() throws Exception {
        ModelStore store = new ModelStore(dir);
        try (Model model = Architectures.newModel(NetworkSpec.unet2d(2, 2), Device.cpu());
                SegmentationTraining ignored = SegmentationTraining.start(model, 1, 32, 32, TrainingSettings.defaults())) {
            store.save(model, ModelListingTest.descriptor(0.80));
            store.save(model, ModelListingTest.descriptor(0.81));
        }
        List<ModelPublished> announced = new ArrayList<>();

        assertThatThrownBy(() -> ModelPromotion.promote(store, "infection", new ModelPromotion.Version(2), "ops",
                "why not", announced::add)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("infection v2 is already the newest version: the workers load it");
        assertThatThrownBy(() -> ModelPromotion.promote(store, "infection", new ModelPromotion.Version(9), "ops",
                "why not", announced::add)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("infection has no v0009 in " + store.root() + " (there are v0001, v0002)");
        assertThatThrownBy(() -> ModelPromotion.promote(store, "infection", new ModelPromotion.Refused(1), "ops",
                "why not", announced::add)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("infection has no refused/r0001 in " + store.root() + " (none there)");
        assertThatThrownBy(() -> ModelPromotion.promote(store, "infection", new ModelPromotion.Version(1), "ops",
                " ", announced::add)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a promotion over the quality gate needs a reason");
        assertThatThrownBy(() -> ModelPromotion.promote(store, "spleen", new ModelPromotion.Version(1), "ops",
                "why not", announced::add)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown task 'spleen'");
        assertThat(announced).isEmpty();

        assertThatThrownBy(() -> ModelPromotion.promote(store, "infection", new ModelPromotion.Version(1), "ops",
                "v2 misreads", p -> {
                    throw new IllegalStateException("broker unreachable");
                })).isInstanceOf(IOException.class)
                .hasMessage("could not announce infection v3 on the models topic, so it was taken back out of the store: "
                        + "broker unreachable");
        assertThat(store.versions("infection")).extracting(a -> a.metadata().version()).containsExactly(1, 2);
    }
}
