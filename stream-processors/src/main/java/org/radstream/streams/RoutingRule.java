package org.radstream.streams;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One routing rule: a series goes to {@code taskGroup} when every condition that is present
 * matches the whole header value, case-insensitively. An absent condition matches anything; a
 * present condition never matches a missing (null) header value, so a rule on BodyPartExamined
 * does not silently catch series that lack the attribute.
 *
 * @param modality          pattern for Modality (0008,0060), or empty for any
 * @param bodyPart          pattern for BodyPartExamined (0018,0015), or empty for any
 * @param seriesDescription pattern for SeriesDescription (0008,103E), or empty for any
 * @param taskGroup         the task group the series is routed to: {@code chest} or {@code liver}
 */
public record RoutingRule(Optional<Pattern> modality, Optional<Pattern> bodyPart,
                          Optional<Pattern> seriesDescription, String taskGroup) {
    public RoutingRule {
        Objects.requireNonNull(modality, "modality");
        Objects.requireNonNull(bodyPart, "bodyPart");
        Objects.requireNonNull(seriesDescription, "seriesDescription");
        TaskGroups.require(taskGroup);
        modality = modality.map(RoutingRule::caseInsensitive);
        bodyPart = bodyPart.map(RoutingRule::caseInsensitive);
        seriesDescription = seriesDescription.map(RoutingRule::caseInsensitive);
    }

    /** A rule from regular expressions; null or blank means "any". */
    public static RoutingRule of(String modality, String bodyPart, String seriesDescription, String taskGroup) {
        return new RoutingRule(compile(modality), compile(bodyPart), compile(seriesDescription), taskGroup);
    }

    boolean matches(String modalityValue, String bodyPartValue, String descriptionValue) {
        return matches(modality, modalityValue) && matches(bodyPart, bodyPartValue)
                && matches(seriesDescription, descriptionValue);
    }

    /** The compact form that {@link RoutingRules#parse(String)} reads back. */
    String compact() {
        StringBuilder b = new StringBuilder();
        append(b, "modality", modality);
        append(b, "bodyPart", bodyPart);
        append(b, "description", seriesDescription);
        return b.append("->").append(taskGroup).toString();
    }

    private static boolean matches(Optional<Pattern> pattern, String value) {
        if (pattern.isEmpty()) {
            return true;
        }
        return value != null && pattern.get().matcher(value.trim()).matches();
    }

    private static void append(StringBuilder b, String name, Optional<Pattern> p) {
        if (p.isPresent()) {
            if (b.length() > 0) {
                b.append(',');
            }
            b.append(name).append('~').append(p.get().pattern());
        }
    }

    private static Optional<Pattern> compile(String regex) {
        return regex == null || regex.isBlank() ? Optional.empty() : Optional.of(Pattern.compile(regex.trim()));
    }

    private static Pattern caseInsensitive(Pattern p) {
        return (p.flags() & Pattern.CASE_INSENSITIVE) != 0 ? p
                : Pattern.compile(p.pattern(), p.flags() | Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    }

    // Pattern has identity equality; compare rules by their text so settings records compare by value.
    @Override
    public boolean equals(Object o) {
        return o instanceof RoutingRule r && compact().equals(r.compact());
    }

    @Override
    public int hashCode() {
        return compact().hashCode();
    }

    @Override
    public String toString() {
        return compact();
    }
}
