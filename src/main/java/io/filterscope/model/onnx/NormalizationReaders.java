package io.filterscope.model.onnx;

import io.filterscope.engine.net.Ops;
import io.filterscope.model.onnx.OnnxGraph.Activation;
import java.io.IOException;
import org.nd4j.linalg.api.ndarray.INDArray;

/** BatchNormalization at inference (running statistics), folded into one scale and shift per channel. */
final class NormalizationReaders {
    private NormalizationReaders() {
    }

    static void register(OnnxOpReaders r) {
        r.add("BatchNormalization", 1, NormalizationReaders::batchNorm);
        r.add("LayerNormalization", 17, NormalizationReaders::layerNorm);
    }

    /** Layer normalization over the last axis, which must be the stored channels (ConvNeXt's channels-last blocks). */
    private static void layerNorm(OnnxNode n, OnnxGraph g) throws IOException {
        Activation x = g.activation(n, 0);
        int axis = (int) ShapeReaders.axis(n.i("axis", -1), x.rank());
        if (axis != x.rank() - 1 || x.physical(axis) != 1) {
            throw n.refuse("only a layer norm over the channels alone is supported (axis " + axis + " of "
                    + OnnxGraph.shape(x.shape()) + ")");
        }
        if ((n.outputCount() > 1 && !n.output(1).isEmpty() && g.consumers(n.output(1)) > 0)
                || (n.outputCount() > 2 && !n.output(2).isEmpty() && g.consumers(n.output(2)) > 0)) {
            throw n.refuse("its mean and inverse standard deviation outputs are not supported");
        }
        long channels = x.shape()[axis];
        INDArray gamma = g.constant(n, 1).value().reshape(-1);
        INDArray beta = g.optionalConstant(n, 2) == null ? null : g.constant(n, 2).value().reshape(-1);
        if (gamma.length() != channels || (beta != null && beta.length() != channels)) {
            throw n.refuse("scale and bias do not have one value per channel (" + channels + ")");
        }
        g.put(n, g.add(Ops.layerNorm(gamma, beta, n.f("epsilon", 1e-5f)), x.shape(), x));
    }

    private static void batchNorm(OnnxNode n, OnnxGraph g) throws IOException {
        if (n.i("training_mode", 0) != 0 || n.i("is_test", 1) == 0) {
            throw n.refuse("batch normalization in training mode is not supported; export the model in eval mode");
        }
        Activation x = g.activation(n, 0);
        if (x.physical(1) != 1 || (x.rank() != 2 && x.rank() != 4)) {
            throw n.refuse("normalizes axis 1 of " + OnnxGraph.shape(x.shape()) + ", which is not the channels of maps or rows");
        }
        g.put(n, g.add(Ops.batchNorm(g.constant(n, 1).value(), g.constant(n, 2).value(), g.constant(n, 3).value(),
                g.constant(n, 4).value(), n.f("epsilon", 1e-5f)), x.shape(), x));
    }
}
