package org.radstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code radstream label submit --trainer-url} posts the mask file as it is, with the token, and
 * reports the trainer's refusal at once; {@code label withdraw --trainer-url} sends a DELETE; against
 * a stand-in for the trainer's /labels (TrainerIT posts to and deletes from a real trainer).
 */
class LabelSubmitOverHttpTest {
    @TempDir
    Path dir;

    @Test
    void theFileGoesAsItIsWithTheTokenAndARefusalIsReportedWithItsReason() throws Exception {
        byte[] file = {0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 2, 7, 7};
        Path mask = Files.write(dir.resolve("mask.rle"), file);
        List<String> asked = new CopyOnWriteArrayList<>();
        List<byte[]> bodies = new CopyOnWriteArrayList<>();
        HttpServer trainer = HttpServer.create(new InetSocketAddress("localhost", 0), 0);
        trainer.createContext("/labels", ex -> {
            asked.add(ex.getRequestMethod() + " " + ex.getRequestURI().getRawQuery() + " "
                    + ex.getRequestHeaders().getFirst("Authorization"));
            bodies.add(ex.getRequestBody().readAllBytes());
            boolean lung = ex.getRequestURI().getRawQuery().contains("task=lung");
            boolean delete = ex.getRequestMethod().equals("DELETE");
            byte[] b = (delete ? "label 1.2.3:lung withdrawn on radstream.labels.corrected"
                    : lung ? "label 1.2.3:lung submitted to radstream.labels.corrected"
                    : "mask size 4×4×2 does not match series 1.2.3 (4×4×3)").getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(lung ? 202 : 400, b.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(b);
            }
        });
        trainer.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        String url = "http://localhost:" + trainer.getAddress().getPort();
        try {
            assertThat(submit(mask, "lung", url)).isZero();
            assertThat(submit(mask, "liver", url)).isEqualTo(LabelCommand.Status.EXIT_REFUSED);
            assertThat(new CommandLine(new LabelCommand()).execute("withdraw", "--series", "1.2.3", "--task", "lung",
                    "--annotator", "dr b", "--trainer-url", url, "--trainer-token", "a-token-for-this-test")).isZero();
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
            trainer.stop(0);
        }
        assertThat(asked.get(0)).isEqualTo("POST series=1.2.3&task=lung&annotator=dr+a Bearer a-token-for-this-test");
        assertThat(bodies.subList(0, 2)).allSatisfy(b -> assertThat(b).isEqualTo(file));
        assertThat(asked.get(2)).isEqualTo("DELETE series=1.2.3&task=lung&annotator=dr+b Bearer a-token-for-this-test");
        assertThat(out.toString(StandardCharsets.UTF_8).lines().toList()).containsExactly(
                "label 1.2.3:lung submitted to radstream.labels.corrected", "(see: label status --series 1.2.3 --task lung)",
                "label 1.2.3:lung withdrawn on radstream.labels.corrected");
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("the trainer refused the label (400): mask size 4×4×2 "
                + "does not match series 1.2.3 (4×4×3)" + System.lineSeparator());
    }

    private static int submit(Path mask, String task, String url) {
        return new CommandLine(new LabelCommand()).execute("submit", "--series", "1.2.3", "--task", task, "--mask",
                mask.toString(), "--annotator", "dr a", "--trainer-url", url, "--trainer-token", "a-token-for-this-test");
    }
}
