package io.filterscope.engine.preset;

import io.filterscope.engine.param.InputSpace;
import io.filterscope.engine.render.RunParts;

/**
 * A named way to render: default settings, and the function that builds a run's parts from settings for a
 * model's input space (Lucid's recipes are such functions: a parameterization, an optimizer and a list of
 * transforms). {@link Presets} lists them.
 */
public record Preset(String name, String help, Settings defaults, Builder builder) {

    /** Builds the parts of a run. */
    @FunctionalInterface
    public interface Builder {
        RunParts build(Settings settings, InputSpace space);
    }

    /** The parts for these settings (this preset's defaults with some replaced) and the model's input space. */
    public RunParts build(Settings settings, InputSpace space) {
        return builder.build(settings, space);
    }
}
