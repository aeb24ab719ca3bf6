package org.radstream.trainer;

import ai.djl.Model;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.radstream.avro.ModelPublished;
import org.radstream.models.ModelArtifact;
import org.radstream.models.ModelDescriptor;
import org.radstream.models.ModelStore;

/**
 * Writes a model that passed the gate to the model store, keeps the gate's decision and both
 * scores beside it ({@code gate.json} in the artifact directory; the parameter file and its
 * checksum are untouched), and announces it on radstream.models through {@code announcer}. A
 * refused challenger is kept aside with the same {@code gate.json} and not announced.
 */
final class Publisher {
    static final String GATE_FILE = "gate.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final ModelStore store;
    private final Consumer<ModelPublished> announcer;

    Publisher(ModelStore store, Consumer<ModelPublished> announcer) {
        this.store = store;
        this.announcer = announcer;
    }

    ModelStore store() {
        return store;
    }

    /**
     * Publishes a challenger the gate passed against {@code champion}, provided {@code champion} is
     * still the task's newest version (none, when it is empty).
     *
     * @throws org.radstream.models.SupersededException another version was published meanwhile;
     *     nothing was written or announced
     */
    ModelPublished publish(Model model, ModelDescriptor descriptor, QualityGate.Decision decision,
                           Map<String, Double> championMetrics, Optional<ModelArtifact> champion) throws IOException {
        ModelArtifact artifact = store.save(model, descriptor, versionOf(champion));
        writeGate(artifact, descriptor, decision, championMetrics, champion);
        ModelPublished published = announcement(artifact, decision.reason(), championMetrics, champion);
        announcer.accept(published);
        return published;
    }

    /**
     * Publishes a copy of {@code source} (an earlier version or a kept refused challenger) as the
     * task's next version, over the gate, for the reason an operator gave; the decision recorded and
     * announced says so. A copy whose announcement fails is taken back out of the store, so that the
     * trainer does not gate against a version the workers were never told of.
     *
     * @throws org.radstream.models.SupersededException {@code champion} is no longer the newest
     *     version; nothing was written or announced
     */
    ModelPublished promote(ModelArtifact source, String decision, Optional<ModelArtifact> champion) throws IOException {
        String task = source.metadata().task();
        ModelArtifact copy = store.copyAsVersion(source.location(), versionOf(champion));
        Map<String, Double> championMetrics = champion.map(c -> c.metadata().metrics()).orElse(Map.of());
        Map<String, Object> gate = new LinkedHashMap<>();
        gate.put("decision", decision);
        gate.put("published", true);
        gate.put("challenger", copy.metadata().metrics());
        gate.put("champion", championMetrics);
        gate.put("championVersion", champion.map(c -> c.metadata().version()).orElse(null));
        gate.put("copyOf", source.location().toString());
        JSON.writeValue(Path.of(copy.location()).resolve(GATE_FILE).toFile(), gate);
        ModelPublished published = announcement(copy, decision, championMetrics, champion);
        try {
            announcer.accept(published);
        } catch (RuntimeException e) {
            store.discard(copy);
            throw new IOException("could not announce " + task + " v" + copy.metadata().version()
                    + " on the models topic, so it was taken back out of the store: " + e.getMessage(), e);
        }
        return published;
    }

    /** The version a write must publish over: the champion's, or 0 when the task has none. */
    private static int versionOf(Optional<ModelArtifact> champion) {
        return champion.map(c -> c.metadata().version()).orElse(0);
    }

    /** The radstream.models record of a version: where it is, its checksum, the gate's decision and both scores. */
    static ModelPublished announcement(ModelArtifact artifact, String decision, Map<String, Double> championMetrics,
                                       Optional<ModelArtifact> champion) {
        return ModelPublished.newBuilder()
                .setTask(artifact.metadata().task())
                .setVersion(String.valueOf(artifact.metadata().version()))
                .setArchitecture(artifact.metadata().network().architecture())
                .setInputSize(artifact.metadata().inputWidth())
                .setWindowLowHu(artifact.metadata().windowLowHu())
                .setWindowHighHu(artifact.metadata().windowHighHu())
                .setLocation(artifact.location().toString())
                .setSha256(artifact.metadata().sha256())
                .setMetrics(new LinkedHashMap<>(artifact.metadata().metrics()))
                .setChampionMetrics(new LinkedHashMap<>(championMetrics))
                .setGateDecision(decision)
                .setPreviousVersion(champion.map(c -> String.valueOf(c.metadata().version())).orElse(null))
                .setPublishedAt(Instant.now())
                .build();
    }

    /**
     * Keeps a refused challenger aside in the store ({@code <task>/refused/rNNNN}, with its
     * {@code gate.json}), announces nothing, and deletes the task's oldest refused challengers
     * beyond {@code keep}.
     *
     * @return the kept artifact
     */
    ModelArtifact keepRefused(Model model, ModelDescriptor descriptor, QualityGate.Decision decision,
                              Map<String, Double> championMetrics, Optional<ModelArtifact> champion, int keep)
            throws IOException {
        if (decision.publish()) {
            throw new IllegalArgumentException("the gate published this challenger: " + decision.reason());
        }
        ModelArtifact artifact = store.keepRefused(model, descriptor);
        writeGate(artifact, descriptor, decision, championMetrics, champion);
        store.pruneRefused(descriptor.task(), keep);
        return artifact;
    }

    private static void writeGate(ModelArtifact artifact, ModelDescriptor descriptor, QualityGate.Decision decision,
                                  Map<String, Double> championMetrics, Optional<ModelArtifact> champion)
            throws IOException {
        Map<String, Object> gate = new LinkedHashMap<>();
        gate.put("decision", decision.reason());
        gate.put("published", decision.publish());
        gate.put("challenger", descriptor.metrics());
        gate.put("champion", championMetrics);
        gate.put("championVersion", champion.map(c -> c.metadata().version()).orElse(null));
        gate.put("margin", decision.margin());
        JSON.writeValue(Path.of(artifact.location()).resolve(GATE_FILE).toFile(), gate);
    }
}
