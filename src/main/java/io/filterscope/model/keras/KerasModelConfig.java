package io.filterscope.model.keras;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A Keras model's configuration read into layers and their connections, whichever writer made it: Keras 2
 * and tf.keras ({@code model_config} of an HDF5 file), Keras 3 ({@code config.json} of a {@code .keras} zip,
 * whose calls list {@code __keras_tensor__} arguments), or TF.js ({@code modelTopology} of a
 * {@code model.json}). Sequential models become a chain. Nested models (Keras applications used as a base,
 * {@code Functional}/{@code Model}/{@code Sequential} layers) are flattened: their layers join the outer
 * list, their inputs are wired to what the outer call passed and their outputs stand for the nested layer.
 */
final class KerasModelConfig {
    private static final Set<String> MODELS = Set.of("Functional", "Model", "Sequential");

    final String name;
    /** The names of the model and of every model nested in it, outermost first. */
    final List<String> modelNames = new ArrayList<>();
    final List<KerasLayer> layers = new ArrayList<>();
    final List<KerasLayer.Ref> inputs = new ArrayList<>();
    final List<KerasLayer.Ref> outputs = new ArrayList<>();
    /** Input layer name to its batch shape ([null, h, w, c] for an image). */
    final Map<String, JsonNode> inputShapes = new LinkedHashMap<>();
    /** A flattened nested model's outputs (and inner inputs) stand for other tensors. */
    private final Map<KerasLayer.Ref, KerasLayer.Ref> alias = new HashMap<>();
    private final Set<String> names = new HashSet<>();

    private KerasModelConfig(String name) {
        this.name = name;
    }

    /** Reads a model configuration: an object with {@code class_name} and {@code config}. */
    static KerasModelConfig parse(JsonNode model) throws IOException {
        String cls = model.path("class_name").asText("");
        if (!MODELS.contains(cls)) {
            throw new IOException("its configuration is not a Keras model (class " + (cls.isEmpty() ? "missing" : cls) + ")");
        }
        JsonNode conf = model.path("config");
        String name = conf.isObject() ? conf.path("name").asText("model") : "model";
        KerasModelConfig c = new KerasModelConfig(name);
        c.modelNames.add(name);
        c.read(cls, conf, null, "");
        return c;
    }

    /** The ref a layer's input really reads, through flattened nested models. */
    KerasLayer.Ref resolve(KerasLayer.Ref ref) {
        KerasLayer.Ref r = ref;
        for (int guard = 0; alias.containsKey(r) && guard < 10_000; guard++) {
            r = alias.get(r);
        }
        return r;
    }

    /**
     * Reads one (possibly nested) model into this configuration. {@code group} is the top-level layer whose
     * HDF5 weights group holds a nested model's weights (null at the top level); {@code keras3Path} its
     * Keras 3 object path ("" at the top). Returns the model's inputs and outputs as this config names them.
     */
    private List<List<KerasLayer.Ref>> read(String cls, JsonNode conf, String group, String keras3Path) throws IOException {
        JsonNode list = conf.isArray() ? conf : conf.path("layers");
        if (!list.isArray() || list.isEmpty()) {
            throw new IOException("its model configuration lists no layers");
        }
        Map<String, Integer> classCounts = new HashMap<>();
        Map<String, String> renamed = new HashMap<>();
        List<KerasLayer.Ref> ins = new ArrayList<>();
        List<KerasLayer.Ref> outs = new ArrayList<>();
        boolean sequential = cls.equals("Sequential");
        String previous = null;
        for (JsonNode l : list) {
            String lcls = l.path("class_name").asText("");
            JsonNode lconf = l.path("config");
            String own = l.has("name") ? l.get("name").asText() : lconf.path("name").asText("");
            if (own.isEmpty()) {
                own = lcls.toLowerCase(Locale.ROOT) + "_" + layers.size();
            }
            String unique = names.add(own) ? own : uniqueName(keras3Path, own);
            renamed.put(own, unique);
            String path = keras3Path + (keras3Path.isEmpty() ? "" : "/") + "layers/" + counted(classCounts, snakeCase(lcls));
            String topGroup = group != null ? group : unique;
            List<KerasLayer.Call> calls;
            if (sequential) {
                if (lcls.equals("InputLayer")) {
                    inputShapes.put(unique, batchShape(lconf));
                    ins.add(new KerasLayer.Ref(unique, 0, 0));
                    previous = unique;
                    continue;
                }
                if (previous == null) {
                    // Keras 2 Sequential without an InputLayer: the first layer carries the input shape.
                    String input = unique + "_input";
                    names.add(input);
                    inputShapes.put(input, batchShape(lconf));
                    ins.add(new KerasLayer.Ref(input, 0, 0));
                    previous = input;
                }
                calls = List.of(new KerasLayer.Call(List.of(new KerasLayer.Ref(previous, 0, 0)), JsonNodeFactory.instance.objectNode()));
                previous = unique;
            } else {
                calls = calls(l.path("inbound_nodes"), renamed);
                if (lcls.equals("InputLayer")) {
                    inputShapes.put(unique, batchShape(lconf));
                    continue;
                }
            }
            if (MODELS.contains(lcls)) {
                if (calls.size() != 1) {
                    throw new IOException("nested model " + own + " is applied " + calls.size() + " times; only once is supported");
                }
                modelNames.add(lconf.path("name").asText(own));
                List<List<KerasLayer.Ref>> io = read(lcls, lconf, topGroup, path);
                List<KerasLayer.Ref> innerIns = io.get(0);
                List<KerasLayer.Ref> callIns = calls.get(0).inputs();
                if (innerIns.size() != callIns.size()) {
                    throw new IOException("nested model " + own + " takes " + innerIns.size() + " inputs but is given " + callIns.size());
                }
                for (int k = 0; k < innerIns.size(); k++) {
                    alias.put(innerIns.get(k), callIns.get(k));
                    inputShapes.remove(innerIns.get(k).layer());
                }
                List<KerasLayer.Ref> innerOuts = io.get(1);
                for (int k = 0; k < innerOuts.size(); k++) {
                    alias.put(new KerasLayer.Ref(unique, 0, k), innerOuts.get(k));
                }
                continue;
            }
            layers.add(new KerasLayer(unique, lcls, lconf, calls, new KerasLayer.WeightsPath(topGroup, own, path)));
        }
        if (sequential) {
            outs.add(new KerasLayer.Ref(previous, 0, 0));
        } else {
            ins.addAll(refs(conf.path("input_layers"), renamed));
            outs.addAll(refs(conf.path("output_layers"), renamed));
        }
        if (group == null) {
            inputs.addAll(ins);
            outputs.addAll(outs);
        }
        return List.of(ins, outs);
    }

    private String uniqueName(String scope, String own) {
        String base = (scope.isEmpty() ? "" : scope.replace("layers/", "") + "/") + own;
        String n = base;
        for (int k = 1; !names.add(n); k++) {
            n = base + "_" + k;
        }
        return n;
    }

    /** Keras 3's container key: the class name in snake case, then _1, _2... for later ones of the class. */
    private static String counted(Map<String, Integer> counts, String snake) {
        int k = counts.merge(snake, 1, Integer::sum) - 1;
        return k == 0 ? snake : snake + "_" + k;
    }

    /** Keras' to_snake_case: "Conv2D" to "conv2d", "BatchNormalization" to "batch_normalization", "PReLU" to "p_re_lu". */
    static String snakeCase(String cls) {
        String s = cls.replaceAll("\\W+", "");
        s = s.replaceAll("(.)([A-Z][a-z]+)", "$1_$2");
        return s.replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }

    private static JsonNode batchShape(JsonNode conf) {
        for (String key : new String[] {"batch_input_shape", "batch_shape", "batchInputShape"}) {
            if (conf.hasNonNull(key)) {
                return conf.get(key);
            }
        }
        return null;
    }

    /** Inbound nodes in either form: Keras 2 / TF.js lists of [layer, node, tensor, kwargs], or Keras 3 args/kwargs. */
    private static List<KerasLayer.Call> calls(JsonNode nodes, Map<String, String> renamed) throws IOException {
        List<KerasLayer.Call> out = new ArrayList<>();
        for (JsonNode node : nodes) {
            List<KerasLayer.Ref> refs = new ArrayList<>();
            JsonNode kwargs;
            if (node.isObject()) {
                collectTensors(node.path("args"), refs, renamed);
                kwargs = node.path("kwargs");
            } else {
                kwargs = JsonNodeFactory.instance.objectNode();
                for (JsonNode entry : node) {
                    refs.add(ref(entry, renamed));
                    if (entry.size() > 3 && entry.get(3).isObject()) {
                        kwargs = entry.get(3);
                    }
                }
            }
            out.add(new KerasLayer.Call(refs, kwargs));
        }
        return out;
    }

    private static void collectTensors(JsonNode args, List<KerasLayer.Ref> refs, Map<String, String> renamed) throws IOException {
        if (args.isObject() && "__keras_tensor__".equals(args.path("class_name").asText())) {
            refs.add(ref(args.path("config").path("keras_history"), renamed));
        } else if (args.isArray() || args.isObject()) {
            for (JsonNode a : args) {
                collectTensors(a, refs, renamed);
            }
        }
    }

    private static KerasLayer.Ref ref(JsonNode triple, Map<String, String> renamed) throws IOException {
        if (!triple.isArray() || triple.size() < 3 || !triple.get(0).isTextual()) {
            throw new IOException("unreadable layer connection " + triple);
        }
        String layer = triple.get(0).asText();
        return new KerasLayer.Ref(renamed.getOrDefault(layer, layer), triple.get(1).asInt(), triple.get(2).asInt());
    }

    /** input_layers / output_layers: a list of [layer, node, tensor], or one such triple (Keras 3, one input). */
    private static List<KerasLayer.Ref> refs(JsonNode list, Map<String, String> renamed) throws IOException {
        List<KerasLayer.Ref> out = new ArrayList<>();
        if (list.isArray() && !list.isEmpty() && list.get(0).isTextual()) {
            out.add(ref(list, renamed));
            return out;
        }
        for (JsonNode r : list) {
            out.add(ref(r, renamed));
        }
        return out;
    }
}
