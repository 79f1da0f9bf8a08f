package io.filterscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.UserError;
import io.filterscope.server.Limit;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** Every {@link Limit} is a flag of serve (and the worker's of worker), with the enum's help and default, parsed as it says. */
class LimitFlagsTest {
    private static CommandSpec command(String name) {
        return Main.commandLine().getSubcommands().get(name).getCommandSpec();
    }

    @Test
    void serveHasEveryLimitAndWorkerItsOwn() {
        for (Limit l : Limit.values()) {
            OptionSpec serve = command("serve").findOption("--" + l.flag);
            assertNotNull(serve, "serve --" + l.flag);
            String described = serve.description()[0].replace("%%", "%"); // picocli's format string
            assertTrue(described.startsWith(l.help) && described.contains(l.show(l.defaultValue)), described);
            OptionSpec worker = command("worker").findOption("--" + l.flag);
            if (LimitFlags.WORKER.contains(l)) {
                assertNotNull(worker, "worker --" + l.flag);
            } else {
                assertNull(worker, "worker has no --" + l.flag);
            }
        }
    }

    @Test
    void serveHelpShowsEachLimitsTextAsWrittenWithoutAPicocliWarning() throws Exception {
        java.io.PrintStream original = System.err;
        java.io.ByteArrayOutputStream warnings = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(warnings, true));
        String help;
        try {
            help = CommandLine.run("serve", "--help");
        } finally {
            System.setErr(original);
        }
        assertTrue(help.replaceAll("\\s+", " ").contains("0: 75% of what is free when it starts"), help);
        assertEquals("", warnings.toString(), "picocli could format every description");
    }

    @Test
    void givenValuesAreParsedAndOthersKeepTheirDefaults() {
        var cli = Main.commandLine();
        cli.parseArgs("serve", "--max-runs", "2", "--memory-budget", "6g", "--request-timeout", "5");
        var limits = LimitFlags.parse(cli.getSubcommands().get("serve").getCommandSpec(), LimitFlags.ALL);
        assertEquals(2, limits.activeRuns());
        assertEquals(6L << 30, limits.get(Limit.MEMORY_BUDGET));
        assertEquals(5, limits.get(Limit.REQUEST_TIMEOUT));
        assertEquals(Limit.QUEUED_RUNS.defaultValue, limits.queuedRuns());
    }

    @Test
    void aValueOutOfBoundsIsOneLineNamingCommandAndFlag() {
        UserError e = assertThrows(UserError.class, () -> Main.run("serve", "--max-runs", "0"));
        assertEquals("serve: --max-runs must be between 1 and 1024, got 0", e.getMessage());
        e = assertThrows(UserError.class, () -> Main.run("worker", "--cluster", "--memory-budget", "lots"));
        assertEquals("worker: --memory-budget must be a whole number of bytes (k, m, g allowed) between 0 and 1048576g, got 'lots'", e.getMessage());
    }
}
