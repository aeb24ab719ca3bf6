package org.radstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BearerTokenTest {
    private static final String SECRET = "0123456789abcdef-secret";

    @Test
    void withoutATokenEveryRequestIsAdmitted() {
        assertThat(BearerToken.of(null, "X")).isSameAs(BearerToken.NONE);
        assertThat(BearerToken.of("  ", "X")).isSameAs(BearerToken.NONE);
        assertThat(BearerToken.NONE.required()).isFalse();
        assertThat(BearerToken.NONE.admits((String) null)).isTrue();
        assertThatThrownBy(BearerToken.NONE::authorization).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aTokenAdmitsOnlyTheExactBearerHeader() {
        BearerToken t = BearerToken.of(SECRET, "RADSTREAM_API_TOKEN");
        assertThat(t.required()).isTrue();
        assertThat(t.admits("Bearer " + SECRET)).isTrue();
        assertThat(t.authorization()).isEqualTo("Bearer " + SECRET);
        assertThat(t.admits((String) null)).isFalse();
        assertThat(t.admits(SECRET)).isFalse();
        assertThat(t.admits("Bearer " + SECRET + "x")).isFalse();
        assertThat(t.admits("Bearer " + SECRET.substring(1))).isFalse();
        assertThat(t.admits("Basic " + SECRET)).isFalse();
    }

    @Test
    void aShortTokenIsRefusedAndNoneIsEverPrinted() {
        assertThatThrownBy(() -> BearerToken.of("short", "RADSTREAM_STOW_TOKEN"))
                .hasMessage("the HTTP token must have at least 16 characters (RADSTREAM_STOW_TOKEN)");
        assertThat(BearerToken.of(SECRET, "RADSTREAM_API_TOKEN").toString())
                .isEqualTo("a token from RADSTREAM_API_TOKEN (hidden)").doesNotContain(SECRET);
    }
}
