package io.filterscope.cli;

import io.filterscope.UserError;
import io.filterscope.engine.preset.Param;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Runs a picocli command line: parses the arguments, answers {@code --help} and {@code --version}, and calls
 * the chosen command. Every mistake in the arguments becomes a one-line {@link UserError} naming the command
 * and what was wrong, with picocli's suggestions for a mistyped flag or command.
 */
final class Cli {
    private Cli() {
    }

    /** @return the command's exit status */
    static int execute(CommandLine cli, String... args) throws Exception {
        ParseResult parsed;
        try {
            parsed = cli.parseArgs(args);
        } catch (ParameterException e) {
            throw new UserError(describe(e, args));
        }
        try {
            if (CommandLine.printHelpIfRequested(parsed)) {
                return 0;
            }
        } catch (ParameterException e) { // help NAME with a name that is no command: picocli's "Unknown subcommand 'x'."
            throw new UserError("unknown command " + e.getMessage().replaceFirst("(?s)^.*?('[^']*').*$", "$1")
                    + "; commands: " + commands(cli));
        }
        ParseResult leaf = parsed;
        while (leaf.hasSubcommand()) {
            leaf = leaf.subcommand();
        }
        if (!(leaf.commandSpec().userObject() instanceof Callable<?> command)) {
            throw new UserError("no command given; commands: " + commands(cli));
        }
        return (Integer) command.call();
    }

    private static String describe(ParameterException e, String... args) {
        CommandLine where = e.getCommandLine();
        if (e instanceof CommandLine.MissingParameterException) {
            // picocli checks required flags before it reports unknown ones: "--modle m" would read "--model is required"
            String unknown = unknownFlag(where, args);
            if (unknown != null) {
                return describe(new UnmatchedArgumentException(where, java.util.List.of(unknown)));
            }
        }
        boolean root = where.getParent() == null;
        String prefix = root ? "" : where.getCommandName() + ": ";
        if (e instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String arg = u.getUnmatched().get(0);
            String hint = u.getSuggestions().isEmpty() ? "" : " (did you mean " + String.join(" or ", u.getSuggestions()) + "?)";
            if (arg.startsWith("-")) {
                String known = where.getCommandSpec().options().stream().map(OptionSpec::longestName).sorted()
                        .collect(Collectors.joining(", "));
                String guess = u.getSuggestions().isEmpty() ? "" : "; did you mean " + String.join(" or ", u.getSuggestions()) + "?";
                return prefix + "unknown flag " + arg + " (known: " + known + guess + ")";
            }
            return root ? "unknown command '" + arg + "'" + hint + "; commands: " + commands(where)
                    : prefix + "unexpected argument '" + arg + "'";
        }
        if (e instanceof CommandLine.MissingParameterException m) {
            return prefix + m.getMissing().stream().map(Cli::name).collect(Collectors.joining(" and "))
                    + (m.getMissing().size() == 1 ? " is required" : " are required");
        }
        return prefix + e.getMessage().lines().findFirst().orElse("bad arguments");
    }

    /** The first argument written as a flag ({@code -x}, {@code --name}, {@code --name=value}) that the command lacks, or null. */
    private static String unknownFlag(CommandLine where, String... args) {
        for (String arg : args) {
            String flag = arg.split("=", 2)[0];
            if (flag.matches("--?[A-Za-z][\\w-]*") && where.getCommandSpec().findOption(flag) == null) {
                return flag;
            }
        }
        return null;
    }

    private static String name(ArgSpec arg) {
        return arg instanceof OptionSpec o ? o.longestName() : arg.paramLabel();
    }

    private static String commands(CommandLine cli) {
        CommandLine root = cli;
        while (root.getParent() != null) {
            root = root.getParent();
        }
        return root.getSubcommands().keySet().stream().filter(n -> !n.equals("help")).collect(Collectors.joining(", "));
    }

    /** {@code value} if the setting's bounds allow it. @throws UserError naming the command and the flag */
    static int within(String command, Param<Integer> param, int value) {
        return within(command, "--" + param.name(), value, (long) param.min(), (long) param.max());
    }

    /** {@code value} if it is within [min, max]. @throws UserError naming the command and the flag */
    static int within(String command, String flag, int value, long min, long max) {
        if (value < min || value > max) {
            throw new UserError(command + ": " + flag + " must be between " + min + " and " + max + ", got " + value);
        }
        return value;
    }
}
