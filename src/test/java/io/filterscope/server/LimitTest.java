package io.filterscope.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Limits are read as the docs say, and the docs' table says what {@link Limit} says. */
class LimitTest {
    @Test
    void bytesTakeSuffixesAndEveryValueIsBounded() {
        assertEquals(6L << 30, Limit.MEMORY_BUDGET.parse("6g"));
        assertEquals(512L << 20, Limit.MEMORY_BUDGET.parse("512M"));
        assertEquals(2048, Limit.UPLOAD_BYTES.parse("2k"));
        assertEquals("10m", Limit.UPLOAD_BYTES.show(Limit.UPLOAD_BYTES.defaultValue));
        assertEquals(30, Limit.REQUEST_TIMEOUT.parse(" 30 "));
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class, () -> Limit.ACTIVE_RUNS.parse("0"));
        assertEquals("--max-runs must be between 1 and 1024, got 0", zero.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Limit.REQUEST_TIMEOUT.parse("5k")).getMessage()
                .contains("--request-timeout must be a whole number"));
        assertThrows(IllegalArgumentException.class, () -> Limit.MEMORY_BUDGET.parse("99999999999g"));
        assertEquals("--memory-budget must be between 0 and 1048576g, got -1g",
                assertThrows(IllegalArgumentException.class, () -> Limit.MEMORY_BUDGET.parse("-1g")).getMessage(), "what was typed");
    }

    @Test
    void theProtocolDocsListEveryLimitWithItsDefaultAndHelp() throws Exception {
        String docs = Files.readString(Path.of("docs", "protocol.md"));
        for (Limit l : Limit.values()) {
            String arg = l.unit == Limit.Unit.BYTES ? "B" : l.unit == Limit.Unit.SECONDS ? "S" : "N";
            String row = "| `--" + l.flag + " " + arg + "` | " + l.show(l.defaultValue) + " | " + l.help + " |";
            assertTrue(docs.contains(row), "docs/protocol.md has the row " + row);
        }
    }
}
