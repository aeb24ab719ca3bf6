package org.radstream.launcher;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.radstream.imaging.eval.AbdomenFigure;
import org.radstream.imaging.eval.Comparison;
import org.radstream.imaging.eval.EvaluationReport;
import org.radstream.imaging.eval.Figure;
import org.radstream.imaging.eval.ScanBootstrap;
import org.radstream.imaging.eval.ScanFigure;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code radstream compare}: the 95% intervals of one {@code eval --json} report's figures, or the
 * paired differences of two reports on the same scans. Only wires: the statistics live in {@link
 * ScanBootstrap} and {@link Comparison}.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = {"How far the figures of `radstream eval --json` reports can be trusted: with one report, each "
                + "figure's 95%% interval over bootstrap resamples of its scans; with two reports of the same scans, "
                + "each figure's difference A - B with its paired interval, and which method it favours.",
                "Exit 0, or 2 for reports that cannot be read or do not hold the same scans."})
final class CompareCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "A.json", description = "A report written by `radstream eval --json`.")
    Path a;

    @Parameters(index = "1", arity = "0..1", paramLabel = "B.json", description = "The report A is compared with.")
    Path b;

    @Option(names = "--resamples", defaultValue = "" + ScanBootstrap.RESAMPLES,
            description = "Bootstrap resamples of the scans (at least 100). Default ${DEFAULT-VALUE}.")
    int resamples;

    @Option(names = "--json", description = "Write the comparison as JSON to this file (with two reports).")
    Path json;

    @Override
    public Integer call() throws IOException {
        if (resamples < 100) {
            throw new ParameterException(spec.commandLine(), "--resamples must be 100 or more: the 2.5th percentile of "
                    + "fewer is a handful of draws; got " + resamples);
        }
        if (json != null && b == null) {
            throw new ParameterException(spec.commandLine(), "--json writes a comparison: it needs B.json (one report's "
                    + "intervals are in its own JSON, `ci95`)");
        }
        EvaluationReport ra = read(a);
        PrintWriter out = spec.commandLine().getOut();
        if (b == null) {
            String scans = ra.chest().isEmpty() ? (ra.abdomen().isEmpty() ? "no scan scored"
                    : ra.abdomen().size() + " abdominal scans") : String.format(Locale.ROOT,
                    "%d chest scans, %d with infection", ra.chest().size(),
                    ra.chest().stream().filter(s -> !Double.isNaN(s.infectionDice())).count());
            out.printf(Locale.ROOT, "%s on %s: %s; 95%% intervals from %d bootstrap resamples of the scans (seed %d)%n",
                    ra.method(), ra.cohort(), scans, resamples, ScanBootstrap.SEED);
            if (!ra.chest().isEmpty()) {
                tooFew(out, ra.chest().size());
                intervals(out, Figure.values(), ra.chest());
            }
            if (!ra.abdomen().isEmpty()) {
                if (!ra.chest().isEmpty()) {
                    out.printf(Locale.ROOT, "%d abdominal scans%n", ra.abdomen().size());
                }
                tooFew(out, ra.abdomen().size());
                intervals(out, AbdomenFigure.values(), ra.abdomen());
            }
            out.flush();
            return 0;
        }
        Comparison c;
        try {
            c = Comparison.of(ra, read(b), resamples, ScanBootstrap.SEED);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), a + " against " + b + ": " + e.getMessage());
        }
        out.print(c.toTable());
        if (json != null) {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), c.toJson());
            out.println("wrote " + json);
        }
        out.flush();
        return 0;
    }

    private static void tooFew(PrintWriter out, int scans) {
        if (scans < ScanBootstrap.MIN_SCANS) {
            out.printf(Locale.ROOT, "(%d scans are too few for intervals: %d or more)%n", scans, ScanBootstrap.MIN_SCANS);
        }
    }

    private <T> void intervals(PrintWriter out, ScanFigure<T>[] figures, List<T> scans) {
        for (ScanFigure<T> f : figures) {
            ScanBootstrap.Interval i = ScanBootstrap.interval(scans, f, resamples, ScanBootstrap.SEED);
            out.printf(Locale.ROOT, "%-18s %9s  [%s, %s]%n", f.label(), f.format(i.estimate(), false),
                    f.format(i.low(), false), f.format(i.high(), false));
        }
    }

    private EvaluationReport read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ParameterException(spec.commandLine(), file + ": no such report");
        }
        try {
            Map<String, Object> doc = new ObjectMapper().readValue(file.toFile(), new TypeReference<Map<String, Object>>() { });
            return EvaluationReport.fromJson(doc);
        } catch (IOException | IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), file + ": " + e.getMessage());
        }
    }
}
