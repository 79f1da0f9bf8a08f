package io.filterscope.engine.preset;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;

/**
 * The settings schema as JSON, as {@code GET /api/params} serves it: the presets, the default preset of
 * each kind of objective, every render setting (type, group, unit, help, bounds, slider range, whether it
 * may change mid-run, its default in each preset) and the run's own fields.
 */
public final class Schema {
    /** The objective types the protocol knows, each with its default preset. */
    static final List<String> OBJECTIVE_TYPES = List.of("channel", "neuron", "class", "deepdream");

    private Schema() {
    }

    public static ObjectNode json() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        ArrayNode presets = root.putArray("presets");
        Presets.ALL.forEach(p -> presets.addObject().put("name", p.name()).put("help", p.help()));
        ObjectNode defaults = root.putObject("defaultPreset");
        OBJECTIVE_TYPES.forEach(t -> defaults.put(t, Presets.defaultFor(t).name()));
        ArrayNode params = root.putArray("params");
        for (Param<?> p : Params.ALL) {
            ObjectNode json = describe(p);
            ObjectNode perPreset = json.putObject("defaults");
            Presets.ALL.forEach(preset -> perPreset.set(preset.name(), p.write(preset.defaults().get(p))));
            params.add(json);
        }
        ArrayNode run = root.putArray("run");
        for (Param<?> p : Params.RUN_FIELDS) {
            run.add(describe(p).set("default", p.write(p.base())));
        }
        root.put("gallerySteps", Params.GALLERY_STEPS);
        return root;
    }

    private static ObjectNode describe(Param<?> p) {
        ObjectNode json = JsonNodeFactory.instance.objectNode().put("name", p.name())
                .put("type", p.type().name().toLowerCase(Locale.ROOT)).put("group", p.group().name().toLowerCase(Locale.ROOT))
                .put("unit", p.unit()).put("help", p.help()).put("live", p.live());
        switch (p.type()) {
            case NUMBER, INTEGER, NUMBER_LIST -> json.put("min", p.min()).put("max", p.max());
            case CHOICE -> p.choices().forEach(json.putArray("choices")::add);
            default -> {
            }
        }
        if (p.type() == Param.Type.NUMBER_LIST) {
            json.put("maxItems", Param.MAX_ITEMS);
        }
        if (p.slider() != null) {
            json.putObject("slider").put("min", p.slider().min()).put("max", p.slider().max()).put("step", p.slider().step());
        }
        return json;
    }
}
