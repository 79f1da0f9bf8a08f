package io.filterscope.model;

import io.filterscope.UserError;
import io.filterscope.engine.param.InputSpace;
import io.filterscope.model.keras.KerasFile;
import io.filterscope.model.onnx.OnnxReader;
import io.filterscope.model.keras.KnownArchitecture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;
import java.util.function.IntToLongFunction;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;

/**
 * Metadata for a model file dropped into the models directory without a {@code NAME.json}: input pixels
 * are 8-bit images scaled to [0, 1] (weights of a {@link KnownArchitecture}: the input they were trained
 * with; the description says which), channels (1 = grayscale, 3 = RGB) and size come from the model
 * itself, no class names, layer names as the file has them. A Keras-family file's own hints come first: its
 * preprocessing layers or Keras applications' name (see KerasPreprocessing), a TF.js metadata.json's classes.
 * Read from the file's configuration only (a Keras file's attributes, a DL4J zip's configuration.json), never
 * its weights, and every layer is checked then, so a model listed as available can run. Remembered per file
 * version (not errors: a file still being copied in is read again), so listing a directory stays cheap.
 */
final class ModelDefaults {
    /** Height and width for a model that takes any size (ImageNet's). */
    static final int ANY_SIZE_DEFAULT = 224;
    private static final int MAX_SIDE = 4096;
    private static final Map<Path, Cached> CACHE = new ConcurrentHashMap<>();

    private record Cached(FileVersion version, ModelMetadata metadata) {
    }

    private ModelDefaults() {
    }

    static boolean isOnnx(Path file) {
        return file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".onnx") && !Files.isDirectory(file);
    }

    static boolean isKeras(Path file) {
        return KerasFile.handles(file);
    }

    /**
     * What identifies a version of a model file: its size and modification time (for a TF.js directory, the
     * total size and latest time of its files), so a file changed or replaced in place is read again.
     */
    record FileVersion(long size, long modified) {
        static FileVersion of(Path file) throws IOException {
            if (!Files.isDirectory(file)) {
                return new FileVersion(Files.size(file), Files.getLastModifiedTime(file).toMillis());
            }
            long size = 0;
            long modified = Files.getLastModifiedTime(file).toMillis();
            try (var files = Files.list(file)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    if (Files.isRegularFile(f)) {
                        size += Files.size(f);
                        modified = Math.max(modified, Files.getLastModifiedTime(f).toMillis());
                    }
                }
            }
            return new FileVersion(size, modified);
        }
    }

    private static final Map<Path, FileVersion> CHECKED = new ConcurrentHashMap<>();

    /**
     * Checks that a Keras-family or ONNX file described by a metadata file can be computed (every layer or
     * node; for Keras from its configuration alone), and that a DL4J zip opens and holds its configuration;
     * remembered per file version like the defaults.
     *
     * @throws UserError naming the file and what is wrong
     */
    static void check(Path file) {
        Path key = file.toAbsolutePath().normalize();
        try {
            FileVersion version = FileVersion.of(file);
            if (version.equals(CHECKED.get(key))) {
                return;
            }
            if (isOnnx(file)) {
                OnnxReader.describe(file);
            } else if (isKeras(file)) {
                KerasFile.describe(file);
            } else {
                zipConfiguration(file);
            }
            CHECKED.put(key, version);
        } catch (IOException | RuntimeException e) {
            throw new UserError(file + ": " + ModelStore.oneLine(e));
        }
    }

    /** The defaults for this file under this id, or a one-line error naming the file. */
    static ModelMetadata of(Path file, String id) {
        Path key = file.toAbsolutePath().normalize();
        FileVersion version;
        try {
            version = FileVersion.of(file);
        } catch (IOException e) {
            throw new UserError(file + ": cannot read (" + e.getMessage() + ")");
        }
        Cached c = CACHE.get(key);
        if (c != null && c.version.equals(version) && c.metadata.id().equals(id)) {
            return c.metadata;
        }
        ModelMetadata meta;
        try {
            meta = compute(file, id);
        } catch (IOException | RuntimeException e) {
            throw new UserError(file + ": " + ModelStore.oneLine(e));
        }
        CACHE.put(key, new Cached(version, meta));
        return meta;
    }

    private static ModelMetadata compute(Path file, String id) throws IOException {
        String name = file.getFileName().toString();
        List<Integer> shape;
        String description;
        String architecture = null;
        InputSpace input = InputSpace.UNIT;
        String inputText = "pixels scaled to [0, 1]";
        List<String> classes = null;
        if (isOnnx(file)) {
            OnnxReader.Description d = OnnxReader.describe(file);
            shape = List.of(d.channels(), d.height() == null ? ANY_SIZE_DEFAULT : d.height(),
                    d.width() == null ? ANY_SIZE_DEFAULT : d.width());
            description = d.summary();
            if (d.channels() == 3) {
                // Most ONNX files come from PyTorch, whose ImageNet models expect torchvision's convention.
                input = InputSpace.TORCHVISION;
                inputText = "as PyTorch's torchvision models expect (RGB, [0, 1], ImageNet mean and std); write " + id
                        + ".json with its \"input\" if the model was trained otherwise";
            }
        } else if (isKeras(file)) {
            KerasFile.Description d = KerasFile.describe(file);
            if (d.inputShape() == null) {
                throw new IOException("holds weights only and its layers match no known architecture; write " + id
                        + ".json naming its \"architecture\" (known: " + KnownArchitecture.known() + ")");
            }
            shape = new ArrayList<>(d.inputShape());
            for (int i = 1; i < 3; i++) {
                if (shape.get(i) == null) {
                    shape.set(i, ANY_SIZE_DEFAULT);
                }
            }
            description = d.summary();
            if (d.architecture() != null) {
                architecture = d.architecture().id();
                input = d.architecture().input();
                inputText = "as its weights were trained (" + d.architecture().inputDescription() + ")";
            } else if (d.input() != null) {
                input = d.input();
                inputText = d.inputText();
            }
            classes = d.classes();
        } else {
            shape = zipInputShape(file);
            description = "DL4J model";
        }
        if (shape.get(0) != 1 && shape.get(0) != 3) {
            throw new IOException("the model takes " + shape.get(0) + " input channels; only 1 (grayscale) or 3 (RGB) are supported");
        }
        return new ModelMetadata(id, description + " from " + name + "; input " + inputText, name, List.copyOf(shape),
                input, classes, null, null, architecture);
    }

    /** [channels, height, width] of a DL4J zip's network, from its configuration alone. */
    private static List<Integer> zipInputShape(Path zip) throws IOException {
        String json = zipConfiguration(zip);
        return json.contains("\"vertices\"") ? graphInputShape(ComputationGraphConfiguration.fromJson(json))
                : layersInputShape(MultiLayerConfiguration.fromJson(json));
    }

    /** A DL4J zip's configuration.json; @throws IOException if the file is no zip (truncated, say) or lacks it */
    private static String zipConfiguration(Path zip) throws IOException {
        try (ZipFile z = new ZipFile(zip.toFile())) {
            var entry = z.getEntry("configuration.json");
            if (entry == null) {
                throw new IOException("not a DL4J model zip: it has no configuration.json");
            }
            return new String(z.getInputStream(entry).readAllBytes(), StandardCharsets.UTF_8);
        } catch (ZipException e) {
            throw new IOException("not a readable zip (" + e.getMessage() + ")");
        }
    }

    private static List<Integer> layersInputShape(MultiLayerConfiguration conf) throws IOException {
        List<Integer> direct = fromFirstLayer(conf.getInputPreProcess(0), conf.getConf(0).getLayer());
        if (direct.size() == 3) {
            return direct;
        }
        int channels = direct.get(0);
        for (int i = 1; i < conf.getConfs().size(); i++) {
            if (conf.getInputPreProcess(i) instanceof CnnToFeedForwardPreProcessor flatten) {
                int before = i - 1;
                return square(channels, flatten, s -> conf.getLayerActivationTypes(InputType.convolutional(s, s, channels)).get(before));
            }
        }
        return List.of(channels, ANY_SIZE_DEFAULT, ANY_SIZE_DEFAULT);
    }

    private static List<Integer> graphInputShape(ComputationGraphConfiguration conf) throws IOException {
        if (conf.getNetworkInputs().size() != 1) {
            throw new IOException("the network has " + conf.getNetworkInputs().size() + " inputs; only one image input is supported");
        }
        String input = conf.getNetworkInputs().get(0);
        List<Integer> direct = null;
        for (String name : conf.getTopologicalOrderStr()) {
            GraphVertex v = conf.getVertices().get(name);
            if (v instanceof LayerVertex lv && conf.getVertexInputs().get(name).equals(List.of(input))) {
                direct = fromFirstLayer(lv.getPreProcessor(), lv.getLayerConf().getLayer());
                break;
            }
        }
        if (direct == null) {
            throw new IOException("cannot find the network's first layer");
        }
        if (direct.size() == 3) {
            return direct;
        }
        int channels = direct.get(0);
        for (String name : conf.getTopologicalOrderStr()) {
            GraphVertex v = conf.getVertices().get(name);
            InputPreProcessor pre = v instanceof LayerVertex lv ? lv.getPreProcessor()
                    : v instanceof PreprocessorVertex pv ? pv.getPreProcessor() : null;
            if (pre instanceof CnnToFeedForwardPreProcessor flatten) {
                String before = conf.getVertexInputs().get(name).get(0);
                return square(channels, flatten, s -> conf.getLayerActivationTypes(InputType.convolutional(s, s, channels)).get(before));
            }
        }
        return List.of(channels, ANY_SIZE_DEFAULT, ANY_SIZE_DEFAULT);
    }

    /** The full shape if the first layer's preprocessor gives it, else just [channels] of its convolution. */
    private static List<Integer> fromFirstLayer(InputPreProcessor pre, Layer first) throws IOException {
        if (pre instanceof FeedForwardToCnnPreProcessor f) {
            return List.of((int) f.getNumChannels(), (int) f.getInputHeight(), (int) f.getInputWidth());
        }
        if (!(first instanceof ConvolutionLayer c)) {
            throw new IOException("its first layer (" + first.getClass().getSimpleName() + ") is not a convolution, "
                    + "so its input is not an image");
        }
        return List.of((int) c.getNIn());
    }

    /**
     * The input side whose maps, where the network first flattens them, have the size that flatten expects:
     * the only way to learn a DL4J network's input size from its configuration, which does not record it.
     * Map size grows with input size, so a binary search finds the range of sides that fit (pooling rounds
     * down, so there are often several, e.g. 28 and 29 for LeNet); the smallest even one is taken.
     */
    private static List<Integer> square(int channels, CnnToFeedForwardPreProcessor flatten, IntFunction<InputType> typeBefore)
            throws IOException {
        long target = flatten.getInputHeight();
        IntToLongFunction height = s -> {
            try {
                return typeBefore.apply(s) instanceof InputType.InputTypeConvolutional c ? c.getHeight() : -1;
            } catch (RuntimeException tooSmall) {
                return -1;
            }
        };
        int lo = firstSide(s -> height.applyAsLong(s) >= target);
        int hi = firstSide(s -> height.applyAsLong(s) > target) - 1;
        int side = lo % 2 == 0 || lo + 1 > hi ? lo : lo + 1;
        if (lo <= hi && typeBefore.apply(side) instanceof InputType.InputTypeConvolutional c
                && c.getHeight() == target && c.getWidth() == flatten.getInputWidth()) {
            return List.of(channels, side, side);
        }
        throw new IOException("cannot tell the network's input size from its configuration; write a metadata file with \"inputShape\"");
    }

    /** The smallest side in [1, MAX_SIDE] where a monotone condition holds (MAX_SIDE + 1 if nowhere). */
    private static int firstSide(IntPredicate holds) {
        int lo = 1;
        int hi = MAX_SIDE + 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (holds.test(mid)) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }
}
