package org.radstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.trainer.QualityGate;
import org.radstream.trainer.TrainingRecipe;
import picocli.CommandLine;

/** {@code radstream trainer} refuses, at its start, a device its runs could not train on and pretraining it cannot do. */
class TrainerCommandTest {
    @TempDir
    Path dir;

    @Test
    void aGpuThatIsNotThereOrAnUnknownDeviceIsRefusedBeforeTheTrainerStarts() {
        // this machine's libtorch is the CPU one (DEPENDENCIES.md): the engine sees no GPU
        assertThat(refusal("--device", "gpu")).contains("device gpu(0) requested but the PyTorch engine sees 0 GPU(s); "
                + "install a CUDA libtorch or use --device cpu");
        assertThat(refusal("--device", "tpu")).contains("device must be 'cpu' or 'gpu:N', got 'tpu'");
        assertThat(dir.resolve("work")).doesNotExist();
    }

    @Test
    void negativePretrainingEpochsOrNoSeriesAreRefusedBeforeTheTrainerStarts() {
        assertThat(refusal("--pretrain-epochs", "-1")).contains("pretraining needs at least one epoch, got -1");
        assertThat(refusal("--pretrain-epochs", "3", "--pretrain-series", "0"))
                .contains("pretraining needs at least one series, got 0");
        assertThat(dir.resolve("work")).doesNotExist();
    }

    @Test
    void anAuditRepositoryItCannotSendToIsRefusedBeforeTheTrainerStarts() {
        assertThat(refusal("--audit-repository", "http://audit.example:514"))
                .contains("the audit repository must be udp://HOST:PORT or tls://HOST:PORT, got 'http://audit.example:514'");
        assertThat(dir.resolve("work")).doesNotExist();
    }

    @Test
    void transferFineTunesThePublishedVersionAtATenthOfTheLearningRateUnlessToldOtherwise() {
        TrainingRecipe defaults = TrainingRecipe.defaults();
        TrainingRecipe fresh = recipe();
        assertThat(fresh.transfer()).isFalse();
        assertThat(fresh.learningRate()).isEqualTo(0.002f);
        assertThat(fresh.epochs()).isEqualTo(6);

        TrainingRecipe fineTuning = recipe("--transfer");
        assertThat(fineTuning.transfer()).isTrue();
        assertThat(fineTuning.freezeStages()).isZero();
        assertThat(fineTuning.learningRate()).isEqualTo(0.0002f);
        assertThat(fineTuning.epochs()).isEqualTo(defaults.epochs());

        TrainingRecipe told = recipe("--transfer", "--freeze", "2", "--lr", "0.001", "--epochs", "3");
        assertThat(told.freezeStages()).isEqualTo(2);
        assertThat(told.learningRate()).isEqualTo(0.001f);
        assertThat(told.epochs()).isEqualTo(3);
    }

    @Test
    void aScheduleTheTrainerCannotRunIsRefusedBeforeItStarts() {
        assertThat(refusal("--epochs", "0")).contains("--epochs must be 1 or more");
        assertThat(refusal("--freeze", "1")).contains("--freeze keeps encoder stages of the published version: it "
                + "needs --transfer");
        assertThat(refusal("--lr", "1.5")).contains("learningRate must lie in (0, 1), got 1.5");
        assertThat(refusal("--transfer", "--freeze", "9")).contains("freezeStages must be 0..6, got 9");
        assertThat(dir.resolve("work")).doesNotExist();
    }

    @Test
    void aFreezeDeeperThanAPublishedNetworkIsRefusedNamingItWhileTheDeepestOnesMayFreezeMore() {
        // the shipped store: infection v9 has 5 levels, the other U-Nets 4; the configured recipe has 4
        Path shipped = repositoryRoot().resolve("models-default");
        assertThat(refusal("--transfer", "--freeze", "5", "--model-store", shipped.toString()))
                .contains("--freeze 5: more encoder stages than published networks in " + shipped + " have (lung v1 has 4, "
                        + "liver v2 has 4, vessel v1 has 4); the trainer fine-tunes every task with the same --freeze");
        assertThat(refusal("--transfer", "--freeze", "6", "--model-store", shipped.toString()))
                .contains("infection v9 has 5");
        // a recipe freezing 5 stages is valid although the configured one has 4 levels
        assertThat(recipe("--transfer", "--freeze", "5").freezeStages()).isEqualTo(5);
    }

    private static Path repositoryRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (java.nio.file.Files.isDirectory(p.resolve("models-default")) && java.nio.file.Files.isRegularFile(p.resolve("mvnw"))) {
                return p;
            }
        }
        throw new IllegalStateException("no repository root above " + Path.of("").toAbsolutePath());
    }

    @Test
    void theGateRuleIsTheMarginUnlessTheSiteAsksForNonInferiority() {
        TrainerCommand command = new TrainerCommand();
        new CommandLine(command).parseArgs();
        assertThat(command.gateRule).isEqualTo(QualityGate.Rule.MARGIN);
        new CommandLine(command).parseArgs("--gate-rule", "NON_INFERIORITY");
        assertThat(command.gateRule).isEqualTo(QualityGate.Rule.NON_INFERIORITY);
        assertThat(refusal("--gate-rule", "STRICT")).contains("--gate-rule").contains("MARGIN, NON_INFERIORITY");
        assertThat(dir.resolve("work")).doesNotExist();
    }

    private TrainingRecipe recipe(String... options) {
        TrainerCommand command = new TrainerCommand();
        new CommandLine(command).parseArgs(options);
        return command.recipe(TrainingRecipe.defaults());
    }

    private String refusal(String... options) {
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new TrainerCommand()).setErr(new PrintWriter(err));
        String[] args = new String[options.length + 8];
        System.arraycopy(new String[] {"--bootstrap", "localhost:1", "--registry", "http://localhost:1",
            "--work-dir", dir.resolve("work").toString(), "--deid-secret", "a-test-secret-of-20-chars"}, 0, args, 0, 8);
        System.arraycopy(options, 0, args, 8, options.length);
        assertThat(cli.execute(args)).isEqualTo(2);
        return err.toString();
    }
}
