package io.filterscope.cli;

import io.filterscope.UserError;
import io.filterscope.engine.preset.Param;
import io.filterscope.engine.preset.Params;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
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
            throw new UserError(unknownCommand(e.getMessage().replaceFirst("(?s)^.*?'([^']*)'.*$", "$1"), cli));
        }
        ParseResult leaf = parsed;
        while (leaf.hasSubcommand()) {
            leaf = leaf.subcommand();
        }
        if (!(leaf.commandSpec().userObject() instanceof Callable<?> command)) {
            throw new UserError("no command given; commands: " + commands(cli));
        }
        try {
            return (Integer) command.call();
        } catch (UserError e) {
            throw named(leaf.commandSpec().name(), e);
        }
    }

    /**
     * A command's refusal starting with the command's name, as its flags' refusals do ({@code bench: unknown layer 'zz'
     * ...}): put here once for whatever the command and the code it calls throw, which may not know the command. A
     * message that starts with it already is left as it is; one from a command run inside it keeps that one's name
     * after it ({@code rerun: gallery: unknown model 'x' ...}).
     */
    private static UserError named(String command, UserError e) {
        String message = String.valueOf(e.getMessage());
        return message.startsWith(command + ": ") ? e : new UserError(command + ": " + message, e.notFound);
    }

    private static String describe(ParameterException e, String... args) {
        CommandLine where = e.getCommandLine();
        if (e instanceof CommandLine.MissingParameterException) {
            // picocli checks required flags before it reports unknown ones: "--modle m" would read "--model is required"
            String unknown = unknownFlag(where, args);
            if (unknown != null) {
                return describe(new UnmatchedArgumentException(where, List.of(unknown)));
            }
        }
        boolean root = where.getParent() == null;
        String prefix = root ? "" : where.getCommandName() + ": ";
        if (e instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String arg = u.getUnmatched().get(0);
            if (arg.startsWith("-")) {
                List<String> flags = where.getCommandSpec().options().stream().map(OptionSpec::longestName).sorted().toList();
                // picocli's own guesses too ("--modle": --model or --models); alone they missed "--prot" for --port.
                Set<String> guesses = new LinkedHashSet<>(nearMisses(arg.split("=", 2)[0], flags));
                guesses.addAll(u.getSuggestions());
                String guess = guesses.isEmpty() ? "" : "; did you mean " + String.join(" or ", guesses) + "?";
                return prefix + "unknown flag " + arg + " (known: " + String.join(", ", flags) + guess + ")";
            }
            return root ? unknownCommand(arg, where) : prefix + "unexpected argument '" + arg + "'";
        }
        if (e instanceof CommandLine.MissingParameterException m) {
            // picocli says the same of a flag given without its value ("--port" last): that one is named as such.
            List<ArgSpec> valueless = m.getMissing().stream().filter(a -> given(a, args)).toList();
            if (!valueless.isEmpty()) {
                ArgSpec flag = valueless.get(0);
                return prefix + name(flag) + " needs a value (" + name(flag) + " " + flag.paramLabel() + ")";
            }
            return prefix + m.getMissing().stream().map(Cli::name).collect(Collectors.joining(" and "))
                    + (m.getMissing().size() == 1 ? " is required" : " are required");
        }
        if (e.getCause() instanceof CommandLine.TypeConversionException t && e.getArgSpec() != null) {
            long[] bounds = e.getArgSpec().userObject() instanceof Field f ? bounds(f) : null;
            if (bounds != null && e.getValue() != null) { // "abc" or a number beyond the field's type: said with the flag's bounds
                return prefix + outside(name(e.getArgSpec()), bounds[0], bounds[1], e.getValue());
            }
            return prefix + name(e.getArgSpec()) + " " + t.getMessage(); // a whole-number flag's, as wholeNumbers words it
        }
        return prefix + e.getMessage().lines().findFirst().orElse("bad arguments");
    }

    /** Whether {@code arg} is a flag written among {@code args} ({@code --port}, {@code --port=...}). */
    private static boolean given(ArgSpec arg, String... args) {
        return arg instanceof OptionSpec o && java.util.Arrays.stream(args)
                .anyMatch(a -> java.util.Arrays.stream(o.names()).anyMatch(n -> a.equals(n) || a.startsWith(n + "=")));
    }

    /** "unknown command 'sevre' (did you mean serve?); commands: ...", the guess from {@link #nearMisses}. */
    private static String unknownCommand(String typed, CommandLine cli) {
        List<String> guesses = nearMisses(typed, commandNames(cli));
        return "unknown command '" + typed + "'" + (guesses.isEmpty() ? "" : " (did you mean " + String.join(" or ", guesses) + "?)")
                + "; commands: " + String.join(", ", commandNames(cli));
    }

    /**
     * The names {@code typed} is a near miss of: those fewest edits away (a letter added, dropped or changed, or two
     * neighbours swapped: "sevre" is one from serve), at most one edit for a word of up to five letters and two for a
     * longer one, leading dashes aside. picocli's guesses for a command went by letters in common and offered "rerun or
     * classes" for "sevre".
     */
    static List<String> nearMisses(String typed, List<String> names) {
        String word = typed.replaceFirst("^-+", "").toLowerCase(java.util.Locale.ROOT);
        int most = word.length() <= 5 ? 1 : 2;
        int best = most + 1;
        List<String> closest = new ArrayList<>();
        for (String name : names) {
            int d = edits(word, name.replaceFirst("^-+", ""));
            if (d < best) {
                best = d;
                closest.clear();
            }
            if (d == best) {
                closest.add(name);
            }
        }
        return closest;
    }

    /** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours, each one edit. */
    private static int edits(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            for (int j = 0; j <= b.length(); j++) {
                if (i == 0 || j == 0) {
                    d[i][j] = i + j;
                    continue;
                }
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    /**
     * Gives every int and long flag and argument of {@code cli} (and its subcommands, added before) one wording for a
     * value that is not a whole number, the limit flags' ({@code --port must be a whole number, got 'abc'}), in place of
     * picocli's "'abc' is not an int".
     */
    static void wholeNumbers(CommandLine cli) {
        CommandLine.ITypeConverter<Long> whole = text -> {
            try {
                return Long.parseLong(text.trim());
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException("must be a whole number, got '" + text + "'");
            }
        };
        CommandLine.ITypeConverter<Integer> small = text -> {
            long value = whole.convert(text);
            if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
                throw new CommandLine.TypeConversionException("must be between " + Integer.MIN_VALUE + " and "
                        + Integer.MAX_VALUE + ", got " + text.trim());
            }
            return (int) value;
        };
        cli.registerConverter(Long.class, whole);
        cli.registerConverter(long.class, whole);
        cli.registerConverter(Integer.class, small);
        cli.registerConverter(int.class, small);
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
        return String.join(", ", commandNames(cli));
    }

    /** The commands of the command line {@code cli} belongs to, as {@code --help} lists them, {@code help} aside. */
    private static List<String> commandNames(CommandLine cli) {
        CommandLine root = cli;
        while (root.getParent() != null) {
            root = root.getParent();
        }
        return root.getSubcommands().keySet().stream().filter(n -> !n.equals("help")).toList();
    }

    /** {@code value} if the setting's bounds allow it. @throws UserError naming the command and the flag */
    static int within(String command, Param<Integer> param, int value) {
        return within(command, "--" + param.name(), value, (long) param.min(), (long) param.max());
    }

    /** {@code value} if it is within [min, max]. @throws UserError naming the command and the flag */
    static int within(String command, String flag, int value, long min, long max) {
        if (value < min || value > max) {
            throw new UserError(command + ": " + outside(flag, min, max, String.valueOf(value)));
        }
        return value;
    }

    /**
     * {@code value} if it is within the {@link Bounds} of {@code owner}'s field that is the option {@code flag} (a
     * default the command computed, or a value given).
     *
     * @throws UserError naming the command, the flag and its bounds
     */
    static int within(String command, Object owner, String flag, int value) {
        for (Class<?> c = owner.getClass(); c != null; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                CommandLine.Option option = f.getAnnotation(CommandLine.Option.class);
                if (option != null && java.util.Arrays.asList(option.names()).contains(flag) && bounds(f) != null) {
                    long[] bounds = bounds(f);
                    return within(command, flag, value, bounds[0], bounds[1]);
                }
            }
        }
        throw new IllegalArgumentException(owner.getClass().getSimpleName() + " has no option " + flag + " with @Bounds");
    }

    /** The {@link Bounds} declared on a flag's field as {min, max}, or null when it has none. */
    private static long[] bounds(Field f) {
        Bounds b = f.getAnnotation(Bounds.class);
        if (b == null) {
            return null;
        }
        if (b.param().isEmpty()) {
            return new long[] {b.min(), b.max()};
        }
        Param<?> p = Params.RUN_FIELDS.stream().filter(r -> r.name().equals(b.param())).findFirst()
                .orElseGet(() -> Params.named(b.param()));
        return new long[] {(long) p.min(), (long) p.max()};
    }

    /** "--port must be between 0 and 65535, got 70000", or for text that is no whole number "... a whole number between ...". */
    private static String outside(String flag, long min, long max, String typed) {
        boolean whole = typed.trim().matches("[-+]?\\d+");
        return flag + " must be " + (whole ? "" : "a whole number ") + "between " + min + " and " + max + ", got "
                + (whole ? typed.trim() : "'" + typed + "'");
    }
}
