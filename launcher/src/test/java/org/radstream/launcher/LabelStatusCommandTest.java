package org.radstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code radstream label status} prints what the trainer says of a label and exits with its state;
 * against a stand-in for the trainer's GET /labels (TrainerIT asks a real trainer).
 */
class LabelStatusCommandTest {

    @Test
    void theTrainersSummaryIsPrintedAndTheStateIsTheExitCode() throws Exception {
        List<String> asked = new CopyOnWriteArrayList<>();
        HttpServer trainer = trainer(asked, q -> {
            String state = q.contains("task=lung") ? "accepted" : q.contains("task=liver") ? "refused" : "unknown";
            return q.contains("task=spleen") ? Map.entry(400, "unknown task 'spleen'")
                    : Map.entry(200, "{\"state\":\"" + state + "\",\"summary\":\"it is " + state + "\"}");
        });
        String printed = printed(trainer, url -> {
            assertThat(run("1.2.3", "lung", url)).isZero();
            assertThat(run("1.2.3", "liver", url)).isEqualTo(LabelCommand.Status.EXIT_REFUSED);
            assertThat(run("1.2.3", "vessel", url)).isEqualTo(LabelCommand.Status.EXIT_UNKNOWN);
            assertThat(run("1.2.3", "spleen", url)).isEqualTo(1);
        });
        assertThat(asked.get(0)).isEqualTo("series=1.2.3&task=lung");
        assertThat(printed.lines().toList())
                .containsExactly("1.2.3:lung: it is accepted", "1.2.3:liver: it is refused", "1.2.3:vessel: it is unknown");
    }

    @Test
    void withoutASeriesEveryLabelOfTheTaskIsPrintedAfterTheCounts() throws Exception {
        List<String> asked = new CopyOnWriteArrayList<>();
        HttpServer trainer = trainer(asked, q -> Map.entry(200, ("{\"task\":\"lung\",\"counts\":{\"accepted\":1,\"waiting\":0,\"refused\":1,\"untrained\":1},"
                    + "\"labels\":[{\"series\":\"2.1\",\"state\":\"accepted\",\"summary\":\"accepted (by dr, radiologist)\"},"
                    + "{\"series\":\"9.9\",\"state\":\"refused\",\"summary\":\"the newest label was refused\"}]}")));
        String printed = printed(trainer, url -> {
            assertThat(new CommandLine(new LabelCommand()).execute("status", "--task", "lung", "--trainer-url", url)).isZero();
            assertThat(new CommandLine(new LabelCommand()).execute("status", "--task", "lung", "--state", "untrained",
                    "--trainer-url", url)).isZero();
            assertThat(new CommandLine(new LabelCommand()).execute("status", "--task", "lung", "--series", "2.1",
                    "--state", "refused", "--trainer-url", url)).as("--state is for lists").isEqualTo(2);
        });
        assertThat(asked).containsExactly("task=lung", "task=lung&state=untrained");
        assertThat(printed.lines().limit(3).toList()).containsExactly(
                "lung labels: accepted 1 waiting 0 refused 1 untrained 1",
                "2.1  accepted  accepted (by dr, radiologist)",
                "9.9  refused  the newest label was refused");
    }

    @Test
    void aPageOfLabelsEndsWithTheCommandForTheNext() throws Exception {
        List<String> asked = new CopyOnWriteArrayList<>();
        HttpServer trainer = trainer(asked, q -> Map.entry(200, "{\"task\":\"lung\",\"counts\":{\"accepted\":3,\"waiting\":0,"
                + "\"refused\":0,\"untrained\":0},\"labels\":[" + (q.contains("after=") ? "{\"series\":\"2.3\",\"state\":"
                + "\"accepted\",\"summary\":\"c\"}]}" : "{\"series\":\"2.1\",\"state\":\"accepted\",\"summary\":\"a\"},"
                + "{\"series\":\"2.2\",\"state\":\"accepted\",\"summary\":\"b\"}],\"next\":\"2.2\"}")));
        String printed = printed(trainer, url -> {
            assertThat(new CommandLine(new LabelCommand()).execute("status", "--task", "lung", "--limit", "2",
                    "--trainer-url", url)).isZero();
            assertThat(new CommandLine(new LabelCommand()).execute("status", "--task", "lung", "--limit", "2",
                    "--after", "2.2", "--trainer-url", url)).isZero();
            assertThat(new CommandLine(new LabelCommand()).execute("status", "--task", "lung", "--limit", "0",
                    "--trainer-url", url)).isEqualTo(2);
            assertThat(new CommandLine(new LabelCommand()).execute("status", "--task", "lung", "--series", "2.1",
                    "--after", "2.0", "--trainer-url", url)).as("--after is for lists").isEqualTo(2);
        });
        assertThat(asked).containsExactly("task=lung&limit=2", "task=lung&limit=2&after=2.2");
        assertThat(printed.lines().toList()).containsExactly(
                "lung labels: accepted 3 waiting 0 refused 0 untrained 0",
                "2.1  accepted  a",
                "2.2  accepted  b",
                "more: label status --task lung --limit 2 --after 2.2",
                "lung labels: accepted 3 waiting 0 refused 0 untrained 0",
                "2.3  accepted  c");
    }

    /** Commands run against a trainer's address. */
    private interface Commands {
        void run(String url) throws Exception;
    }

    /** What {@code commands} print on stdout against {@code trainer}, which is stopped afterwards. */
    private static String printed(HttpServer trainer, Commands commands) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            commands.run("http://localhost:" + trainer.getAddress().getPort());
        } finally {
            System.setOut(stdout);
            trainer.stop(0);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** A stand-in for the trainer's GET /labels: records each query and answers what {@code answer} says (status, body). */
    private static HttpServer trainer(List<String> asked, Function<String, Map.Entry<Integer, String>> answer)
            throws Exception {
        HttpServer trainer = HttpServer.create(new InetSocketAddress("localhost", 0), 0);
        trainer.createContext("/labels", ex -> {
            String q = ex.getRequestURI().getRawQuery();
            asked.add(q);
            Map.Entry<Integer, String> a = answer.apply(q);
            byte[] b = a.getValue().getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(a.getKey(), b.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(b);
            }
        });
        trainer.start();
        return trainer;
    }

    private static int run(String series, String task, String url) {
        return new CommandLine(new LabelCommand()).execute("status", "--series", series, "--task", task, "--trainer-url", url);
    }
}
