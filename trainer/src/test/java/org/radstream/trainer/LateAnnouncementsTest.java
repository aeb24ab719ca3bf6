package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.avro.ModelPublished;
import org.radstream.models.ModelStore;

/** Which versions the trainer announces at its start, against the last announcement per task. */
class LateAnnouncementsTest {
    @TempDir
    Path dir;

    @Test
    void onlyAStoreVersionNewerThanTheLastAnnouncementOrNeverAnnouncedIsAnnounced() throws Exception {
        ModelStore store = ModelListingTest.history(dir); // infection v1, v2 and a refused challenger
        ModelPublished v2 = Publisher.announcement(store.latest("infection").orElseThrow(), "published", Map.of(),
                java.util.Optional.empty());
        List<ModelPublished> sent = new ArrayList<>();

        // announced up to date, or the topic ahead of the store (restored from a backup): nothing
        assertThat(LateAnnouncements.announce(store, Map.of("infection", v2), sent::add)).isEmpty();
        ModelPublished v5 = ModelPublished.newBuilder(v2).setVersion("5").build();
        assertThat(LateAnnouncements.announce(store, Map.of("infection", v5), sent::add)).isEmpty();
        assertThat(sent).isEmpty();

        // behind: v2 announced, with v1 as the version before it and the gate's decision
        ModelPublished v1 = ModelPublished.newBuilder(v2).setVersion("1").build();
        assertThat(LateAnnouncements.announce(store, Map.of("infection", v1), sent::add)).singleElement().satisfies(m -> {
            assertThat(m.getVersion()).isEqualTo("2");
            assertThat(m.getPreviousVersion()).isEqualTo("1");
            assertThat(m.getGateDecision()).isEqualTo("published: challenger Dice on the 24 gate scans 0.8100 >= "
                    + "champion 0.8000 - margin 0.0050" + LateAnnouncements.NOTE);
            assertThat(m.getChampionMetrics()).isEqualTo(Map.of("gate_dice", 0.80));
        });
        // never announced: the newest version, and no other task (the store has none)
        assertThat(LateAnnouncements.announce(store, Map.of(), sent::add)).extracting(ModelPublished::getVersion,
                ModelPublished::getPreviousVersion).containsExactly(org.assertj.core.groups.Tuple.tuple("2", null));
        assertThat(sent).hasSize(2);
    }
}
