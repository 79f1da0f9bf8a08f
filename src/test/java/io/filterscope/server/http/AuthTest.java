package io.filterscope.server.http;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class AuthTest {
    private final Auth auth = new Auth("s3cret", List.of(), "127.0.0.1", List.of());

    @Test
    void theBearerSchemeIsReadInAnyCase() {
        for (String scheme : List.of("Bearer", "bearer", "BEARER", "bEaReR")) {
            assertTrue(auth.allows(scheme + " s3cret", null), scheme);
        }
    }

    @Test
    void aWrongTokenOrAnotherSchemeIsRefused() {
        assertFalse(auth.allows("bearer wrong", null));
        assertFalse(auth.allows("Basic s3cret", null));
        assertFalse(auth.allows(null, null));
        assertTrue(auth.allows(null, "s3cret"));
    }
}
