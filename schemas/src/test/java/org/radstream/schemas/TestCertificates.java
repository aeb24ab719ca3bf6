package org.radstream.schemas;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Keys and self-signed certificates for TLS tests, made by the JDK's keytool (no openssl needed),
 * as PKCS12 stores for Java and as PEM files for dcmtk.
 */
public final class TestCertificates {
    private TestCertificates() {}

    /**
     * A PKCS12 store {@code dir/name.p12} (store and key password {@code password}) of a new RSA key
     * and its self-signed certificate for {@code CN=cn}, valid for localhost and 127.0.0.1.
     *
     * @param start keytool's {@code -startdate}, e.g. {@code -10d}; null: now
     */
    public static Path keyStore(Path dir, String name, String cn, String password, String start, int validityDays)
            throws IOException, InterruptedException {
        Path store = dir.resolve(name + ".p12");
        List<String> cmd = new ArrayList<>(List.of("-genkeypair", "-alias", name, "-keyalg", "RSA", "-keysize", "2048",
                "-dname", "CN=" + cn, "-ext", "SAN=DNS:localhost,IP:127.0.0.1", "-validity", Integer.toString(validityDays),
                "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", password, "-keypass", password));
        if (start != null) {
            cmd.addAll(List.of("-startdate", start));
        }
        keytool(cmd);
        return store;
    }

    /** A key store valid for two days from now. */
    public static Path keyStore(Path dir, String name, String cn, String password) throws IOException, InterruptedException {
        return keyStore(dir, name, cn, password, null, 2);
    }

    /** A PKCS12 trust store {@code dir/name.p12} holding the certificates of {@code keyStores} (all with {@code password}). */
    public static Path trustStore(Path dir, String name, String password, Path... keyStores)
            throws IOException, GeneralSecurityException {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        for (Path k : keyStores) {
            KeyStore keys = KeyStore.getInstance(k.toFile(), password.toCharArray());
            String alias = keys.aliases().nextElement();
            trust.setCertificateEntry(alias, keys.getCertificate(alias));
        }
        Path file = dir.resolve(name + ".p12");
        try (OutputStream out = Files.newOutputStream(file)) {
            trust.store(out, password.toCharArray());
        }
        return file;
    }

    /** The certificate of {@code keyStore}, PEM-encoded, in {@code file}. */
    public static Path certificatePem(Path keyStore, String password, Path file) throws IOException, GeneralSecurityException {
        KeyStore keys = KeyStore.getInstance(keyStore.toFile(), password.toCharArray());
        Certificate certificate = keys.getCertificate(keys.aliases().nextElement());
        return Files.writeString(file, pem("CERTIFICATE", certificate.getEncoded()));
    }

    /** The private key of {@code keyStore}, unencrypted PKCS#8 PEM, in {@code file}. */
    public static Path privateKeyPem(Path keyStore, String password, Path file) throws IOException, GeneralSecurityException {
        KeyStore keys = KeyStore.getInstance(keyStore.toFile(), password.toCharArray());
        byte[] der = keys.getKey(keys.aliases().nextElement(), password.toCharArray()).getEncoded();
        return Files.writeString(file, pem("PRIVATE KEY", der));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static void keytool(List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("keytool " + args + " failed: " + out);
        }
    }
}
