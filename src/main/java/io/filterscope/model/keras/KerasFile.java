package io.filterscope.model.keras;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.modelimport.keras.KerasModel;
import org.deeplearning4j.nn.modelimport.keras.utils.KerasModelBuilder;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * A Keras HDF5 file: what it holds, read cheaply from its attributes ({@link #describe}), and the DL4J
 * network it becomes ({@link #load}). A full model ({@code model.save()}: configuration and weights) is
 * imported by DL4J's Keras import, Sequential as a MultiLayerNetwork and functional as a
 * ComputationGraph, with Keras' layer names. A weights-only file ({@code save_weights()}, or Keras' released
 * application weights) fills a {@link KnownArchitecture}.
 */
public final class KerasFile {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a file holds. */
    public enum Kind { SEQUENTIAL, FUNCTIONAL, WEIGHTS }

    /**
     * @param inputShape [channels, height, width] the model takes, or null when unknown (weights of an
     *                   unrecognized network); height and width are null for a model that takes any size
     * @param architecture the known architecture a weights-only file's layers match, or null
     */
    public record Description(Kind kind, List<Integer> inputShape, String kerasVersion, KnownArchitecture architecture) {
        public String summary() {
            String what = switch (kind) {
                case SEQUENTIAL -> "Keras Sequential model";
                case FUNCTIONAL -> "Keras functional model";
                case WEIGHTS -> architecture == null ? "Keras weights" : "Keras weights of " + architecture.description();
            };
            return kerasVersion == null ? what : what + " (Keras " + kerasVersion + ")";
        }

        /** Whether the model leaves its input's height and width open. */
        public boolean anySize() {
            return inputShape != null && (inputShape.get(1) == null || inputShape.get(2) == null);
        }
    }

    private KerasFile() {
    }

    /** Reads what the file holds without loading any weights. */
    public static Description describe(Path file) throws IOException {
        try (Hdf5File h5 = Hdf5File.open(file)) {
            String version = h5.hasAttribute("", "keras_version") ? h5.string("", "keras_version") : null;
            if (h5.hasAttribute("", "model_config")) {
                JsonNode config;
                try {
                    config = JSON.readTree(h5.string("", "model_config"));
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new IOException("its model_config attribute is not JSON");
                }
                Kind kind = "Sequential".equals(config.path("class_name").asText()) ? Kind.SEQUENTIAL : Kind.FUNCTIONAL;
                return new Description(kind, inputShape(config, kind), version, null);
            }
            KerasWeights weights = KerasWeights.find(h5);
            if (weights == null) {
                throw new IOException("an HDF5 file but not a Keras model: it has neither a model_config nor a layer_names attribute");
            }
            if (version == null && h5.hasAttribute("model_weights", "keras_version")) {
                version = h5.string("model_weights", "keras_version");
            }
            KnownArchitecture arch = KnownArchitecture.recognize(weights.weightedLayers());
            return new Description(Kind.WEIGHTS, arch == null ? null : arch.inputShape(), version, arch);
        }
    }

    /**
     * The file as a DL4J network, without dropout. {@code architecture} (from metadata, may be null) says
     * which network a weights-only file fills; without it the file's layer names must match a known one.
     * {@code size} is the input height and width for a model that takes any size.
     */
    public static Model load(Path file, String architecture, int size) throws IOException {
        Description d = describe(file);
        Model model;
        if (d.kind() == Kind.WEIGHTS) {
            KnownArchitecture arch = architecture != null ? named(architecture) : d.architecture();
            if (arch == null) {
                throw new IOException("holds weights only and its layers match no known architecture; name one in its "
                        + "metadata file with \"architecture\" (known: " + KnownArchitecture.known() + ")");
            }
            try (Hdf5File h5 = Hdf5File.open(file)) {
                model = arch.load(KerasWeights.find(h5));
            }
        } else {
            int[] shape = d.anySize() ? new int[] {size, size, d.inputShape().get(0)} : null;
            // DL4J's KerasModelImport leaves the HDF5 file open (it never closes its builder), and an HDF5 file
            // still open when the JVM exits crashes libhdf5's exit handler: so the builder, closed here.
            try (KerasModelBuilder builder = new KerasModel().modelBuilder().modelHdf5Filename(file.toString())
                    .enforceTrainingConfig(false)) {
                if (shape != null) {
                    builder.inputShape(shape);
                }
                model = d.kind() == Kind.SEQUENTIAL ? builder.buildSequential().getMultiLayerNetwork()
                        : builder.buildModel().getComputationGraph();
            } catch (IOException | RuntimeException | org.deeplearning4j.nn.modelimport.keras.exceptions.InvalidKerasConfigurationException
                     | org.deeplearning4j.nn.modelimport.keras.exceptions.UnsupportedKerasConfigurationException e) {
                throw new IOException("DL4J cannot import it: " + firstLine(e) + (d.anySize() && d.kind() == Kind.SEQUENTIAL
                        ? " (the model takes any input size, which DL4J imports only for functional models: save it"
                                + " with a fixed input_shape)" : ""));
            }
        }
        stripDropout(model);
        return model;
    }

    private static KnownArchitecture named(String architecture) throws IOException {
        try {
            return KnownArchitecture.named(architecture);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage());
        }
    }

    /**
     * Keras import gives every layer DL4J's dropout settings (and Keras Dropout layers a real rate). Ascent
     * wants the network as it infers, always: no layer keeps any dropout, so no forward or backward pass,
     * in whatever mode, can drop activations.
     */
    static void stripDropout(Model model) {
        List<org.deeplearning4j.nn.conf.layers.Layer> confs = new ArrayList<>();
        Layer[] layers;
        if (model instanceof MultiLayerNetwork mln) {
            for (NeuralNetConfiguration c : mln.getLayerWiseConfigurations().getConfs()) {
                confs.add(c.getLayer());
            }
            layers = mln.getLayers();
        } else if (model instanceof ComputationGraph graph) {
            for (GraphVertex v : graph.getConfiguration().getVertices().values()) {
                if (v instanceof LayerVertex lv) {
                    confs.add(lv.getLayerConf().getLayer());
                }
            }
            layers = graph.getLayers();
        } else {
            return;
        }
        for (Layer l : layers) {
            confs.add(l.conf().getLayer());
        }
        for (org.deeplearning4j.nn.conf.layers.Layer conf : confs) {
            conf.setIDropout(null);
        }
    }

    /** [channels, height, width] of the model's input layer, from its Keras configuration. */
    private static List<Integer> inputShape(JsonNode config, Kind kind) throws IOException {
        JsonNode conf = config.path("config");
        JsonNode layers = conf.isArray() ? conf : conf.path("layers");
        if (!layers.isArray() || layers.isEmpty()) {
            throw new IOException("its model_config lists no layers");
        }
        JsonNode input = null;
        if (kind == Kind.SEQUENTIAL) {
            input = layers.get(0).path("config");
        } else {
            String name = conf.path("input_layers").path(0).path(0).asText();
            for (JsonNode l : layers) {
                if (name.equals(l.path("name").asText(l.path("config").path("name").asText()))) {
                    input = l.path("config");
                }
            }
            if (conf.path("input_layers").size() > 1) {
                throw new IOException("the model has " + conf.path("input_layers").size() + " inputs; only one image input is supported");
            }
        }
        JsonNode shape = input == null ? null : input.has("batch_input_shape") ? input.get("batch_input_shape") : input.get("batch_shape");
        if (shape == null || !shape.isArray()) {
            throw new IOException("its model_config gives no input shape");
        }
        if (shape.size() != 4) {
            throw new IOException("the model's input is not an image: shape " + shape + " (an image is [batch, height, width, channels])");
        }
        boolean channelsFirst = false;
        for (JsonNode l : layers) {
            String format = l.path("config").path("data_format").asText(l.path("config").path("dim_ordering").asText(""));
            if (!format.isEmpty() && !format.equals("default")) {
                channelsFirst = format.equals("channels_first") || format.equals("th");
                break;
            }
        }
        List<Integer> dims = new ArrayList<>();
        for (JsonNode v : shape) {
            dims.add(v.isNull() ? null : v.asInt());
        }
        List<Integer> chw = channelsFirst ? dims.subList(1, 4) : java.util.Arrays.asList(dims.get(3), dims.get(1), dims.get(2));
        if (chw.get(0) == null) {
            throw new IOException("the model's input has no fixed number of channels");
        }
        return java.util.Collections.unmodifiableList(new ArrayList<>(chw));
    }

    /** An exception's message on one line, without DL4J's "for more information see" links. */
    static String firstLine(Throwable e) {
        Throwable t = e;
        while (t.getMessage() == null && t.getCause() != null) {
            t = t.getCause();
        }
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        m = m.split("\\R", 2)[0];
        int link = m.indexOf(" For more information");
        return (link > 0 ? m.substring(0, link) : m).strip();
    }
}
