package io.filterscope.model.dl4j;

import io.filterscope.engine.net.ModelGraph;
import io.filterscope.engine.net.Op;
import io.filterscope.engine.net.Ops;
import io.filterscope.engine.net.UnsupportedLayerException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.modelimport.keras.preprocessors.TensorFlowCnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationELU;
import org.nd4j.linalg.activations.impl.ActivationHardSigmoid;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU6;
import org.nd4j.linalg.activations.impl.ActivationSELU;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftPlus;
import org.nd4j.linalg.activations.impl.ActivationSoftSign;
import org.nd4j.linalg.activations.impl.ActivationSwish;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.activations.impl.ActivationThresholdedReLU;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Reads a DL4J model (its layer configurations and parameters) into a {@link ModelGraph}: a chain for a
 * MultiLayerNetwork, a graph with merges and residual additions for a ComputationGraph. DL4J's own layers
 * never reach oneDNN and are many times slower, so ascent runs on the graph's native ops instead. Output
 * layers are exposed before their softmax, so a class objective maximizes the logit. Every layer and vertex
 * that computes something is a layer objectives can target.
 */
public final class Dl4jReader {
    private static final int INPUT = ModelGraph.INPUT;

    private final ModelGraph.Builder g = ModelGraph.builder();
    /** Dense layers whose softmax was left out, by node: their output is the model's, exposed as logits. */
    private final Map<Integer, String> logits = new HashMap<>();
    private final Set<Integer> denseNodes = new HashSet<>();

    private Dl4jReader() {
    }

    /**
     * The model's graph.
     *
     * @throws UnsupportedLayerException naming the first layer, vertex or activation it cannot compute
     */
    public static ModelGraph read(Model model) {
        Dl4jReader r = new Dl4jReader();
        if (model instanceof MultiLayerNetwork mln) {
            int node = INPUT;
            for (int i = 0; i < mln.getnLayers(); i++) {
                node = r.addPreProcessor(mln.getLayerWiseConfigurations().getInputPreProcess(i), "layer " + i, node);
                Layer conf = mln.getLayerWiseConfigurations().getConf(i).getLayer();
                node = r.addLayer(conf, nameOf(conf, i), mln.getLayer(i), node);
            }
        } else if (model instanceof ComputationGraph graph) {
            r.addGraph(graph);
        } else {
            throw new UnsupportedLayerException("unsupported model type " + model.getClass().getSimpleName());
        }
        return r.g.build();
    }

    private void addGraph(ComputationGraph graph) {
        var conf = graph.getConfiguration();
        if (conf.getNetworkInputs().size() != 1) {
            throw new UnsupportedLayerException("models with several inputs are not supported");
        }
        // Each vertex's output node; a vertex that computes nothing (dropout, say) is its input's node.
        Map<String, Integer> nodeOf = new HashMap<>();
        nodeOf.put(conf.getNetworkInputs().get(0), INPUT);
        for (String name : conf.getTopologicalOrderStr()) {
            if (nodeOf.containsKey(name)) {
                continue;
            }
            List<String> inputs = conf.getVertexInputs().get(name);
            int[] from = new int[inputs.size()];
            for (int k = 0; k < from.length; k++) {
                from[k] = nodeOf.get(inputs.get(k));
            }
            nodeOf.put(name, addVertex(graph, name, conf.getVertices().get(name), from));
        }
    }

    /** Adds an op reading these nodes; only the model's output may follow a softmax. */
    private int add(String owner, Op op, int... from) {
        for (int f : from) {
            if (logits.containsKey(f)) {
                throw new UnsupportedLayerException("layer " + logits.get(f) + ": softmax is supported only on the output layer");
            }
        }
        return g.add(owner, op, from);
    }

    private int addVertex(ComputationGraph graph, String name, GraphVertex vertex, int[] from) {
        if (vertex instanceof LayerVertex lv && from.length == 1) {
            int node = addPreProcessor(lv.getPreProcessor(), name, from[0]);
            return addLayer(lv.getLayerConf().getLayer(), name, graph.getLayer(name), node);
        }
        if (vertex instanceof PreprocessorVertex pv && from.length == 1) {
            // Keras' Flatten in a functional model, say: a reshape of its own, not a layer's input.
            return addPreProcessor(pv.getPreProcessor(), name, from[0]);
        }
        if (vertex instanceof ElementWiseVertex ew) {
            Ops.Join op = switch (ew.getOp()) {
                case Add -> Ops.Join.ADD;
                case Subtract -> Ops.Join.SUBTRACT;
                case Product -> Ops.Join.PRODUCT;
                case Average -> Ops.Join.AVERAGE;
                default -> throw new UnsupportedLayerException("vertex " + name + ": element-wise " + ew.getOp()
                        + " is not supported");
            };
            return g.name(name, add(name, Ops.join(op), from));
        }
        if (vertex instanceof MergeVertex merge) {
            if (merge.getMergeAxis() != 1) {
                throw new UnsupportedLayerException("vertex " + name + ": merging along axis " + merge.getMergeAxis()
                        + " is not supported, only along the channels (axis 1)");
            }
            return from.length == 1 ? from[0] : g.name(name, add(name, Ops.concat(), from));
        }
        throw new UnsupportedLayerException("vertex " + name + " (" + vertex.getClass().getSimpleName()
                + ") is not supported");
    }

    private static String nameOf(Layer conf, int index) {
        String name = conf.getLayerName();
        return name == null || name.isBlank() ? "layer" + index : name;
    }

    /** Adds the op a preprocessor needs after {@code node}; returns the node its output is. */
    private int addPreProcessor(InputPreProcessor pre, String where, int node) {
        if (pre == null) {
            return node;
        }
        if (pre instanceof CnnToFeedForwardPreProcessor c) {
            // Maps stay NCHW here whatever the model's format; a channels-last model's dense weights expect
            // its flattened rows in NHWC order (Keras' TensorFlow import marks that by format or by class).
            boolean channelsLast = c.getFormat() == CNN2DFormat.NHWC || c instanceof TensorFlowCnnToFeedForwardPreProcessor;
            return add(null, channelsLast ? Ops.flattenChannelsLast() : Ops.flatten(), node);
        }
        if (pre instanceof FeedForwardToCnnPreProcessor f) {
            // At the network's input our images are already NCHW, which DL4J passes through unchanged.
            return node == INPUT ? node
                    : add(null, Ops.reshape(new long[] {f.getNumChannels(), f.getInputHeight(), f.getInputWidth()}), node);
        }
        throw new UnsupportedLayerException("input preprocessor " + pre.getClass().getSimpleName() + " before "
                + where + " is not supported");
    }

    /**
     * Adds a layer's ops after {@code node} and names the last one after the layer; returns the node of
     * the layer's output (the input's node for a layer that computes nothing at inference).
     */
    private int addLayer(Layer conf, String name, org.deeplearning4j.nn.api.Layer layer, int node) {
        int out = layerOps(conf, name, layer, node);
        return out == node ? node : g.name(name, out);
    }

    private int layerOps(Layer conf, String name, org.deeplearning4j.nn.api.Layer layer, int node) {
        if (conf instanceof ConvolutionLayer c && conf.getClass() == ConvolutionLayer.class) {
            // NHWC layers (Keras channels_last imports) run NCHW here too: DL4J keeps convolution weights as
            // [out, in, kh, kw] in either format, and only a flatten sees the difference (addPreProcessor).
            int conv = add(name, Ops.conv2d(param(layer, "W"), c.hasBias() ? param(layer, "b") : null,
                    c.getStride(), c.getPadding(), c.getDilation(), c.getConvolutionMode() == ConvolutionMode.Same), node);
            return addActivation(name, c.getActivationFn(), conv);
        }
        if (conf instanceof SubsamplingLayer s && conf.getClass() == SubsamplingLayer.class) {
            boolean max = s.getPoolingType() == PoolingType.MAX;
            if (!max && s.getPoolingType() != PoolingType.AVG) {
                throw new UnsupportedLayerException("layer " + name + ": " + s.getPoolingType() + " pooling is not supported");
            }
            boolean same = s.getConvolutionMode() == ConvolutionMode.Same;
            if (!max && (same || s.getPadding()[0] != 0 || s.getPadding()[1] != 0)) {
                throw new UnsupportedLayerException("layer " + name + ": padded average pooling is not supported");
            }
            return add(name, Ops.pool(max, s.getKernelSize(), s.getStride(), s.getPadding(), same), node);
        }
        if (conf instanceof BatchNormalization bn) {
            // DL4J's batch normalization layer never applies its activation function (configured ReLU or
            // not, its output is the normalized input), and Keras imports leave it at DL4J's default, sigmoid.
            return addBatchNorm(bn, name, layer, node);
        }
        if (conf instanceof ZeroPaddingLayer z) {
            return add(name, Ops.zeroPad(z.getPadding()), node);
        }
        if (conf instanceof GlobalPoolingLayer gp) {
            Ops.GlobalPool type = switch (gp.getPoolingType()) {
                case AVG -> Ops.GlobalPool.AVG;
                case SUM -> Ops.GlobalPool.SUM;
                case MAX -> Ops.GlobalPool.MAX;
                default -> throw new UnsupportedLayerException("layer " + name + ": global " + gp.getPoolingType()
                        + " pooling is not supported");
            };
            return add(name, Ops.globalPool(type, !gp.isCollapseDimensions()), node);
        }
        if (conf instanceof BaseOutputLayer o) {
            return addDense(name, param(layer, "W"), o.hasBias() ? param(layer, "b") : null, o.getActivationFn(), node);
        }
        if (conf instanceof DenseLayer d) {
            // A dense layer with softmax is a Keras model's output layer (imports have no OutputLayer).
            return addDense(name, param(layer, "W"), d.hasBias() ? param(layer, "b") : null, d.getActivationFn(), node);
        }
        if (conf instanceof ActivationLayer a && a.getActivationFn() instanceof ActivationSoftmax) {
            // Keras' Activation("softmax") after a linear dense layer: that layer's logits are the output.
            if (!denseNodes.contains(node)) {
                throw new UnsupportedLayerException("layer " + name + ": softmax is supported only after a dense layer");
            }
            logits.put(node, name);
            return node;
        }
        if (conf instanceof ActivationLayer a) {
            return addActivation(name, a.getActivationFn(), node);
        }
        if (conf instanceof DropoutLayer) {
            // Dropout does nothing at inference: the layer is the identity, so it adds no op.
            return node;
        }
        throw new UnsupportedLayerException("layer " + name + " (" + conf.getClass().getSimpleName()
                + ") is not supported");
    }

    /** Batch normalization with its running statistics (inference), as one per-channel affine op. */
    private int addBatchNorm(BatchNormalization bn, String name, org.deeplearning4j.nn.api.Layer layer, int node) {
        INDArray mean = param(layer, BatchNormalizationParamInitializer.GLOBAL_MEAN);
        INDArray variance;
        if (bn.isUseLogStd()) {
            // DL4J stores log10 of the standard deviation: var = (10^log10std)^2.
            INDArray std = Transforms.pow(Nd4j.valueArrayOf(mean.shape(), 10.0, mean.dataType()),
                    param(layer, BatchNormalizationParamInitializer.GLOBAL_LOG_STD), false);
            variance = std.mul(std);
        } else {
            variance = param(layer, BatchNormalizationParamInitializer.GLOBAL_VAR);
        }
        INDArray gamma = bn.isLockGammaBeta() ? Nd4j.valueArrayOf(mean.shape(), bn.getGamma(), mean.dataType())
                : param(layer, BatchNormalizationParamInitializer.GAMMA);
        INDArray beta = bn.isLockGammaBeta() ? Nd4j.valueArrayOf(mean.shape(), bn.getBeta(), mean.dataType())
                : param(layer, BatchNormalizationParamInitializer.BETA);
        return add(name, Ops.batchNorm(gamma, beta, mean, variance, bn.getEps()), node);
    }

    /** A dense layer; with softmax, exposed before it (the logits), which only the last layer may do. */
    private int addDense(String name, INDArray w, INDArray b, IActivation fn, int node) {
        int d = add(name, Ops.dense(w, b), node);
        denseNodes.add(d);
        if (fn instanceof ActivationSoftmax) {
            logits.put(d, name);
            return d;
        }
        return addActivation(name, fn, d);
    }

    private int addActivation(String name, IActivation fn, int node) {
        if (fn instanceof ActivationIdentity) {
            return node;
        }
        return add(name, activation(name, fn), node);
    }

    /** The engine op of a DL4J activation; its ReLU's options (which its toString never shows) are read. */
    private static Op activation(String name, IActivation fn) {
        if (fn instanceof ActivationReLU relu) {
            return Ops.relu(relu.getMax() == null ? Double.POSITIVE_INFINITY : relu.getMax(), orZero(relu.getNegativeSlope()),
                    orZero(relu.getThreshold()));
        }
        if (fn instanceof ActivationReLU6) {
            return Ops.relu(6, 0, 0);
        }
        if (fn instanceof ActivationLReLU lrelu) {
            return Ops.leakyRelu(lrelu.getAlpha());
        }
        if (fn instanceof ActivationThresholdedReLU t) {
            return Ops.relu(Double.POSITIVE_INFINITY, 0, t.getTheta());
        }
        if (fn instanceof ActivationELU elu) {
            return Ops.elu(elu.getAlpha());
        }
        Ops.Activation a = fn instanceof ActivationSigmoid ? Ops.Activation.SIGMOID
                : fn instanceof ActivationTanH ? Ops.Activation.TANH
                : fn instanceof ActivationSELU ? Ops.Activation.SELU
                : fn instanceof ActivationSwish ? Ops.Activation.SWISH
                : fn instanceof ActivationHardSigmoid ? Ops.Activation.HARD_SIGMOID
                : fn instanceof ActivationSoftPlus ? Ops.Activation.SOFTPLUS
                : fn instanceof ActivationSoftSign ? Ops.Activation.SOFTSIGN : null;
        if (a == null) {
            throw new UnsupportedLayerException("layer " + name + ": activation " + fn + " is not supported");
        }
        return Ops.activation(a);
    }

    private static double orZero(Double v) {
        return v == null ? 0 : v;
    }

    private static INDArray param(org.deeplearning4j.nn.api.Layer layer, String key) {
        return layer.getParam(key).dup('c');
    }
}
