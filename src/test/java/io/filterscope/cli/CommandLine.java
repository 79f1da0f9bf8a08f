package io.filterscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

/** Runs a command in this JVM, as {@code java -jar filterscope.jar ...} would, and returns what it printed. */
final class CommandLine {
    private CommandLine() {
    }

    static String run(String... args) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true));
        try {
            assertEquals(0, Main.run(args));
        } finally {
            System.setOut(original);
        }
        return captured.toString();
    }
}
