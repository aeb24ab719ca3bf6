package org.radstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.imaging.cohort.Cohort;
import org.radstream.imaging.cohort.CohortManifest;
import picocli.CommandLine;

/**
 * {@code radstream demo} end to end, in this JVM, on a small cohort (2 chest patients of 2 scans
 * and 1 abdominal scan at 128², where the shipped models raise the rapid-growth patient's alert; at
 * 64² they raise none): it finishes every scan, shows each stage of each scan exactly once, raises
 * an alert and repeats none, dead-letters nothing, ends with its summary, the withdrawal of the
 * alert's later scan with the alert's retraction, and the timeline address. Beyond the one alert,
 * how many are correct depends on the models, so the summary's own arithmetic is checked.
 */
class DemoIT {
    private static final Pattern ALERTS = Pattern.compile(
            "alerts: (\\d+) raised; (\\d+) correct of (\\d+) expected by the cohort's truth, (\\d+) false, (\\d+) missed, (\\d+) repeated");

    @TempDir
    Path workDir;

    @Test
    void demoRunsEveryScanThroughEveryStageOnce() throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        // DemoCommand keeps the System.out of its construction: swap it before picocli builds the commands
        System.setOut(new PrintStream(new Tee(captured, original), true, StandardCharsets.UTF_8));
        try {
            code = new CommandLine(new Radstream()).execute("demo", "--patients", "2", "--scans", "2", "--abdomen", "1",
                    "--size", "128", "--work-dir", workDir.toString(), "--timeout", "5",
                    "--model-store", repositoryRoot().resolve("models-default").toString());
        } finally {
            System.out.flush();
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        List<String> lines = out.lines().toList();

        assertThat(code).as("demo exit code").isZero();
        assertThat(lines).anyMatch(l -> l.contains("3 patients, 5 scans (4 chest, 1 abdominal): 5 finished"))
                .noneMatch(l -> l.contains("TIMED OUT"))
                .noneMatch(l -> l.contains("DEAD LETTER"))
                .anyMatch(l -> l.contains("next: timeline http://localhost:"));

        Cohort cohort = Cohort.open(workDir.resolve("cohort"));
        assertThat(cohort.scans()).hasSize(5);
        for (CohortManifest.Scan s : cohort.scans()) {
            String id = Pattern.quote(s.scanId());
            assertThat(count(lines, "received  " + id + "  ")).as("received lines of %s", s.scanId()).isEqualTo(1);
            assertThat(count(lines, "windowed  " + id + "  ")).as("windowed lines of %s", s.scanId()).isEqualTo(1);
            boolean chest = "chest".equals(s.kind());
            for (String task : chest ? List.of("lung", "infection") : List.of("liver", "vessel")) {
                assertThat(count(lines, "inferred  " + id + "  " + task + " "))
                        .as("inferred %s lines of %s", task, s.scanId()).isEqualTo(1);
            }
            assertThat(count(lines, "measured  " + id + "  ")).as("measured lines of %s", s.scanId())
                    .isEqualTo(chest ? 1 : 0);
        }

        List<Matcher> summary = lines.stream().map(ALERTS::matcher).filter(Matcher::find).toList();
        assertThat(summary).as("the alerts line of the summary").hasSize(1);
        Matcher m = summary.get(0);
        int raised = Integer.parseInt(m.group(1));
        int correct = Integer.parseInt(m.group(2));
        int expected = Integer.parseInt(m.group(3));
        int wrong = Integer.parseInt(m.group(4));
        int missed = Integer.parseInt(m.group(5));
        int repeated = Integer.parseInt(m.group(6));
        assertThat(repeated).as("repeated alerts").isZero();
        assertThat(raised).as("raised = correct + false").isEqualTo(correct + wrong);
        assertThat(correct + missed).as("correct + missed = expected by the truth").isEqualTo(expected);
        assertThat(expected).as("alert pairs in the cohort's truth").isEqualTo(cohort.manifest().alertPairs().size());
        assertThat(count(lines, "  false alert: ")).isEqualTo(wrong);
        assertThat(count(lines, "  missed: ")).isEqualTo(missed);

        // the rapid-growth patient's alert is raised and reaches the console
        assertThat(raised).as("alerts raised").isPositive();
        assertThat(count(lines, "^PROGRESSION SYNTHETIC\\^CHEST0001 \\(RS7-P0001\\): infected lung ")).isEqualTo(1);
        // the PACS withdraws the later scan of the first alert: its retraction is printed, and no alert stands of it
        assertThat(count(lines, "the PACS withdraws scan-\\d+ \\(\\S+, filed under the wrong worklist entry\\): "
                + "a rejection note naming its \\d+ instances, over C-STORE")).isEqualTo(1);
        assertThat(count(lines, "^RETRACTED \\(disregard the alert raised .*Incorrect Modality Worklist Entry \\(DCM "
                + "113038\\)\\. The alert was: PROGRESSION ")).isEqualTo(1);
        assertThat(count(lines, "the alert is retracted \\(above, as the clinicians got it\\); " + (raised - 1)
                + " alert\\(s\\) stand")).isEqualTo(1);
        assertThat(lines.get(lines.size() - 1)).contains("next: timeline http://localhost:");
    }

    private static long count(List<String> lines, String regex) {
        Pattern p = Pattern.compile(regex);
        return lines.stream().filter(l -> p.matcher(l).find()).count();
    }

    private static Path repositoryRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("models-default")) && Files.isRegularFile(p.resolve("mvnw"))) {
                return p;
            }
        }
        throw new AssertionError("repository root (models-default, mvnw) not found above " + Path.of("").toAbsolutePath());
    }

    /** Writes to both streams: captured for the assertions, and on the console as it happens. */
    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public synchronized void write(int c) throws java.io.IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public synchronized void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }

        @Override
        public synchronized void flush() throws java.io.IOException {
            a.flush();
            b.flush();
        }
    }
}
