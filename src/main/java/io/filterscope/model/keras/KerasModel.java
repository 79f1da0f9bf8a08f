package io.filterscope.model.keras;

import com.fasterxml.jackson.databind.JsonNode;
import io.filterscope.engine.net.ModelGraph;
import io.filterscope.engine.net.UnsupportedLayerException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A full Keras model (configuration and weights) read into the engine's graph by FilterScope's own readers,
 * from whichever file held it (Keras 2 / tf.keras .h5, Keras 3 .keras, TF.js model.json: see {@link KerasFile}
 * and io.filterscope.model.tfjs). {@link #check} looks at the configuration only and refuses what cannot be
 * computed, so a model is known to run when it is listed; {@link #read} then loads the weights.
 */
public final class KerasModel {
    /**
     * Layers that only lay values out anew: their outputs are their inputs' values, so not objective targets;
     * except a Reshape to a vector, which is how Keras' MobileNet turns its 1x1 convolution into class logits.
     */
    private static final Set<String> RELAYOUTS = Set.of("Flatten", "Reshape");
    private final KerasModelConfig config;
    private final KerasDialect dialect;

    private KerasModel(KerasModelConfig config, KerasDialect dialect) {
        this.config = config;
        this.dialect = dialect;
    }

    /**
     * The model of this configuration ({@code class_name} and {@code config}) as Keras of this version wrote it
     * ("tfjs" for TF.js).
     *
     * @throws IOException when the configuration cannot be read as a Keras model
     */
    public static KerasModel of(JsonNode modelConfig, String kerasVersion, boolean tfjs) throws IOException {
        return new KerasModel(KerasModelConfig.parse(modelConfig), tfjs ? KerasDialect.TFJS : KerasDialect.ofVersion(kerasVersion));
    }

    /** The names of the model and of the models nested in it, outermost first. */
    public List<String> modelNames() {
        return Collections.unmodifiableList(config.modelNames);
    }

    /** The layers' class names in order, first ones first (for preprocessing hints such as a leading Rescaling). */
    public List<KerasLayer> layers() {
        return Collections.unmodifiableList(config.layers);
    }

    /**
     * [channels, height, width] of the model's one image input (height and width null when it takes any
     * size), after checking that every layer can be computed.
     *
     * @throws UnsupportedLayerException naming the first layer that cannot, or a model that is not one image in
     * @throws IOException when the configuration is inconsistent
     */
    public List<Integer> check() throws IOException {
        List<Integer> shape = inputShape();
        for (KerasLayer l : config.layers) {
            KerasLayers.reader(l);
        }
        order();
        return shape;
    }

    private List<Integer> inputShape() throws IOException {
        if (config.inputs.size() != 1) {
            throw new UnsupportedLayerException("the model has " + config.inputs.size() + " inputs; only one image input is supported");
        }
        JsonNode shape = config.inputShapes.get(config.inputs.get(0).layer());
        if (shape == null || !shape.isArray()) {
            throw new IOException("its configuration gives no input shape");
        }
        if (shape.size() != 4) {
            throw new UnsupportedLayerException("the model's input is not an image: shape " + shape
                    + " (an image is [batch, height, width, channels])");
        }
        List<Integer> dims = new ArrayList<>();
        for (JsonNode v : shape) {
            dims.add(v.isNull() ? null : v.asInt());
        }
        List<Integer> chw = channelsFirst() ? dims.subList(1, 4) : Arrays.asList(dims.get(3), dims.get(1), dims.get(2));
        if (chw.get(0) == null) {
            throw new IOException("the model's input has no fixed number of channels");
        }
        return Collections.unmodifiableList(new ArrayList<>(chw));
    }

    /** A model is channels-first when the first layer that states a data format says so. */
    private boolean channelsFirst() {
        for (KerasLayer l : config.layers) {
            if (l.config().has("data_format") || l.config().has("dim_ordering")) {
                return l.channelsFirst();
            }
        }
        return false;
    }

    /** The layers in an order where each comes after the layers it reads (Keras lists them so, mostly). */
    private List<KerasLayer> order() throws IOException {
        Set<String> done = new HashSet<>();
        done.add(config.inputs.get(0).layer());
        List<KerasLayer> pending = new ArrayList<>(config.layers);
        List<KerasLayer> out = new ArrayList<>();
        while (!pending.isEmpty()) {
            boolean progress = false;
            for (var it = pending.iterator(); it.hasNext(); ) {
                KerasLayer l = it.next();
                boolean ready = l.calls().stream().flatMap(c -> c.inputs().stream()).map(config::resolve)
                        .allMatch(r -> done.contains(r.layer()));
                if (ready) {
                    out.add(l);
                    done.add(l.name());
                    it.remove();
                    progress = true;
                }
            }
            if (!progress) {
                KerasLayer stuck = pending.get(0);
                throw new IOException("layer " + stuck.name() + " reads a layer that is missing or part of a cycle");
            }
        }
        return out;
    }

    /**
     * The model as the engine's graph, with every layer that computes something named as Keras names it.
     *
     * @throws UnsupportedLayerException naming the first layer that cannot be computed
     * @throws IOException when a weight is missing or the wrong shape
     */
    public ModelGraph read(KerasWeightStore weights) throws IOException {
        List<Integer> shape = check();
        Set<String> consumed = new HashSet<>();
        for (KerasLayer l : config.layers) {
            l.calls().forEach(c -> c.inputs().forEach(r -> consumed.add(config.resolve(r).layer())));
        }
        Set<String> finals = new HashSet<>();
        for (KerasLayer.Ref r : config.outputs) {
            String layer = config.resolve(r).layer();
            if (!consumed.contains(layer)) {
                finals.add(layer);
            }
        }
        ModelGraph.Builder builder = ModelGraph.builder();
        KerasGraph g = new KerasGraph(builder, weights, dialect, finals);
        Map<KerasLayer.Ref, KerasTensor> tensors = new HashMap<>();
        tensors.put(config.resolve(config.inputs.get(0)), new KerasTensor(ModelGraph.INPUT,
                channelsFirst() ? KerasTensor.IDENTITY_3 : KerasTensor.CHANNELS_LAST));
        if (shape.get(0) == null) {
            throw new IOException("the model's input has no fixed number of channels");
        }
        for (KerasLayer l : order()) {
            KerasLayerReader reader = KerasLayers.reader(l);
            for (int k = 0; k < l.calls().size(); k++) {
                List<KerasTensor> in = new ArrayList<>();
                for (KerasLayer.Ref r : l.calls().get(k).inputs()) {
                    KerasTensor t = tensors.get(config.resolve(r));
                    if (t == null) {
                        throw new IOException("layer " + l.name() + " reads " + r.layer() + ", which produces no such tensor");
                    }
                    in.add(t);
                }
                if (in.isEmpty()) {
                    throw new IOException("layer " + l.name() + " has no input");
                }
                KerasTensor out;
                try {
                    out = reader.read(l, in, g);
                } catch (IllegalArgumentException | IllegalStateException | IndexOutOfBoundsException e) {
                    throw new IOException("layer " + l.name() + " (" + l.className() + "): " + e.getMessage(), e);
                }
                boolean computes = in.stream().noneMatch(t -> t.node() == out.node());
                boolean relayout = RELAYOUTS.contains(l.className()) && !(l.className().equals("Reshape") && !out.maps());
                if (computes && out.node() != ModelGraph.INPUT && !relayout) {
                    builder.name(k == 0 ? l.name() : l.name() + "_call" + k, out.node());
                }
                tensors.put(new KerasLayer.Ref(l.name(), k, 0), out);
            }
        }
        return builder.build();
    }
}
