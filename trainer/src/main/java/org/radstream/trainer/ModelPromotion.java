package org.radstream.trainer;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.radstream.avro.ModelPublished;
import org.radstream.models.ModelArtifact;
import org.radstream.models.ModelStore;
import org.radstream.models.SupersededException;

/**
 * An operator's decision over the quality gate: going back to an earlier version after a published
 * one misbehaves in the clinic, or shipping a challenger the gate refused. The chosen artifact is
 * published again as the task's next version (versions are never overwritten or moved back), its
 * {@code gate.json} and announcement say who decided and why, and the workers load it from the
 * announcement as they load a trained version, without a restart. Later challengers are gated
 * against it, and a run already training when it was published does not publish over it.
 */
public final class ModelPromotion {
    private ModelPromotion() {}

    /** Which artifact to publish again. */
    public sealed interface Source permits Version, Refused {}

    /** Published version {@code number} of the task. */
    public record Version(int number) implements Source {}

    /** Refused challenger {@code number} kept aside ({@code refused/rNNNN}). */
    public record Refused(int number) implements Source {}

    /**
     * Publishes {@code source} of {@code task} as its next version.
     *
     * @param operator  who decided (recorded with the reason)
     * @param reason    why, in words a later reader of the model list understands
     * @param announcer sends the announcement on radstream.models; if it throws, the new version is
     *                  taken back out of the store and the failure is rethrown
     * @throws IllegalArgumentException no such version or challenger, it is already what the workers
     *                                  load, or no reason was given
     * @throws SupersededException      another version was published between reading the newest one
     *                                  and writing the copy (a trainer's run, another operator); nothing
     *                                  was written, and the operator decides again
     */
    public static ModelPublished promote(ModelStore store, String task, Source source, String operator, String reason,
                                         Consumer<ModelPublished> announcer) throws IOException {
        String t = TrainingTask.of(task).id();
        if (reason == null || reason.isBlank()) {
            throw new IllegalArgumentException("a promotion over the quality gate needs a reason");
        }
        Optional<ModelArtifact> champion = store.latest(t);
        ModelArtifact chosen = find(store, t, source);
        if (champion.isPresent() && champion.get().location().equals(chosen.location())) {
            throw new IllegalArgumentException(t + " v" + chosen.metadata().version()
                    + " is already the newest version: the workers load it");
        }
        String decision = "published by " + operator + " over the quality gate: " + reason.strip() + " (a copy of "
                + name(source) + ")";
        try {
            return new Publisher(store, announcer).promote(chosen, decision, champion);
        } catch (SupersededException e) {
            throw new SupersededException(e, "not promoted: " + e.getMessage() + "; nothing was written. See what "
                    + "the workers load now (radstream models) and promote again if " + name(source) + " should still replace it");
        }
    }

    private static ModelArtifact find(ModelStore store, String task, Source source) throws IOException {
        List<ModelArtifact> candidates = source instanceof Version ? store.versions(task) : store.refused(task);
        String wanted = name(source);
        for (ModelArtifact a : candidates) {
            if (name(a).equals(wanted)) {
                return a;
            }
        }
        throw new IllegalArgumentException(task + " has no " + wanted + " in " + store.root() + " ("
                + (candidates.isEmpty() ? "none there"
                        : "there are " + candidates.stream().map(ModelPromotion::name).collect(Collectors.joining(", ")))
                + ")");
    }

    private static String name(Source source) {
        return source instanceof Version v ? String.format("v%04d", v.number())
                : String.format("refused/r%04d", ((Refused) source).number());
    }

    /** v0003 or refused/r0002, as the store's directories name them. */
    private static String name(ModelArtifact a) {
        java.nio.file.Path dir = java.nio.file.Path.of(a.location());
        String last = dir.getFileName().toString();
        return last.startsWith("r") ? "refused/" + last : last;
    }
}
