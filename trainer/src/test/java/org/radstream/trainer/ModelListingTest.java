package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.Model;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.models.Architectures;
import org.radstream.models.ModelArtifact;
import org.radstream.models.ModelDescriptor;
import org.radstream.models.ModelStore;
import org.radstream.models.NetworkSpec;
import org.radstream.models.SegmentationTraining;
import org.radstream.models.TrainingSettings;

/** {@code radstream models}: versions and refused challengers of a store, with the gate's decisions. */
class ModelListingTest {
    @TempDir
    Path dir;

    @Test
    void listsEveryVersionAndRefusedChallengerWithItsDecisionAndMarksTheVersionWorkersLoad() throws Exception {
        ModelStore store = history(dir);

        List<ModelListing.Entry> entries = ModelListing.of(store, List.of("lung", "infection"));

        assertThat(entries).extracting(ModelListing.Entry::name).containsExactly("v0001", "v0002", "refused/r0001");
        assertThat(entries).extracting(ModelListing.Entry::score).containsExactly(0.80, 0.81, 0.70);
        assertThat(entries.get(2).refused()).isTrue();
        assertThat(entries.get(2).metadata().version()).isEqualTo(2);
        assertThat(entries.get(2).decision()).isEqualTo(
                "refused: challenger Dice on the 24 gate scans 0.7000 < champion 0.8000 - margin 0.0050");
        String[] lines = ModelListing.table(entries).split("\n");
        assertThat(lines).hasSize(7);
        assertThat(lines[0]).isEqualTo("infection");
        assertThat(lines[1]).startsWith("  v0001                   2026-").contains("gate_dice 0.8000");
        assertThat(lines[2]).isEqualTo("      published: no champion; challenger Dice on the 24 gate scans 0.8000");
        assertThat(lines[3]).startsWith("  v0002          loaded   ").contains("unet 1ch 2 levels width 2 32²");
        assertThat(lines[5]).startsWith("  refused/r0001  refused  ").endsWith("gate_dice 0.7000  (contended for v0002)");
        assertThat(lines[6]).isEqualTo("      refused: challenger Dice on the 24 gate scans 0.7000 < champion 0.8000 - margin 0.0050");
    }

    /**
     * An infection store with a history: v1 published (gate Dice 0.80), a challenger refused
     * (0.70, kept as refused/r0001), v2 published (0.81).
     */
    static ModelStore history(Path dir) throws Exception {
        ModelStore store = new ModelStore(dir);
        Publisher publisher = new Publisher(store, p -> { });
        QualityGate gate = new QualityGate(0.005);
        try (Model model = Architectures.newModel(NetworkSpec.unet2d(2, 2), Device.cpu());
                SegmentationTraining ignored = SegmentationTraining.start(model, 1, 32, 32, TrainingSettings.defaults())) {
            publisher.publish(model, descriptor(0.80), gate.decide(0.80, OptionalDouble.empty(), "Dice on the 24 gate scans"),
                    Map.of(), Optional.empty());
            ModelArtifact v1 = store.latest("infection").orElseThrow();
            publisher.keepRefused(model, descriptor(0.70), gate.decide(0.70, OptionalDouble.of(0.80), "Dice on the 24 gate scans"),
                    Map.of("gate_dice", 0.80), Optional.of(v1), 3);
            publisher.publish(model, descriptor(0.81), gate.decide(0.81, OptionalDouble.of(0.80), "Dice on the 24 gate scans"),
                    Map.of("gate_dice", 0.80), Optional.of(v1));
        }
        return store;
    }

    static ModelDescriptor descriptor(double gateDice) {
        return new ModelDescriptor("infection", 32, 32, -1200, 600, Map.of("gate_dice", gateDice));
    }
}
