package org.radstream.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class RoutingRulesTest {
    @Test
    void parsesTheCompactFormInOrderWithDefault() {
        RoutingRules r = RoutingRules.parse("modality~CT,bodyPart~CHEST|LUNG->chest;\n"
                + " modality~CT, description~.*(liver|a{1,2}bd).*->liver ; default->liver");
        assertThat(r.rules()).containsExactly(RoutingRule.of("CT", "CHEST|LUNG", null, "chest"),
                RoutingRule.of("CT", null, ".*(liver|a{1,2}bd).*", "liver"));
        assertThat(r.defaultTaskGroup()).contains("liver");
        assertThat(r.route("CT", "lung", null)).contains("chest");
        assertThat(r.route("ct", null, "Arterial LIVER")).contains("liver");
        assertThat(r.route("MR", "KNEE", null)).contains("liver");
        assertThat(RoutingRules.parse(r.compact())).isEqualTo(r);
    }

    @Test
    void missingHeaderValueDoesNotMatchAPresentCondition() {
        RoutingRules r = RoutingRules.parse("bodyPart~.*->chest; default->none");
        assertThat(r.route("CT", null, "x")).isEqualTo(Optional.empty());
        assertThat(r.route("CT", "", "x")).contains("chest");
    }

    @Test
    void defaultRulesFollowDesign() {
        RoutingRules r = RoutingRules.DEFAULT;
        assertThat(r.route("CT", "CHEST", null)).contains("chest");
        assertThat(r.route("CT", "ABDOMEN", null)).contains("liver");
        assertThat(r.route("CT", null, "Thorax 1.0 B70f")).contains("chest");
        assertThat(r.route("CT", "HEAD", "Head routine")).isEmpty();
        assertThat(r.route("MR", "CHEST", null)).isEmpty();
        assertThat(r.defaultTaskGroup()).isEmpty();
    }

    @Test
    void rejectsBadRules() {
        assertThatThrownBy(() -> RoutingRules.parse("modality~CT")).hasMessageContaining("has no '->taskGroup'");
        assertThatThrownBy(() -> RoutingRules.parse("organ~LUNG->chest")).hasMessageContaining("unknown condition 'organ'");
        assertThatThrownBy(() -> RoutingRules.parse("modality~CT->brain")).hasMessageContaining("unknown task group 'brain'");
        assertThatThrownBy(() -> RoutingRules.parse("modality~C(T->chest")).hasMessageContaining("bad pattern");
        assertThatThrownBy(() -> RoutingRules.parse("default->none")).hasMessageContaining("at least one rule");
    }
}
