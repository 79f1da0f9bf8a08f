package io.filterscope.engine.objective;

import com.fasterxml.jackson.databind.JsonNode;
import io.filterscope.IndexRange;
import io.filterscope.UserError;
import io.filterscope.engine.net.LayerInfo;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads objectives in the protocol's JSON form and checks them against a model's layers:
 * {@code {"type":"channel","layer":"conv2","filter":3}}, {@code "neuron"} (optional {@code x}, {@code y};
 * default the centre of the layer's map at the run's size), {@code {"type":"class","index":k}}, {@code {"type":"deepdream","layer":L}} and
 * {@code {"type":"diversity","layer":L}} (see {@link Diversity}),
 * {@code {"type":"sum","terms":[{"weight":0.2,"objective":{...}}, ...]}}, and the image penalties {@code tv},
 * {@code l1} and {@code l2} (see {@link TotalVariation}, {@link ImageNorm}), usually in a sum with a negative weight.
 */
public final class Objectives {
    /** Reads the form of objectives alone, knowing no model ({@link #checkForm}): its layers are null. */
    private static final Objectives FORM = new Objectives(null, null);

    private final List<LayerInfo> layers;
    private final List<String> classes;

    /** @param classes class names, or null when the model has none */
    public Objectives(List<LayerInfo> layers, List<String> classes) {
        this.layers = layers;
        this.classes = classes;
    }

    /** The layer class objectives read: the model's last, which must be a dense (logit) layer. */
    public LayerInfo outputLayer() {
        LayerInfo last = layers.get(layers.size() - 1);
        return last.spatial() ? null : last;
    }

    /**
     * Checks what of an objective, or of a {@code "filters"} batch ({@link #parseBatch}), needs no model, in the words
     * reading it for a model uses: it is an object of a known type, its fields have their types (a string layer, a
     * whole-number filter or index, a sum's terms with their weights). Layers, and the ranges of filters and classes, are
     * the model's to check. A start is read so before any model is, so that it is refused at once.
     *
     * @return objectives of the kinds asked for, one per image, whose layers and indexes stand for none (what
     *         {@link io.filterscope.engine.preset.Presets#defaultFor(List)} reads)
     * @throws UserError as {@link #parseBatch} would
     */
    public static List<Objective> checkForm(JsonNode spec) {
        return FORM.parseBatch(spec);
    }

    public Objective parse(JsonNode spec) {
        if (spec == null || !spec.isObject()) {
            throw new UserError("objective must be a JSON object with a \"type\"");
        }
        String type = text(spec, "type");
        return switch (type) {
            case "channel" -> channel(layer(spec), spec);
            case "neuron" -> neuron(spec);
            case "class" -> classLogit(index(spec, "index", classRange()));
            case "deepdream" -> new DeepDreamObjective(layer(spec).name());
            case "diversity" -> new Diversity(layer(spec).name());
            case "sum" -> sum(spec);
            case "tv" -> new TotalVariation();
            case "l1" -> ImageNorm.L1;
            case "l2" -> ImageNorm.L2;
            default -> throw new UserError("unknown objective type '" + type
                    + "' (known: channel, neuron, class, deepdream, diversity, sum, tv, l1, l2)");
        };
    }

    /**
     * One objective per filter of a {@code "filters":[...]} request (per class index for a class objective:
     * every class's image at once), or the single objective.
     */
    public List<Objective> parseBatch(JsonNode spec) {
        if (spec != null && spec.has("filters")) {
            String single = "class".equals(spec.path("type").asText()) ? "index" : "filter";
            if (spec.has(single)) {
                throw new UserError("give \"" + single + "\" or \"filters\", not both");
            }
            JsonNode filters = spec.get("filters");
            if (!filters.isArray() || filters.isEmpty()) {
                throw new UserError("\"filters\" must be a non-empty array of filter indices");
            }
            List<Objective> list = new ArrayList<>();
            for (int i = 0; i < filters.size(); i++) {
                com.fasterxml.jackson.databind.node.ObjectNode one = spec.deepCopy();
                one.remove("filters");
                one.set(single, filters.get(i));
                try {
                    list.add(parse(one));
                } catch (UserError e) { // said of "filter", which the request did not write
                    throw new UserError("\"filters\" item " + (i + 1) + " of " + filters.size() + ": " + e.getMessage(), e.notFound);
                }
            }
            return list;
        }
        return List.of(parse(spec));
    }

    public ChannelObjective channel(String layer, int filter) {
        LayerInfo info = layerNamed(layer);
        filterRange(info).check(filter);
        return new ChannelObjective(info.name(), filter);
    }

    /** @param index any whole number: one out of the model's range is refused naming the range */
    public ClassObjective classLogit(long index) {
        if (layers == null) {
            return new ClassObjective("", 0, null); // the form alone
        }
        int k = classRange().check(index);
        return new ClassObjective(outputLayer().name(), k, classes != null && k < classes.size() ? classes.get(k) : null);
    }

    /** The output layer's class indexes. @throws UserError for a model without a dense output layer */
    private IndexRange classRange() {
        if (layers == null) {
            return null; // the form alone
        }
        LayerInfo out = outputLayer();
        if (out == null) {
            throw new UserError("this model has no dense output layer, so it has no class objective");
        }
        return new IndexRange("class", "the model", out.channels());
    }

    private Objective channel(LayerInfo layer, JsonNode spec) {
        return new ChannelObjective(layer.name(), index(spec, "filter", filterRange(layer)));
    }

    private Objective neuron(JsonNode spec) {
        LayerInfo layer = layer(spec);
        int filter = index(spec, "filter", filterRange(layer));
        if (!layer.spatial()) {
            throw new UserError("layer " + layer.name() + " has no spatial positions; use a channel objective");
        }
        // Whether the position lies on the map is known at the run's size (NeuronObjective#checkAll).
        return new NeuronObjective(layer.name(), filter, position(spec, "x"), position(spec, "y"));
    }

    /**
     * A neuron's optional {@code x} or {@code y}: null (the centre) when absent, else any whole number an int holds,
     * negative ones too: its map's bounds are checked with the run's size ({@link NeuronObjective#checkAll}), which
     * names them. One no int holds lies beyond every map.
     */
    private static Integer position(JsonNode spec, String field) {
        if (!spec.has(field)) {
            return null;
        }
        JsonNode v = spec.get(field);
        java.math.BigDecimal whole = wholeFloat(v);
        boolean huge = v.isIntegralNumber() && !v.canConvertToLong() || whole != null && whole.abs().compareTo(LONG_MAX) > 0;
        long n = huge ? Long.MAX_VALUE : integer(spec, field);
        if (n < Integer.MIN_VALUE || n > Integer.MAX_VALUE) {
            throw new UserError("neuron \"" + field + "\" must be a whole number from 0 to its layer's map "
                    + (field.equals("x") ? "width" : "height") + " less 1, got " + v.asText());
        }
        return (int) n;
    }

    private Objective sum(JsonNode spec) {
        JsonNode terms = spec.path("terms");
        if (!terms.isArray() || terms.isEmpty()) {
            throw new UserError("a sum objective needs a non-empty \"terms\" array");
        }
        List<WeightedSum.Term> list = new ArrayList<>();
        for (JsonNode t : terms) {
            JsonNode w = t.path("weight");
            if (!w.isNumber()) {
                throw new UserError("every term of a sum needs a numeric \"weight\"");
            }
            if (!(Math.abs(w.asDouble()) <= WeightedSum.MAX_WEIGHT)) {
                throw new UserError("a sum term's \"weight\" must be between " + -WeightedSum.MAX_WEIGHT + " and "
                        + WeightedSum.MAX_WEIGHT + ", got " + w.asText());
            }
            list.add(new WeightedSum.Term(w.asDouble(), parse(t.get("objective"))));
        }
        return new WeightedSum(list);
    }

    private LayerInfo layer(JsonNode spec) {
        return layerNamed(text(spec, "layer"));
    }

    private LayerInfo layerNamed(String name) {
        if (layers == null) {
            return new LayerInfo(name, "", 1, List.of(1L, 1L, 1L)); // the form alone: any name, spatial
        }
        return LayerInfo.named(layers, name, "");
    }

    private IndexRange filterRange(LayerInfo layer) {
        return layers == null ? null : new IndexRange("filter", "layer " + layer.name(), layer.channels());
    }

    /**
     * A filter or class index, checked against its range, however many digits it has; with no range (the form alone), only
     * that it is a whole number.
     */
    private static int index(JsonNode spec, String field, IndexRange range) {
        JsonNode v = spec.get(field);
        if (range == null) {
            if (v == null || !v.isIntegralNumber() && wholeFloat(v) == null) {
                integer(spec, field);
            }
            return 0;
        }
        if (v != null && v.isIntegralNumber() && !v.canConvertToLong()) {
            throw range.outside(v.asText());
        }
        java.math.BigDecimal whole = wholeFloat(v);
        if (whole != null) { // 1e300 or 3.0: out of range is said first, as for any other number
            if (whole.abs().compareTo(LONG_MAX) > 0) {
                throw range.outside(v.asText());
            }
            range.check(whole.longValue());
        }
        return range.check(integer(spec, field));
    }

    private static final java.math.BigDecimal LONG_MAX = java.math.BigDecimal.valueOf(Long.MAX_VALUE);

    /** A number written with a point or an exponent whose value is whole (3.0, 1e300), else null. */
    private static java.math.BigDecimal wholeFloat(JsonNode v) {
        if (v == null || !v.isNumber() || v.isIntegralNumber() || !Double.isFinite(v.asDouble())) {
            return null;
        }
        java.math.BigDecimal d = v.decimalValue().stripTrailingZeros();
        return d.scale() <= 0 ? d : null;
    }

    private static String text(JsonNode spec, String field) {
        JsonNode v = spec.get(field);
        if (v == null || !v.isTextual()) {
            throw new UserError("objective needs a string \"" + field + "\"");
        }
        return v.asText();
    }

    /**
     * A whole number, as a long so that one beyond 32 bits is checked against the model's range, never wrapped (2^32 + 5
     * is not filter 5). Its callers refuse one beyond a long first, with their bounds.
     */
    private static long integer(JsonNode spec, String field) {
        JsonNode v = spec.get(field);
        java.math.BigDecimal whole = wholeFloat(v);
        if (whole != null) {
            throw new UserError("\"" + field + "\" must be written without a decimal point or exponent: " + whole.toBigInteger()
                    + ", not " + v.asText());
        }
        if (v != null && v.isNumber() && !v.isIntegralNumber()) {
            throw new UserError("objective needs an integer \"" + field + "\", got " + v.asText());
        }
        if (v == null || !v.isIntegralNumber()) {
            throw new UserError("objective needs an integer \"" + field + "\"");
        }
        return v.asLong();
    }
}
