package io.filterscope.model.onnx;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import onnx.Onnx;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Patterns of nodes that exporters write for one activation, replaced before the walk by one node of the
 * {@link OnnxOpReaders#FUSED} domain that the engine computes in one stage (and lists as one layer):
 * <ul>
 * <li>GELU as PyTorch writes it, {@code x * 0.5 * (1 + erf(x / sqrt(2)))} (Div or Mul, Erf, Add, two Muls);
 * <li>SiLU / swish, {@code x * sigmoid(x)} (EfficientNet);
 * <li>hard swish before opset 14, {@code x * hardsigmoid(x)} with PyTorch's 1/6 and 1/2;
 * <li>softsign, {@code x / (1 + |x|)}.
 * </ul>
 * Only nodes whose intermediate results feed nothing else are fused; the fused node keeps the last node's
 * output and name.
 */
final class OnnxFusions {
    private final List<Onnx.NodeProto> nodes;
    private final OnnxFile file;
    private final Map<String, Integer> producer = new HashMap<>();
    private final Map<String, List<Integer>> consumers = new HashMap<>();
    private final Set<String> outputs = new HashSet<>();
    private final Map<String, Onnx.TensorProto> initializers = new HashMap<>();
    private final Onnx.NodeProto[] replaced;
    private final boolean[] removed;

    private OnnxFusions(List<Onnx.NodeProto> nodes, OnnxFile file) {
        this.nodes = nodes;
        this.file = file;
        this.replaced = new Onnx.NodeProto[nodes.size()];
        this.removed = new boolean[nodes.size()];
        for (int i = 0; i < nodes.size(); i++) {
            for (String o : nodes.get(i).getOutputList()) {
                producer.put(o, i);
            }
            for (String in : nodes.get(i).getInputList()) {
                consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(i);
            }
        }
        file.graph().getOutputList().forEach(o -> outputs.add(o.getName()));
        file.graph().getInitializerList().forEach(t -> initializers.put(t.getName(), t));
    }

    static List<Onnx.NodeProto> fuse(List<Onnx.NodeProto> nodes, OnnxFile file) throws IOException {
        OnnxFusions f = new OnnxFusions(nodes, file);
        for (int i = 0; i < nodes.size(); i++) {
            switch (nodes.get(i).getOpType()) {
                case "Erf" -> f.gelu(i);
                case "Abs" -> f.softsign(i);
                case "Sigmoid" -> f.gatedBy(i, "Silu");
                case "HardSigmoid" -> {
                    if (Math.abs(attribute(nodes.get(i), "alpha", 0.2f) - 1 / 6f) < 1e-6
                            && Math.abs(attribute(nodes.get(i), "beta", 0.5f) - 0.5f) < 1e-6) {
                        f.gatedBy(i, "HardSwish");
                    }
                }
                default -> {
                }
            }
        }
        List<Onnx.NodeProto> out = new ArrayList<>(nodes.size());
        for (int i = 0; i < nodes.size(); i++) {
            if (!f.removed[i]) {
                out.add(f.replaced[i] != null ? f.replaced[i] : nodes.get(i));
            }
        }
        return out;
    }

    /** x * g(x) with g = node i (Sigmoid, HardSigmoid): the Mul becomes one fused node. */
    private void gatedBy(int i, String fused) {
        Onnx.NodeProto gate = nodes.get(i);
        String x = gate.getInput(0);
        Integer mul = onlyConsumer(gate.getOutput(0));
        if (mul == null || !isOp(mul, "Mul") || !other(nodes.get(mul), gate.getOutput(0)).equals(x)) {
            return;
        }
        replace(mul, fused, x);
        removed[i] = true;
    }

    /** x / (1 + |x|) around the Abs at node i. */
    private void softsign(int i) throws IOException {
        Onnx.NodeProto abs = nodes.get(i);
        String x = abs.getInput(0);
        Integer add = onlyConsumer(abs.getOutput(0));
        if (add == null || !isOp(add, "Add") || !near(other(nodes.get(add), abs.getOutput(0)), 1)) {
            return;
        }
        Integer div = onlyConsumer(nodes.get(add).getOutput(0));
        if (div == null || !isOp(div, "Div") || !nodes.get(div).getInput(0).equals(x)
                || !nodes.get(div).getInput(1).equals(nodes.get(add).getOutput(0))) {
            return;
        }
        removed[i] = true;
        removed[add] = true;
        replace(div, "Softsign", x);
    }

    /** Erf at node i, the middle of PyTorch's exact GELU. */
    private void gelu(int i) throws IOException {
        Onnx.NodeProto erf = nodes.get(i);
        Integer scaleNode = producer.get(erf.getInput(0));
        if (scaleNode == null || onlyConsumer(erf.getInput(0)) == null) {
            return;
        }
        Onnx.NodeProto scale = nodes.get(scaleNode);
        String x;
        if (isOp(scaleNode, "Div") && near(scale.getInput(1), Math.sqrt(2))) {
            x = scale.getInput(0);
        } else if (isOp(scaleNode, "Mul") && (near(scale.getInput(1), Math.sqrt(0.5)) || near(scale.getInput(0), Math.sqrt(0.5)))) {
            x = near(scale.getInput(1), Math.sqrt(0.5)) ? scale.getInput(0) : scale.getInput(1);
        } else {
            return;
        }
        Integer addNode = onlyConsumer(erf.getOutput(0));
        if (addNode == null || !isOp(addNode, "Add") || !near(other(nodes.get(addNode), erf.getOutput(0)), 1)) {
            return;
        }
        String plusOne = nodes.get(addNode).getOutput(0);
        Integer m1 = onlyConsumer(plusOne);
        if (m1 == null || !isOp(m1, "Mul")) {
            return;
        }
        String with = other(nodes.get(m1), plusOne);
        List<Integer> gone = new ArrayList<>(List.of(scaleNode, i, addNode));
        int last;
        if (with.equals(x) || near(with, 0.5)) {
            // (x * (1 + erf)) * 0.5, or (0.5 * (1 + erf)) * x
            Integer m2 = onlyConsumer(nodes.get(m1).getOutput(0));
            if (m2 == null || !isOp(m2, "Mul")) {
                return;
            }
            String rest = other(nodes.get(m2), nodes.get(m1).getOutput(0));
            if (!(with.equals(x) ? near(rest, 0.5) : rest.equals(x))) {
                return;
            }
            gone.add(m1);
            last = m2;
        } else {
            // (x * 0.5) * (1 + erf)
            Integer half = producer.get(with);
            if (half == null || !isOp(half, "Mul") || onlyConsumer(with) == null || !near(other(nodes.get(half), x), 0.5)) {
                return;
            }
            gone.add(half);
            last = m1;
        }
        for (int k : gone) {
            removed[k] = true;
        }
        replace(last, "Gelu", x);
    }

    private void replace(int i, String fused, String input) {
        Onnx.NodeProto last = nodes.get(i);
        replaced[i] = Onnx.NodeProto.newBuilder().setOpType(fused).setDomain(OnnxOpReaders.FUSED).addInput(input)
                .addOutput(last.getOutput(0)).setName(last.getName()).build();
    }

    /** The one node reading a tensor that nothing else (and no graph output) reads, or null. */
    private Integer onlyConsumer(String tensor) {
        List<Integer> c = consumers.get(tensor);
        return c != null && c.size() == 1 && !outputs.contains(tensor) && !removed[c.get(0)] ? c.get(0) : null;
    }

    private boolean isOp(int i, String type) {
        return nodes.get(i).getOpType().equals(type) && (nodes.get(i).getDomain().isEmpty()
                || nodes.get(i).getDomain().equals("ai.onnx")) && replaced[i] == null;
    }

    /** The input of a two-input node other than {@code one} ("" when it has not exactly two). */
    private static String other(Onnx.NodeProto n, String one) {
        if (n.getInputCount() != 2) {
            return "";
        }
        return n.getInput(0).equals(one) ? n.getInput(1) : n.getInput(1).equals(one) ? n.getInput(0) : "";
    }

    /** Whether a tensor is a constant (initializer or Constant node) holding one number close to v. */
    private boolean near(String tensor, double v) throws IOException {
        Onnx.TensorProto t = initializers.get(tensor);
        Integer p = producer.get(tensor);
        if (t == null && p != null && nodes.get(p).getOpType().equals("Constant")) {
            for (Onnx.AttributeProto a : nodes.get(p).getAttributeList()) {
                if (a.getName().equals("value") && a.hasT()) {
                    t = a.getT();
                }
            }
        }
        if (t == null) {
            return false;
        }
        INDArray value = file.tensor(t);
        return value.length() == 1 && Math.abs(value.getDouble(0) - v) <= 1e-5 * Math.max(1, Math.abs(v));
    }

    private static float attribute(Onnx.NodeProto n, String name, float fallback) {
        for (Onnx.AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getF();
            }
        }
        return fallback;
    }
}
