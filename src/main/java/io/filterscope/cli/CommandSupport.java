package io.filterscope.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.filterscope.UserError;
import io.filterscope.engine.preset.Preset;
import io.filterscope.engine.preset.Presets;
import io.filterscope.engine.preset.Settings;
import io.filterscope.model.LoadedModel;
import io.filterscope.model.ModelStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What several commands share: the model directory, params JSON, filter ranges, and provenance for PNGs. */
final class CommandSupport {
    static final ObjectMapper JSON = new ObjectMapper();
    /** PNG text chunk holding the command line that re-creates the image. */
    static final String COMMAND_KEY = "filterscope:command";

    private CommandSupport() {
    }

    static LoadedModel model(Flags flags) {
        return new ModelStore(flags.path("models", "models")).load(flags.required("model"));
    }

    /** {@code --preset NAME}, or the given default. */
    static Preset preset(Flags flags, Preset fallback) {
        return flags.has("preset") ? Presets.named(flags.string("preset", fallback.name())) : fallback;
    }

    /** {@code --params '{"blurSigma":1}'} on top of the preset's defaults. */
    static Settings params(Flags flags, Preset preset) {
        Settings defaults = preset.defaults();
        if (!flags.has("params")) {
            return defaults;
        }
        JsonNode json;
        try {
            json = JSON.readTree(flags.string("params", "{}"));
        } catch (java.io.IOException e) {
            throw new UserError("--params is not valid JSON: " + e.getMessage().split("\n")[0]);
        }
        return defaults.with(json);
    }

    /** "0-63", "3", "1,4,9-12"; every index must be below {@code count}. */
    static List<Integer> filters(String spec, long count, String layer) {
        List<Integer> out = new ArrayList<>();
        for (String part : spec.split(",")) {
            String p = part.trim();
            try {
                int dash = p.indexOf('-', 1);
                int from = Integer.parseInt(dash < 0 ? p : p.substring(0, dash));
                int to = dash < 0 ? from : Integer.parseInt(p.substring(dash + 1));
                if (from < 0 || to < from) {
                    throw new NumberFormatException();
                }
                if (to >= count) {
                    throw UserError.notFound("filter " + to + " is out of range: layer " + layer + " has " + count
                            + " filters (0-" + (count - 1) + ")");
                }
                if (to - from + out.size() > 4096) {
                    throw new UserError("at most 4096 filters at once");
                }
                for (int f = from; f <= to; f++) {
                    out.add(f);
                }
            } catch (NumberFormatException e) {
                throw new UserError("--filters must look like 0-63 or 1,4,9-12, got '" + spec + "'");
            }
        }
        return out;
    }

    /** Text chunks for a PNG: the effective command line (so {@code rerun} can repeat it) and the key settings. */
    static Map<String, String> provenance(List<String> command, Map<String, Object> settings) {
        Map<String, String> text = new LinkedHashMap<>();
        try {
            text.put(COMMAND_KEY, JSON.writeValueAsString(command));
            for (Map.Entry<String, Object> e : settings.entrySet()) {
                Object v = e.getValue();
                text.put("filterscope:" + e.getKey(), v instanceof String s ? s : JSON.writeValueAsString(v));
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        text.put("Software", "FilterScope");
        return text;
    }
}
