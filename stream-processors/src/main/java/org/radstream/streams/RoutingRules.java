package org.radstream.streams;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.PatternSyntaxException;

/**
 * Where a series goes: the first rule that matches decides; when none matches, the series goes
 * to {@code defaultTaskGroup} if one is configured, and otherwise it is reported as unmatched
 * (never dropped silently).
 *
 * <p>Compact form (for an environment variable or a command-line option), rules separated by
 * {@code ;} or new lines, conditions by {@code ,}, the target after {@code ->}:
 * <pre>
 * modality~CT,bodyPart~CHEST|LUNG->chest; modality~CT,description~.*LIVER.*->liver; default->none
 * </pre>
 * Condition names are {@code modality}, {@code bodyPart} and {@code description}; each value is
 * a Java regular expression matched against the whole (trimmed) header value, case-insensitively.
 * A comma inside a pattern is fine unless it is followed by a condition name and {@code ~}; a
 * semicolon cannot appear in a pattern. {@code default->chest} sets the default;
 * {@code default->none} (or no default entry) reports unmatched series.
 *
 * @param rules            ordered rules, first match wins
 * @param defaultTaskGroup task group for series no rule matches, or empty to report them
 */
public record RoutingRules(List<RoutingRule> rules, Optional<String> defaultTaskGroup) {
    /**
     * DESIGN.md routing: CT with BodyPartExamined CHEST/LUNG/THORAX to chest, ABDOMEN/LIVER to
     * liver; when the body part is missing or unusual, the series description decides; the rest
     * is reported.
     */
    public static final RoutingRules DEFAULT = parse(String.join(";",
            "modality~CT,bodyPart~CHEST|LUNGS?|THORAX->chest",
            "modality~CT,bodyPart~ABDOMEN|ABD|LIVER|ABDOMENPELVIS->liver",
            "modality~CT,description~.*\\b(CHEST|LUNGS?|THORAX|COVID(-19)?)\\b.*->chest",
            "modality~CT,description~.*\\b(ABDOMEN|ABD|LIVER|HEPATIC)\\b.*->liver",
            "default->none"));

    public RoutingRules {
        rules = List.copyOf(rules);
        Objects.requireNonNull(defaultTaskGroup, "defaultTaskGroup");
        defaultTaskGroup.ifPresent(TaskGroups::require);
        if (rules.isEmpty() && defaultTaskGroup.isEmpty()) {
            throw new IllegalArgumentException("routing needs at least one rule or a default task group");
        }
    }

    /** The task group for a series' header values, or empty when it must be reported as unmatched. */
    public Optional<String> route(String modality, String bodyPart, String seriesDescription) {
        for (RoutingRule r : rules) {
            if (r.matches(modality, bodyPart, seriesDescription)) {
                return Optional.of(r.taskGroup());
            }
        }
        return defaultTaskGroup;
    }

    /** Reads the compact form described in the class comment. */
    public static RoutingRules parse(String text) {
        Objects.requireNonNull(text, "routing rules text");
        List<RoutingRule> rules = new ArrayList<>();
        Optional<String> fallback = Optional.empty();
        for (String raw : text.split("[;\\n]")) {
            String entry = raw.trim();
            if (entry.isEmpty()) {
                continue;
            }
            int arrow = entry.lastIndexOf("->");
            if (arrow < 0) {
                throw new IllegalArgumentException("routing rule '" + entry + "' has no '->taskGroup'");
            }
            String conditions = entry.substring(0, arrow).trim();
            String target = entry.substring(arrow + 2).trim().toLowerCase(java.util.Locale.ROOT);
            if (conditions.equalsIgnoreCase("default")) {
                fallback = target.equals("none") ? Optional.empty() : Optional.of(TaskGroups.require(target));
                continue;
            }
            String modality = null;
            String bodyPart = null;
            String description = null;
            for (String c : conditions.split(",(?=\\s*(?i:modality|bodyPart|description)\\s*~)")) {
                int tilde = c.indexOf('~');
                if (tilde < 0) {
                    throw new IllegalArgumentException("condition '" + c.trim() + "' in routing rule '" + entry
                            + "' is not name~pattern");
                }
                String name = c.substring(0, tilde).trim();
                String pattern = c.substring(tilde + 1).trim();
                switch (name.toLowerCase(java.util.Locale.ROOT)) {
                    case "modality" -> modality = pattern;
                    case "bodypart" -> bodyPart = pattern;
                    case "description" -> description = pattern;
                    default -> throw new IllegalArgumentException("unknown condition '" + name + "' in routing rule '"
                            + entry + "' (modality, bodyPart, description)");
                }
            }
            try {
                rules.add(RoutingRule.of(modality, bodyPart, description, target));
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("bad pattern in routing rule '" + entry + "': " + e.getDescription(), e);
            }
        }
        return new RoutingRules(rules, fallback);
    }

    /** The compact form; {@code parse(compact())} gives back an equal object. */
    public String compact() {
        List<String> parts = new ArrayList<>();
        rules.forEach(r -> parts.add(r.compact()));
        parts.add("default->" + defaultTaskGroup.orElse("none"));
        return String.join("; ", parts);
    }
}
