package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** What following a run does when the trainer is not there; TrainerIT follows real runs. */
class RunFollowerTest {

    @Test
    void anUnreachableTrainerIsReportedOnceAndGivenUpAfterTheLimit() throws Exception {
        URI nobody = URI.create("http://localhost:" + freePort());
        List<String> lines = new CopyOnWriteArrayList<>();
        RunFollower follower = new RunFollower(HttpClient.newHttpClient(), nobody, Duration.ofMillis(20),
                Duration.ofMillis(300), lines::add);

        assertThatThrownBy(() -> follower.request("lung")).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> follower.follow("lung", Instant.now()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("has not answered for PT0.3S")
                .hasMessageContaining("the lung run may still go on there");
        assertThat(lines).singleElement().asString()
                .startsWith("the trainer does not answer (").endsWith("trying again for up to PT0.3S");
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
