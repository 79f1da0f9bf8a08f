package io.filterscope.server.compute;

import io.filterscope.UserError;
import io.filterscope.engine.objective.NeuronObjective;
import io.filterscope.engine.objective.Objective;
import io.filterscope.engine.preset.Params;
import io.filterscope.engine.preset.Preset;
import io.filterscope.engine.preset.Presets;
import io.filterscope.engine.preset.Settings;
import io.filterscope.engine.render.RunParts;
import io.filterscope.model.LoadedModel;
import io.filterscope.server.protocol.ClientMessage;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * A checked {@code start} message: which model, the objectives (one per image), size, steps, seed, the
 * preset (named, or the objectives' default) and its settings with the message's params applied.
 */
record RunRequest(LoadedModel model, List<Objective> objectives, int size, int steps, long seed, int pace, Preset preset,
                  Settings settings) {
    static final int MAX_IMAGES = 512;

    /**
     * @throws UserError for anything the message asks that the model or the settings schema does not allow
     * @throws io.filterscope.server.ApiError.ApiException 413 too_large for more than {@link #MAX_IMAGES} images
     */
    static RunRequest parse(ClientMessage.Start start, Function<String, LoadedModel> models) {
        io.filterscope.server.protocol.Protocol.checkForm(start); // what needs no model, as the start was read
        LoadedModel model = models.apply(start.model());
        List<Objective> objectives = model.objectives().parseBatch(start.objective());
        if (objectives.size() > MAX_IMAGES) {
            // too_large, as a step over the time or memory limit is: the page then asks for a smaller page of its gallery.
            throw new io.filterscope.server.ApiError(413, "too_large", "at most " + MAX_IMAGES + " images in one run, got "
                    + objectives.size() + "; ask for fewer filters or classes").exception();
        }
        int size = Params.SIZE.within(start.size() == null ? model.height() : start.size());
        int steps = Params.STEPS.within(start.steps() == null ? Params.STEPS.base() : start.steps());
        long seed = start.seed() == null ? Params.SEED.base() : start.seed();
        int pace = Params.PACE.within(start.pace() == null ? Params.PACE.base() : start.pace());
        Preset preset = start.preset() == null ? Presets.defaultFor(objectives) : Presets.named(start.preset());
        return new RunRequest(model, objectives, size, steps, seed, pace, preset, preset.defaults().with(start.params()));
    }

    /** The same request with other settings (an update). */
    RunRequest with(Settings next) {
        return new RunRequest(model, objectives, size, steps, seed, pace, preset, next);
    }

    /** The same request at another pace (an update). */
    RunRequest withPace(int stepsPerSecond) {
        return new RunRequest(model, objectives, size, steps, seed, Params.PACE.within(stepsPerSecond), preset, settings);
    }

    /**
     * Multiply-adds of one step of its images' parameterization with {@code parts} (see {@link
     * io.filterscope.engine.param.ParameterizationSpec#multiplyAdds}), for step-time estimates.
     */
    long imageMultiplyAdds(RunParts parts) {
        return parts.parameterization().multiplyAdds(new long[] {objectives.size(), model.channels(), size, size});
    }

    /**
     * Parts of the same shapes as {@link #parts()}'s, built from what the model has measured already ({@link
     * LoadedModel#dataKnown}: no forward pass over its pictures): for the checks that must come first (maps, memory, step
     * time), and to find what a layer's first run must have measured before its parts are built.
     *
     * @param unmeasured takes the name of each layer whose measures {@link #parts()} would find first (a forward pass of
     *                   flat colours and of every example picture for a channel's, one of random pictures for a layer's)
     * @throws UserError as {@link #parts()}
     */
    RunParts shapes(java.util.function.Consumer<String> unmeasured) {
        RunParts parts = preset.build(settings, model.dataKnown(unmeasured).at(size), objectives);
        checkMaps(parts.inputSize(size));
        return parts;
    }

    /**
     * The parts its preset builds from its settings, for its model and objectives.
     *
     * @throws UserError when an objective's layer has no map at the network's input size (its size with the
     *                   transforms' pad), naming the smallest size that has one, or a neuron lies outside its map
     */
    RunParts parts() {
        RunParts parts = preset.build(settings, model.data().at(size), objectives);
        checkMaps(parts.inputSize(size));
        return parts;
    }

    /** @param side the network's input side for this run's images */
    private void checkMaps(int side) {
        for (String layer : objectives.stream().flatMap(o -> o.layers().stream()).distinct().toList()) {
            model.requireMap(layer, side, side - size, (int) Params.SIZE.max());
        }
        String at = LoadedModel.sizeWithPad(side, side - size);
        NeuronObjective.checkAll(objectives, layer -> Arrays.copyOfRange(model.mapAt(layer, side), 2, 4), at);
    }
}
