package io.filterscope.model.keras;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.filterscope.engine.net.Network;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Activations computed by another tool (TF.js in node) for one input: {@code DIR/index.json} lists each layer's
 * shape in the tool's layout (NHWC maps) and whether it ends in a softmax; {@code DIR/LAYER.f32} holds its
 * float32 values. Compares a network's outputs with them.
 */
public final class ReferenceActivations {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One layer's reference: shape (NHWC or [n, units]), whether the tool's output is after a softmax, values. */
    public record Layer(long[] shape, boolean softmax, float[] values) {
    }

    private final Map<String, Layer> layers = new LinkedHashMap<>();

    private ReferenceActivations() {
    }

    /** Reads a directory written by families.js (expected/) or tfjs_reference.js. */
    public static ReferenceActivations read(Path dir) throws IOException {
        ReferenceActivations r = new ReferenceActivations();
        JsonNode index = JSON.readTree(dir.resolve("index.json").toFile()).get("layers");
        for (var it = index.fields(); it.hasNext(); ) {
            var e = it.next();
            JsonNode v = e.getValue();
            JsonNode shape = v.isArray() ? v : v.get("shape");
            long[] s = new long[shape.size()];
            for (int i = 0; i < s.length; i++) {
                s[i] = shape.get(i).asLong();
            }
            r.layers.put(e.getKey(), new Layer(s, v.path("softmax").asBoolean(false),
                    floats(dir.resolve(e.getKey().replaceAll("[^A-Za-z0-9._-]", "_") + ".f32"))));
        }
        return r;
    }

    public List<String> layers() {
        return new ArrayList<>(layers.keySet());
    }

    /** Little-endian float32 values of a file. */
    public static float[] floats(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[b.remaining() / 4];
        b.asFloatBuffer().get(v);
        return v;
    }

    /** An NHWC float32 image file as an NCHW array of this data type. */
    public static INDArray image(Path file, long[] nhwc, DataType type) throws IOException {
        return Nd4j.create(floats(file), nhwc, 'c').permute(0, 3, 1, 2).dup('c').castTo(type);
    }

    /**
     * Runs the network forward to every reference layer and checks each against the reference: the largest
     * difference must be below {@code tolerance} times the largest reference value (at least 1). Returns the
     * relative differences by layer.
     */
    public Map<String, Double> assertMatches(Network net, INDArray input, double tolerance, String what) {
        net.input().assign(input);
        net.forward(layers.keySet());
        Map<String, Double> diffs = new LinkedHashMap<>();
        for (Map.Entry<String, Layer> e : layers.entrySet()) {
            Layer want = e.getValue();
            INDArray ours = net.output(e.getKey());
            INDArray theirs = ours.rank() == 4 ? ours.permute(0, 2, 3, 1).dup('c') : ours.dup('c');
            if (want.softmax()) {
                theirs = Transforms.softmax(theirs.castTo(DataType.DOUBLE), true);
            }
            assertArrayEquals(want.shape(), theirs.shape(), what + " " + e.getKey() + " shape");
            INDArray ref = Nd4j.create(want.values(), want.shape(), 'c').castTo(DataType.DOUBLE);
            double scale = Math.max(1, ref.amaxNumber().doubleValue());
            double diff = theirs.castTo(DataType.DOUBLE).sub(ref).amaxNumber().doubleValue() / scale;
            diffs.put(e.getKey(), diff);
            assertTrue(diff < tolerance, what + " " + e.getKey() + ": largest difference " + diff + " of the largest value "
                    + scale + " (tolerance " + tolerance + "), shape " + Arrays.toString(want.shape()));
        }
        return diffs;
    }
}
