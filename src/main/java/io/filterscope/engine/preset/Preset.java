package io.filterscope.engine.preset;

import io.filterscope.engine.objective.Objective;
import io.filterscope.engine.param.InputSpace;
import io.filterscope.engine.render.ModelData;
import io.filterscope.engine.render.RunParts;
import java.util.List;

/**
 * A named way to render: default settings, and the function that builds a run's parts from settings for a
 * model and the objectives asked of it (Lucid's recipes are such functions: a parameterization, an optimizer
 * and a list of transforms). {@link Presets} lists them.
 */
public record Preset(String name, String help, Settings defaults, Builder builder) {

    /** Builds the parts of a run. */
    @FunctionalInterface
    public interface Builder {
        RunParts build(Settings settings, ModelData model, List<Objective> objectives);
    }

    /** The parts for these settings (this preset's defaults with some replaced), the model and the run's objectives. */
    public RunParts build(Settings settings, ModelData model, List<Objective> objectives) {
        return builder.build(settings, model, objectives);
    }

    /** The parts for a model known only by its input space, whose layers all take any size. */
    public RunParts build(Settings settings, InputSpace space) {
        return build(settings, ModelData.of(space), List.of());
    }
}
