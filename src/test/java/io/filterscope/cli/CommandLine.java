package io.filterscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

/** Runs a command in this JVM, as {@code java -jar filterscope.jar ...} would, and returns what it printed. */
final class CommandLine {
    private CommandLine() {
    }

    static String run(String... args) throws Exception {
        return capture(() -> Main.run(args));
    }

    /** A command's entry point, returning its exit status. */
    interface Command {
        int run() throws Exception;
    }

    /** Runs {@code command}, checks that it exits with status 0, and returns what it printed. */
    static String capture(Command command) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true));
        try {
            assertEquals(0, command.run());
        } finally {
            System.setOut(original);
        }
        return captured.toString();
    }
}
