package io.filterscope.model.onnx;

import io.filterscope.engine.net.UnsupportedLayerException;
import java.util.List;
import onnx.Onnx;

/**
 * One node of an ONNX graph with its attributes, and the opset it is read under. Its {@link #label} names it
 * in messages and layer listings: the node's name, or its first output when it has none.
 */
record OnnxNode(Onnx.NodeProto proto, int opset) {

    String opType() {
        return proto.getOpType();
    }

    String domain() {
        return proto.getDomain();
    }

    /** The node's own name, or "" when it has none. */
    String name() {
        return proto.getName();
    }

    String label() {
        return name().isEmpty() ? output(0) : name();
    }

    int inputCount() {
        return proto.getInputCount();
    }

    /** Input k's tensor name; "" when the input is absent (an omitted optional input) or past the end. */
    String input(int k) {
        return k < proto.getInputCount() ? proto.getInput(k) : "";
    }

    boolean hasInput(int k) {
        return !input(k).isEmpty();
    }

    String output(int k) {
        return proto.getOutput(k);
    }

    int outputCount() {
        return proto.getOutputCount();
    }

    private Onnx.AttributeProto attribute(String name) {
        for (Onnx.AttributeProto a : proto.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a;
            }
        }
        return null;
    }

    boolean has(String name) {
        return attribute(name) != null;
    }

    long i(String name, long fallback) {
        Onnx.AttributeProto a = attribute(name);
        return a == null ? fallback : a.getI();
    }

    float f(String name, float fallback) {
        Onnx.AttributeProto a = attribute(name);
        return a == null ? fallback : a.getF();
    }

    String s(String name, String fallback) {
        Onnx.AttributeProto a = attribute(name);
        return a == null ? fallback : a.getS().toStringUtf8();
    }

    /** An INTS attribute, or {@code fallback} (may be null) when absent. */
    long[] ints(String name, long[] fallback) {
        Onnx.AttributeProto a = attribute(name);
        if (a == null) {
            return fallback;
        }
        List<Long> v = a.getIntsList();
        long[] out = new long[v.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = v.get(k);
        }
        return out;
    }

    float[] floats(String name) {
        Onnx.AttributeProto a = attribute(name);
        if (a == null) {
            return null;
        }
        float[] out = new float[a.getFloatsCount()];
        for (int k = 0; k < out.length; k++) {
            out[k] = a.getFloats(k);
        }
        return out;
    }

    Onnx.TensorProto tensor(String name) {
        Onnx.AttributeProto a = attribute(name);
        return a == null || !a.hasT() ? null : a.getT();
    }

    /** A refusal naming this node: "node NAME (OpType, opset N): why". */
    UnsupportedLayerException refuse(String why) {
        return new UnsupportedLayerException("node " + label() + " (" + opType() + ", opset " + opset + "): " + why);
    }
}
