package org.radstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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
