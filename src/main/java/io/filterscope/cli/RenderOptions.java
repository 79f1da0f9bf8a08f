package io.filterscope.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.filterscope.UserError;
import io.filterscope.engine.preset.Params;
import io.filterscope.engine.preset.Preset;
import io.filterscope.engine.preset.Presets;
import io.filterscope.engine.preset.Settings;
import io.filterscope.engine.render.ModelData;
import java.util.Iterator;
import picocli.CommandLine.Option;

/** {@code --preset}, {@code --params} and {@code --seed}: how the commands that render do it. */
final class RenderOptions {
    @Option(names = "--preset", paramLabel = "NAME", completionCandidates = PresetNames.class,
            description = "how to render: ${COMPLETION-CANDIDATES} (default: the objective's; see docs/engine.md)")
    String preset;

    @Option(names = "--params", paramLabel = "JSON",
            description = "settings on top of the preset's, checked against the settings schema, e.g. '{\"blurSigma\":1}'")
    String params;

    @Option(names = "--seed", paramLabel = "K", description = "seeds the start image and the transforms (default: ${DEFAULT-VALUE})")
    @Bounds(param = "seed")
    int seed = Params.SEED.base();

    /**
     * The preset named, or the default of this kind of objective ({@code channel}, {@code class}), with {@code --params}
     * applied, as it renders on the model's data at the run's size ({@link Presets#rendered}: data-prior without a prior
     * there is natural): what a PNG records, so that rerun repeats what was drawn.
     *
     * @throws UserError for an unknown preset, or JSON or a setting that is wrong
     */
    Presets.Rendering rendering(String objectiveType, ModelData data) {
        Preset chosen = preset == null ? Presets.defaultFor(objectiveType) : Presets.named(preset);
        return Presets.rendered(chosen, settings(chosen), data);
    }

    /** The preset's defaults with {@code --params} applied. @throws UserError for JSON or a setting that is wrong */
    private Settings settings(Preset chosen) {
        if (params == null) {
            return chosen.defaults();
        }
        JsonNode json;
        try {
            json = CommandSupport.JSON.readTree(params);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UserError("--params is not valid JSON (at character " + (e.getLocation() == null ? "?"
                    : e.getLocation().getColumnNr()) + " of " + params + "); give an object such as '{\"blurSigma\":1,\"jitter\":2}'");
        }
        return chosen.defaults().with(json);
    }

    /** The preset names, for {@code --help}. */
    static final class PresetNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Presets.ALL.stream().map(Preset::name).iterator();
        }
    }
}
