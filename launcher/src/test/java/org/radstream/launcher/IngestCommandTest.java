package org.radstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** An ingest given settings it cannot use stops at once with the reason (exit 2), before it listens or connects. */
class IngestCommandTest {
    private static String[] ingest(String... args) {
        Cli.Result r = Cli.run(List.of("ingest", "--bootstrap", "127.0.0.1:1", "--registry", "http://127.0.0.1:1"), args);
        return new String[] {Integer.toString(r.exitCode()), r.stderr()};
    }

    @Test
    void anAuditRepositoryThatIsNotUdpOrTlsHostPortOrAnUnknownHostIsAUsageError() {
        for (String bad : List.of("tcp://audit:514", "audit.hospital.org:514", "udp://audit.hospital.org")) {
            String[] out = ingest("--audit-repository", bad);
            assertThat(out[0]).as(bad + ": " + out[1]).isEqualTo("2");
            assertThat(out[1]).contains("the audit repository must be udp://HOST:PORT or tls://HOST:PORT, got '" + bad + "'");
        }
        String[] unknown = ingest("--audit-repository", "udp://no-such-host.invalid:514");
        assertThat(unknown[0]).isEqualTo("2");
        assertThat(unknown[1]).contains("the audit repository's host no-such-host.invalid is unknown");
    }

    @Test
    void associationLimitsAndTheStowBodyLimitOutOfRangeAreUsageErrors() {
        String[] none = ingest("--max-associations", "0");
        assertThat(none[0]).isEqualTo("2");
        assertThat(none[1]).contains("maxAssociations must be 1-10000, got 0");
        String[] timeout = ingest("--request-timeout", "0");
        assertThat(timeout[0]).isEqualTo("2");
        assertThat(timeout[1]).contains("requestTimeout must be positive");
        String[] body = ingest("--stow-max-mib", "0");
        assertThat(body[0]).isEqualTo("2");
        assertThat(body[1]).contains("stowMaxBytes must be 1 MiB-2 GiB, got 0");
    }
}
