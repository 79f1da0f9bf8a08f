package io.filterscope.model.tfjs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.filterscope.engine.net.Network;
import io.filterscope.engine.param.InputSpace;
import io.filterscope.model.LoadedModel;
import io.filterscope.model.ModelStore;
import io.filterscope.model.keras.KerasFile;
import io.filterscope.model.keras.ReferenceActivations;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** TF.js layers models dropped into a models directory: listing, Teachable Machine metadata, quantized weights. */
class TfjsModelTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Path fixture(String set, String name) throws Exception {
        return Path.of(TfjsModelTest.class.getResource("/keras/" + set + "/" + name).toURI());
    }

    private static void copyDir(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }

    @Test
    void aTfjsDirectoryIsListedAndLoads(@TempDir Path dir) throws Exception {
        copyDir(fixture("families", "mobilenet_v2"), dir.resolve("mnv2"));
        ModelStore store = new ModelStore(dir);
        ModelStore.Entry e = store.list().get(0);
        assertEquals("mnv2", e.id());
        assertTrue(e.available(), e.error());
        assertTrue(e.metadata().description().contains("TF.js layers functional model"), e.metadata().description());
        assertEquals(List.of(3, 32, 32), e.metadata().inputShape());
        LoadedModel m = store.load("mnv2");
        assertEquals("predictions", m.layers().get(m.layers().size() - 1).name());
    }

    /** Teachable Machine's export: model.json, weights.bin and metadata.json with the labels; images in -1..1. */
    @Test
    void teachableMachineMetadataGivesClassesAndInput(@TempDir Path dir) throws Exception {
        Path tm = dir.resolve("my-classifier");
        copyDir(fixture("families", "mobilenet_v2"), tm);
        ObjectNode meta = JSON.createObjectNode().put("tfjsVersion", "1.3.1").put("tmVersion", "2.4.5")
                .put("packageVersion", "0.8.4").put("packageName", "@teachablemachine/image").put("modelName", "tm-my-image-model")
                .put("imageSize", 32);
        ArrayNode labels = meta.putArray("labels");
        for (int i = 0; i < 10; i++) {
            labels.add("class " + i);
        }
        JSON.writeValue(tm.resolve("metadata.json").toFile(), meta);
        ModelStore store = new ModelStore(dir);
        ModelStore.Entry e = store.list().get(0);
        assertTrue(e.available(), e.error());
        assertEquals(InputSpace.range(-1, 1), e.metadata().input());
        LoadedModel m = store.load("my-classifier");
        assertEquals("class 3", m.classes().get(3));
    }

    /**
     * TF.js's quantized weights (tensorflowjs_converter --quantize_uint8/uint16/float16): every weight of a
     * fixture stored quantized computes what the same model with the dequantized values computes.
     */
    @Test
    void quantizedWeightsAreDequantized(@TempDir Path dir) throws Exception {
        Path original = fixture("kinds", "kinds_normalization");
        ReferenceActivations ref = ReferenceActivations.read(original.resolve("expected"));
        INDArray x = ReferenceActivations.image(original.resolve("input.f32"), new long[] {1, 12, 12, 3}, DataType.FLOAT);
        for (String type : new String[] {"uint8", "uint16", "float16"}) {
            Path q = dir.resolve(type);
            copyDir(original, q);
            quantize(q, type);
            Network net = KerasFile.read(q, null).compile(DataType.FLOAT, 1, new long[] {3, 12, 12});
            // uint8 keeps 8 bits of each weight's range: the activations move by about a percent.
            double tolerance = type.equals("uint8") ? 0.05 : type.equals("uint16") ? 2e-4 : 5e-3;
            System.out.printf("%s weights: differences from the float32 model's TF.js activations %s%n", type,
                    ref.assertMatches(net, x, tolerance, type));
        }
    }

    /** Rewrites a model's float32 weights in TF.js's quantized form, as tensorflowjs_converter does. */
    private static void quantize(Path dir, String type) throws Exception {
        ObjectNode model = (ObjectNode) JSON.readTree(dir.resolve("model.json").toFile());
        ObjectNode group = (ObjectNode) model.get("weightsManifest").get(0);
        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(dir.resolve(group.get("paths").get(0).asText()))).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = ByteBuffer.allocate(in.capacity()).order(ByteOrder.LITTLE_ENDIAN);
        for (var w : group.get("weights")) {
            long n = 1;
            for (var d : w.get("shape")) {
                n *= d.asLong();
            }
            float[] v = new float[(int) n];
            for (int i = 0; i < v.length; i++) {
                v[i] = w.get("dtype").asText().equals("int32") ? in.getInt() : in.getFloat();
            }
            if (w.get("dtype").asText().equals("int32")) {
                for (float f : v) {
                    out.putInt((int) f);
                }
                continue;
            }
            ObjectNode quant = ((ObjectNode) w).putObject("quantization").put("dtype", type);
            if (type.equals("float16")) {
                for (float f : v) {
                    out.putShort(Float16.of(f));
                }
                continue;
            }
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (float f : v) {
                min = Math.min(min, f);
                max = Math.max(max, f);
            }
            int levels = type.equals("uint8") ? 255 : 65535;
            double scale = max > min ? (max - min) / levels : 1;
            quant.put("min", min).put("scale", scale);
            for (float f : v) {
                long q = Math.round((f - min) / scale);
                if (type.equals("uint8")) {
                    out.put((byte) q);
                } else {
                    out.putShort((short) q);
                }
            }
        }
        Files.write(dir.resolve(group.get("paths").get(0).asText()), java.util.Arrays.copyOf(out.array(), out.position()));
        JSON.writeValue(dir.resolve("model.json").toFile(), model);
    }

    @Test
    void halfPrecisionValuesDecodeExactly() {
        assertEquals(1.0f, TfjsModel.halfToFloat((short) 0x3C00));
        assertEquals(-2.0f, TfjsModel.halfToFloat((short) 0xC000));
        assertEquals(65504f, TfjsModel.halfToFloat((short) 0x7BFF));
        assertEquals((float) Math.pow(2, -24), TfjsModel.halfToFloat((short) 0x0001));
        assertEquals(0.333251953125f, TfjsModel.halfToFloat((short) 0x3555));
        assertEquals(Float.NEGATIVE_INFINITY, TfjsModel.halfToFloat((short) 0xFC00));
        for (float f : new float[] {0.5f, -0.1f, 3.14159f, 1e-5f, 1000f}) {
            assertEquals(f, TfjsModel.halfToFloat(Float16.of(f)), Math.abs(f) * 1e-3 + 1e-7, "round trip of " + f);
        }
    }

    /** float to IEEE half, rounding to nearest, for writing test weights (normal and subnormal values). */
    private static final class Float16 {
        static short of(float f) {
            int bits = Float.floatToIntBits(f);
            int sign = bits >>> 16 & 0x8000;
            float a = Math.abs(f);
            if (a >= 65520f) {
                return (short) (sign | 0x7C00);
            }
            if (a < 6.103515625e-5f) {
                return (short) (sign | Math.round(a / 5.960464477539063e-8f));
            }
            int e = Math.getExponent(a);
            int m = Math.round((a / (float) Math.pow(2, e) - 1) * 1024);
            if (m == 1024) {
                m = 0;
                e++;
            }
            return (short) (sign | (e + 15) << 10 | m);
        }
    }
}
