package io.filterscope.cli;

import picocli.CommandLine.Option;

/** {@code --no-warm-up}, shared by {@code serve} and {@code worker}: by default a compute worker warms up before it takes work. */
final class WarmUpFlag {
    @Option(names = "--no-warm-up", description = "take work at once, without first stepping each model's usual runs and scoring "
            + "its default layer's examples (a few seconds, within a budget: models left when it is spent stay cold; otherwise a "
            + "class's first minutes run slower)")
    boolean skip;
}
