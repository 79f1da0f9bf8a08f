package io.filterscope.model.onnx;

import io.filterscope.engine.net.ModelGraph;
import io.filterscope.engine.net.UnsupportedLayerException;
import io.filterscope.model.onnx.OnnxGraph.Activation;
import io.filterscope.model.onnx.OnnxGraph.Value;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import onnx.Onnx;

/**
 * Reads an ONNX model ({@code torch.onnx.export}, the ONNX model zoo, tf2onnx...) into the engine's
 * {@link ModelGraph}. Nodes are read in the file's (topological) order, each by the converter
 * {@link OnnxOpReaders} finds for its op type and opset; initializers become weights; shape computations
 * (Shape, Gather, Unsqueeze, Concat... on constants) are folded at load time; Dropout and Identity vanish.
 * Every node that computes a map or a row of units becomes a layer named by its output tensor, with the
 * node's own name as a second name where it differs. The model's image input is NCHW (or NHWC, read
 * through a transposed layout); a trailing Softmax is left out, so class objectives see logits.
 */
public final class OnnxReader {
    private OnnxReader() {
    }

    /** What a listing shows about an ONNX file without keeping its graph. */
    public record Description(int channels, Integer height, Integer width, int opset, String producer) {
        public String summary() {
            return "ONNX model (opset " + opset + (producer.isBlank() ? "" : ", from " + producer) + ")";
        }
    }

    /**
     * The engine graph of an ONNX file.
     *
     * @throws UnsupportedLayerException naming the first node the engine cannot compute (node, op type, opset)
     * @throws IOException when the file is not a readable ONNX model
     */
    public static ModelGraph read(Path file) throws IOException {
        return walk(OnnxFile.open(file)).build();
    }

    /**
     * The input shape and origin of an ONNX file, after reading every node as {@link #read} does, so that a
     * model listed as available loads.
     *
     * @throws UnsupportedLayerException, IOException as {@link #read}
     */
    public static Description describe(Path file) throws IOException {
        OnnxFile onnx = OnnxFile.open(file);
        walk(onnx).build();
        Onnx.ValueInfoProto input = imageInput(onnx);
        long[] d = declared(input);
        boolean last = channelsLast(d);
        int c = (int) (last ? d[3] : d[1]);
        long h = last ? d[1] : d[2];
        long w = last ? d[2] : d[3];
        String producer = (onnx.model().getProducerName() + " " + onnx.model().getProducerVersion()).strip();
        return new Description(c, h > 0 ? (int) h : null, w > 0 ? (int) w : null, onnx.opset(), producer);
    }

    private static ModelGraph.Builder walk(OnnxFile onnx) throws IOException {
        Onnx.GraphProto g = onnx.graph();
        int opset = onnx.opset();
        List<Onnx.NodeProto> nodes = OnnxFusions.fuse(g.getNodeList(), onnx);
        OnnxGraph graph = new OnnxGraph(onnx, counts(nodes));
        Onnx.ValueInfoProto input = imageInput(onnx);
        long[] d = declared(input);
        long[] shape = {1, d[1], d[2] > 0 ? d[2] : 224, d[3] > 0 ? d[3] : 224};
        if (channelsLast(d)) {
            // The image is stored NCHW; the graph sees it as NHWC.
            shape = new long[] {1, d[1] > 0 ? d[1] : 224, d[2] > 0 ? d[2] : 224, d[3]};
            graph.putInput(input.getName(), new Activation(ModelGraph.INPUT, shape, new int[] {0, 2, 3, 1}));
        } else {
            graph.putInput(input.getName(), new Activation(ModelGraph.INPUT, shape, null));
        }
        Set<String> outputs = new HashSet<>();
        g.getOutputList().forEach(o -> outputs.add(o.getName()));
        for (Onnx.NodeProto proto : nodes) {
            int nodeOpset = proto.getDomain().equals(OnnxOpReaders.FUSED) ? opset : onnx.opset(proto.getDomain());
            OnnxNode node = new OnnxNode(proto, nodeOpset);
            OnnxOpReader reader = OnnxOpReaders.find(node);
            int before = graph.size();
            graph.reading(node);
            reader.read(node, graph);
            name(graph, node, before, outputs);
        }
        return graph.builder();
    }

    /** Makes the node's new map or row outputs layers, by output tensor and by node name. */
    private static void name(OnnxGraph graph, OnnxNode node, int before, Set<String> graphOutputs) throws IOException {
        for (int k = 0; k < node.outputCount(); k++) {
            String tensor = node.output(k);
            if (tensor.isEmpty() || !graph.has(tensor) || !(graph.value(node, tensor) instanceof Activation a)) {
                continue;
            }
            boolean fresh = a.node() >= before || (graphOutputs.contains(tensor) && a.node() >= 0);
            if (!fresh || !layerShaped(a)) {
                continue;
            }
            graph.builder().name(tensor, a.node());
            if (k == 0 && !node.name().isEmpty() && !node.name().equals(tensor) && !graph.builder().has(node.name())) {
                graph.builder().alias(node.name(), tensor);
            }
        }
    }

    /** Rows of units, or maps stored NCHW (directly, or seen channels-last). */
    private static boolean layerShaped(Activation a) {
        if (a.rank() == 2) {
            return a.plain();
        }
        return a.rank() == 4 && (a.plain() || java.util.Arrays.equals(a.perm(), new int[] {0, 2, 3, 1}));
    }

    /** The graph's one input that is not an initializer: the image. */
    private static Onnx.ValueInfoProto imageInput(OnnxFile onnx) {
        Set<String> init = new HashSet<>();
        onnx.graph().getInitializerList().forEach(t -> init.add(t.getName()));
        List<Onnx.ValueInfoProto> inputs = new ArrayList<>();
        for (Onnx.ValueInfoProto v : onnx.graph().getInputList()) {
            if (!init.contains(v.getName())) {
                inputs.add(v);
            }
        }
        if (inputs.size() != 1) {
            throw new UnsupportedLayerException("the model has " + inputs.size() + " inputs ("
                    + String.join(", ", inputs.stream().map(Onnx.ValueInfoProto::getName).toList())
                    + "); only models with one image input are supported");
        }
        Onnx.ValueInfoProto in = inputs.get(0);
        if (!in.getType().hasTensorType() || in.getType().getTensorType().getElemType() != Onnx.TensorProto.DataType.FLOAT_VALUE) {
            throw new UnsupportedLayerException("input " + in.getName() + " is not a float tensor; only float images are supported");
        }
        return in;
    }

    /** The input's declared dimensions, 0 where the file leaves one open; it must be a 4-D image batch. */
    private static long[] declared(Onnx.ValueInfoProto in) {
        var dims = in.getType().getTensorType().getShape().getDimList();
        if (dims.size() != 4) {
            throw new UnsupportedLayerException("input " + in.getName() + " has " + dims.size()
                    + " dimensions; an image batch has 4 (NCHW)");
        }
        long[] d = new long[4];
        for (int i = 0; i < 4; i++) {
            d[i] = dims.get(i).hasDimValue() ? dims.get(i).getDimValue() : 0;
        }
        if (d[1] <= 0 && d[3] <= 0) {
            throw new UnsupportedLayerException("input " + in.getName() + " does not say how many channels it has");
        }
        return d;
    }

    /** An NHWC image input, as tf2onnx writes: 1 or 3 last and something larger second. */
    private static boolean channelsLast(long[] d) {
        return (d[3] == 1 || d[3] == 3) && (d[1] <= 0 || d[1] > 4);
    }

    static Map<String, Integer> counts(List<Onnx.NodeProto> nodes) {
        Map<String, Integer> c = new LinkedHashMap<>();
        for (Onnx.NodeProto n : nodes) {
            for (String in : n.getInputList()) {
                c.merge(in, 1, Integer::sum);
            }
        }
        return c;
    }
}
