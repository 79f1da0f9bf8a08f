package io.filterscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The progress bar: redrawn with carriage returns at a terminal, nothing at all into a file or a pipe. */
class ProgressBarTest {

    /** What a bar prints for a task that has run past the bar's silent first second and then finishes. */
    private static String drawn(boolean terminal) throws InterruptedException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressBar bar = new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), terminal);
        Thread.sleep(1100);
        bar.update(3, 4, "filters");
        bar.update(4, 4, "filters");
        bar.end();
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aBarAtATerminalIsRedrawnInPlaceAndEndsItsLine() throws Exception {
        String out = drawn(true);
        assertTrue(out.startsWith("\r[" + "#".repeat(22)) && out.contains("\r[" + "#".repeat(30) + "] 4/4") && out.endsWith("\n"), out);
    }

    @Test
    void aBarIntoAFileOrAPipeDrawsNothing() throws Exception {
        assertEquals("", drawn(false));
    }
}
