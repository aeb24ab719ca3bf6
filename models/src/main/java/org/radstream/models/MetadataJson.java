package org.radstream.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads and writes {@code metadata.json} by hand (tree model) so that the file layout is fixed
 * here, independent of record component names, and a missing field is reported by name.
 */
final class MetadataJson {

    static final int FORMAT = 1;
    private static final ObjectMapper MAPPER =
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private MetadataJson() {}

    static void write(ModelMetadata m, Path file) throws IOException {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("format", FORMAT);
        root.put("task", m.task());
        root.put("version", m.version());
        ObjectNode arch = root.putObject("architecture");
        arch.put("name", m.network().architecture());
        arch.put("inChannels", m.network().inChannels());
        arch.put("outChannels", m.network().outChannels());
        arch.put("levels", m.network().levels());
        arch.put("baseWidth", m.network().baseWidth());
        ObjectNode input = root.putObject("input");
        input.put("height", m.inputHeight());
        input.put("width", m.inputWidth());
        if (m.inputRegion() != null) {
            input.put("region", m.inputRegion());
        }
        ObjectNode window = root.putObject("window");
        window.put("lowHu", m.windowLowHu());
        window.put("highHu", m.windowHighHu());
        ObjectNode metrics = root.putObject("metrics");
        new TreeMap<>(m.metrics()).forEach(metrics::put);
        root.put("created", m.created().toString());
        ObjectNode params = root.putObject("parameters");
        params.put("file", m.parametersFile());
        params.put("sha256", m.sha256());
        MAPPER.writeValue(file.toFile(), root);
    }

    static ModelMetadata read(Path file) throws ModelIntegrityException {
        JsonNode root;
        try {
            root = MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new ModelIntegrityException("unreadable model metadata " + file + ": "
                    + e.getMessage(), e);
        }
        try {
            int format = integer(root, "format");
            if (format != FORMAT) {
                throw new ModelIntegrityException("model metadata " + file + " has format "
                        + format + ", this build reads format " + FORMAT);
            }
            JsonNode arch = node(root, "architecture");
            NetworkSpec network = new NetworkSpec(text(arch, "name"), integer(arch, "inChannels"),
                    integer(arch, "outChannels"), integer(arch, "levels"),
                    integer(arch, "baseWidth"));
            JsonNode input = node(root, "input");
            JsonNode window = node(root, "window");
            Map<String, Double> metrics = new TreeMap<>();
            node(root, "metrics").fields().forEachRemaining(
                    e -> metrics.put(e.getKey(), e.getValue().asDouble()));
            JsonNode params = node(root, "parameters");
            return new ModelMetadata(text(root, "task"), integer(root, "version"), network,
                    integer(input, "height"), integer(input, "width"),
                    number(window, "lowHu"), number(window, "highHu"), metrics,
                    Instant.parse(text(root, "created")), text(params, "file"),
                    text(params, "sha256"), input.has("region") ? text(input, "region") : null);
        } catch (IllegalArgumentException | DateTimeParseException e) {
            throw new ModelIntegrityException("invalid model metadata " + file + ": "
                    + e.getMessage(), e);
        }
    }

    private static JsonNode node(JsonNode parent, String field) {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) {
            throw new IllegalArgumentException("missing field '" + field + "'");
        }
        return n;
    }

    private static String text(JsonNode parent, String field) {
        JsonNode n = node(parent, field);
        if (!n.isTextual()) {
            throw new IllegalArgumentException("field '" + field + "' must be a string");
        }
        return n.asText();
    }

    private static int integer(JsonNode parent, String field) {
        JsonNode n = node(parent, field);
        if (!n.canConvertToInt() || !n.isIntegralNumber()) {
            throw new IllegalArgumentException("field '" + field + "' must be an integer");
        }
        return n.intValue();
    }

    private static double number(JsonNode parent, String field) {
        JsonNode n = node(parent, field);
        if (!n.isNumber()) {
            throw new IllegalArgumentException("field '" + field + "' must be a number");
        }
        return n.doubleValue();
    }
}
