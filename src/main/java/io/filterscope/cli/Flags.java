package io.filterscope.cli;

import io.filterscope.UserError;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code --name value} flags and bare arguments of one command, checked against the flags it knows. */
public final class Flags {
    private final String command;
    private final Map<String, String> values = new HashMap<>();
    private final List<String> positional = new ArrayList<>();

    private Flags(String command) {
        this.command = command;
    }

    /** Flags named in {@code switches} take no value. */
    public static Flags parse(String command, String[] args, Set<String> known, Set<String> switches) {
        Flags flags = new Flags(command);
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                flags.positional.add(arg);
                continue;
            }
            String name = arg.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (!known.contains(name) && !switches.contains(name)) {
                throw new UserError(command + ": unknown flag --" + name + " (known: " + String.join(", ", sorted(known, switches)) + ")");
            }
            if (switches.contains(name)) {
                value = value == null ? "true" : value;
            } else if (value == null) {
                if (i + 1 >= args.length) {
                    throw new UserError(command + ": --" + name + " needs a value");
                }
                value = args[++i];
            }
            flags.values.put(name, value);
        }
        return flags;
    }

    private static List<String> sorted(Set<String> a, Set<String> b) {
        List<String> all = new ArrayList<>();
        a.forEach(n -> all.add("--" + n));
        b.forEach(n -> all.add("--" + n));
        all.sort(null);
        return all;
    }

    public List<String> positional() {
        return positional;
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    public boolean isSet(String name) {
        return Boolean.parseBoolean(values.getOrDefault(name, "false"));
    }

    public String string(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    public String required(String name) {
        String v = values.get(name);
        if (v == null) {
            throw new UserError(command + ": --" + name + " is required");
        }
        return v;
    }

    public Path path(String name, String fallback) {
        String v = string(name, fallback);
        return v == null ? null : Path.of(v);
    }

    public int integer(String name, int fallback, int min, int max) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n < min || n > max) {
                throw new UserError(command + ": --" + name + " must be between " + min + " and " + max + ", got " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new UserError(command + ": --" + name + " must be a whole number, got '" + v + "'");
        }
    }

    public long longValue(String name, long fallback) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new UserError(command + ": --" + name + " must be a whole number, got '" + v + "'");
        }
    }
}
