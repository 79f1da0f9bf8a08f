package io.filterscope.model.keras;

import static org.bytedeco.hdf5.global.hdf5.H5Aclose;
import static org.bytedeco.hdf5.global.hdf5.H5Acreate2;
import static org.bytedeco.hdf5.global.hdf5.H5Awrite;
import static org.bytedeco.hdf5.global.hdf5.H5Dclose;
import static org.bytedeco.hdf5.global.hdf5.H5Dcreate2;
import static org.bytedeco.hdf5.global.hdf5.H5Dwrite;
import static org.bytedeco.hdf5.global.hdf5.H5F_ACC_TRUNC;
import static org.bytedeco.hdf5.global.hdf5.H5Fclose;
import static org.bytedeco.hdf5.global.hdf5.H5Fcreate;
import static org.bytedeco.hdf5.global.hdf5.H5Gclose;
import static org.bytedeco.hdf5.global.hdf5.H5Gcreate2;
import static org.bytedeco.hdf5.global.hdf5.H5P_CLS_LINK_CREATE_ID_g;
import static org.bytedeco.hdf5.global.hdf5.H5P_DEFAULT;
import static org.bytedeco.hdf5.global.hdf5.H5Pclose;
import static org.bytedeco.hdf5.global.hdf5.H5Pcreate;
import static org.bytedeco.hdf5.global.hdf5.H5Pset_create_intermediate_group;
import static org.bytedeco.hdf5.global.hdf5.H5S_ALL;
import static org.bytedeco.hdf5.global.hdf5.H5Sclose;
import static org.bytedeco.hdf5.global.hdf5.H5Screate_simple;
import static org.bytedeco.hdf5.global.hdf5.H5T_C_S1_g;
import static org.bytedeco.hdf5.global.hdf5.H5T_IEEE_F32LE_g;
import static org.bytedeco.hdf5.global.hdf5.H5T_NATIVE_DOUBLE_g;
import static org.bytedeco.hdf5.global.hdf5.H5T_NATIVE_FLOAT_g;
import static org.bytedeco.hdf5.global.hdf5.H5T_STR_NULLPAD;
import static org.bytedeco.hdf5.global.hdf5.H5Tclose;
import static org.bytedeco.hdf5.global.hdf5.H5Tcopy;
import static org.bytedeco.hdf5.global.hdf5.H5Tset_size;
import static org.bytedeco.hdf5.global.hdf5.H5Tset_strpad;
import static org.bytedeco.hdf5.global.hdf5.H5open;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.filterscope.engine.net.Network;
import io.filterscope.model.Vgg16;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.deeplearning4j.nn.modelimport.keras.Hdf5Archive;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The Keras test files: the small models {@code src/test/python/keras_fixtures.py} wrote into
 * {@code src/test/resources/keras} with their independently computed activations, and a writer for VGG16
 * notop weights in the layout of Keras' released file (58 MB, so written at test time rather than committed).
 */
public final class KerasFixtures {
    private static final ObjectMapper JSON = new ObjectMapper();

    private KerasFixtures() {
    }

    /** A committed fixture file, e.g. {@code mnist-seq.h5}. */
    public static Path resource(String name) {
        return testResource("keras/" + name);
    }

    /** A file or folder under src/test/resources, e.g. {@code tfjs/rgb-convnet.h5}. */
    public static Path testResource(String path) {
        try {
            return Path.of(KerasFixtures.class.getResource("/" + path).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing test resource " + path, e);
        }
    }

    /** Copies a committed fixture into a models directory under another name. */
    public static Path copy(String name, Path dir, String as) throws IOException {
        return Files.copy(resource(name), dir.resolve(as));
    }

    /** A fixture's expected activations: input and layers, each {"shape": [...], "values": [...]} in Keras' layout. */
    public static JsonNode expected(String model) throws IOException {
        return JSON.readTree(resource(model + ".expected.json").toFile());
    }

    /** The [channels, height, width] of an expected file's input, which is stored in Keras' [h, w, c]. */
    public static long[] inputChw(JsonNode expected) {
        long[] hwc = shape(expected.get("input"));
        return new long[] {hwc[2], hwc[0], hwc[1]};
    }

    /**
     * Feeds {@code expected}'s input to {@code net} (a batch of one) and checks the output of every layer it
     * records, in Keras' layout ([h, w, c] for maps, [units] for dense layers), to 1e-4 of the largest value.
     */
    public static Network compareWithExpected(JsonNode expected, String what, Network net) {
        long[] hwc = shape(expected.get("input"));
        INDArray nhwc = Nd4j.create(values(expected.get("input")), new long[] {1, hwc[0], hwc[1], hwc[2]}, 'c');
        net.input().assign(nhwc.permute(0, 3, 1, 2));
        List<String> layers = new ArrayList<>();
        expected.get("layers").fieldNames().forEachRemaining(layers::add);
        net.forward(layers);
        for (String layer : layers) {
            JsonNode want = expected.get("layers").get(layer);
            INDArray ours = net.output(layer);
            INDArray keras = ours.rank() == 4 ? ours.permute(0, 2, 3, 1).dup('c') : ours.dup('c');
            assertArrayEquals(shape(want), Arrays.copyOfRange(keras.shape(), 1, keras.rank()), what + " " + layer + " shape");
            INDArray theirs = Nd4j.create(values(want), keras.shape(), 'c');
            double scale = Math.max(1, theirs.amaxNumber().doubleValue());
            double diff = keras.sub(theirs).amaxNumber().doubleValue();
            assertTrue(diff < 1e-4 * scale, what + " " + layer + ": max difference " + diff + " (values up to " + scale + ")");
        }
        return net;
    }

    public static float[] values(JsonNode tensor) {
        JsonNode v = tensor.get("values");
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) v.get(i).asDouble();
        }
        return out;
    }

    public static long[] shape(JsonNode tensor) {
        long[] out = new long[tensor.get("shape").size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = tensor.get("shape").get(i).asLong();
        }
        return out;
    }

    /** One layer's weights as written: kernel [kh, kw, in, out] and bias, c-order. */
    public record Weights(long[] kernelShape, float[] kernel, float[] bias) {
    }

    /**
     * Writes random VGG16 notop weights as Keras' {@code vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5}
     * lays them out (see keras_fixtures.py --vgg16): root attribute layer_names, every layer a group with
     * attribute weight_names, kernels [3, 3, in, out] float32. {@code keras2} names the weights like Keras 2's
     * save_weights ({@code block1_conv1/kernel:0}, a nested group) instead of Keras 1's
     * ({@code block1_conv1_W_1:0}). Returns what it wrote, by layer.
     */
    public static Map<String, Weights> writeVgg16Notop(Path file, long seed, boolean keras2) {
        return writeVggNotop(file, seed, keras2, Vgg16.convLayerNames());
    }

    /** The same for VGG19 (vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5). */
    public static Map<String, Weights> writeVgg19Notop(Path file, long seed) {
        return writeVggNotop(file, seed, false, Vgg16.vgg19ConvLayerNames());
    }

    private static Map<String, Weights> writeVggNotop(Path file, long seed, boolean keras2, List<String> convs) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<String> layers = new ArrayList<>(List.of("input_1"));
        Map<String, Weights> written = new LinkedHashMap<>();
        int in = 3;
        String block = "";
        for (String conv : convs) {
            String thisBlock = conv.substring(0, conv.indexOf('_'));
            if (!block.isEmpty() && !thisBlock.equals(block)) {
                layers.add(block + "_pool");
            }
            block = thisBlock;
            layers.add(conv);
            int out = Math.min(512, 64 << (Integer.parseInt(thisBlock.substring(5)) - 1));
            float[] kernel = new float[9 * in * out];
            for (int i = 0; i < kernel.length; i++) {
                kernel[i] = (float) (rng.nextDouble(-1, 1) * Math.sqrt(6.0 / (9 * in)));
            }
            float[] bias = new float[out];
            for (int i = 0; i < out; i++) {
                bias[i] = (float) rng.nextDouble(-0.1, 0.1);
            }
            written.put(conv, new Weights(new long[] {3, 3, in, out}, kernel, bias));
            in = out;
        }
        layers.add(block + "_pool");
        synchronized (Hdf5Archive.LOCK_OBJECT) {
            H5open();
            long f = H5Fcreate(file.toString(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
            if (f < 0) {
                throw new IllegalStateException("cannot create " + file);
            }
            try {
                writeStrings(f, "layer_names", layers);
                if (keras2) {
                    writeStrings(f, "backend", List.of("tensorflow"));
                    writeStrings(f, "keras_version", List.of("2.2.4"));
                }
                for (String layer : layers) {
                    long g = H5Gcreate2(f, layer, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
                    Weights w = written.get(layer);
                    List<String> names = w == null ? List.of()
                            : keras2 ? List.of(layer + "/kernel:0", layer + "/bias:0") : List.of(layer + "_W_1:0", layer + "_b_1:0");
                    writeStrings(g, "weight_names", names);
                    if (w != null) {
                        writeFloats(g, names.get(0), w.kernelShape(), w.kernel());
                        writeFloats(g, names.get(1), new long[] {w.bias().length}, w.bias());
                    }
                    H5Gclose(g);
                }
            } finally {
                H5Fclose(f);
            }
        }
        return written;
    }

    /** A list of names as Keras stores it: fixed-length byte strings, or an empty float64 array for none. */
    private static void writeStrings(long loc, String name, List<String> values) {
        if (values.isEmpty()) {
            long space = H5Screate_simple(1, new long[] {0}, null);
            long attr = H5Acreate2(loc, name, H5T_NATIVE_DOUBLE_g(), space, H5P_DEFAULT, H5P_DEFAULT);
            H5Aclose(attr);
            H5Sclose(space);
            return;
        }
        int width = values.stream().mapToInt(v -> v.getBytes(StandardCharsets.UTF_8).length).max().orElse(1);
        byte[] bytes = new byte[width * values.size()];
        for (int i = 0; i < values.size(); i++) {
            byte[] v = values.get(i).getBytes(StandardCharsets.UTF_8);
            System.arraycopy(v, 0, bytes, i * width, v.length);
        }
        long type = H5Tcopy(H5T_C_S1_g());
        H5Tset_size(type, width);
        H5Tset_strpad(type, H5T_STR_NULLPAD);
        long space = H5Screate_simple(1, new long[] {values.size()}, null);
        long attr = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
        try (BytePointer p = new BytePointer(bytes)) {
            H5Awrite(attr, type, p);
        }
        H5Aclose(attr);
        H5Sclose(space);
        H5Tclose(type);
    }

    private static void writeFloats(long loc, String path, long[] shape, float[] values) {
        long lcpl = H5Pcreate(H5P_CLS_LINK_CREATE_ID_g());
        H5Pset_create_intermediate_group(lcpl, 1);
        long space = H5Screate_simple(shape.length, shape, null);
        long ds = H5Dcreate2(loc, path, H5T_IEEE_F32LE_g(), space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
        try (FloatPointer p = new FloatPointer(values)) {
            H5Dwrite(ds, H5T_NATIVE_FLOAT_g(), H5S_ALL, H5S_ALL, H5P_DEFAULT, p);
        }
        H5Dclose(ds);
        H5Sclose(space);
        H5Pclose(lcpl);
    }
}
