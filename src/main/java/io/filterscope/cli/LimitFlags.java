package io.filterscope.cli;

import io.filterscope.UserError;
import io.filterscope.server.Limit;
import io.filterscope.server.ServerConfig;
import java.util.EnumSet;
import java.util.Set;
import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The {@link Limit} flags of {@code serve} (all of them) and {@code worker} (those a compute worker applies),
 * added to the command as picocli options from the enum's declarations: flag, default and help live there only.
 */
final class LimitFlags {
    static final Set<Limit> ALL = EnumSet.allOf(Limit.class);
    static final Set<Limit> WORKER = EnumSet.of(Limit.ACTIVE_RUNS, Limit.COMPUTE_THREADS, Limit.QUEUED_RUNS, Limit.MEMORY_BUDGET,
            Limit.NETWORK_CACHE, Limit.STEP_TIME, Limit.WEDGED_AFTER, Limit.OTHERS_NICE);

    private LimitFlags() {
    }

    /** Gives {@code serve} every limit flag. */
    static final class Serve implements IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            return add(spec, ALL);
        }
    }

    /** Gives {@code worker} the flags of the limits a compute worker applies. */
    static final class Worker implements IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            return add(spec, WORKER);
        }
    }

    private static CommandSpec add(CommandSpec spec, Set<Limit> limits) {
        for (Limit l : limits) {
            spec.addOption(OptionSpec.builder("--" + l.flag).type(String.class)
                    .paramLabel(switch (l.unit) {
                        case BYTES -> "B";
                        case SECONDS -> "S";
                        default -> "N";
                    })
                    // picocli formats descriptions (String.format): a bare % ("75% of") is escaped.
                    .description((l.help + " (default: " + l.show(l.defaultValue) + ")").replace("%", "%%")).build());
        }
        return spec;
    }

    /** The defaults, with every one of {@code limits} that was given on the command line of {@code spec}. */
    static ServerConfig.Limits parse(CommandSpec spec, Set<Limit> limits) {
        ServerConfig.Limits parsed = ServerConfig.Limits.DEFAULT;
        for (Limit l : limits) {
            String given = spec.findOption("--" + l.flag).getValue();
            if (given != null) {
                try {
                    parsed = parsed.with(l, l.parse(given));
                } catch (IllegalArgumentException e) {
                    throw new UserError(spec.name() + ": " + e.getMessage());
                }
            }
        }
        return parsed;
    }
}
