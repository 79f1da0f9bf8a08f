package io.filterscope.model.keras;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.filterscope.engine.net.ModelGraph;
import io.filterscope.engine.param.InputSpace;
import io.filterscope.model.tfjs.TfjsModel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * A Keras-family model file: Keras 2 / tf.keras HDF5 ({@code .h5}, {@code .hdf5}: a full model, or weights
 * only), Keras 3 ({@code .keras}: a zip of config.json, metadata.json and model.weights.h5), or a TF.js layers
 * model (a directory holding {@code model.json} and its weight shards). {@link #describe} reads what it holds
 * from the configuration alone and checks every layer; {@link #read} builds the engine's graph with FilterScope's
 * own readers ({@link KerasModel}), or, for a weights-only file, the {@link KnownArchitecture} it fills.
 */
public final class KerasFile {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a file holds. */
    public enum Kind { SEQUENTIAL, FUNCTIONAL, WEIGHTS }

    /**
     * @param inputShape [channels, height, width] the model takes, or null when unknown (weights of an
     *                   unrecognized network); height and width are null for a model that takes any size
     * @param kerasVersion as the file records it ("2.2.4", "3.3.3", "tfjs-layers 4.22.0"), or null
     * @param architecture the known architecture a weights-only file's layers match, or null
     * @param input the input the file says the model expects (see {@link KerasPreprocessing}), or null for none
     * @param inputText that input in words, or null
     * @param classes class names the file records (TF.js metadata), or null
     */
    public record Description(Kind kind, String format, List<Integer> inputShape, String kerasVersion,
                              KnownArchitecture architecture, InputSpace input, String inputText, List<String> classes) {
        public String summary() {
            String what = switch (kind) {
                case SEQUENTIAL -> format + " Sequential model";
                case FUNCTIONAL -> format + " functional model";
                case WEIGHTS -> architecture == null ? "Keras weights" : "Keras weights of " + architecture.description();
            };
            return kerasVersion == null ? what : what + " (" + (kerasVersion.startsWith("tfjs") ? "" : "Keras ") + kerasVersion + ")";
        }

        /** Whether the model leaves its input's height and width open. */
        public boolean anySize() {
            return inputShape != null && (inputShape.get(1) == null || inputShape.get(2) == null);
        }
    }

    private KerasFile() {
    }

    /** Whether FilterScope reads this path as a Keras-family model (by name: .h5, .hdf5, .keras, a TF.js directory). */
    public static boolean handles(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".h5") || name.endsWith(".hdf5") || name.endsWith(".keras") || TfjsModel.isModel(file);
    }

    /**
     * Reads what the file holds without loading any weights, and checks that every layer can be computed.
     *
     * @throws IOException saying in one line what is wrong: not a model, unreadable, or a layer
     *                     (name, class and what) that cannot be computed
     */
    public static Description describe(Path file) throws IOException {
        try {
            if (TfjsModel.isModel(file)) {
                TfjsModel tfjs = TfjsModel.open(file);
                return full(tfjs.model(), tfjs.topology(), "TF.js layers", tfjs.kerasVersion(), tfjs.metadataInput(), tfjs.classes());
            }
            if (isKeras3(file)) {
                try (ZipFile zip = openZip(file)) {
                    String version = kerasVersion(zip);
                    JsonNode config = json(text(zip, "config.json"), "its config.json");
                    return full(KerasModel.of(config, version, false), config, "Keras 3", version, null, null);
                }
            }
            try (Hdf5File h5 = Hdf5File.open(file)) {
                String version = h5.hasAttribute("", "keras_version") ? h5.string("", "keras_version") : null;
                if (h5.hasAttribute("", "model_config")) {
                    JsonNode config = json(h5.string("", "model_config"), "its model_config attribute");
                    return full(KerasModel.of(config, version, false), config, "Keras", version, null, null);
                }
                KerasWeights weights = KerasWeights.find(h5);
                if (weights == null) {
                    throw new IOException("an HDF5 file but not a Keras model: it has neither a model_config nor a layer_names attribute");
                }
                if (version == null && h5.hasAttribute("model_weights", "keras_version")) {
                    version = h5.string("model_weights", "keras_version");
                }
                KnownArchitecture arch = KnownArchitecture.recognize(weights.weightedLayers());
                return new Description(Kind.WEIGHTS, "Keras", arch == null ? null : arch.inputShape(), version, arch,
                        arch == null ? null : arch.input(), arch == null ? null : arch.inputDescription(), null);
            }
        } catch (io.filterscope.engine.net.UnsupportedLayerException e) {
            throw new IOException(e.getMessage());
        }
    }

    private static Description full(KerasModel model, JsonNode config, String format, String version, InputSpace fileInput,
                                    List<String> classes) throws IOException {
        List<Integer> shape = model.check();
        Kind kind = "Sequential".equals(config.path("class_name").asText()) ? Kind.SEQUENTIAL : Kind.FUNCTIONAL;
        KerasPreprocessing.Hint hint = fileInput != null ? new KerasPreprocessing.Hint(fileInput, "as its TF.js metadata says")
                : KerasPreprocessing.of(model);
        return new Description(kind, format, shape, version, null, hint == null ? null : hint.input(),
                hint == null ? null : hint.text(), classes);
    }

    /**
     * The file as the engine's graph. {@code architecture} (from metadata, may be null) says which network a
     * weights-only file fills; without it the file's layer names must match a known one.
     *
     * @throws io.filterscope.engine.net.UnsupportedLayerException naming a layer that cannot be computed
     * @throws IOException when the file cannot be read or its weights do not fit
     */
    public static ModelGraph read(Path file, String architecture) throws IOException {
        if (TfjsModel.isModel(file)) {
            TfjsModel tfjs = TfjsModel.open(file);
            try (KerasWeightStore weights = tfjs.weights()) {
                return tfjs.model().read(weights);
            }
        }
        if (isKeras3(file)) {
            return readKeras3(file);
        }
        Description d = describe(file);
        try (Hdf5File h5 = Hdf5File.open(file)) {
            if (d.kind() == Kind.WEIGHTS) {
                KnownArchitecture arch = architecture != null ? named(architecture) : d.architecture();
                if (arch == null) {
                    throw new IOException("holds weights only and its layers match no known architecture; name one in its "
                            + "metadata file with \"architecture\" (known: " + KnownArchitecture.known() + ")");
                }
                return arch.graph(KerasWeights.find(h5));
            }
            KerasModel model = KerasModel.of(json(h5.string("", "model_config"), "its model_config attribute"), d.kerasVersion(), false);
            String root = h5.hasAttribute("model_weights", "layer_names") ? "model_weights" : "";
            KerasWeightStore store = KerasWeightStore.keras2(h5, root);
            return model.read(store);
        }
    }

    private static ModelGraph readKeras3(Path file) throws IOException {
        Path weights = Files.createTempFile("filterscope-", ".weights.h5");
        try (ZipFile zip = openZip(file)) {
            String version = kerasVersion(zip);
            KerasModel model = KerasModel.of(json(text(zip, "config.json"), "its config.json"), version, false);
            ZipEntry entry = zip.getEntry("model.weights.h5");
            if (entry == null) {
                throw new IOException("a .keras file without model.weights.h5");
            }
            try (InputStream in = zip.getInputStream(entry)) {
                Files.copy(in, weights, StandardCopyOption.REPLACE_EXISTING);
            }
            Hdf5File h5;
            try {
                h5 = Hdf5File.open(weights);
            } catch (IOException e) {
                throw new IOException("its model.weights.h5: " + e.getMessage());
            }
            try (h5) {
                return model.read(KerasWeightStore.keras3(h5));
            }
        } finally {
            Files.deleteIfExists(weights);
        }
    }

    private static boolean isKeras3(Path file) {
        return file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".keras");
    }

    /** The Keras version a .keras file's metadata.json names, or null. */
    private static String kerasVersion(ZipFile zip) throws IOException {
        return json(text(zip, "metadata.json"), "its metadata.json").path("keras_version").asText(null);
    }

    private static ZipFile openZip(Path file) throws IOException {
        try {
            return new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw new IOException("not a readable .keras file (not a zip: " + e.getMessage() + ")");
        }
    }

    private static String text(ZipFile zip, String name) throws IOException {
        ZipEntry e = zip.getEntry(name);
        if (e == null) {
            throw new IOException("a .keras file without " + name);
        }
        try (InputStream in = zip.getInputStream(e)) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private static JsonNode json(String text, String what) throws IOException {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IOException(what + " is not JSON");
        }
    }

    private static KnownArchitecture named(String architecture) throws IOException {
        try {
            return KnownArchitecture.named(architecture);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage());
        }
    }
}
