package io.filterscope.engine.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Every op of {@link Ops} against an independent reference: the programs and outputs in
 * src/test/resources/ops/cases.json were computed with PyTorch (numpy where PyTorch has no such operation) by
 * src/test/python/op_references.py. Each case's forward pass must match in double precision, and its input
 * gradient must match central finite differences.
 */
class OpsReferenceTest {

    @TestFactory
    Stream<DynamicTest> everyOpMatchesItsReferenceForwardAndByFiniteDifferences() throws IOException {
        JsonNode cases;
        try (InputStream in = OpsReferenceTest.class.getResourceAsStream("/ops/cases.json")) {
            cases = new ObjectMapper().readTree(in).get("cases");
        }
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : cases) {
            tests.add(DynamicTest.dynamicTest(c.get("name").asText(), () -> check(c)));
        }
        return tests.stream();
    }

    private static void check(JsonNode c) {
        long[] shape = longs(c.get("inputShape"));
        boolean rows = shape.length == 2;
        // The network's input is always maps; rows are maps of 1x1 pixels, flattened first.
        long[] nchw = rows ? new long[] {shape[0], shape[1], 1, 1} : shape;
        ModelGraph.Builder g = ModelGraph.builder();
        int offset = rows ? g.add(null, Ops.flatten(), ModelGraph.INPUT) : ModelGraph.INPUT;
        List<Integer> nodes = new ArrayList<>();
        for (JsonNode n : c.get("nodes")) {
            int[] from = new int[n.get("from").size()];
            for (int k = 0; k < from.length; k++) {
                int f = n.get("from").get(k).asInt();
                from[k] = f == -1 ? offset : nodes.get(f);
            }
            nodes.add(g.add("n" + nodes.size(), op(n.get("op").asText(), n.get("args")), from));
        }
        g.name("out", nodes.get(nodes.size() - 1));
        Network net = g.build().compile(DataType.DOUBLE, nchw[0], new long[] {nchw[1], nchw[2], nchw[3]});
        INDArray x = Nd4j.create(doubles(c.get("input")), nchw, 'c');
        net.input().assign(x);
        net.forward(List.of("out"));
        INDArray ours = net.output("out");
        long[] expectedShape = longs(c.get("outputShape"));
        assertArrayEquals(expectedShape, ours.shape(), "output shape");
        INDArray want = Nd4j.create(doubles(c.get("output")), expectedShape, 'c');
        double scale = Math.max(1, want.amaxNumber().doubleValue());
        double diff = ours.sub(want).amaxNumber().doubleValue();
        assertTrue(diff < 1e-9 * scale, "forward differs from the reference by " + diff);
        Nd4j.getRandom().setSeed(3);
        FiniteDifferences.assertInputGradient(net, x, Map.of("out", Nd4j.randn(DataType.DOUBLE, ours.shape())), 4, 1e-6, 1e-6);
        // float32 takes other kernels (oneDNN's), which refuse or ignore some arguments that double precision honours.
        Network single = g.build().compile(DataType.FLOAT, nchw[0], new long[] {nchw[1], nchw[2], nchw[3]});
        single.input().assign(x);
        single.forward(List.of("out"));
        double floatDiff = single.output("out").castTo(DataType.DOUBLE).sub(want).amaxNumber().doubleValue();
        assertTrue(floatDiff < 1e-5 * scale, "float32 forward differs from the reference by " + floatDiff);
    }

    /** The op a case's node names, with its arguments as op_references.py writes them. */
    private static Op op(String name, JsonNode a) {
        return switch (name) {
            case "conv2d" -> {
                INDArray w = Nd4j.create(doubles(a.get("weights")), longs(a.get("weightsShape")), 'c');
                INDArray b = a.get("bias").isNull() ? null : Nd4j.createFromArray(doubles(a.get("bias")));
                yield Ops.conv2d(w, b, ints(a.get("stride")), padding(a.get("padding")), ints(a.get("dilation")),
                        a.get("groups").asInt());
            }
            case "pool" -> Ops.pool(a.get("max").asBoolean(), ints(a.get("kernel")), ints(a.get("stride")),
                    padding(a.get("padding")), a.get("countPadding").asBoolean(), a.get("ceil").asBoolean());
            case "relu" -> Ops.relu(a.get("max").isNull() ? Double.POSITIVE_INFINITY : a.get("max").asDouble(),
                    a.get("slope").asDouble(), a.get("threshold").asDouble());
            case "activation" -> {
                Ops.Activation fn = Ops.Activation.valueOf(a.get("fn").asText());
                yield switch (fn) {
                    case ELU -> Ops.elu(a.get("alpha").asDouble());
                    case HARD_SIGMOID -> Ops.hardSigmoid(a.get("alpha").asDouble(), a.get("beta").asDouble());
                    default -> Ops.activation(fn);
                };
            }
            case "prelu" -> Ops.prelu(Nd4j.create(doubles(a.get("alpha")), longs(a.get("alphaShape")), 'c'));
            case "softmax" -> Ops.softmax();
            case "batchNorm" -> Ops.batchNorm(vector(a, "gamma"), vector(a, "beta"), vector(a, "mean"), vector(a, "variance"),
                    a.get("eps").asDouble());
            case "scale" -> Ops.scale(a.get("scale").asDouble(), a.get("offset").asDouble());
            case "layerNorm" -> Ops.layerNorm(vector(a, "gamma"), vector(a, "beta"), a.get("eps").asDouble());
            case "globalPool" -> Ops.globalPool(Ops.GlobalPool.valueOf(a.get("type").asText()), a.get("keepDims").asBoolean());
            case "zeroPad" -> Ops.zeroPad(ints(a.get("pad")));
            case "crop" -> Ops.crop(ints(a.get("crop")));
            case "resize" -> Ops.resize(doubles(a.get("scale")), Ops.Interpolation.valueOf(a.get("interpolation").asText()),
                    Ops.Coordinates.valueOf(a.get("coordinates").asText()));
            case "join" -> Ops.join(Ops.Join.valueOf(a.get("op").asText()));
            case "concat" -> Ops.concat(a.get("axis").asInt());
            case "permute" -> Ops.permute(ints(a.get("perm")));
            case "flatten" -> Ops.flatten();
            case "flattenChannelsLast" -> Ops.flattenChannelsLast();
            case "reshape" -> Ops.reshape(longs(a.get("shape")));
            case "dense" -> Ops.dense(Nd4j.create(doubles(a.get("weights")), longs(a.get("weightsShape")), 'c'),
                    Nd4j.createFromArray(doubles(a.get("bias"))));
            default -> throw new IllegalArgumentException("unknown op " + name);
        };
    }

    private static Padding padding(JsonNode p) {
        if (p.isTextual()) {
            return switch (p.asText()) {
                case "valid" -> Padding.valid();
                case "same" -> Padding.same();
                case "same_lower" -> Padding.sameLower();
                default -> throw new IllegalArgumentException(p.asText());
            };
        }
        int[] v = ints(p);
        return Padding.explicit(v[0], v[1], v[2], v[3]);
    }

    private static INDArray vector(JsonNode a, String key) {
        return a.get(key).isNull() ? null : Nd4j.createFromArray(doubles(a.get(key)));
    }

    private static double[] doubles(JsonNode n) {
        double[] v = new double[n.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = n.get(i).asDouble();
        }
        return v;
    }

    private static long[] longs(JsonNode n) {
        return Arrays.stream(doubles(n)).mapToLong(d -> (long) d).toArray();
    }

    private static int[] ints(JsonNode n) {
        return Arrays.stream(doubles(n)).mapToInt(d -> (int) d).toArray();
    }
}
