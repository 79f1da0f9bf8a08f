package io.filterscope.cli;

import io.filterscope.UserError;
import io.filterscope.server.Limit;
import io.filterscope.server.ServerConfig;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/** The {@link Limit} flags of {@code serve} (all of them) and {@code worker} (those a compute worker applies). */
final class LimitFlags {
    static final Set<Limit> ALL = EnumSet.allOf(Limit.class);
    static final Set<Limit> WORKER = EnumSet.of(Limit.ACTIVE_RUNS, Limit.QUEUED_RUNS, Limit.MEMORY_BUDGET,
            Limit.NETWORK_CACHE, Limit.WEDGED_AFTER);

    private LimitFlags() {
    }

    static Set<String> names(Set<Limit> limits) {
        return limits.stream().map(l -> l.flag).collect(Collectors.toSet());
    }

    /** The defaults, with every one of {@code limits} that was given on the command line. */
    static ServerConfig.Limits parse(String command, Flags flags, Set<Limit> limits) {
        ServerConfig.Limits parsed = ServerConfig.Limits.DEFAULT;
        for (Limit l : limits) {
            if (flags.has(l.flag)) {
                try {
                    parsed = parsed.with(l, l.parse(flags.string(l.flag, "")));
                } catch (IllegalArgumentException e) {
                    throw new UserError(command + ": " + e.getMessage());
                }
            }
        }
        return parsed;
    }
}
