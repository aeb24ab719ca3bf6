package org.radstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.schemas.ServerTls;
import org.radstream.schemas.TestCertificates;

/** compose/healthcheck, the containers' healthcheck, against a real JDK HTTP server as the services run. */
class HealthcheckScriptTest {

    private record Outcome(int exit, String stderr) {}

    private static Outcome check(int port, String... scheme) throws Exception {
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("bash",
                ComposeFileTest.repositoryRoot().resolve("compose/healthcheck").toString(), String.valueOf(port)));
        cmd.addAll(java.util.List.of(scheme));
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("the healthcheck ends").isTrue();
        return new Outcome(p.exitValue(), stderr);
    }

    private static HttpServer health(int status, String body) throws IOException {
        return health(status, body, null);
    }

    /** A /health answering {@code status} and {@code body}, over HTTPS with {@code tls} (null: plain HTTP). */
    private static HttpServer health(int status, String body, ServerTls tls) throws IOException {
        HttpServer server = ServerTls.http(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0, tls);
        server.createContext("/health", ex -> {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.createContext("/", ex -> {
            ex.sendResponseHeaders(404, -1);
            ex.close();
        });
        server.start();
        return server;
    }

    @Test
    void aServiceAnswering200IsHealthy() throws Exception {
        HttpServer server = health(200, "ok\n");
        try {
            assertThat(check(server.getAddress().getPort())).isEqualTo(new Outcome(0, ""));
        } finally {
            server.stop(0);
        }
    }

    @Test
    void aServiceAnswering503IsUnhealthyAndItsReasonIsPrinted() throws Exception {
        HttpServer server = health(503, "down: inference consumer stopped: poll timeout\n");
        try {
            Outcome o = check(server.getAddress().getPort());
            assertThat(o.exit()).isEqualTo(1);
            assertThat(o.stderr()).contains("503").contains("down: inference consumer stopped: poll timeout");
        } finally {
            server.stop(0);
        }
    }

    @Test
    void overHttpsTheAnswerIsReadWithCurlAndAPlainCheckOfAnHttpsPortFails(@TempDir Path dir) throws Exception {
        ServerTls tls = ServerTls.load(TestCertificates.keyStore(dir, "service", "localhost", "store-password"),
                "store-password", null, null);
        HttpServer up = health(200, "{\"status\":\"UP\"}", tls);
        HttpServer down = health(503, "{\"status\":\"DOWN\",\"reason\":\"Kafka refuses our credentials\"}", tls);
        try {
            assertThat(check(up.getAddress().getPort(), "https")).isEqualTo(new Outcome(0, ""));
            Outcome o = check(down.getAddress().getPort(), "https");
            assertThat(o.exit()).isEqualTo(1);
            assertThat(o.stderr()).isEqualTo("GET /health on port " + down.getAddress().getPort()
                    + ": HTTP 503: {\"status\":\"DOWN\",\"reason\":\"Kafka refuses our credentials\"}\n");
            assertThat(check(up.getAddress().getPort()).exit()).as("plain HTTP to an HTTPS port").isEqualTo(1);
        } finally {
            up.stop(0);
            down.stop(0);
        }
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        Outcome refused = check(closed, "https");
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.stderr()).startsWith("GET https://127.0.0.1:" + closed + "/health failed: curl: (7)");
    }

    @Test
    void aPortNothingListensOnIsUnhealthy() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Outcome o = check(port);
        assertThat(o.exit()).isEqualTo(1);
        assertThat(o.stderr()).contains("nothing answers on port " + port);
    }

    @Test
    void aServiceThatAcceptsButNeverAnswersIsUnhealthy() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread holder = new Thread(() -> {
                try (Socket held = s.accept()) {
                    held.getInputStream().readAllBytes(); // never answers; ends when the healthcheck hangs up
                } catch (IOException ignored) {
                    // the test's socket closed
                }
            });
            holder.start();
            Outcome o = check(s.getLocalPort());
            assertThat(o.exit()).isEqualTo(1);
            assertThat(o.stderr()).contains("gave no answer to GET /health within 5 s");
        }
    }
}
