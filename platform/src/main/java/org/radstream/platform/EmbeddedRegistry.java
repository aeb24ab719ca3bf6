package org.radstream.platform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.radstream.schemas.RegisteredSchema;
import org.radstream.schemas.SchemaRegistryException;
import org.radstream.schemas.SchemaStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded schema registry: the subset of the Confluent Schema Registry REST API that
 * radstream and stock Confluent clients use, served over HTTP from one {@link SchemaStore}.
 * Errors carry Confluent's body ({@code {"error_code": 40401, "message": "..."}}) and status;
 * an incompatible schema is HTTP 409 with error code 409.
 *
 * <p>Routes: {@code GET /subjects}, {@code GET /subjects/{s}/versions},
 * {@code POST /subjects/{s}/versions}, {@code GET /subjects/{s}/versions/{v|latest}},
 * {@code POST /subjects/{s}} (lookup), {@code GET /schemas/ids/{id}},
 * {@code POST /compatibility/subjects/{s}/versions/{v|latest}}, {@code GET|PUT /config[/{s}]}.
 */
public final class EmbeddedRegistry implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedRegistry.class);
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SchemaStore store;
    private final HttpServer server;
    private final ExecutorService executor;
    /** The Authorization header every request must carry; null: none asked for. */
    private final byte[] authorization;

    private EmbeddedRegistry(SchemaStore store, HttpServer server, ExecutorService executor, String userInfo) {
        this.store = store;
        this.server = server;
        this.executor = executor;
        this.authorization = userInfo == null ? null : ("Basic " + java.util.Base64.getEncoder().encodeToString(
                userInfo.getBytes(java.nio.charset.StandardCharsets.UTF_8))).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Serves {@code store} on {@code port} of the loopback interface (0: a free port). */
    public static EmbeddedRegistry start(SchemaStore store, int port) throws IOException {
        return start(store, port, null);
    }

    /**
     * The same, answering 401 to every request without HTTP Basic authentication as {@code userInfo}
     * ("user:password"), as a registry with basic authentication does; null: open.
     */
    public static EmbeddedRegistry start(SchemaStore store, int port, String userInfo) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "schema-registry-http");
            t.setDaemon(true);
            return t;
        });
        EmbeddedRegistry registry = new EmbeddedRegistry(store, server, executor, userInfo);
        server.createContext("/", registry::handle);
        server.setExecutor(executor);
        server.start();
        return registry;
    }

    /** The base URL, e.g. {@code http://127.0.0.1:8081}. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The store behind the API, shared by every component of this process. */
    public SchemaStore store() {
        return store;
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String[] path = segments(ex.getRequestURI().getRawPath());
            String method = ex.getRequestMethod();
            String given = ex.getRequestHeaders().getFirst("Authorization");
            if (authorization != null && (given == null || !java.security.MessageDigest.isEqual(authorization,
                    given.getBytes(java.nio.charset.StandardCharsets.UTF_8)))) {
                reply(ex, 401, error(401, "Unauthorized"));
                return;
            }
            Object body;
            try {
                body = route(method, path, ex);
                reply(ex, 200, body);
            } catch (SchemaRegistryException e) {
                reply(ex, e.httpStatus(), error(e.errorCode(), e.getMessage()));
            } catch (SchemaParseException | IllegalArgumentException e) {
                reply(ex, 422, error(SchemaRegistryException.INVALID_SCHEMA, "Invalid schema: " + e.getMessage()));
            } catch (RuntimeException e) {
                log.error("schema registry: {} {} failed", method, ex.getRequestURI(), e);
                reply(ex, 500, error(SchemaRegistryException.INTERNAL, e.toString()));
            }
        }
    }

    private Object route(String method, String[] p, HttpExchange ex) throws IOException {
        int n = p.length;
        if (n == 1 && p[0].equals("subjects") && method.equals("GET")) {
            return store.subjects();
        }
        if (n == 3 && p[0].equals("subjects") && p[2].equals("versions")) {
            if (method.equals("GET")) {
                return store.versions(p[1]);
            }
            if (method.equals("POST")) {
                return Map.of("id", store.register(p[1], schemaOf(ex)));
            }
        }
        if (n == 4 && p[0].equals("subjects") && p[2].equals("versions") && method.equals("GET")) {
            return describe(version(p[1], p[3]));
        }
        if (n == 5 && p[0].equals("subjects") && p[2].equals("versions") && p[4].equals("schema") && method.equals("GET")) {
            return JSON.readTree(version(p[1], p[3]).schema().toString());
        }
        if (n == 2 && p[0].equals("subjects") && method.equals("POST")) {
            Schema schema = schemaOf(ex);
            return describe(store.lookup(p[1], schema).orElseThrow(() -> new SchemaRegistryException(404,
                    SchemaRegistryException.SCHEMA_NOT_FOUND, "Schema not found")));
        }
        if (n == 3 && p[0].equals("schemas") && p[1].equals("ids") && method.equals("GET")) {
            return Map.of("schema", store.schemaById(id(p[2])).toString());
        }
        if (n == 5 && p[0].equals("compatibility") && p[1].equals("subjects") && p[3].equals("versions")
                && method.equals("POST")) {
            if (!p[4].equals("latest")) {
                version(p[2], p[4]);
            }
            return Map.of("is_compatible", store.isCompatible(p[2], schemaOf(ex)));
        }
        if (p.length >= 1 && p[0].equals("config") && n <= 2) {
            if (method.equals("GET")) {
                return Map.of("compatibilityLevel",
                        (n == 1 ? store.globalCompatibility() : store.compatibility(p[1])).name());
            }
            if (method.equals("PUT")) {
                SchemaStore.Compatibility level = level(JSON.readTree(ex.getRequestBody()));
                if (n == 1) {
                    store.setGlobalCompatibility(level);
                } else {
                    store.setCompatibility(p[1], level);
                }
                return Map.of("compatibility", level.name());
            }
        }
        if (n == 0 && method.equals("GET")) {
            return Map.of();
        }
        throw new SchemaRegistryException(404, 404, "HTTP 404 Not Found: " + method + " " + ex.getRequestURI());
    }

    private RegisteredSchema version(String subject, String version) {
        if (version.equals("latest") || version.equals("-1")) {
            return store.latest(subject).orElseThrow(() -> new SchemaRegistryException(404,
                    SchemaRegistryException.SUBJECT_NOT_FOUND, "Subject '" + subject + "' not found."));
        }
        int v;
        try {
            v = Integer.parseInt(version);
        } catch (NumberFormatException e) {
            throw new SchemaRegistryException(422, SchemaRegistryException.INVALID_VERSION,
                    "The specified version '" + version + "' is not a valid version id.");
        }
        return store.version(subject, v);
    }

    private static int id(String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new SchemaRegistryException(404, SchemaRegistryException.SCHEMA_NOT_FOUND, "Schema " + text + " not found");
        }
    }

    private static SchemaStore.Compatibility level(JsonNode body) {
        String name = body.path("compatibility").asText("");
        try {
            return SchemaStore.Compatibility.valueOf(name.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new SchemaRegistryException(422, SchemaRegistryException.INVALID_COMPATIBILITY_LEVEL,
                    "Invalid compatibility level '" + name + "' (this registry knows NONE, BACKWARD, BACKWARD_TRANSITIVE)");
        }
    }

    private static Schema schemaOf(HttpExchange ex) throws IOException {
        JsonNode body = JSON.readTree(ex.getRequestBody());
        String type = body.path("schemaType").asText("AVRO");
        if (!type.equals("AVRO")) {
            throw new SchemaRegistryException(422, SchemaRegistryException.INVALID_SCHEMA,
                    "Only AVRO schemas are supported, not " + type);
        }
        JsonNode schema = body.get("schema");
        if (schema == null || !schema.isTextual()) {
            throw new SchemaRegistryException(422, SchemaRegistryException.INVALID_SCHEMA, "Missing 'schema' string");
        }
        try {
            return new Schema.Parser().parse(schema.asText());
        } catch (RuntimeException e) { // Avro throws NullPointerException for some malformed schemas
            throw new SchemaRegistryException(422, SchemaRegistryException.INVALID_SCHEMA,
                    "Invalid schema: " + e.getMessage(), e);
        }
    }

    private static Map<String, Object> describe(RegisteredSchema r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("subject", r.subject());
        m.put("version", r.version());
        m.put("id", r.id());
        m.put("schema", r.schema().toString());
        return m;
    }

    private static Map<String, Object> error(int code, String message) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("error_code", code);
        m.put("message", message);
        return m;
    }

    private static String[] segments(String rawPath) {
        return java.util.Arrays.stream(rawPath.split("/")).filter(s -> !s.isEmpty())
                .map(s -> URLDecoder.decode(s, StandardCharsets.UTF_8)).toArray(String[]::new);
    }

    private static void reply(HttpExchange ex, int status, Object body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
