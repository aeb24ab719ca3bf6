package org.radstream.platform;

import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5: one embedded {@link Platform} (broker + registry) per test JVM, started on first use,
 * closed when the JVM's test run ends, and injected into test methods or constructors that
 * declare a {@code Platform} parameter. Tests that share it use their own topics' keys or
 * consumer groups; they do not stop it.
 */
public final class PlatformExtension implements ParameterResolver {
    /** The user the shared platform's SASL listener takes ({@link Platform#kafka()}'s saslBootstrap), and its password. */
    public static final String SASL_USER = "radstream-test";
    public static final String SASL_PASSWORD = "radstream-test-password";

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(PlatformExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == Platform.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(Platform.class, k -> new Shared(), Shared.class).platform;
    }

    /** The store closes it at the end of the run. */
    private static final class Shared implements ExtensionContext.Store.CloseableResource {
        final Platform platform;

        Shared() {
            try {
                platform = Platform.start(null, 0, Map.of(SASL_USER, SASL_PASSWORD));
            } catch (IOException e) {
                throw new ParameterResolutionException("could not start the embedded platform: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ParameterResolutionException("interrupted while starting the embedded platform", e);
            }
        }

        @Override
        public void close() throws IOException {
            platform.close();
        }
    }
}
