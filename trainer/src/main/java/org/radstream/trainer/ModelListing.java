package org.radstream.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.radstream.models.ModelArtifact;
import org.radstream.models.ModelMetadata;
import org.radstream.models.ModelStore;

/**
 * {@code radstream models}: what a model store holds, per task: every published version (the
 * newest is what workers load) and every refused challenger kept aside, each with its network,
 * when it was made, its gate score and the gate's decision from its {@code gate.json}.
 */
public final class ModelListing {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One artifact: a version, or a refused challenger ({@code refused} true); {@code score} is the
     * figure the gate judged it by ({@code scoreName}: gate_dice, else validation_dice), or null.
     */
    public record Entry(String task, String name, boolean refused, ModelMetadata metadata, String scoreName,
                        Double score, String decision) {}

    private ModelListing() {}

    /** Every version and refused challenger of {@code tasks} in {@code store}, versions first, oldest first. */
    public static List<Entry> of(ModelStore store, List<String> tasks) throws IOException {
        List<Entry> out = new ArrayList<>();
        for (String task : tasks) {
            for (ModelArtifact a : store.versions(task)) {
                out.add(entry(task, String.format(Locale.ROOT, "v%04d", a.metadata().version()), false, a));
            }
            for (ModelArtifact a : store.refused(task)) {
                out.add(entry(task, "refused/" + Path.of(a.location()).getFileName(), true, a));
            }
        }
        return out;
    }

    private static Entry entry(String task, String name, boolean refused, ModelArtifact a) throws IOException {
        Path gate = Path.of(a.location()).resolve(Publisher.GATE_FILE);
        String decision = null;
        if (Files.isRegularFile(gate)) {
            JsonNode g = JSON.readTree(gate.toFile());
            decision = g.path("decision").asText(null);
        }
        String scoreName = a.metadata().metrics().containsKey("gate_dice") ? "gate_dice" : "validation_dice";
        return new Entry(task, name, refused, a.metadata(), scoreName, a.metadata().metrics().get(scoreName), decision);
    }

    /** A text table, one line per artifact (the decision on the next), the version workers load marked. */
    public static String table(List<Entry> entries) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            if (i == 0 || !entries.get(i - 1).task().equals(e.task())) {
                b.append(e.task()).append('\n');
            }
            boolean newestVersion = !e.refused() && (i + 1 == entries.size() || entries.get(i + 1).refused()
                    || !entries.get(i + 1).task().equals(e.task()));
            ModelMetadata m = e.metadata();
            b.append(String.format(Locale.ROOT, "  %-14s %-8s %s  %s %dch %d levels width %d %d²%s%s%n",
                    e.name(), newestVersion ? "loaded" : e.refused() ? "refused" : "",
                    m.created().truncatedTo(ChronoUnit.SECONDS), m.network().architecture(), m.network().inChannels(),
                    m.network().levels(), m.network().baseWidth(), m.inputWidth(),
                    e.score() == null ? "" : String.format(Locale.ROOT, "  %s %.4f", e.scoreName(), e.score()),
                    e.refused() ? String.format(Locale.ROOT, "  (contended for v%04d)", m.version()) : ""));
            if (e.decision() != null) {
                b.append("      ").append(e.decision()).append('\n');
            }
        }
        return b.toString();
    }
}
