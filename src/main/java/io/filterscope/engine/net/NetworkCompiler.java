package io.filterscope.engine.net;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Turns a DL4J model (its layer configurations and parameters) into a {@link Network} of native ops: a
 * chain for a MultiLayerNetwork, a graph with merges and residual additions for a ComputationGraph. DL4J
 * loads and describes models; this is what ascent runs on, because DL4J's own layers never reach oneDNN
 * and are many times slower. Output layers are exposed before their softmax, so a class objective
 * maximizes the logit. Every layer and vertex that computes something is a layer objectives can target.
 */
public final class NetworkCompiler {
    private static final int INPUT = StageGraph.INPUT;

    private NetworkCompiler() {
    }

    /** @param chw input shape of one image: channels, height, width */
    public static Network compile(Model model, DataType dtype, long batch, long[] chw) {
        StageGraph g = new StageGraph();
        if (model instanceof MultiLayerNetwork mln) {
            int node = INPUT;
            for (int i = 0; i < mln.getnLayers(); i++) {
                node = addPreProcessor(g, mln.getLayerWiseConfigurations().getInputPreProcess(i), "layer " + i, node);
                Layer conf = mln.getLayerWiseConfigurations().getConf(i).getLayer();
                node = addLayer(g, conf, nameOf(conf, i), mln.getLayer(i), dtype, node);
            }
        } else if (model instanceof ComputationGraph graph) {
            addGraph(g, graph, dtype);
        } else {
            throw new UnsupportedLayerException("unsupported model type " + model.getClass().getSimpleName());
        }
        for (int i = 0; i < g.stages.size(); i++) {
            for (int src : g.inputs.get(i)) {
                if (g.stage(src) instanceof DenseStage d && d.beforeSoftmax) {
                    throw new UnsupportedLayerException("layer " + d.layer + ": softmax is supported only on the output layer");
                }
            }
        }
        return new Network(g, dtype, new long[] {batch, chw[0], chw[1], chw[2]});
    }

    private static void addGraph(StageGraph g, ComputationGraph graph, DataType dtype) {
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
            nodeOf.put(name, addVertex(g, graph, name, conf.getVertices().get(name), from, dtype));
        }
    }

    private static int addVertex(StageGraph g, ComputationGraph graph, String name, GraphVertex vertex, int[] from,
                                 DataType dtype) {
        if (vertex instanceof LayerVertex lv && from.length == 1) {
            int node = addPreProcessor(g, lv.getPreProcessor(), name, from[0]);
            return addLayer(g, lv.getLayerConf().getLayer(), name, graph.getLayer(name), dtype, node);
        }
        if (vertex instanceof PreprocessorVertex pv && from.length == 1) {
            // Keras' Flatten in a functional model, say: a reshape of its own, not a layer's input.
            return addPreProcessor(g, pv.getPreProcessor(), name, from[0]);
        }
        if (vertex instanceof ElementWiseVertex ew) {
            ElementWiseStage.Op op = switch (ew.getOp()) {
                case Add -> ElementWiseStage.Op.ADD;
                case Subtract -> ElementWiseStage.Op.SUBTRACT;
                case Product -> ElementWiseStage.Op.PRODUCT;
                case Average -> ElementWiseStage.Op.AVERAGE;
                default -> throw new UnsupportedLayerException("vertex " + name + ": element-wise " + ew.getOp()
                        + " is not supported");
            };
            return named(g, name, g.add(new ElementWiseStage(name, op), from));
        }
        if (vertex instanceof MergeVertex merge) {
            if (merge.getMergeAxis() != 1) {
                throw new UnsupportedLayerException("vertex " + name + ": merging along axis " + merge.getMergeAxis()
                        + " is not supported, only along the channels (axis 1)");
            }
            return from.length == 1 ? from[0] : named(g, name, g.add(new ConcatStage(name), from));
        }
        throw new UnsupportedLayerException("vertex " + name + " (" + vertex.getClass().getSimpleName()
                + ") is not supported");
    }

    private static int named(StageGraph g, String name, int node) {
        g.name(name, node);
        return node;
    }

    private static String nameOf(Layer conf, int index) {
        String name = conf.getLayerName();
        return name == null || name.isBlank() ? "layer" + index : name;
    }

    /** Adds the stage a preprocessor needs after {@code node}; returns the node its output is. */
    private static int addPreProcessor(StageGraph g, InputPreProcessor pre, String where, int node) {
        if (pre == null) {
            return node;
        }
        if (pre instanceof CnnToFeedForwardPreProcessor c) {
            // Maps stay NCHW here whatever the model's format; a channels-last model's dense weights expect
            // its flattened rows in NHWC order (Keras' TensorFlow import marks that by format or by class).
            boolean channelsLast = c.getFormat() == CNN2DFormat.NHWC || c instanceof TensorFlowCnnToFeedForwardPreProcessor;
            return g.add(channelsLast ? ReshapeStage.flattenChannelsLast() : new ReshapeStage(null), node);
        }
        if (pre instanceof FeedForwardToCnnPreProcessor f) {
            // At the network's input our images are already NCHW, which DL4J passes through unchanged.
            return node == INPUT ? node
                    : g.add(new ReshapeStage(new long[] {f.getNumChannels(), f.getInputHeight(), f.getInputWidth()}), node);
        }
        throw new UnsupportedLayerException("input preprocessor " + pre.getClass().getSimpleName() + " before "
                + where + " is not supported");
    }

    /**
     * Adds a layer's stages after {@code node} and names the last one after the layer; returns the node of
     * the layer's output (the input's node for a layer that computes nothing at inference).
     */
    private static int addLayer(StageGraph g, Layer conf, String name, org.deeplearning4j.nn.api.Layer layer,
                                DataType dtype, int node) {
        int out = layerStages(g, conf, name, layer, dtype, node);
        return out == node ? node : named(g, name, out);
    }

    private static int layerStages(StageGraph g, Layer conf, String name, org.deeplearning4j.nn.api.Layer layer,
                                   DataType dtype, int node) {
        if (conf instanceof ConvolutionLayer c && conf.getClass() == ConvolutionLayer.class) {
            // NHWC layers (Keras channels_last imports) run NCHW here too: DL4J keeps convolution weights as
            // [out, in, kh, kw] in either format, and only a flatten sees the difference (addPreProcessor).
            int conv = g.add(new ConvStage(name, param(layer, "W", dtype), c.hasBias() ? param(layer, "b", dtype) : null,
                    c.getKernelSize(), c.getStride(), c.getPadding(), c.getDilation(),
                    c.getConvolutionMode() == ConvolutionMode.Same), node);
            return addActivation(g, name, c.getActivationFn(), conv);
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
            return g.add(new PoolStage(name, max, s.getKernelSize(), s.getStride(), s.getPadding(), same), node);
        }
        if (conf instanceof BatchNormalization bn) {
            // DL4J's batch normalization layer never applies its activation function (configured ReLU or
            // not, its output is the normalized input), and Keras imports leave it at DL4J's default, sigmoid.
            return addBatchNorm(g, bn, name, layer, dtype, node);
        }
        if (conf instanceof ZeroPaddingLayer z) {
            return g.add(new ZeroPadStage(name, z.getPadding()), node);
        }
        if (conf instanceof GlobalPoolingLayer gp) {
            GlobalPoolStage.Type type = switch (gp.getPoolingType()) {
                case AVG -> GlobalPoolStage.Type.AVG;
                case SUM -> GlobalPoolStage.Type.SUM;
                case MAX -> GlobalPoolStage.Type.MAX;
                default -> throw new UnsupportedLayerException("layer " + name + ": global " + gp.getPoolingType()
                        + " pooling is not supported");
            };
            return g.add(new GlobalPoolStage(name, type, gp.isCollapseDimensions()), node);
        }
        if (conf instanceof BaseOutputLayer o) {
            return addDense(g, name, param(layer, "W", dtype), o.hasBias() ? param(layer, "b", dtype) : null,
                    o.getActivationFn(), node);
        }
        if (conf instanceof DenseLayer d) {
            // A dense layer with softmax is a Keras model's output layer (imports have no OutputLayer).
            return addDense(g, name, param(layer, "W", dtype), d.hasBias() ? param(layer, "b", dtype) : null,
                    d.getActivationFn(), node);
        }
        if (conf instanceof ActivationLayer a && a.getActivationFn() instanceof ActivationSoftmax) {
            // Keras' Activation("softmax") after a linear dense layer: that layer's logits are the output.
            if (!(g.stage(node) instanceof DenseStage d)) {
                throw new UnsupportedLayerException("layer " + name + ": softmax is supported only after a dense layer");
            }
            d.beforeSoftmax = true;
            return node;
        }
        if (conf instanceof ActivationLayer a) {
            return addActivation(g, name, a.getActivationFn(), node);
        }
        if (conf instanceof DropoutLayer) {
            // Dropout does nothing at inference: the layer is the identity, so it adds no stage.
            return node;
        }
        throw new UnsupportedLayerException("layer " + name + " (" + conf.getClass().getSimpleName()
                + ") is not supported");
    }

    /** Batch normalization with its running statistics (inference), as one per-channel affine stage. */
    private static int addBatchNorm(StageGraph g, BatchNormalization bn, String name,
                                    org.deeplearning4j.nn.api.Layer layer, DataType dtype, int node) {
        INDArray mean = param(layer, BatchNormalizationParamInitializer.GLOBAL_MEAN, dtype);
        INDArray variance;
        if (bn.isUseLogStd()) {
            // DL4J stores log10 of the standard deviation: var = (10^log10std)^2.
            INDArray std = Transforms.pow(Nd4j.valueArrayOf(mean.shape(), 10.0, dtype),
                    param(layer, BatchNormalizationParamInitializer.GLOBAL_LOG_STD, dtype), false);
            variance = std.mul(std);
        } else {
            variance = param(layer, BatchNormalizationParamInitializer.GLOBAL_VAR, dtype);
        }
        INDArray gamma = bn.isLockGammaBeta() ? Nd4j.valueArrayOf(mean.shape(), bn.getGamma(), dtype)
                : param(layer, BatchNormalizationParamInitializer.GAMMA, dtype);
        INDArray beta = bn.isLockGammaBeta() ? Nd4j.valueArrayOf(mean.shape(), bn.getBeta(), dtype)
                : param(layer, BatchNormalizationParamInitializer.BETA, dtype);
        return g.add(new BatchNormStage(name, gamma, beta, mean, variance, bn.getEps()), node);
    }

    /** A dense layer; with softmax, exposed before it (the logits), which only the last layer may do. */
    private static int addDense(StageGraph g, String name, INDArray w, INDArray b, IActivation fn, int node) {
        DenseStage dense = new DenseStage(name, w, b);
        int d = g.add(dense, node);
        if (fn instanceof ActivationSoftmax) {
            dense.beforeSoftmax = true;
            return d;
        }
        return addActivation(g, name, fn, d);
    }

    private static int addActivation(StageGraph g, String name, IActivation fn, int node) {
        if (fn instanceof ActivationIdentity) {
            return node;
        }
        return g.add(new ActivationStage(name, alpha(name, fn)), node);
    }

    private static double alpha(String name, IActivation fn) {
        if (fn instanceof ActivationReLU relu) {
            // DL4J's ReLU can carry a max, a threshold or a negative slope; only the plain one is supported.
            if (!relu.toString().equals(new ActivationReLU().toString())) {
                throw new UnsupportedLayerException("layer " + name + ": ReLU with options " + relu + " is not supported");
            }
            return 0;
        }
        if (fn instanceof ActivationLReLU lrelu) {
            return lrelu.getAlpha();
        }
        throw new UnsupportedLayerException("layer " + name + ": activation " + fn + " is not supported");
    }

    private static INDArray param(org.deeplearning4j.nn.api.Layer layer, String key, DataType dtype) {
        return layer.getParam(key).castTo(dtype).dup('c');
    }
}
