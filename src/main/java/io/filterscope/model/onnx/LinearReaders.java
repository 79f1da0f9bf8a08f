package io.filterscope.model.onnx;

import io.filterscope.engine.net.Ops;
import io.filterscope.model.onnx.OnnxGraph.Activation;
import java.io.IOException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Gemm and MatMul with constant weights: a dense layer on rows of units, or, on channels-last maps (a
 * PyTorch Linear after a permute, as in ConvNeXt's blocks), a 1x1 convolution of the stored NCHW maps.
 */
final class LinearReaders {
    private LinearReaders() {
    }

    static void register(OnnxOpReaders r) {
        r.add("Gemm", 1, LinearReaders::gemm);
        r.add("MatMul", 1, LinearReaders::matmul);
    }

    private static void gemm(OnnxNode n, OnnxGraph g) throws IOException {
        Activation a = g.activation(n, 0);
        if (n.i("transA", 0) != 0) {
            throw n.refuse("a transposed activation (transA) is not supported");
        }
        INDArray b = g.constant(n, 1).value();
        if (b.rank() != 2) {
            throw n.refuse("weights must be a matrix, got " + OnnxGraph.shape(b.shape()));
        }
        // A transposed view: the engine's matrix product reads it as it is, without a copy.
        INDArray w = n.i("transB", 0) != 0 ? b.transpose() : b;
        float alpha = n.f("alpha", 1f);
        if (alpha != 1) {
            w = w.mul(alpha);
        }
        INDArray bias = null;
        if (n.hasInput(2)) {
            INDArray c = g.constant(n, 2).value().castTo(w.dataType());
            if (c.length() != 1 && c.length() != w.size(1)) {
                throw n.refuse("bias of shape " + OnnxGraph.shape(c.shape()) + " does not fit " + w.size(1) + " outputs");
            }
            bias = (c.length() == 1 ? Nd4j.valueArrayOf(new long[] {w.size(1)}, c.getDouble(0), w.dataType()) : c.reshape(-1))
                    .mul(n.f("beta", 1f));
        }
        g.put(n, dense(n, g, a, w, bias));
    }

    private static void matmul(OnnxNode n, OnnxGraph g) throws IOException {
        if (!g.isConstant(n, 1)) {
            throw n.refuse("multiplying two activations is not supported; the second operand must be a weight matrix");
        }
        INDArray w = g.constant(n, 1).value();
        if (w.rank() != 2) {
            throw n.refuse("weights must be a matrix, got " + OnnxGraph.shape(w.shape()));
        }
        g.put(n, dense(n, g, g.activation(n, 0), w, null));
    }

    /** x . w (+ bias) along x's last axis; w [in, out]. */
    private static Activation dense(OnnxNode n, OnnxGraph g, Activation x, INDArray w, INDArray bias) {
        long[] s = x.shape();
        if (s[s.length - 1] != w.size(0)) {
            throw n.refuse("weights " + OnnxGraph.shape(w.shape()) + " do not fit an input of shape " + OnnxGraph.shape(s));
        }
        long[] shape = s.clone();
        shape[s.length - 1] = w.size(1);
        if (x.rank() == 2 && x.plain()) {
            return g.add(Ops.dense(w, bias), shape, x);
        }
        if (x.rank() == 4 && x.physical(-1) == 1) {
            INDArray kernel = w.transpose().dup('c').reshape('c', w.size(1), w.size(0), 1, 1);
            return g.add(Ops.conv2d(kernel, bias, new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, false), shape, x);
        }
        throw n.refuse("a matrix product over the last axis of " + OnnxGraph.shape(s) + " is only supported on rows of "
                + "units or on channels-last maps");
    }
}
