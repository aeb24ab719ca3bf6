package org.radstream.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * The Confluent Schema Registry REST subset over HTTP, for a service started on its own against a
 * registry URL (the embedded registry of {@code ./radstream platform}, or a real Confluent one):
 * register, id lookup, latest, versions, subjects, compatibility; ids are cached both ways, so
 * steady-state serialization makes no HTTP call.
 */
public final class RestSchemaRegistryClient implements SchemaRegistryClient {
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String base;
    /** The Basic authorization of the URL's user information; null when it has none. */
    private final String authorization;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final Map<Integer, Schema> byId = new ConcurrentHashMap<>();
    private final Map<String, Integer> idBySubjectAndSchema = new ConcurrentHashMap<>();

    /**
     * A client of the registry at {@code url}; {@code https://user:password@host:8081} authenticates
     * with HTTP Basic as a registry with basic authentication asks (the user information is sent as
     * the Authorization header, never as part of a URL or a message).
     *
     * @throws IllegalArgumentException when the URL is not one
     */
    public RestSchemaRegistryClient(String url) {
        URI uri = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
        String userInfo = uri.getUserInfo();
        if (userInfo == null) {
            this.base = uri.toString();
            this.authorization = null;
        } else {
            try {
                this.base = new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getPath(), null, null).toString();
            } catch (java.net.URISyntaxException e) {
                throw new IllegalArgumentException("the schema registry URL cannot be read without its user information", e);
            }
            this.authorization = "Basic " + java.util.Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** The registry's URL without user information: what may be printed. */
    public String url() {
        return base;
    }

    @Override
    public int register(String subject, Schema schema) {
        return idBySubjectAndSchema.computeIfAbsent(subject + "\n" + schema, k -> {
            JsonNode r = call("POST", "/subjects/" + enc(subject) + "/versions", Map.of("schema", schema.toString()));
            int id = r.get("id").asInt();
            byId.putIfAbsent(id, schema);
            return id;
        });
    }

    @Override
    public Schema schemaById(int id) {
        return byId.computeIfAbsent(id, i ->
                new Schema.Parser().parse(call("GET", "/schemas/ids/" + i, null).get("schema").asText()));
    }

    @Override
    public Optional<RegisteredSchema> latest(String subject) {
        try {
            JsonNode r = call("GET", "/subjects/" + enc(subject) + "/versions/latest", null);
            return Optional.of(new RegisteredSchema(r.get("subject").asText(), r.get("version").asInt(),
                    r.get("id").asInt(), new Schema.Parser().parse(r.get("schema").asText())));
        } catch (SchemaRegistryException e) {
            if (e.errorCode() == SchemaRegistryException.SUBJECT_NOT_FOUND) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public List<Integer> versions(String subject) {
        List<Integer> out = new ArrayList<>();
        call("GET", "/subjects/" + enc(subject) + "/versions", null).forEach(v -> out.add(v.asInt()));
        return out;
    }

    @Override
    public List<String> subjects() {
        List<String> out = new ArrayList<>();
        call("GET", "/subjects", null).forEach(v -> out.add(v.asText()));
        out.sort(null);
        return out;
    }

    @Override
    public boolean isCompatible(String subject, Schema schema) {
        try {
            return call("POST", "/compatibility/subjects/" + enc(subject) + "/versions/latest",
                    Map.of("schema", schema.toString())).get("is_compatible").asBoolean();
        } catch (SchemaRegistryException e) {
            if (e.errorCode() == SchemaRegistryException.SUBJECT_NOT_FOUND) {
                return true;
            }
            throw e;
        }
    }

    private JsonNode call(String method, String path, Object body) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                    .timeout(Duration.ofSeconds(30))
                    .header("Accept", CONTENT_TYPE);
            if (authorization != null) {
                b.header("Authorization", authorization);
            }
            if (body == null) {
                b.GET();
            } else {
                b.header("Content-Type", CONTENT_TYPE)
                        .method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
            }
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode json = r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body());
            if (r.statusCode() / 100 != 2) {
                int code = json.has("error_code") ? json.get("error_code").asInt() : r.statusCode();
                String message = json.has("message") ? json.get("message").asText() : r.body();
                throw new SchemaRegistryException(r.statusCode(), code, method + " " + base + path + ": " + message);
            }
            return json;
        } catch (IOException e) {
            throw new SchemaRegistryException(503, SchemaRegistryException.UNREACHABLE,
                    "schema registry " + base + " unreachable: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryException(503, SchemaRegistryException.UNREACHABLE,
                    "interrupted while calling the schema registry " + base, e);
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
