package io.filterscope.server.compute;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.filterscope.UserError;
import io.filterscope.engine.objective.Objective;
import io.filterscope.engine.preset.Param;
import io.filterscope.engine.preset.Params;
import io.filterscope.engine.preset.Preset;
import io.filterscope.engine.preset.Presets;
import io.filterscope.engine.preset.Settings;
import io.filterscope.engine.render.RunParts;
import io.filterscope.model.LoadedModel;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * A checked {@code start} message: which model, the objectives (one per image), size, steps, seed, the
 * preset (named, or the objectives' default) and its settings with the message's params applied.
 */
record RunRequest(LoadedModel model, List<Objective> objectives, int size, int steps, long seed, Preset preset,
                  Settings settings) {
    static final int MAX_IMAGES = 512;
    private static final ObjectMapper JSON = new ObjectMapper();

    static RunRequest parse(JsonObject start, java.util.function.Function<String, LoadedModel> models) {
        Object modelId = start.getValue("model");
        if (!(modelId instanceof String id)) {
            throw new UserError("start needs a string \"model\"");
        }
        LoadedModel model = models.apply(id);
        Object objective = start.getValue("objective");
        if (!(objective instanceof JsonObject spec)) {
            throw new UserError("start needs an \"objective\" object, e.g. {\"type\":\"channel\",\"layer\":\"conv2\",\"filter\":3}");
        }
        List<Objective> objectives = model.objectives().parseBatch(tree(spec));
        if (objectives.size() > MAX_IMAGES) {
            throw new UserError("at most " + MAX_IMAGES + " filters in one run, got " + objectives.size());
        }
        int size = integer(start, Params.SIZE, model.height());
        int steps = integer(start, Params.STEPS, Params.STEPS.base());
        long seed = integer(start, Params.SEED, Params.SEED.base());
        Object params = start.getValue("params");
        if (params != null && !(params instanceof JsonObject)) {
            throw new UserError("\"params\" must be an object");
        }
        Object presetName = start.getValue("preset");
        if (presetName != null && !(presetName instanceof String)) {
            throw new UserError("\"preset\" must be a string");
        }
        Preset preset = presetName == null ? Presets.defaultFor(objectives) : Presets.named((String) presetName);
        Settings settings = preset.defaults().with(params == null ? null : tree((JsonObject) params));
        return new RunRequest(model, objectives, size, steps, seed, preset, settings);
    }

    /** The same request with other settings (an update while it waits). */
    RunRequest with(Settings next) {
        return new RunRequest(model, objectives, size, steps, seed, preset, next);
    }

    /** The parts its preset builds from its settings, for its model's input space. */
    RunParts parts() {
        return preset.build(settings, model.inputSpace());
    }

    static JsonNode tree(JsonObject json) {
        try {
            return JSON.readTree(json.encode());
        } catch (java.io.IOException e) {
            throw new UserError("bad JSON: " + e.getMessage());
        }
    }

    private static int integer(JsonObject json, Param<Integer> field, int fallback) {
        Object v = json.getValue(field.name());
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < field.min()
                || ((Number) v).longValue() > field.max()) {
            throw new UserError("\"" + field.name() + "\" must be a whole number from " + (long) field.min() + " to "
                    + (long) field.max() + ", got " + v);
        }
        return ((Number) v).intValue();
    }
}
