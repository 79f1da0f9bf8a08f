package io.filterscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.filterscope.UserError;

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

    /** A command's one-line error, and what it had printed on standard output before it. */
    record Failure(String message, String printed) {
    }

    /** Runs a command that must fail with a one-line {@link UserError}; returns the error and what was printed before it. */
    static Failure fail(String... args) {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true));
        UserError e;
        try {
            e = assertThrows(UserError.class, () -> Main.run(args));
        } finally {
            System.setOut(original);
        }
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return new Failure(e.getMessage(), captured.toString());
    }
}
