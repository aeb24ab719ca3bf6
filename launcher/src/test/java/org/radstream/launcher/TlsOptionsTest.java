package org.radstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radstream.schemas.TestCertificates;

/**
 * An ingest given a DICOM TLS port it cannot serve, or an export given TLS settings it cannot use,
 * stops at once with the reason (exit 2), before it connects.
 */
class TlsOptionsTest {
    private static final String PASSWORD = "right-password-1";
    @TempDir
    Path dir;

    private static String[] ingest(String... args) {
        return run(List.of("ingest", "--bootstrap", "127.0.0.1:1", "--registry", "http://127.0.0.1:1"), args);
    }

    @Test
    void aTlsPortWithoutAUsableKeyStoreIsAUsageErrorThatNeverShowsThePassword() throws Exception {
        Path keys = TestCertificates.keyStore(dir, "ingest", "localhost", PASSWORD);
        Path trust = TestCertificates.trustStore(dir, "modalities", PASSWORD, keys);

        String[] noKey = ingest("--tls-port", "0");
        assertThat(noKey[0]).isEqualTo("2");
        assertThat(noKey[1]).contains("the DICOM TLS port needs a key store (--tls-key-store)");

        String[] trustOnly = ingest("--tls-port", "0", "--tls-trust-store", trust.toString());
        assertThat(trustOnly[0]).isEqualTo("2");
        assertThat(trustOnly[1]).contains("--tls-trust-store (RADSTREAM_TLS_TRUST_STORE) needs --tls-key-store");

        String[] wrong = ingest("--tls-port", "0", "--tls-key-store", keys.toString(), "--tls-key-store-password",
                "wrong-password-9");
        assertThat(wrong[0]).isEqualTo("2");
        assertThat(wrong[1]).contains("TLS key store " + keys + " cannot be read with the password given")
                .doesNotContain("wrong-password-9");

        String[] samePort = ingest("--port", "11112", "--tls-port", "11112", "--tls-key-store", keys.toString(),
                "--tls-key-store-password", PASSWORD);
        assertThat(samePort[0]).isEqualTo("2");
        assertThat(samePort[1]).contains("the DICOM TLS port must differ from the DICOM port, both are 11112")
                .doesNotContain(PASSWORD);
    }

    @Test
    void anExportGivenStoresWithoutPacsTlsOrAStoreItCannotReadIsAUsageError() throws Exception {
        Path keys = TestCertificates.keyStore(dir, "pacs", "pacs.test", PASSWORD);
        Path trust = TestCertificates.trustStore(dir, "pacs-trust", PASSWORD, keys);
        List<String> export = List.of("export", "--bootstrap", "127.0.0.1:1", "--registry", "http://127.0.0.1:1", "--pacs",
                "pacs.test:2762");

        String[] noTls = run(export, "--pacs-trust-store", trust.toString());
        assertThat(noTls[0]).isEqualTo("2");
        assertThat(noTls[1]).contains("--pacs-trust-store and --pacs-key-store are for a TLS connection: add --pacs-tls");

        String[] wrong = run(export, "--pacs-tls", "--pacs-trust-store", trust.toString(), "--pacs-trust-store-password",
                "wrong-password-9");
        assertThat(wrong[0]).isEqualTo("2");
        assertThat(wrong[1]).contains("TLS trust store " + trust + " cannot be read with the password given")
                .doesNotContain("wrong-password-9");

        String[] noKey = run(export, "--pacs-tls", "--pacs-key-store", trust.toString(), "--pacs-key-store-password",
                PASSWORD);
        assertThat(noKey[0]).isEqualTo("2");
        assertThat(noKey[1]).contains("TLS key store " + trust + " holds no private key");
    }

    @Test
    void httpsWithoutAKeyStoreOrAKeyStoreNothingUsesIsAUsageError() throws Exception {
        Path keys = TestCertificates.keyStore(dir, "service", "localhost", PASSWORD);
        Path trust = TestCertificates.trustStore(dir, "peers", PASSWORD, keys);
        List<String> cluster = List.of("--bootstrap", "127.0.0.1:1", "--registry", "http://127.0.0.1:1");

        String[] ingestUnused = ingest("--tls-key-store", keys.toString(), "--tls-key-store-password", PASSWORD);
        assertThat(ingestUnused[0]).isEqualTo("2");
        assertThat(ingestUnused[1]).contains("--tls-key-store (RADSTREAM_TLS_KEY_STORE) is given but nothing uses it: "
                + "add --tls-port (DICOM TLS) or --http-tls (HTTPS)");
        String[] ingestNoKey = ingest("--http-tls");
        assertThat(ingestNoKey[0]).isEqualTo("2");
        assertThat(ingestNoKey[1]).contains("HTTPS needs a key store (--tls-key-store)");

        for (String service : List.of("streams", "trainer")) {
            List<String> command = new ArrayList<>(List.of(service));
            command.addAll(cluster);
            if (service.equals("trainer")) {
                command.addAll(List.of("--work-dir", dir.resolve("work").toString(), "--deid-secret", "0123456789abcdef-secret"));
            }
            String[] unused = run(command, "--tls-key-store", keys.toString(), "--tls-key-store-password", PASSWORD);
            assertThat(unused[0]).as(service + ": " + unused[1]).isEqualTo("2");
            assertThat(unused[1]).contains("--tls-key-store (RADSTREAM_TLS_KEY_STORE) is for HTTPS here: add --http-tls");
            String[] noKey = run(command, "--http-tls");
            assertThat(noKey[0]).as(service).isEqualTo("2");
            assertThat(noKey[1]).contains("--http-tls needs --tls-key-store (RADSTREAM_TLS_KEY_STORE)");
            String[] wrong = run(command, "--http-tls", "--tls-key-store", keys.toString(), "--tls-key-store-password",
                    "wrong-password-9");
            assertThat(wrong[0]).as(service).isEqualTo("2");
            assertThat(wrong[1]).contains("cannot be read with the password given").doesNotContain("wrong-password-9");
        }
        List<String> trainer = new ArrayList<>(List.of("trainer"));
        trainer.addAll(cluster);
        trainer.addAll(List.of("--work-dir", dir.resolve("work").toString(), "--deid-secret", "0123456789abcdef-secret"));
        String[] trainerTrust = run(trainer, "--http-tls", "--tls-key-store", keys.toString(), "--tls-key-store-password",
                PASSWORD, "--tls-trust-store", trust.toString());
        assertThat(trainerTrust[0]).isEqualTo("2");
        assertThat(trainerTrust[1]).contains("--tls-trust-store (RADSTREAM_TLS_TRUST_STORE) has no use here");
    }

    private static String[] run(List<String> command, String... args) {
        Cli.Result r = Cli.run(command, args);
        return new String[] {Integer.toString(r.exitCode()), r.stderr()};
    }
}
