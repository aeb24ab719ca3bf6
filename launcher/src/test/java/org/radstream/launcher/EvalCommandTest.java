package org.radstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.imaging.cohort.CohortGenerator;
import org.radstream.imaging.cohort.CohortSpec;
import picocli.CommandLine;

/** {@code radstream eval --model}: refused with the reason where it cannot apply, before anything is evaluated. */
class EvalCommandTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void cohort() throws Exception {
        CohortGenerator.generate(new CohortSpec(13, 1, 0, 64, false), dir.resolve("cohort"));
    }

    @Test
    void aModelForAMethodWithoutModelsOrAnEmptyDirectoryIsRefused() {
        assertThat(refusal("--method", "hu", "--model", "infection=" + dir.resolve("store/infection/refused/r0001")))
                .contains("--model applies to --method models or models-no-classifier, not hu");
        assertThat(refusal("--method", "models-no-classifier", "--model", "infection=" + dir.resolve("nothing")))
                .contains("--model: no model artifact at");
        assertThat(refusal("--method", "models-no-classifier", "--model", "kidney=" + dir.resolve("nothing")))
                .contains("--model: unknown task 'kidney'");
    }

    private String refusal(String... options) {
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new EvalCommand()).setErr(new PrintWriter(err));
        String[] args = new String[options.length + 2];
        args[0] = "--cohort";
        args[1] = dir.resolve("cohort").toString();
        System.arraycopy(options, 0, args, 2, options.length);
        assertThat(cli.execute(args)).isEqualTo(2);
        return err.toString();
    }
}
