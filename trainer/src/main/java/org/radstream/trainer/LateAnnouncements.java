package org.radstream.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.radstream.avro.ModelPublished;
import org.radstream.models.ModelArtifact;
import org.radstream.models.ModelStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At the trainer's start and before each run, announces each task's newest version that
 * radstream.models does not: one written to the store by a run that stopped (crash, kill, a failed
 * send) before it announced it.
 * Without this the workers would keep the announced older version while the trainer gates every
 * later challenger against the newer one. A task never announced at all is announced too, so the
 * topic says what is in service; a worker that runs that version already keeps it. A topic that
 * names a newer version than the store holds (a store restored from a backup) is reported, not
 * changed.
 */
final class LateAnnouncements {
    private static final Logger log = LoggerFactory.getLogger(LateAnnouncements.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String NOTE = " [announced late by the trainer: the run that published it had not announced it]";

    private LateAnnouncements() {}

    /**
     * @param announced the last announcement on the topic per task (its key)
     * @return what was announced, in task order
     */
    static List<ModelPublished> announce(ModelStore store, Map<String, ModelPublished> announced,
                                         Consumer<ModelPublished> announcer) throws IOException {
        List<ModelPublished> out = new ArrayList<>();
        for (TrainingTask task : TrainingTask.values()) {
            Optional<ModelArtifact> newest = store.latest(task.id());
            if (newest.isEmpty()) {
                continue;
            }
            int version = newest.get().metadata().version();
            ModelPublished last = announced.get(task.id());
            Integer lastVersion = last == null ? null : parseVersion(last.getVersion());
            if (lastVersion != null && lastVersion >= version) {
                if (lastVersion > version) {
                    log.warn("model {}: {} announces version {}, but the newest in the store {} is version {}; "
                            + "the workers keep what was announced", task.id(), "radstream.models", lastVersion,
                            store.root(), version);
                }
                continue;
            }
            ModelPublished late = lateAnnouncement(newest.get(), last);
            announcer.accept(late);
            log.warn("model {} version {} was in the store {} but not announced (last announced: {}); announced now",
                    task.id(), version, store.root(), last == null ? "none" : "version " + last.getVersion());
            out.add(late);
        }
        return out;
    }

    private static ModelPublished lateAnnouncement(ModelArtifact artifact, ModelPublished last) throws IOException {
        String decision = "no gate decision recorded";
        Map<String, Double> championMetrics = new LinkedHashMap<>();
        Path gate = Path.of(artifact.location()).resolve(Publisher.GATE_FILE);
        if (Files.isRegularFile(gate)) {
            JsonNode g = JSON.readTree(gate.toFile());
            decision = g.path("decision").asText(decision);
            g.path("champion").fields().forEachRemaining(e -> {
                if (e.getValue().isNumber()) {
                    championMetrics.put(e.getKey(), e.getValue().asDouble());
                }
            });
        }
        return ModelPublished.newBuilder(Publisher.announcement(artifact, decision + NOTE, championMetrics, Optional.empty()))
                .setPreviousVersion(last == null ? null : last.getVersion())
                .build();
    }

    private static Integer parseVersion(String v) {
        try {
            return Integer.valueOf(v);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
