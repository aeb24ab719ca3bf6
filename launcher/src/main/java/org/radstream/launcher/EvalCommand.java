package org.radstream.launcher;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.radstream.imaging.cohort.Cohort;
import org.radstream.imaging.eval.EvaluationMethod;
import org.radstream.imaging.eval.EvaluationReport;
import org.radstream.imaging.eval.HuBaselineEvaluation;
import org.radstream.trainer.ModelEvaluation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code radstream eval}: scores a method on a held-out cohort and prints a Table-1-like summary.
 * Only wires: the evaluation logic lives in {@code org.radstream.imaging.eval}; methods register
 * in {@link #METHODS}.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate a segmentation method on a cohort (lung/infection Dice, HD95, PoIR Pearson r, m-APE).")
final class EvalCommand implements Callable<Integer> {
    /** The model store of the model-based methods: RADSTREAM_MODEL_STORE, else the shipped one. */
    static final Path MODEL_STORE = Path.of(System.getenv().getOrDefault("RADSTREAM_MODEL_STORE", "models-default"));
    private static final java.time.Duration PIPELINE_TIMEOUT = java.time.Duration.ofHours(2);

    static final Map<String, EvaluationMethod> METHODS = new TreeMap<>(Map.of("hu", new HuBaselineEvaluation(),
            "models", new ModelEvaluation("models", MODEL_STORE, true),
            "models-no-classifier", new ModelEvaluation("models-no-classifier", MODEL_STORE, false),
            "pipeline", new org.radstream.launcher.pipeline.PipelineEvaluation("pipeline", MODEL_STORE, PIPELINE_TIMEOUT, 8),
            "pipeline-16bit", new org.radstream.launcher.pipeline.PipelineEvaluation("pipeline-16bit", MODEL_STORE,
                    PIPELINE_TIMEOUT, 16)));

    @Spec
    CommandSpec spec;

    @Option(names = "--cohort", required = true, description = "Held-out evaluation cohort directory.")
    Path cohort;

    @Option(names = "--method", defaultValue = "hu", description = "Method: ${COMPLETION-CANDIDATES}. Default ${DEFAULT-VALUE}.",
            completionCandidates = MethodNames.class)
    String method;

    @Option(names = "--tune-cohort", description = "Cohort on which the method chooses its parameters (never the evaluation cohort).")
    Path tuneCohort;

    @Option(names = "--json", description = "Write the figures as JSON to this file.")
    Path json;

    @Option(names = "--model", paramLabel = "TASK=DIR", description = "With --method models or models-no-classifier: "
            + "read this artifact directory for TASK (lung, infection, infection-classifier, liver, vessel) instead of "
            + "the store's newest version, e.g. a refused challenger kept in <store>/infection/refused/r0001. Repeatable.")
    Map<String, Path> models = new LinkedHashMap<>();

    static final class MethodNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() { return METHODS.keySet().iterator(); }
    }

    @Override
    public Integer call() throws Exception {
        EvaluationMethod m = METHODS.get(method);
        if (m == null) {
            throw new ParameterException(spec.commandLine(), "unknown --method '" + method + "'; known: " + METHODS.keySet());
        }
        if (tuneCohort != null && tuneCohort.toAbsolutePath().normalize().equals(cohort.toAbsolutePath().normalize())) {
            throw new ParameterException(spec.commandLine(), "--tune-cohort must differ from --cohort (held-out evaluation)");
        }
        if (!models.isEmpty()) {
            if (!(m instanceof ModelEvaluation me)) {
                throw new ParameterException(spec.commandLine(), "--model applies to --method models or "
                        + "models-no-classifier, not " + method);
            }
            try {
                m = me.reading(models);
            } catch (IllegalArgumentException | IOException e) {
                throw new ParameterException(spec.commandLine(), "--model: " + e.getMessage());
            }
        }
        if (m instanceof ModelEvaluation me) {
            m = me.withProgress(System.err::println);
        }
        EvaluationReport report = m.evaluate(Cohort.open(cohort), tuneCohort == null ? null : Cohort.open(tuneCohort));
        System.out.print(report.toTable());
        if (json != null) {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), report.toJson());
            System.out.println("wrote " + json);
        }
        return 0;
    }
}
