package org.radstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.imaging.eval.AbdomenScore;
import org.radstream.imaging.eval.EvaluationReport;
import org.radstream.imaging.eval.ScanScore;
import picocli.CommandLine;

/** {@code radstream compare} reads `eval --json` reports back and says how far their figures can be trusted. */
class CompareCommandTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return new CommandLine(new CompareCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
    }

    /** A report of 12 scans whose infection Dice is {@code base} plus a spread, PoIR read {@code overRead} too high. */
    private Path report(String name, String method, double base, double overRead, int scans) throws Exception {
        List<ScanScore> chest = new ArrayList<>();
        for (int i = 0; i < scans; i++) {
            boolean healthy = i % 3 == 0;
            double truthPoir = healthy ? 0 : 2 + i;
            chest.add(new ScanScore(String.format("scan-%04d", i + 1), 0.97, healthy ? Double.NaN : base + 0.02 * i,
                    6, healthy ? Double.NaN : 12, 3000, truthPoir * 30, 3000, truthPoir * overRead * 30, truthPoir,
                    truthPoir * overRead, 0.6, 0.9, 0, healthy ? Double.NaN : base + 0.02 * i));
        }
        Path file = dir.resolve(name);
        new ObjectMapper().writeValue(file.toFile(),
                new EvaluationReport(method, "/cohorts/s12", Map.of(), chest, "no abdominal scans").toJson());
        return file;
    }

    @Test
    void oneReportGetsEachFiguresInterval() throws Exception {
        Path a = report("a.json", "models", 0.6, 1.2, 12);
        assertThat(run(a.toString())).isZero();
        assertThat(out.toString()).contains("models on /cohorts/s12: 12 chest scans, 8 with infection; 95% intervals from "
                + "2000 bootstrap resamples").containsPattern("PoIR m-APE +20\\.0% +\\[20\\.0%, 20\\.0%\\]")
                .containsPattern("infection Dice +0\\.7\\d\\d +\\[0\\.\\d{3}, 0\\.\\d{3}\\]");
    }

    @Test
    void twoReportsArePairedAndTheBetterIsNamed() throws Exception {
        Path a = report("a.json", "models", 0.62, 1.1, 12);
        Path b = report("b.json", "models-no-classifier", 0.6, 1.2, 12);
        Path json = dir.resolve("cmp.json");
        assertThat(run(a.toString(), b.toString(), "--json", json.toString())).as(err.toString()).isZero();
        assertThat(out.toString()).contains("A: models on /cohorts/s12", "B: models-no-classifier on /cohorts/s12")
                .containsPattern("infection Dice .* \\+0\\.020 +\\[\\+0\\.020, \\+0\\.020\\] +A better")
                .containsPattern("PoIR m-APE .* -10\\.0% +\\[-10\\.0%, -10\\.0%\\] +A better")
                .containsPattern("lung Dice .* not separated");
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> figures = (Map<String, Map<String, Object>>) new ObjectMapper()
                .readValue(Files.readString(json), Map.class).get("figures");
        assertThat(figures.get("poir_mape").get("verdict")).isEqualTo("A better");
        assertThat((Double) figures.get("infection_dice").get("difference")).isCloseTo(0.02, org.assertj.core.data.Offset.offset(1e-9));
    }

    /** A report of 10 abdominal scans only, vessel Dice {@code vessel} plus a spread, HD95 {@code hd95} mm. */
    private Path abdomenReport(String name, String method, double vessel, double hd95) throws Exception {
        List<AbdomenScore> abdomen = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            abdomen.add(new AbdomenScore(String.format("scan-%04d", 21 + i), 1500, 1480, 0.97, 0.9, 20 + i, 20,
                    vessel + 0.01 * i, hd95, 0.8));
        }
        Path file = dir.resolve(name);
        new ObjectMapper().writeValue(file.toFile(),
                new EvaluationReport(method, "/cohorts/s12-abdomen", Map.of(), List.of(), abdomen, "vessel v1").toJson());
        return file;
    }

    @Test
    void abdominalReportsGetIntervalsAndTheirVesselNetworksArePaired() throws Exception {
        Path single = abdomenReport("single.json", "single U-Net", 0.80, 30);
        Path sum = abdomenReport("sum.json", "SUM", 0.81, 12);
        assertThat(run(single.toString())).as(err.toString()).isZero();
        assertThat(out.toString()).contains("single U-Net on /cohorts/s12-abdomen: 10 abdominal scans; 95% intervals from 2000")
                .doesNotContain("chest")
                .containsPattern("vessel HD95 mm +30\\.00 +\\[30\\.00, 30\\.00\\]")
                .doesNotContain("too few");
        assertThat(run(sum.toString(), single.toString())).as(err.toString()).isZero();
        assertThat(out.toString()).contains("paired over 10 abdominal scans")
                .containsPattern("vessel Dice .* \\+0\\.010 +\\[\\+0\\.010, \\+0\\.010\\] +A better")
                .containsPattern("vessel HD95 mm .* -18\\.00 +\\[-18\\.00, -18\\.00\\] +A better")
                .containsPattern("liver Dice .* not separated")
                .doesNotContain("chest scans (");
    }

    @Test
    void reportsOfDifferentScansAMissingFileAndTooFewResamplesAreRefused() throws Exception {
        Path a = report("a.json", "models", 0.6, 1.2, 12);
        Path b = report("b.json", "hu", 0.3, 2, 11);
        assertThat(run(a.toString(), b.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("the two reports read different chest scans: only in models: scan-0012; only in hu: none");
        assertThat(run(dir.resolve("none.json").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("none.json: no such report");
        Files.writeString(dir.resolve("table.json"), "{\"method\": \"hu\"}");
        assertThat(run(dir.resolve("table.json").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("table.json: not a report of `radstream eval --json`");
        assertThat(run(a.toString(), "--resamples", "20")).isEqualTo(2);
        assertThat(err.toString()).contains("--resamples must be 100 or more");
        assertThat(run(a.toString(), "--json", dir.resolve("x.json").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("--json writes a comparison: it needs B.json");
        assertThat(dir.resolve("x.json")).doesNotExist();
    }
}
