package org.radstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code radstream train} refuses bad options before it trains or writes anything, and maps a cancel to its exit codes. */
class TrainCommandTest {
    @TempDir
    Path dir;

    @Test
    void anUnknownArchitectureIsRefusedWithTheNamesItTakes() {
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new TrainCommand()).setErr(new PrintWriter(err));
        int code = cli.execute("--task", "vessel", "--cohort", dir.resolve("cohort").toString(),
                "--store", dir.resolve("store").toString(), "--architecture", "vgg");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--architecture must be unet, unet-gn, se-unet, res-unet or unet-2w, got 'vgg'");
        assertThat(dir.resolve("store")).doesNotExist();
    }

    @Test
    void aSumWarmUpThatLeavesNoUpdatingEpochIsRefused() {
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new TrainCommand()).setErr(new PrintWriter(err));
        int code = cli.execute("--task", "vessel", "--cohort", dir.resolve("cohort").toString(),
                "--store", dir.resolve("store").toString(), "--epochs", "12", "--sum-warmup-epochs", "12");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--sum-warmup-epochs must be 0 (half of the epochs) or fewer than --epochs (12)")
                .contains("got 12");
        assertThat(dir.resolve("store")).doesNotExist();
    }

    @Test
    void aFreezeDeeperThanTheNetworkIsRefused() {
        assertThat(refusal("--task", "infection", "--transfer", "--freeze", "5"))
                .contains("--freeze must be 0..4 (the encoder stages of the 4-level network --levels trains), got 5");
        assertThat(refusal("--task", "infection", "--transfer", "--levels", "5", "--freeze", "6")).contains("got 6");
        assertThat(dir.resolve("store")).doesNotExist();
    }

    @Test
    void sumTargetsAreRefusedOutsideVesselSumAndNamedWhenUnknown() {
        assertThat(refusal("--task", "liver", "--sum-targets", "MAJORITY"))
                .contains("--sum-targets only applies to --task vessel --vessel-method SUM");
        assertThat(refusal("--task", "vessel", "--vessel-method", "SINGLE", "--sum-targets", "MAJORITY"))
                .contains("--sum-targets only applies to --task vessel --vessel-method SUM");
        assertThat(refusal("--task", "vessel", "--sum-targets", "HALF")).contains("SOFT, MAJORITY");
        assertThat(dir.resolve("store")).doesNotExist();
    }

    @Test
    void aSumNetworkToPublishIsRefusedOutsideVesselSumAndNamedWhenUnknown() {
        assertThat(refusal("--task", "liver", "--sum-publish", "SE_UNET"))
                .contains("--sum-publish only applies to --task vessel --vessel-method SUM");
        assertThat(refusal("--task", "vessel", "--vessel-method", "SINGLE", "--sum-publish", "RES_UNET"))
                .contains("--sum-publish only applies to --task vessel --vessel-method SUM");
        assertThat(refusal("--task", "vessel", "--sum-publish", "BOTH")).contains("BETTER, SE_UNET, RES_UNET");
        assertThat(dir.resolve("store")).doesNotExist();
    }

    @Test
    void pretrainingIsRefusedForNetworksThatDoNotReadWholeSlicesAndWithoutEpochs() {
        assertThat(refusal("--task", "vessel", "--pretrain-epochs", "3"))
                .contains("--pretrain-epochs applies to the U-Nets that read whole slices (lung, infection, liver), not to vessel");
        assertThat(refusal("--task", "infection-classifier", "--pretrain-epochs", "3"))
                .contains("not to infection-classifier");
        assertThat(refusal("--task", "lung", "--pretrain-cohort", dir.resolve("c").toString()))
                .contains("--pretrain-cohort goes with --pretrain-epochs");
        assertThat(refusal("--task", "lung", "--pretrain-epochs", "-1")).contains("--pretrain-epochs must be 0 or more, got -1");
        assertThat(dir.resolve("store")).doesNotExist();
    }

    @Test
    void theFocalLossIsRefusedWhereThereIsNoSingleUNetToLearnWithItAndOutsideItsRange() {
        assertThat(refusal("--task", "infection-classifier", "--focal-gamma", "2"))
                .contains("--focal-gamma applies to the single U-Nets");
        assertThat(refusal("--task", "vessel", "--focal-gamma", "2"))
                .contains("--focal-gamma applies to the single U-Nets").contains("--sum-focal-gamma");
        assertThat(refusal("--task", "infection", "--focal-gamma", "7")).contains("--focal-gamma must lie in [0, 5], got 7");
        assertThat(dir.resolve("store")).doesNotExist();
    }

    @Test
    void theDenseWeightIsRefusedOutsideTheLungWindowNetworksAndOutsideItsRange() {
        assertThat(refusal("--task", "liver", "--dense-weight", "3")).contains("--dense-weight applies to the lung-window "
                + "networks").contains("not to liver");
        assertThat(refusal("--task", "vessel", "--dense-weight", "3")).contains("--dense-weight applies");
        assertThat(refusal("--task", "infection", "--dense-weight", "0.5")).contains("--dense-weight must lie in [1, 20], got 0.5");
        assertThat(refusal("--task", "liver", "--dense-term", "1")).contains("--dense-term applies to the lung-window "
                + "networks").contains("not to liver");
        assertThat(refusal("--task", "infection-classifier", "--dense-term", "1")).contains("--dense-term applies");
        assertThat(refusal("--task", "lung", "--dense-term", "11")).contains("--dense-term must lie in [0, 10], got 11");
        assertThat(refusal("--task", "infection", "--dense-band", "8")).contains("--dense-band shapes the --dense-term");
        assertThat(refusal("--task", "infection", "--dense-term", "1", "--dense-band", "40"))
                .contains("--dense-band must lie in [0, 32], got 40");
        assertThat(dir.resolve("store")).doesNotExist();
    }

    @Test
    void sumStartingNetworksComeInPairsOnlyForVesselSumAndWithoutAWarmUp() {
        String se = dir.resolve("se").toString();
        String res = dir.resolve("res").toString();
        assertThat(refusal("--task", "vessel", "--sum-start-se-unet", se))
                .contains("give both --sum-start-se-unet and --sum-start-res-unet");
        assertThat(refusal("--task", "liver", "--sum-start-se-unet", se, "--sum-start-res-unet", res))
                .contains("only apply to --task vessel --vessel-method SUM");
        assertThat(refusal("--task", "vessel", "--vessel-method", "SINGLE", "--sum-start-se-unet", se,
                "--sum-start-res-unet", res)).contains("only apply to --task vessel --vessel-method SUM");
        assertThat(refusal("--task", "vessel", "--sum-warmup-epochs", "2", "--sum-start-se-unet", se,
                "--sum-start-res-unet", res)).contains("SUM has no warm-up");
        assertThat(dir.resolve("store")).doesNotExist();
    }

    @Test
    void optionsOfARunFromACohortAreRefusedForARunningTrainerAndTheOtherWayRound() {
        // before any request: the trainer at this address does not exist, so one would fail with exit 1
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new TrainCommand()).setErr(new PrintWriter(err));
        assertThat(cli.execute("--task", "infection", "--trainer-url", "http://localhost:1", "--transfer", "--epochs", "3"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("--transfer, --epochs go with --cohort: a running trainer trains as it "
                + "was started (`trainer --transfer`, `--freeze`, `--epochs`, `--lr`, `--gate-margin`, `--device`)");
        assertThat(refusal("--task", "infection", "--detach")).contains("--detach goes with a running trainer, not with "
                + "--cohort");
        assertThat(dir.resolve("store")).doesNotExist();
    }

    @Test
    void keepingTheReadingIsRefusedWhereNoPublishedNetworkIsFineTuned() {
        String needs = "--keep-reading keeps the reading of the network a run fine-tunes: it needs --transfer and "
                + "epochs to train, and applies to neither the classifier nor vessel SUM";
        assertThat(refusal("--task", "infection", "--keep-reading")).contains(needs);
        assertThat(refusal("--task", "infection", "--keep-reading", "--transfer", "--epochs", "0")).contains(needs);
        assertThat(refusal("--task", "infection-classifier", "--keep-reading", "--transfer")).contains(needs);
        assertThat(refusal("--task", "vessel", "--keep-reading", "--transfer")).contains(needs);
        assertThat(dir.resolve("store")).doesNotExist();
    }

    @Test
    void zeroEpochsAreRefusedWithoutTransferAndWhereThereAreNoWeightsToReRead() {
        assertThat(refusal("--task", "infection", "--epochs", "0"))
                .contains("--epochs 0 re-reads the published weights of a segmentation network: it needs --transfer");
        assertThat(refusal("--task", "infection-classifier", "--epochs", "0", "--transfer"))
                .contains("neither the classifier");
        assertThat(refusal("--task", "vessel", "--epochs", "0", "--transfer")).contains("nor vessel SUM");
        assertThat(refusal("--task", "lung", "--epochs", "-1")).contains("--epochs must be 0 or more, got -1");
        assertThat(dir.resolve("store")).doesNotExist();
    }

    @Test
    void aSliceCountThatIsEvenOrAboveSevenIsRefused() {
        for (String slices : new String[] {"0", "4", "9"}) {
            assertThat(refusal("--task", "infection", "--slices", slices))
                    .contains("--slices must be 1 (2D) or 3, 5 or 7 (2.5D: the segmented slice in the middle), got " + slices);
        }
        assertThat(dir.resolve("store")).doesNotExist();
    }

    @Test
    void aNegativeCountOfRefusedChallengersToKeepIsRefused() {
        assertThat(refusal("--task", "lung", "--keep-refused", "-1")).contains("--keep-refused must be >= 0, got -1");
        assertThat(dir.resolve("store")).doesNotExist();
    }

    @Test
    void anUnknownTaskIsRefusedWithTheTasksThereAre() {
        assertThat(refusal("--task", "spleen"))
                .contains("--task: unknown task 'spleen' (known: [lung, infection, liver, vessel, infection-classifier])");
        assertThat(dir.resolve("store")).doesNotExist();
    }

    @Test
    void askingATrainerThatIsNotThereFailsWithWhereItWasAsked() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream before = System.err;
        System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
        int code;
        try {
            code = new CommandLine(new TrainCommand()).execute("--task", "lung", "--trainer-url", "http://localhost:" + port);
        } finally {
            System.setErr(before);
        }
        assertThat(code).isEqualTo(TrainCommand.EXIT_FAILED);
        assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo("no trainer answers at http://localhost:" + port + " (ConnectException)" + System.lineSeparator());
    }

    @Test
    void cancelIsForARunningTrainersRunsAndItsOperatorAndReasonGoWithIt() {
        assertThat(refusal("--task", "lung", "--cancel")).contains("--cancel applies to a running trainer's runs, "
                + "not to --cohort");
        StringWriter err = new StringWriter();
        assertThat(new CommandLine(new TrainCommand()).setErr(new PrintWriter(err))
                .execute("--task", "lung", "--reason", "the node is needed")).isEqualTo(2);
        assertThat(err.toString()).contains("--operator and --reason go with --cancel");
    }

    @Test
    void cancelExitsFourOnceTheTrainerRecordsTheRunCancelledAndOneWhenThereIsNothingToCancel() throws Exception {
        // a stand-in for the trainer's two endpoints (TrainerIT cancels a real run through them)
        java.util.List<String> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
        String started = "2026-12-06T08:00:00Z";
        com.sun.net.httpserver.HttpServer trainer = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("localhost", 0), 0);
        trainer.createContext("/runs/cancel", ex -> {
            asked.add(ex.getRequestURI().getRawQuery());
            boolean lung = ex.getRequestURI().getRawQuery().startsWith("task=lung");
            answer(ex, lung ? 202 : 409, lung ? "cancelling the lung run started at " + started
                    + ": it stops within a training step" : "no liver run is in progress or waiting");
        });
        trainer.createContext("/runs", ex -> answer(ex, 200, "[{\"task\":\"lung\",\"started_at\":\"" + started
                + "\",\"result\":\"cancelled\",\"cancelled\":\"cancelled by ops-a: the node is needed\"}]"));
        trainer.start();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.PrintStream stdout = System.out;
        System.setOut(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            String url = "http://localhost:" + trainer.getAddress().getPort();
            assertThat(new CommandLine(new TrainCommand()).execute("--task", "lung", "--cancel", "--operator", "ops-a",
                    "--reason", "the node is needed", "--trainer-url", url)).isEqualTo(TrainCommand.EXIT_CANCELLED);
            assertThat(new CommandLine(new TrainCommand()).execute("--task", "liver", "--cancel", "--trainer-url", url))
                    .isEqualTo(TrainCommand.EXIT_FAILED);
        } finally {
            System.setOut(stdout);
            trainer.stop(0);
        }
        assertThat(asked.get(0)).isEqualTo("task=lung&operator=ops-a&reason=the+node+is+needed");
        assertThat(out.toString(java.nio.charset.StandardCharsets.UTF_8)).contains(
                "lung run cancelled by ops-a: the node is needed; its labels stay untrained");
    }

    private static void answer(com.sun.net.httpserver.HttpExchange ex, int status, String body) throws java.io.IOException {
        byte[] b = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, b.length);
        try (java.io.OutputStream o = ex.getResponseBody()) {
            o.write(b);
        }
    }

    private String refusal(String... options) {
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new TrainCommand()).setErr(new PrintWriter(err));
        String[] args = new String[options.length + 4];
        args[0] = "--cohort";
        args[1] = dir.resolve("cohort").toString();
        args[2] = "--store";
        args[3] = dir.resolve("store").toString();
        System.arraycopy(options, 0, args, 4, options.length);
        assertThat(cli.execute(args)).isEqualTo(2);
        return err.toString();
    }
}
